-- grain: one row per month x agency x user type x segment x service x channel of inbound contacts with a complete 7-day follow-up
-- key: month, agency_code, party_type, age_band, education_level, digital_skills, support_tier, service, channel
-- materialized: table
-- Failure demand: a contact is repeated when the same user contacts the PES about the same
-- service again within 7 days (core.fct_journey_contacts). Contacts less than 7 days before
-- the end of the observation window are left out: their follow-up is not over.
select
    c.month,
    c.region_code,
    r.region_name,
    c.agency_code,
    a.agency_name,
    c.party_type,
    c.age_band,
    c.education_level,
    c.digital_skills,
    c.support_tier,
    c.service,
    c.channel,
    c.is_digital,
    count(*) as n_contacts,
    count(*) filter (where c.is_repeated_7d) as n_repeated_7d,
    count(*) filter (where c.is_repeated_7d and not c.next_is_digital) as n_repeated_7d_offline
from core.fct_journey_contacts as c
left join core.dim_agency as a using (agency_code)
left join core.dim_region as r on r.region_code = c.region_code
where c.is_followup_complete
group by all
order by c.month, c.region_code, c.agency_code
