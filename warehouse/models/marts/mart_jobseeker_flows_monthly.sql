-- grain: one row per month x region x age band x sex x education x digital skills x support tier
-- key: month, region_code, age_band, sex, education_level, digital_skills, support_tier
-- materialized: table
-- Stock = registered at the end of the month (registered_on <= month end < exited_on).
-- Inflows and exits are dated by registered_on and exited_on. Age is reached in the month's year.
with spells as (
    select * from core.dim_jobseeker_spell
),

events as (
    select m.month, s.*, 'stock' as event
    from core.dim_month as m
    join spells as s
        on s.registered_on <= m.month_end and (s.exited_on is null or s.exited_on > m.month_end)
    union all
    select cast(date_trunc('month', s.registered_on) as date) as month, s.*, 'inflow' as event
    from spells as s
    union all
    select cast(date_trunc('month', s.exited_on) as date) as month, s.*, 'exit' as event
    from spells as s
    where s.exited_on is not null
),

segmented as (
    select
        e.month,
        e.region_code,
        case
            when year(e.month) - e.birth_year < 25 then '<25'
            when year(e.month) - e.birth_year < 50 then '25-49'
            else '50+'
        end as age_band,
        e.sex,
        e.education_level,
        e.digital_skills,
        e.support_tier,
        e.event,
        e.exit_reason
    from events as e
    where e.month between (select min(month) from core.dim_month) and (select max(month) from core.dim_month)
)

select
    s.month,
    s.region_code,
    r.region_name,
    s.age_band,
    s.sex,
    s.education_level,
    s.digital_skills,
    s.support_tier,
    count(*) filter (where s.event = 'stock') as n_stock_end,
    count(*) filter (where s.event = 'inflow') as n_inflows,
    count(*) filter (where s.event = 'exit') as n_exits,
    count(*) filter (where s.event = 'exit' and s.exit_reason = 'employment') as n_exits_employment,
    count(*) filter (where s.event = 'exit' and s.exit_reason = 'training') as n_exits_training,
    count(*) filter (where s.event = 'exit' and s.exit_reason = 'other_benefit') as n_exits_other_benefit,
    count(*) filter (where s.event = 'exit' and s.exit_reason = 'sanction_or_removal') as n_exits_sanction_or_removal,
    count(*) filter (where s.event = 'exit' and s.exit_reason = 'no_renewal') as n_exits_no_renewal,
    count(*) filter (where s.event = 'exit' and s.exit_reason = 'retirement') as n_exits_retirement,
    count(*) filter (where s.event = 'exit' and (s.exit_reason = 'other' or s.exit_reason is null)) as n_exits_other
from segmented as s
left join core.dim_region as r on r.region_code = s.region_code
group by all
