-- grain: one row per month x agency x user type x segment x channel x measure (wait or duration) x bin of seconds
-- key: month, agency_code, party_type, age_band, education_level, digital_skills, support_tier, channel, measure, bin_lower_s
-- materialized: table
-- Medians and 90th percentiles cannot be added up across months or agencies, so the mart
-- keeps each distribution as a histogram that any filter can sum; the dashboard reads the
-- percentile from it, interpolating within the bin. Bins: 10 s below 10 min, 1 min below
-- 2 h, 10 min above. Two rollups serve the common filters faster: without segments
-- (..._unsegmented_monthly) and without places (..._segments_monthly); this full one is read
-- when a segment and a place are both filtered, so it is stored by place.
with times as (
    select month, region_code, agency_code, party_type, age_band, education_level, digital_skills,
        support_tier, channel, 'wait' as measure, wait_s as seconds
    from core.fct_interactions
    where wait_s is not null
    union all
    select month, region_code, agency_code, party_type, age_band, education_level, digital_skills,
        support_tier, channel, 'duration' as measure, duration_s as seconds
    from core.fct_interactions
    where duration_s is not null
),

binned as (
    select
        *,
        case when seconds < 600 then 10 when seconds < 7200 then 60 else 600 end as bin_width_s
    from times
)

select
    b.month,
    b.region_code,
    r.region_name,
    b.agency_code,
    a.agency_name,
    b.party_type,
    b.age_band,
    b.education_level,
    b.digital_skills,
    b.support_tier,
    b.channel,
    b.measure,
    (b.seconds // b.bin_width_s * b.bin_width_s)::bigint as bin_lower_s,
    (b.seconds // b.bin_width_s * b.bin_width_s + b.bin_width_s)::bigint as bin_upper_s,
    count(*) as n_contacts
from binned as b
left join core.dim_agency as a using (agency_code)
left join core.dim_region as r on r.region_code = b.region_code
group by all
order by b.region_code, b.agency_code, b.month
