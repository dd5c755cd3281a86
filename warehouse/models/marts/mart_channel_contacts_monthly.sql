-- grain: one row per month x agency x user type x direction x segment x channel
-- key: month, agency_code, party_type, direction, age_band, education_level, digital_skills, support_tier, channel
-- materialized: table
-- mart_contacts_monthly without the service and staff-assistance columns: the channel mix,
-- digital shares by region and segment, and channel use by segment read only these, from
-- less than half the rows. Built from core.fct_interactions like that mart, not from it, so
-- either can change grain alone.
select
    i.month,
    i.region_code,
    r.region_name,
    i.agency_code,
    a.agency_name,
    i.party_type,
    i.direction,
    i.age_band,
    i.education_level,
    i.digital_skills,
    i.support_tier,
    i.channel,
    i.is_digital,
    count(*) as n_contacts
from core.fct_interactions as i
left join core.dim_agency as a using (agency_code)
left join core.dim_region as r on r.region_code = i.region_code
group by all
order by i.month, i.region_code, i.agency_code
