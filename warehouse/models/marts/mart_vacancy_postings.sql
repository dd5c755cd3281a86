-- grain: one row per month posted x region x ISCO-08 unit group x NACE section x employer size
-- key: month, region_code, isco08, nace_section, employer_size
-- materialized: table
-- Vacancies notified to the PES, dated by posted_on, with every level of their ISCO-08 code
-- (major, sub-major, minor, unit group: the first 1, 2, 3 and 4 digits) for drilling down.
select
    cast(date_trunc('month', v.posted_on) as date) as month,
    v.region_code,
    r.region_name,
    v.isco08,
    v.isco_major_group,
    left(v.isco08, 2) as isco_sub_major_group,
    left(v.isco08, 3) as isco_minor_group,
    v.nace_section,
    v.employer_size,
    v.employer_size <> 'large' as is_sme,
    v.is_sme_under_50,
    count(*) as n_vacancies_posted,
    sum(v.n_positions)::bigint as n_positions_posted
from core.fct_vacancies as v
left join core.dim_region as r on r.region_code = v.region_code
where v.posted_on between (select min(month) from core.dim_month)
                      and (select max(month_end) from core.dim_month)
group by all
