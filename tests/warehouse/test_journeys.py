"""Journey, switching and repeat-contact logic of the SQL models, on hand-written contacts.

Each case is a few contacts of one user, written as PES local times (Europe/Paris), run through
the real model files (core.fct_journey_contacts, core.fct_journeys and the two marts) in an
in-memory DuckDB. Windows are inclusive and read on the local clock: 7 days after Monday
10:00 is next Monday 10:00, whatever the clocks did in between.
"""

from __future__ import annotations

import duckdb
import pytest

from warehouse.build import discover_models

MODELS = ("core.fct_journey_contacts", "core.fct_journeys", "marts.mart_journeys_monthly",
          "marts.mart_repeat_contacts_monthly")
DIGITAL = ("web", "app", "email", "video", "chat", "sms", "kiosk")

# (interaction_id, party_id, local time, channel, service, direction); party type jobseeker
# unless the party id starts with "E".
CONTACTS = [
    # repeat window edges: exactly 7 days counts, one second more does not
    ("r1-a", "P1", "2026-03-02 10:00:00", "web", "benefit_claim", "inbound"),
    ("r1-b", "P1", "2026-03-09 10:00:00", "phone", "benefit_claim", "inbound"),
    ("r2-a", "P2", "2026-03-02 10:00:00", "web", "benefit_claim", "inbound"),
    ("r2-b", "P2", "2026-03-09 10:00:01", "phone", "benefit_claim", "inbound"),
    # the local clock across the spring (167 h) and autumn (169 h) clock changes
    ("d1-a", "P3", "2026-03-25 10:00:00", "app", "job_search_report", "inbound"),
    ("d1-b", "P3", "2026-04-01 10:00:00", "app", "job_search_report", "inbound"),
    ("d2-a", "P4", "2026-10-22 10:00:00", "web", "job_search_report", "inbound"),
    ("d2-b", "P4", "2026-10-29 10:00:00", "web", "job_search_report", "inbound"),
    # 30-day journey edges
    ("j1-a", "P5", "2026-01-05 09:00:00", "web", "registration", "inbound"),
    ("j1-b", "P5", "2026-02-04 09:00:00", "phone", "registration", "inbound"),
    ("j2-a", "P6", "2026-01-05 09:00:00", "web", "registration", "inbound"),
    ("j2-b", "P6", "2026-02-04 09:00:01", "phone", "registration", "inbound"),
    # greedy windows: days 0, 20 | 35, 50 | 66 (a gap rule would chain them all)
    ("g-0", "P7", "2026-05-01 12:00:00", "web", "counselling", "inbound"),
    ("g-20", "P7", "2026-05-21 12:00:00", "phone", "counselling", "inbound"),
    ("g-35", "P7", "2026-06-05 12:00:00", "agency", "counselling", "inbound"),
    ("g-50", "P7", "2026-06-20 12:00:00", "agency", "counselling", "inbound"),
    ("g-66", "P7", "2026-07-06 12:00:00", "video", "counselling", "inbound"),
    # same day: ordered by time, and by id at the same instant (written out of order)
    ("s-3", "P8", "2026-05-04 14:00:00", "phone", "information", "inbound"),
    ("s-2", "P8", "2026-05-04 09:00:00", "web", "information", "inbound"),
    ("s-1", "P8", "2026-05-04 09:00:00", "agency", "information", "inbound"),
    # outbound contacts are not the user's: ignored; another service is another journey
    ("o-1", "P9", "2026-04-07 10:00:00", "web", "benefit_claim", "inbound"),
    ("o-2", "P9", "2026-04-08 10:00:00", "sms", "benefit_claim", "outbound"),
    ("o-3", "P9", "2026-04-09 10:00:00", "web", "job_search_report", "inbound"),
    # switching: web -> phone -> web is two switches on two channels
    ("w-1", "P10", "2026-08-03 09:00:00", "web", "benefit_claim", "inbound"),
    ("w-2", "P10", "2026-08-04 09:00:00", "phone", "benefit_claim", "inbound"),
    ("w-3", "P10", "2026-08-05 09:00:00", "web", "benefit_claim", "inbound"),
    # the end of the data (2027-01-01 00:00): follow-ups and windows not over are left out
    ("e-1", "P11", "2026-12-25 00:00:00", "web", "benefit_claim", "inbound"),
    ("e-2", "P11", "2026-12-29 10:00:00", "web", "benefit_claim", "inbound"),
    ("e-3", "P12", "2026-12-02 00:00:00", "phone", "benefit_claim", "inbound"),
    # an employer with the same id as a job-seeker is another user
    ("x-1", "P1", "2026-03-03 10:00:00", "phone", "benefit_claim", "inbound"),
]
EMPLOYER_CONTACTS = {"x-1"}


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    con.execute("set variable pes_timezone = 'Europe/Paris'")
    con.execute("create schema core; create schema marts")
    con.execute("""create table core.dim_month as
        select cast(m as date) as month, last_day(cast(m as date)) as month_end
        from range(date '2026-01-01', date '2027-01-01', interval 1 month) as r(m)""")
    con.execute("""create table core.dim_agency as select * from (values
        ('A1', 'Agence 1', 'FRK', 'Auvergne-Rhône-Alpes')) t(agency_code, agency_name,
        region_code, region_name)""")
    con.execute("create table core.dim_region as select region_code, region_name "
                "from core.dim_agency")
    con.execute("""create table core.fct_interactions (interaction_id varchar, party_id varchar,
        counsellor_id varchar, agency_code varchar, region_code varchar,
        occurred_at timestamptz, occurred_on date, month date, party_type varchar,
        channel varchar, is_digital boolean, direction varchar, service varchar,
        age_band varchar, education_level varchar, digital_skills varchar,
        support_tier varchar)""")
    for iid, party, local, channel, service, direction in CONTACTS:
        party_type = "employer" if iid in EMPLOYER_CONTACTS else "jobseeker"
        segment = "n/a" if party_type == "employer" else "unknown"
        con.execute("""insert into core.fct_interactions
            select $id, $party, null, 'A1', 'FRK', timezone('Europe/Paris', cast($local as timestamp)),
                   cast($local as date), date_trunc('month', cast($local as date)), $ptype,
                   $channel, list_contains($digital, $channel), $direction, $service,
                   $segment, $segment, $segment, $segment""",
                    {"id": iid, "party": party, "local": local, "ptype": party_type,
                     "channel": channel, "digital": list(DIGITAL), "direction": direction,
                     "service": service, "segment": segment})
    models = {m.relation: m for m in discover_models()}
    for relation in MODELS:
        con.execute(f"create table {relation} as\n{models[relation].sql}")
    yield con
    con.close()


