-- grain: one row per month x counsellor with a job-seeker caseload at the month's end
-- key: month, counsellor_id
-- materialized: table
-- The register carries no counsellor, so a spell's counsellor is the one named on its latest
-- contact with a counsellor on or before the month's end, within the spell. Spells registered at
-- the month's end (as in mart_jobseeker_flows_monthly) with no such contact yet are in no
-- caseload. A counsellor's tier and agency are those of most of the caseload.
with active as (
    select m.month, m.month_end, s.person_id, s.registered_on, s.support_tier, s.agency_code
    from core.dim_month as m
    join core.dim_jobseeker_spell as s
        on s.registered_on <= m.month_end and (s.exited_on is null or s.exited_on > m.month_end)
),

counsellor_days as (
    -- The counsellor of each job-seeker's last staff contact of the day.
    select party_id as person_id, occurred_on, counsellor_id
    from core.fct_interactions
    where party_type = 'jobseeker' and counsellor_id is not null
    qualify row_number() over (partition by party_id, occurred_on order by occurred_at desc, interaction_id desc) = 1
),

assigned as (
    select a.*, c.counsellor_id, c.occurred_on as counsellor_seen_on
    from active as a
    asof join counsellor_days as c
        on c.person_id = a.person_id and c.occurred_on <= a.month_end
),

in_caseload as (
    select * from assigned where counsellor_seen_on >= registered_on
),

tiers as (
    select month, counsellor_id, support_tier, count(*) as n
    from in_caseload
    group by all
),

agencies as (
    select month, counsellor_id, agency_code, count(*) as n
    from in_caseload
    group by all
),

counsellors as (
    select
        t.month,
        t.counsellor_id,
        first(t.support_tier order by t.n desc, t.support_tier) as support_tier,
        max(t.n) as n_caseload_in_tier,
        sum(t.n)::bigint as n_caseload
    from tiers as t
    group by t.month, t.counsellor_id
),

home_agency as (
    select month, counsellor_id, first(agency_code order by n desc, agency_code) as agency_code
    from agencies
    group by month, counsellor_id
)

select
    c.month,
    c.counsellor_id,
    a.region_code,
    r.region_name,
    h.agency_code,
    a.agency_name,
    c.support_tier,
    n.norm_label,
    n.norm_min,
    n.norm_max,
    c.n_caseload,
    c.n_caseload_in_tier,
    coalesce(c.n_caseload < n.norm_min, false) as is_below_norm,
    coalesce(c.n_caseload > n.norm_max, false) as is_above_norm
from counsellors as c
join home_agency as h using (month, counsellor_id)
left join core.dim_caseload_norm as n using (support_tier)
left join core.dim_agency as a on a.agency_code = h.agency_code
left join core.dim_region as r on r.region_code = a.region_code
order by c.month, a.region_code, h.agency_code
