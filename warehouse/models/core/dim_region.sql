-- grain: one row per region (NUTS code)
-- key: region_code
-- materialized: table
select
    region_code,
    min(region_name) as region_name,
    count(*) as n_agencies
from core.dim_agency
group by region_code
