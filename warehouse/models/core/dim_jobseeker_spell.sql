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
    -- occupation sought (ISCO-08, 1 to 4 digits; null when not recorded) and its major and
    -- sub-major groups (null when the code is coarser than the group)
    s.sought_isco08,
    left(s.sought_isco08, 1) as sought_isco_major_group,
    case when length(s.sought_isco08) >= 2 then left(s.sought_isco08, 2) end
        as sought_isco_sub_major_group,
    s.agency_code,
    a.region_code,
    a.region_name
from staging.stg_pes__jobseekers as s
left join core.dim_agency as a using (agency_code)
qualify row_number() over (
    partition by s.person_id, s.registered_on order by s._loaded_at desc, s._source_file desc, s._line desc
) = 1
