-- grain: one row per journey: a user's inbound contacts about one service within 30 days
-- key: party_type, party_id, service, journey_no
-- materialized: table
-- Dated, placed and segmented by the journey's first contact. channel_2 and channel_3 are
-- null when the journey has fewer contacts. A journey is complete when its 30-day window
-- closed inside the observation window.
with steps as (
    select * from core.fct_journey_contacts
),

data_end as (
    select cast(max(month_end) + interval 1 day as timestamp) as ends_at from core.dim_month
)

select
    -- ids
    s.party_type,
    s.party_id,
    s.service,
    s.journey_no,
    arg_min(s.agency_code, s.journey_step) as agency_code,
    arg_min(s.region_code, s.journey_step) as region_code,
    -- timestamps
    min(s.journey_started_local) as started_local,
    arg_min(s.month, s.journey_step) as month,
    -- segment at the first contact
    arg_min(s.age_band, s.journey_step) as age_band,
    arg_min(s.education_level, s.journey_step) as education_level,
    arg_min(s.digital_skills, s.journey_step) as digital_skills,
    arg_min(s.support_tier, s.journey_step) as support_tier,
    -- the channels of the first three contacts
    max(s.channel) filter (where s.journey_step = 1) as channel_1,
    max(s.channel) filter (where s.journey_step = 2) as channel_2,
    max(s.channel) filter (where s.journey_step = 3) as channel_3,
    -- numerics
    count(*) as n_contacts,
    count(distinct s.channel) as n_channels,
    -- a switch: a contact on another channel than the one before it in the journey
    count(*) filter (where s.journey_step > 1 and s.channel <> s.previous_channel) as n_switches,
    min(s.journey_started_local) + interval 30 day <= min(e.ends_at) as is_complete
from (
    select
        *,
        lag(channel) over (partition by party_type, party_id, service, journey_no order by journey_step)
            as previous_channel
    from steps
) as s
cross join data_end as e
group by s.party_type, s.party_id, s.service, s.journey_no
