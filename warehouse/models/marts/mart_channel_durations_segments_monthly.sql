-- grain: one row per month x user type x segment x channel x measure (wait or duration) x bin of seconds
-- key: month, party_type, age_band, education_level, digital_skills, support_tier, channel, measure, bin_lower_s
-- materialized: table
-- mart_channel_durations_monthly summed over places: read when a segment filter is set
-- without a region or agency one (a fifth of the rows).
select
    month,
    party_type,
    age_band,
    education_level,
    digital_skills,
    support_tier,
    channel,
    measure,
    bin_lower_s,
    bin_upper_s,
    sum(n_contacts)::bigint as n_contacts
from marts.mart_channel_durations_monthly
group by all
order by month
