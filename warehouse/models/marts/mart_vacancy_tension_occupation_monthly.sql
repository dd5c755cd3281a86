-- grain: one row per month x region x ISCO-08 major group x sub-major group
-- key: month, region_code, isco_major_group, isco_sub_major_group
-- materialized: table
-- Labour-market tension by occupation and region: vacancies open at the end of the month by
-- their occupation (isco08) and job-seekers registered at the end of the month by the
-- occupation they seek (sought_isco08), on the definitions of
-- marts.mart_vacancy_tension_monthly, whose counts each (month, region) adds up to.
-- Job-seekers with no occupation recorded stay in the 'unknown' group; vacancies always have
-- one. The grid is complete: months x regions x every occupation of a vacancy or a job-seeker.
with vacancies as (
    select
        m.month,
        v.region_code,
        v.isco_major_group,
        left(v.isco08, 2) as isco_sub_major_group,
        count(*) as n_vacancies_open_end
    from core.dim_month as m
    join core.fct_vacancies as v
        on v.posted_on <= m.month_end and (v.closed_on is null or v.closed_on > m.month_end)
    group by all
),

jobseekers as (
    select month, region_code, isco_major_group, isco_sub_major_group,
           n_stock_end as n_jobseekers_end
    from marts.mart_jobseeker_occupations_monthly
),

occupations as (
    select distinct isco_major_group, isco_sub_major_group from vacancies
    union
    select distinct isco_major_group, isco_sub_major_group from jobseekers
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
    coalesce(v.n_vacancies_open_end, 0) as n_vacancies_open_end,
    coalesce(j.n_jobseekers_end, 0) as n_jobseekers_end
from grid as g
left join vacancies as v using (month, region_code, isco_major_group, isco_sub_major_group)
left join jobseekers as j using (month, region_code, isco_major_group, isco_sub_major_group)
left join core.dim_isco_major_group as l on l.isco_major_group = g.isco_major_group
