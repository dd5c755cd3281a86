-- grain: one row per month x region x age band x sex x education level x digital skills x support tier
-- key: month, region_code, age_band, sex, education_level, digital_skills, support_tier
-- materialized: table
-- The inputs of the A1 transition rate (outflows to employment and end-of-month stocks, from
-- mart_jobseeker_flows_monthly) and of sustainability: exits to employment of the month whose
-- situation 3 months later is known, and of those, the ones still employed.
with sustainability as (
    select
        cast(date_trunc('month', exited_on) as date) as month,
        region_code,
        case
            when year(exited_on) - birth_year < 25 then '<25'
            when year(exited_on) - birth_year < 50 then '25-49'
            else '50+'
        end as age_band,
        sex,
        education_level,
        digital_skills,
        support_tier,
        count(employed_3_months_after_exit) as n_employment_outcome_known,
        count(*) filter (where employed_3_months_after_exit) as n_still_employed_3m
    from core.dim_jobseeker_spell
    where exit_reason = 'employment' and exited_on is not null
    group by all
)

select
    f.month,
    f.region_code,
    f.region_name,
    f.age_band,
    f.sex,
    f.education_level,
    f.digital_skills,
    f.support_tier,
    f.n_stock_end,
    f.n_exits,
    f.n_exits_employment,
    coalesce(s.n_employment_outcome_known, 0) as n_employment_outcome_known,
    coalesce(s.n_still_employed_3m, 0) as n_still_employed_3m
from marts.mart_jobseeker_flows_monthly as f
left join sustainability as s
    on s.month = f.month
    and s.region_code is not distinct from f.region_code
    and s.age_band = f.age_band
    and s.sex = f.sex
    and s.education_level = f.education_level
    and s.digital_skills = f.digital_skills
    and s.support_tier = f.support_tier
