-- grain: one row per month x region x ISCO-08 major group x employer size
-- key: month, region_code, isco_major_group, employer_size
-- materialized: table
-- Posted counts by posted_on, closures and fills by closed_on, open stock at the month's end.
with events as (
    select m.month, v.*, 'open' as event
    from core.dim_month as m
    join core.fct_vacancies as v
        on v.posted_on <= m.month_end and (v.closed_on is null or v.closed_on > m.month_end)
    union all
    select cast(date_trunc('month', v.posted_on) as date) as month, v.*, 'posted' as event
    from core.fct_vacancies as v
    union all
    select cast(date_trunc('month', v.closed_on) as date) as month, v.*, 'closed' as event
    from core.fct_vacancies as v
    where v.closed_on is not null
)

select
    e.month,
    e.region_code,
    r.region_name,
    e.isco_major_group,
    g.isco_major_group_label,
    e.employer_size,
    count(*) filter (where e.event = 'posted') as n_vacancies_posted,
    coalesce(sum(e.n_positions) filter (where e.event = 'posted'), 0)::bigint as n_positions_posted,
    count(*) filter (where e.event = 'closed') as n_vacancies_closed,
    count(*) filter (where e.event = 'closed' and e.close_reason = 'filled_pes') as n_filled_pes,
    count(*) filter (where e.event = 'closed' and e.close_reason = 'filled_other') as n_filled_other,
    count(*) filter (where e.event = 'open') as n_open_end
from events as e
left join core.dim_region as r on r.region_code = e.region_code
left join core.dim_isco_major_group as g on g.isco_major_group = e.isco_major_group
where e.month between (select min(month) from core.dim_month) and (select max(month) from core.dim_month)
group by all