def contact(con, interaction_id: str) -> dict:
    cur = con.execute("select * from core.fct_journey_contacts where interaction_id = ?",
                      [interaction_id])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, interaction_id
    return dict(zip(names, rows[0], strict=True))


def journeys_of(con, party: str, party_type: str = "jobseeker") -> list[dict]:
    cur = con.execute("select * from core.fct_journeys where party_id = ? and party_type = ? "
                      "order by service, journey_no", [party, party_type])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_exactly_seven_days_later_is_a_repeat(con):
    first = contact(con, "r1-a")
    assert first["is_repeated_7d"] and first["next_channel"] == "phone"
    assert first["next_is_digital"] is False


def test_seven_days_and_one_second_later_is_not(con):
    assert not contact(con, "r2-a")["is_repeated_7d"]
    assert contact(con, "r2-a")["next_channel"] == "phone"


def test_windows_follow_the_local_clock_across_clock_changes(con):
    # 167 hours in spring, 169 in autumn: both are exactly 7 days on the clock.
    assert contact(con, "d1-a")["is_repeated_7d"]
    assert contact(con, "d2-a")["is_repeated_7d"]


def test_a_contact_exactly_30_days_after_the_start_stays_in_the_journey(con):
    [journey] = journeys_of(con, "P5")
    assert (journey["channel_1"], journey["channel_2"], journey["n_contacts"]) == (
        "web", "phone", 2)
    assert contact(con, "j1-b")["journey_step"] == 2


