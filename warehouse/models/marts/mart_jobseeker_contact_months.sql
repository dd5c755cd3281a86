-- grain: one row per job-seeker x month in which the job-seeker made an inbound contact
-- key: month, person_id
-- materialized: table
-- The digital-exclusion watch counts people, not contacts, over any period, so it keeps one
-- row per person-month (pseudonymised id). Place and segment are those of the person's last
-- inbound contact of the month.
with inbound as (
    select * from core.fct_journey_contacts where party_type = 'jobseeker'
),

counted as (
    select
        month,
        party_id as person_id,
        count(*) as n_inbound,
        count(*) filter (where is_digital) as n_inbound_digital
    from inbound
    group by month, party_id
),

last_contact as (
    select month, party_id as person_id, agency_code, region_code, age_band, education_level,
        digital_skills, support_tier
    from inbound
    qualify row_number() over (partition by month, party_id order by occurred_at desc, interaction_id desc) = 1
)

select
    c.month,
    c.person_id,
    l.region_code,
    r.region_name,
    l.agency_code,
    a.agency_name,
    l.age_band,
    l.education_level,
    l.digital_skills,
    l.support_tier,
    c.n_inbound,
    c.n_inbound_digital,
    c.n_inbound_digital = 0 as is_offline_only
from counted as c
join last_contact as l using (month, person_id)
left join core.dim_agency as a on a.agency_code = l.agency_code
left join core.dim_region as r on r.region_code = l.region_code
order by c.month, l.region_code, l.agency_code
