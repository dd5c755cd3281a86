-- grain: one row per landed registration-spell row
-- materialized: view
with source as (
    select * from raw.jobseekers
),

renamed as (
    select
        -- ids (pseudonymised at ingestion)
        person_id,
        agency_code,
        -- dates
        registered_on,
        exited_on,
        -- attributes
        birth_year,
        sex,
        education_level,
        support_tier,
        digital_skills,
        has_disability,
        sought_isco08,
        exit_reason,
        employed_3_months_after_exit,
        -- lineage
        _source_file,
        _line,
        _loaded_at
    from source
)

select * from renamed
