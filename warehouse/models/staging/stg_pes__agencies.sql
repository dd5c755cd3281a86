-- grain: one row per landed agency row
-- materialized: view
with source as (
    select * from raw.agencies
),

renamed as (
    select
        -- ids
        agency_code,
        region_code,
        -- labels
        agency_name,
        region_name,
        -- numerics
        latitude,
        longitude,
        -- lineage
        _source_file,
        _line,
        _loaded_at
    from source
)

select * from renamed
