-- grain: one row per month x region x ISCO-08 major group x sub-major group of the occupation sought
-- key: month, region_code, isco_major_group, isco_sub_major_group
-- materialized: table
-- Job-seekers by the occupation they seek (jobseekers.sought_isco08), on the definitions of
-- marts.mart_jobseeker_flows_monthly: the stock is registered_on <= month end < exited_on,
-- inflows are dated by registered_on and exits to employment by exited_on. An occupation not
-- recorded is 'unknown' (major and sub-major); a code recorded at the major group only has a
-- known major group and an 'unknown' sub-major group. Regions are those of core.dim_region,
-- as in marts.mart_vacancy_tension_monthly. The grid is complete: months x regions x every
-- occupation sought in the data, zeros included.
with spells as (
    select
        registered_on,
        exited_on,
        exit_reason,
        region_code,
        coalesce(sought_isco_major_group, 'unknown') as isco_major_group,
        coalesce(sought_isco_sub_major_group, 'unknown') as isco_sub_major_group
    from core.dim_jobseeker_spell
),

stock as (
    select m.month, s.region_code, s.isco_major_group, s.isco_sub_major_group,
           count(*) as n_stock_end
    from core.dim_month as m
    join spells as s
        on s.registered_on <= m.month_end and (s.exited_on is null or s.exited_on > m.month_end)
    group by all
),

inflows as (
    select cast(date_trunc('month', registered_on) as date) as month, region_code,
           isco_major_group, isco_sub_major_group, count(*) as n_inflows
    from spells
    group by all
),

exits as (
    select cast(date_trunc('month', exited_on) as date) as month, region_code,
           isco_major_group, isco_sub_major_group,
           count(*) filter (where exit_reason = 'employment') as n_exits_employment
    from spells
    where exited_on is not null
    group by all
),

occupations as (
    select distinct isco_major_group, isco_sub_major_group from spells
),

grid as (
    select m.month, r.region_code, r.region_name, o.isco_major_group, o.isco_sub_major_group
    from core.dim_month as m
    cross join core.dim_region as r
    cross join occupations as o
)

select
    g.month,
    g.region_code,
    g.region_name,
    g.isco_major_group,
    coalesce(l.isco_major_group_label,
             case when g.isco_major_group = 'unknown' then 'Occupation sought not recorded' end)
        as isco_major_group_label,
    g.isco_sub_major_group,
    coalesce(s.n_stock_end, 0) as n_stock_end,
    coalesce(i.n_inflows, 0) as n_inflows,
    coalesce(e.n_exits_employment, 0) as n_exits_employment
from grid as g
left join stock as s using (month, region_code, isco_major_group, isco_sub_major_group)
left join inflows as i using (month, region_code, isco_major_group, isco_sub_major_group)
left join exits as e using (month, region_code, isco_major_group, isco_sub_major_group)
left join core.dim_isco_major_group as l on l.isco_major_group = g.isco_major_group
