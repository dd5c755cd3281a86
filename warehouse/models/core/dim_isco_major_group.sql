-- grain: one row per ISCO-08 major group
-- key: isco_major_group
-- materialized: table
select * from (values
    ('0', 'Armed forces occupations'),
    ('1', 'Managers'),
    ('2', 'Professionals'),
    ('3', 'Technicians and associate professionals'),
    ('4', 'Clerical support workers'),
    ('5', 'Service and sales workers'),
    ('6', 'Skilled agricultural, forestry and fishery workers'),
    ('7', 'Craft and related trades workers'),
    ('8', 'Plant and machine operators, and assemblers'),
    ('9', 'Elementary occupations')
) as t(isco_major_group, isco_major_group_label)
