-- grain: one row per entry month x region x age band x support tier x digital skills x channel profile x days followed
-- key: cohort_month, region_code, age_band, support_tier, digital_skills, channel_profile, duration_days
-- materialized: table
-- The counts a Kaplan-Meier estimator needs, for spells that began in the observation window:
-- at each duration (days since registration), the exits to employment (events) and the spells
-- censored there, still registered at the window's end or gone for another reason. Spells
-- registered before the window are left out: they are only seen if they lasted into it.
select
    o.cohort_month,
    o.region_code,
    r.region_name,
    o.age_band,
    o.support_tier,
    o.digital_skills,
    o.channel_profile,
    o.duration_days,
    count(*) as n_spells,
    count(*) filter (where o.follow_up_status = 'employment') as n_exits_employment,
    count(*) filter (where o.follow_up_status = 'still_registered') as n_censored_still_registered,
    count(*) filter (where o.follow_up_status = 'other_exit') as n_censored_other_exit
from core.fct_jobseeker_spell_outcomes as o
left join core.dim_region as r on r.region_code = o.region_code
where o.is_window_entrant
group by all
