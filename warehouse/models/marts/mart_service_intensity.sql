-- grain: one row per entry month x region x age band x support tier x counselling band x training referral
-- key: cohort_month, region_code, age_band, support_tier, counselling_band, has_training_referral
-- materialized: table
-- Landmark design, so that longer spells do not collect more contacts by merely lasting: the
-- entrants still registered 3 months after registering (the landmark), grouped by the services
-- they had before it, and whether they left (for a job, or at all) in the 6 months after it.
-- Association, not effect: who gets counselling or a referral is not random. Counts are null
-- for cohorts without 9 full months of follow-up.
with counted as (
    select
        o.cohort_month,
        o.region_code,
        o.age_band,
        o.support_tier,
        case
            when o.n_counselling_first_3m = 0 then '0'
            when o.n_counselling_first_3m = 1 then '1'
            when o.n_counselling_first_3m = 2 then '2'
            when o.n_counselling_first_3m <= 4 then '3-4'
            else '5+'
        end as counselling_band,
        o.has_training_referral_first_3m as has_training_referral,
        count(*) as n_at_landmark,
        count(*) filter (where o.exit_reason = 'employment'
                         and o.exited_on <= o.landmark_on + interval 6 month) as n_job,
        count(*) filter (where o.exited_on <= o.landmark_on + interval 6 month) as n_exit
    from core.fct_jobseeker_spell_outcomes as o
    where o.is_window_entrant
        and (o.exited_on is null or o.exited_on > o.landmark_on)
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
    c.support_tier,
    c.counselling_band,
    c.has_training_referral,
    c.n_at_landmark,
    case when c.cohort_month + interval 9 month <= l.last_month then c.n_job end
        as n_exits_employment_6m,
    case when c.cohort_month + interval 9 month <= l.last_month then c.n_exit end
        as n_exits_6m
from counted as c
cross join last_month as l
left join core.dim_region as r on r.region_code = c.region_code
