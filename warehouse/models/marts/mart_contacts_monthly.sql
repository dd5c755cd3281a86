-- grain: one row per month x agency x channel x service x direction x party type x staff assistance x segment
-- key: month, agency_code, channel, service, direction, party_type, is_staff_assisted, age_band, education_level, digital_skills, support_tier
-- materialized: table
select
    i.month,
    i.region_code,
    r.region_name,
    i.agency_code,
    a.agency_name,
    i.channel,
    i.is_digital,
    i.service,
    i.direction,
    i.party_type,
    i.is_staff_assisted,
    i.age_band,
    i.education_level,
    i.digital_skills,
    i.support_tier,
    count(*) as n_contacts,
    count(i.satisfaction) as n_rated,
    count(*) filter (where i.satisfaction >= 4) as n_satisfied,
    count(*) filter (where i.appointment_status in ('attended', 'no_show')) as n_appointments,
    count(*) filter (where i.appointment_status = 'no_show') as n_no_shows,
    count(i.is_resolved) as n_resolution_known,
    count(*) filter (where i.is_resolved) as n_resolved
from core.fct_interactions as i
left join core.dim_agency as a using (agency_code)
left join core.dim_region as r on r.region_code = i.region_code
group by all
-- Stored by month: a period filter then reads only the row groups of its months.
order by i.month, i.region_code, i.agency_code
