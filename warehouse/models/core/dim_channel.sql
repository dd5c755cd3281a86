-- grain: one row per contact channel
-- key: channel
-- materialized: table
-- Digital = reached through a screen without an agency desk; mirrors contracts.DIGITAL_CHANNELS.
select * from (values
    ('agency', 'In person', false),
    ('event', 'In person', false),
    ('phone', 'Remote, offline', false),
    ('letter', 'Remote, offline', false),
    ('web', 'Digital', true),
    ('app', 'Digital', true),
    ('email', 'Digital', true),
    ('video', 'Digital', true),
    ('chat', 'Digital', true),
    ('sms', 'Digital', true),
    ('kiosk', 'Digital', true)
) as t(channel, channel_group, is_digital)
