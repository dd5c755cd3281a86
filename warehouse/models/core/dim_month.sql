-- grain: one row per calendar month of the observation window
-- key: month
-- materialized: table
-- The window is the span of the contact logs; without logs, the span of registrations
-- and vacancies. Months before it hold only the opening stock, not flows worth showing.
with bounds as (
    select
        coalesce(
            (select min(date_trunc('month', timezone(getvariable('pes_timezone'), occurred_at))) from staging.stg_pes__interactions),
            (select least(min(registered_on), (select min(posted_on) from staging.stg_pes__vacancies)) from staging.stg_pes__jobseekers)
        )::date as first_month,
        coalesce(
            (select max(date_trunc('month', timezone(getvariable('pes_timezone'), occurred_at))) from staging.stg_pes__interactions),
            (select greatest(max(registered_on), (select max(posted_on) from staging.stg_pes__vacancies)) from staging.stg_pes__jobseekers)
        )::date as last_month
)

select
    cast(m as date) as month,
    last_day(cast(m as date)) as month_end
from bounds, range(date_trunc('month', first_month), date_trunc('month', last_month) + interval 1 month, interval 1 month) as r(m)
