-- grain: one row per landed interaction row
-- materialized: view
with source as (
    select * from raw.interactions
),

renamed as (
    select
        -- ids (party and counsellor pseudonymised at ingestion)
        interaction_id,
        party_id,
        counsellor_id,
        agency_code,
        -- timestamps (UTC instants)
        occurred_at,
        -- categories
        party_type,
        channel,
        direction,
        service,
        appointment_status,
        -- booleans
        is_staff_assisted,
        is_resolved,
        -- numerics
        duration_s,
        wait_s,
        satisfaction,
        -- lineage
        _source_file,
        _line,
        _loaded_at
    from source
)

select * from renamed
