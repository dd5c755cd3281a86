-- grain: one row per month closed x region x ISCO-08 unit group x NACE section x employer size x close reason x days open
-- key: month, region_code, isco08, nace_section, employer_size, close_reason, days_open
-- materialized: table
-- Closed vacancies, dated by closed_on: what the fill rates, the time to fill (days from
-- notification to closure, the BA's "Laufzeit") and the relevance of proposed profiles are
-- computed from. Proposals and hires are summed over vacancies where both are known.
select
    cast(date_trunc('month', v.closed_on) as date) as month,
    v.region_code,
    r.region_name,
    v.isco08,
    v.isco_major_group,
    left(v.isco08, 2) as isco_sub_major_group,
    left(v.isco08, 3) as isco_minor_group,
    v.nace_section,
    v.employer_size,
    coalesce(v.close_reason, 'unknown') as close_reason,
    v.n_days_open as days_open,
    count(*) as n_vacancies_closed,
    count(*) filter (where v.n_candidates_proposed > 0 and v.n_hires_from_proposed is not null)
        as n_vacancies_with_proposals,
    coalesce(sum(v.n_candidates_proposed) filter (where v.n_hires_from_proposed is not null), 0)::bigint
        as n_candidates_proposed,
    coalesce(sum(v.n_hires_from_proposed) filter (where v.n_candidates_proposed is not null), 0)::bigint
        as n_hires_from_proposed
from core.fct_vacancies as v
left join core.dim_region as r on r.region_code = v.region_code
where v.closed_on between (select min(month) from core.dim_month)
                      and (select max(month_end) from core.dim_month)
group by all
