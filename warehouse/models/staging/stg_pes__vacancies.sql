-- grain: one row per landed vacancy row
-- materialized: view
with source as (
    select * from raw.vacancies
),

renamed as (
    select
        -- ids (employer pseudonymised at ingestion)
        vacancy_id,
        employer_id,
        agency_code,
        -- dates
        posted_on,
        closed_on,
        -- attributes
        employer_size,
        nace_section,
        isco08,
        contract_type,
        close_reason,
        -- numerics
        n_positions,
        n_candidates_proposed,
        n_hires_from_proposed,
        -- lineage
        _source_file,
        _line,
        _loaded_at
    from source
)

select * from renamed
