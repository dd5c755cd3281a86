-- grain: one row per agency
-- key: agency_code
-- materialized: table
select
    agency_code,
    agency_name,
    region_code,
    region_name,
    latitude,
    longitude
from staging.stg_pes__agencies
-- The latest load wins when a corrected reference file is landed.
qualify row_number() over (partition by agency_code order by _loaded_at desc, _source_file desc, _line desc) = 1
