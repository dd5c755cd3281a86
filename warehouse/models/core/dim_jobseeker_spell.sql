-- grain: one row per registration spell
-- key: person_id, registered_on
-- materialized: table
select
    s.person_id,
    s.registered_on,
    s.exited_on,
    s.exit_reason,
    s.employed_3_months_after_exit,
    s.birth_year,
    s.sex,
    s.education_level,
    s.support_tier,
    s.digital_skills,
    s.has_disability,
    s.agency_code,
    a.region_code,
    a.region_name
from staging.stg_pes__jobseekers as s
left join core.dim_agency as a using (agency_code)
qualify row_number() over (
    partition by s.person_id, s.registered_on order by s._loaded_at desc, s._source_file desc, s._line desc
) = 1
