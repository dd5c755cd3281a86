-- grain: one row per support tier
-- key: support_tier
-- materialized: table
-- Caseload norms per counsellor, from press reports of Pôle emploi norms (2013-16): follow-up
-- ("suivi", the autonomous tier) 200-350, guided ("guidé") 100-150, intensive ("renforcé") at
-- most 70. Our sources give no norm for the global tier.
select * from (values
    ('autonomous', 'Follow-up: 200 to 350', 200, 350),
    ('guided', 'Guided: 100 to 150', 100, 150),
    ('intensive', 'Intensive: at most 70', cast(null as integer), 70),
    ('global', 'No published norm', cast(null as integer), cast(null as integer))
) as t(support_tier, norm_label, norm_min, norm_max)
