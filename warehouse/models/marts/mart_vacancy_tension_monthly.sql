-- grain: one row per month x region
-- key: month, region_code
-- materialized: table
-- Labour-market tension by region: vacancies open at the end of the month and job-seekers
-- registered at the end of the month. Job-seekers carry no occupation in the data contract,
-- so tension cannot be computed by occupation from PES data.
with vacancies as (
    select month, region_code, sum(n_open_end)::bigint as n_vacancies_open_end
    from marts.mart_vacancies_monthly
    group by all
),

jobseekers as (
    select month, region_code, sum(n_stock_end)::bigint as n_jobseekers_end
    from marts.mart_jobseeker_flows_monthly
    group by all
),

months_regions as (
    select m.month, r.region_code, r.region_name
    from core.dim_month as m
    cross join core.dim_region as r
)

select
    mr.month,
    mr.region_code,
    mr.region_name,
    coalesce(v.n_vacancies_open_end, 0) as n_vacancies_open_end,
    coalesce(j.n_jobseekers_end, 0) as n_jobseekers_end
from months_regions as mr
left join vacancies as v using (month, region_code)
left join jobseekers as j using (month, region_code)
