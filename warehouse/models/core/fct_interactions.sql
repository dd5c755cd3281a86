-- grain: one row per interaction
-- key: interaction_id
-- materialized: table
with deduplicated as (
    select *
    from staging.stg_pes__interactions
    -- The same interaction landed twice keeps its latest version.
    qualify row_number() over (partition by interaction_id order by _loaded_at desc, _source_file desc, _line desc) = 1
),

localised as (
    select
        *,
        cast(timezone(getvariable('pes_timezone'), occurred_at) as date) as occurred_on
    from deduplicated
),

with_spell as (
    -- The job-seeker's segment is read from the spell that had started when the contact happened.
    select
        i.*,
        s.birth_year,
        s.education_level as spell_education_level,
        s.digital_skills as spell_digital_skills,
        s.support_tier as spell_support_tier
    from localised as i
    asof left join core.dim_jobseeker_spell as s
        on i.party_id = s.person_id and i.occurred_on >= s.registered_on
)

select
    -- ids
    w.interaction_id,
    w.party_id,
    w.counsellor_id,
    w.agency_code,
    a.region_code,
    -- timestamps
    w.occurred_at,
    w.occurred_on,
    cast(date_trunc('month', w.occurred_on) as date) as month,
    -- categories
    w.party_type,
    w.channel,
    c.is_digital,
    w.direction,
    w.service,
    w.appointment_status,
    case
        when w.party_type = 'employer' then 'n/a'
        when w.birth_year is null then 'unknown'
        when year(w.occurred_on) - w.birth_year < 25 then '<25'
        when year(w.occurred_on) - w.birth_year < 50 then '25-49'
        else '50+'
    end as age_band,
    case when w.party_type = 'employer' then 'n/a' else coalesce(w.spell_education_level, 'unknown') end as education_level,
    case when w.party_type = 'employer' then 'n/a' else coalesce(w.spell_digital_skills, 'unknown') end as digital_skills,
    case when w.party_type = 'employer' then 'n/a' else coalesce(w.spell_support_tier, 'unknown') end as support_tier,
    -- booleans
    w.is_staff_assisted,
    w.is_resolved,
    -- numerics
    w.duration_s,
    w.wait_s,
    w.satisfaction
from with_spell as w
left join core.dim_agency as a using (agency_code)
left join core.dim_channel as c using (channel)
