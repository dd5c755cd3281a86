-- grain: one row per job-seeker x place and segment they were in during months with an inbound contact
-- key: person_id, agency_code, age_band, education_level, digital_skills, support_tier
-- materialized: table
-- mart_jobseeker_contact_months folded into one row per person and place-and-segment, its
-- months kept as bits (one per month of core.dim_month, the first leftmost): months with an
-- inbound contact, and months with a digital one. A period's active and offline-only
-- job-seekers are then counted by masking these bits, reading one row per person instead of
-- one per person-month (docs/channel-indicators.md). Each active job-seeker counts once, in
-- the place and segment of their last month with an inbound contact in the period.
with months as (
    select
        *,
        datediff('month', (select min(month) from core.dim_month), month) as month_index
    from marts.mart_jobseeker_contact_months
),

window_length as (
    select count(*) as n_months from core.dim_month
),

profiles as (
    select
        person_id,
        region_code,
        region_name,
        agency_code,
        agency_name,
        age_band,
        education_level,
        digital_skills,
        support_tier,
        list(month_index) as active_months,
        coalesce(list(month_index) filter (where n_inbound_digital > 0), []) as digital_months,
        count(*) as n_months_active,
        sum(n_inbound)::bigint as n_inbound,
        sum(n_inbound_digital)::bigint as n_inbound_digital
    from months
    group by all
)

select
    p.person_id,
    p.region_code,
    p.region_name,
    p.agency_code,
    p.agency_name,
    p.age_band,
    p.education_level,
    p.digital_skills,
    p.support_tier,
    array_to_string(list_transform(range(w.n_months),
        lambda i: case when list_contains(p.active_months, i) then '1' else '0' end), '')::bit as months_active,
    array_to_string(list_transform(range(w.n_months),
        lambda i: case when list_contains(p.digital_months, i) then '1' else '0' end), '')::bit as months_digital,
    p.n_months_active,
    p.n_inbound,
    p.n_inbound_digital,
    -- most people keep one place and segment; the others need folding into one row per period
    count(*) over (partition by p.person_id) as n_profiles
from profiles as p
cross join window_length as w
order by p.region_code, p.agency_code
