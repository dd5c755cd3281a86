-- grain: one row per month x agency x user type x channel x measure (wait or duration) x bin of seconds
-- key: month, agency_code, party_type, channel, measure, bin_lower_s
-- materialized: table
-- mart_channel_durations_monthly without the job-seeker segment: the same histograms summed
-- over segments, a sixth of the rows, read when no segment filter is set.
select
    month,
    region_code,
    region_name,
    agency_code,
    agency_name,
    party_type,
    channel,
    measure,
    bin_lower_s,
    bin_upper_s,
    sum(n_contacts)::bigint as n_contacts
from marts.mart_channel_durations_monthly
group by all
order by month, region_code, agency_code
