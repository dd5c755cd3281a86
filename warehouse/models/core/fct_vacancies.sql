-- grain: one row per vacancy
-- key: vacancy_id
-- materialized: table
select
    -- ids
    v.vacancy_id,
    v.employer_id,
    v.agency_code,
    a.region_code,
    -- dates
    v.posted_on,
    v.closed_on,
    -- attributes
    v.employer_size,
    v.employer_size in ('micro', 'small') as is_sme_under_50,
    v.nace_section,
    v.isco08,
    left(v.isco08, 1) as isco_major_group,
    v.contract_type,
    v.close_reason,
    -- numerics
    v.n_positions,
    v.n_candidates_proposed,
    v.n_hires_from_proposed,
    datediff('day', v.posted_on, v.closed_on) as n_days_open
from staging.stg_pes__vacancies as v
left join core.dim_agency as a using (agency_code)
qualify row_number() over (partition by v.vacancy_id order by v._loaded_at desc, v._source_file desc, v._line desc) = 1
