-- grain: one row per entry month x region x age band x sex x education x digital skills x support tier
-- key: cohort_month, region_code, age_band, sex, education_level, digital_skills, support_tier
-- materialized: table
-- Job access of each month's new registrants within 6, 12 and 24 months of registering: an
-- exit to employment on or before registered_on + h months. Right-censoring: a cohort is counted
-- for horizon h only when every member has h full months of follow-up (entry month + h <= the
-- window's last month); otherwise the count is null, never a partial figure.
with counted as (
    select
        o.cohort_month,
        o.region_code,
        o.age_band,
        o.sex,
        o.education_level,
        o.digital_skills,
        o.support_tier,
        count(*) as n_entrants,
        count(*) filter (where o.follow_up_status = 'employment'
                         and o.exited_on <= o.registered_on + interval 6 month) as n_job_6m,
        count(*) filter (where o.follow_up_status = 'employment'
                         and o.exited_on <= o.registered_on + interval 12 month) as n_job_12m,
        count(*) filter (where o.follow_up_status = 'employment'
                         and o.exited_on <= o.registered_on + interval 24 month) as n_job_24m
    from core.fct_jobseeker_spell_outcomes as o
    where o.is_window_entrant
    group by all
),

last_month as (
    select max(month) as last_month from core.dim_month
)

select
    c.cohort_month,
    c.region_code,
    r.region_name,
    c.age_band,
    c.sex,
    c.education_level,
    c.digital_skills,
    c.support_tier,
    c.n_entrants,
    case when c.cohort_month + interval 6 month <= l.last_month then c.n_job_6m end
        as n_job_within_6m,
    case when c.cohort_month + interval 12 month <= l.last_month then c.n_job_12m end
        as n_job_within_12m,
    case when c.cohort_month + interval 24 month <= l.last_month then c.n_job_24m end
        as n_job_within_24m
from counted as c
cross join last_month as l
left join core.dim_region as r on r.region_code = c.region_code
