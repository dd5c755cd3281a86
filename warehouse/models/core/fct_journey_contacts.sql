-- grain: one row per inbound interaction (a contact the user made)
-- key: interaction_id
-- materialized: table
-- Each user's inbound contacts about one service, in order, cut into 30-day journeys, with the
-- next contact about the same service (docs/channel-indicators.md).
--   * Order: by instant (occurred_at), then interaction_id for contacts at the same instant.
--   * Windows are read on the PES local clock: "within 7 days" of Monday 10:00 ends next
--     Monday 10:00, inclusive, whatever the clocks did in between.
--   * Journeys: the first contact starts one; every contact at most 30 days after that start
--     belongs to it; the first contact later than that starts the next one (greedy windows).
with inbound as (
    select
        -- ids
        interaction_id,
        party_type,
        party_id,
        agency_code,
        region_code,
        -- timestamps
        occurred_at,
        timezone(getvariable('pes_timezone'), occurred_at) as occurred_local,
        month,
        -- categories
        service,
        channel,
        is_digital,
        age_band,
        education_level,
        digital_skills,
        support_tier
    from core.fct_interactions
    where direction = 'inbound'
),

ordered as (
    select
        *,
        row_number() over by_service as n_contact,
        lead(occurred_local) over by_service as next_occurred_local,
        lead(channel) over by_service as next_channel,
        lead(is_digital) over by_service as next_is_digital
    from inbound
    window by_service as (partition by party_type, party_id, service order by occurred_at, interaction_id)
),

contact_lists as (
    select
        party_type,
        party_id,
        service,
        list({'n': n_contact, 't': occurred_local} order by n_contact) as contacts
    from ordered
    group by party_type, party_id, service
),

journey_starts as (
    -- Greedy 30-day windows need the previous window's start, so they are found by a fold
    -- over each user-service's contacts rather than by a window function.
    select
        party_type,
        party_id,
        service,
        list_reduce(
            contacts,
            lambda acc, x: case when x.t > acc[-1].t + interval 30 day then list_append(acc, x) else acc end,
            [contacts[1]]
        ) as starts
    from contact_lists
),

data_end as (
    -- The first local instant after the observation window.
    select cast(max(month_end) + interval 1 day as timestamp) as ends_at from core.dim_month
)

select
    -- ids
    o.interaction_id,
    o.party_type,
    o.party_id,
    o.agency_code,
    o.region_code,
    -- timestamps
    o.occurred_at,
    o.occurred_local,
    o.month,
    -- categories
    o.service,
    o.channel,
    o.is_digital,
    o.age_band,
    o.education_level,
    o.digital_skills,
    o.support_tier,
    -- position
    o.n_contact,
    len(list_filter(s.starts, lambda x: x.n <= o.n_contact)) as journey_no,
    o.n_contact - s.starts[len(list_filter(s.starts, lambda x: x.n <= o.n_contact))].n + 1 as journey_step,
    s.starts[len(list_filter(s.starts, lambda x: x.n <= o.n_contact))].t as journey_started_local,
    -- the next contact about the same service
    o.next_occurred_local,
    o.next_channel,
    o.next_is_digital,
    coalesce(o.next_occurred_local <= o.occurred_local + interval 7 day, false) as is_repeated_7d,
    o.occurred_local + interval 7 day <= e.ends_at as is_followup_complete
from ordered as o
join journey_starts as s using (party_type, party_id, service)
cross join data_end as e