def test_one_second_later_starts_a_new_journey(con):
    journeys = journeys_of(con, "P6")
    assert [(j["journey_no"], j["channel_1"], j["channel_2"], j["n_contacts"]) for j in journeys] \
        == [(1, "web", None, 1), (2, "phone", None, 1)]


def test_windows_are_greedy_from_each_journey_start(con):
    journeys = journeys_of(con, "P7")
    assert [(j["channel_1"], j["channel_2"], j["n_contacts"]) for j in journeys] == [
        ("web", "phone", 2), ("agency", "agency", 2), ("video", None, 1)]
    assert [contact(con, f"g-{d}")["journey_no"] for d in (0, 20, 35, 50, 66)] == [1, 1, 2, 2, 3]


def test_same_day_contacts_are_ordered_by_time_then_id(con):
    [journey] = journeys_of(con, "P8")
    assert (journey["channel_1"], journey["channel_2"], journey["channel_3"]) == (
        "agency", "web", "phone")
    assert [contact(con, i)["journey_step"] for i in ("s-1", "s-2", "s-3")] == [1, 2, 3]
    # Two contacts at the same instant: the second one repeats the first.
    assert contact(con, "s-1")["is_repeated_7d"]


def test_outbound_contacts_are_ignored_and_services_kept_apart(con):
    assert con.execute("select count(*) from core.fct_journey_contacts "
                       "where interaction_id = 'o-2'").fetchall()[0][0] == 0
    assert not contact(con, "o-1")["is_repeated_7d"]  # the SMS and the report do not count
    assert [(j["service"], j["n_contacts"]) for j in journeys_of(con, "P9")] == [
        ("benefit_claim", 1), ("job_search_report", 1)]


def test_switches_count_every_change_of_channel(con):
    [journey] = journeys_of(con, "P10")
    assert (journey["n_switches"], journey["n_channels"], journey["n_contacts"]) == (2, 2, 3)
    row = con.execute("""select n_journeys, n_multi_contact, n_switching, n_contacts
        from marts.mart_journeys_monthly where month = date '2026-08-01'""").fetchall()
    assert row == [(1, 1, 1, 3)]


def test_follow_ups_and_windows_not_over_at_the_end_of_the_data_are_left_out(con):
    assert contact(con, "e-1")["is_followup_complete"]  # 25 Dec + 7 days = 1 Jan 00:00
    assert not contact(con, "e-2")["is_followup_complete"]
    assert [j["is_complete"] for j in journeys_of(con, "P11")] == [False]
    assert [j["is_complete"] for j in journeys_of(con, "P12")] == [True]  # 2 Dec + 30 days
    december = con.execute("""select sum(n_contacts) from marts.mart_repeat_contacts_monthly
        where month = date '2026-12-01'""").fetchall()[0][0]
    assert december == 2  # e-1 and e-3, not e-2
    journeys = con.execute("""select sum(n_journeys) from marts.mart_journeys_monthly
        where month = date '2026-12-01'""").fetchall()[0][0]
    assert journeys == 1  # P12's only


def test_an_employer_with_a_job_seekers_id_is_another_user(con):
    assert [j["n_contacts"] for j in journeys_of(con, "P1", "employer")] == [1]
    assert journeys_of(con, "P1")[0]["n_contacts"] == 2


def test_the_repeat_mart_counts_repeats_by_first_channel(con):
    rows = con.execute("""select channel, sum(n_contacts), sum(n_repeated_7d),
            sum(n_repeated_7d_offline)
        from marts.mart_repeat_contacts_monthly
        where month = date '2026-03-01' and service = 'benefit_claim' and party_type = 'jobseeker'
        group by channel order by channel""").fetchall()
    # r1-a (repeated by phone: offline) and r2-a (not repeated) from the web; their phone
    # contacts were not repeated.
    assert rows == [("phone", 2, 0, 0), ("web", 2, 1, 1)]
