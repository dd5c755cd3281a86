-- grain: one row per month x agency x user type x segment x service x first, second and third channel of complete journeys
-- key: month, agency_code, party_type, age_band, education_level, digital_skills, support_tier, service, channel_1, channel_2, channel_3
-- materialized: table
-- Journeys (core.fct_journeys) whose 30-day window closed inside the observation window, dated
-- by their first contact. channel_2 / channel_3 are 'none' when the journey ended earlier.
select
    j.month,
    j.region_code,
    r.region_name,
    j.agency_code,
    a.agency_name,
    j.party_type,
    j.age_band,
    j.education_level,
    j.digital_skills,
    j.support_tier,
    j.service,
    j.channel_1,
    coalesce(j.channel_2, 'none') as channel_2,
    coalesce(j.channel_3, 'none') as channel_3,
    count(*) as n_journeys,
    count(*) filter (where j.n_contacts >= 2) as n_multi_contact,
    count(*) filter (where j.n_switches >= 1) as n_switching,
    sum(j.n_contacts)::bigint as n_contacts
from core.fct_journeys as j
left join core.dim_agency as a using (agency_code)
left join core.dim_region as r on r.region_code = j.region_code
where j.is_complete
group by all
order by j.month, j.region_code, j.agency_code
