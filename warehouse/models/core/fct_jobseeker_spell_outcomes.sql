-- grain: one row per registration spell
-- key: person_id, registered_on
-- materialized: table
-- What happened to each spell, for the outcome marts (docs/outcome-indicators.md):
--   * follow-up: from registered_on to the exit, or to the end of the observation window for a
--     spell still registered then; an exit to employment is the event, any other exit censors;
--   * channel profile: the share of the job-seeker's inbound contacts during the spell made
--     through a digital channel (inbound = chosen by the job-seeker; outbound notices are the
--     PES's choice);
--   * services in the first three months (before the 3-month landmark): counselling contacts
--     that took place (not missed or cancelled) and any training referral.
with window_bounds as (
    select min(month) as window_start, max(month_end) as window_end
    from core.dim_month
),

spells as (
    select
        s.*,
        cast(s.registered_on + interval 3 month as date) as landmark_on
    from core.dim_jobseeker_spell as s
),

contacts as (
    -- A contact belongs to the spell that had started on its day (as in fct_interactions),
    -- and only while that spell lasted.
    select
        s.person_id,
        s.registered_on,
        s.landmark_on,
        i.occurred_on,
        i.direction,
        i.is_digital,
        i.service,
        i.appointment_status
    from core.fct_interactions as i
    asof join spells as s
        on i.party_id = s.person_id and i.occurred_on >= s.registered_on
    where i.party_type = 'jobseeker'
        and (s.exited_on is null or i.occurred_on <= s.exited_on)
),

per_spell as (
    select
        person_id,
        registered_on,
        count(*) filter (where direction = 'inbound') as n_inbound_contacts,
        count(*) filter (where direction = 'inbound' and is_digital) as n_inbound_digital_contacts,
        count(*) filter (
            where service = 'counselling' and occurred_on < landmark_on
                and coalesce(appointment_status, 'attended') = 'attended'
        ) as n_counselling_first_3m,
        coalesce(bool_or(service = 'training_referral' and occurred_on < landmark_on), false)
            as has_training_referral_first_3m
    from contacts
    group by person_id, registered_on
),

followed as (
    select
        s.*,
        w.window_start,
        w.window_end,
        s.exited_on is not null and s.exited_on <= w.window_end as has_exited_in_window
    from spells as s
    cross join window_bounds as w
)

select
    -- ids
    f.person_id,
    f.registered_on,
    f.agency_code,
    f.region_code,
    -- dates
    cast(date_trunc('month', f.registered_on) as date) as cohort_month,
    f.exited_on,
    f.landmark_on,
    case when f.has_exited_in_window then f.exited_on else f.window_end end as followed_until,
    -- attributes (age reached in the year of registration)
    case
        when year(f.registered_on) - f.birth_year < 25 then '<25'
        when year(f.registered_on) - f.birth_year < 50 then '25-49'
        else '50+'
    end as age_band,
    f.sex,
    f.education_level,
    f.digital_skills,
    f.support_tier,
    f.exit_reason,
    f.employed_3_months_after_exit,
    -- follow-up
    f.registered_on between f.window_start and f.window_end as is_window_entrant,
    case
        when not f.has_exited_in_window then 'still_registered'
        when f.exit_reason = 'employment' then 'employment'
        else 'other_exit'
    end as follow_up_status,
    datediff('day', f.registered_on,
             case when f.has_exited_in_window then f.exited_on else f.window_end end)
        as duration_days,
    -- channel profile
    coalesce(p.n_inbound_contacts, 0) as n_inbound_contacts,
    coalesce(p.n_inbound_digital_contacts, 0) as n_inbound_digital_contacts,
    case
        when coalesce(p.n_inbound_contacts, 0) < 3 then 'too_few_contacts'
        when 3 * p.n_inbound_digital_contacts >= 2 * p.n_inbound_contacts then 'mostly_digital'
        when 3 * p.n_inbound_digital_contacts <= p.n_inbound_contacts then 'mostly_in_person'
        else 'mixed'
    end as channel_profile,
    -- services in the first three months
    coalesce(p.n_counselling_first_3m, 0) as n_counselling_first_3m,
    coalesce(p.has_training_referral_first_3m, false) as has_training_referral_first_3m
from followed as f
left join per_spell as p using (person_id, registered_on)
