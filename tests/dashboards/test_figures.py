"""Pure builders: tiny literal frames in, the right traces and values out."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dashboards import figures
from dashboards.components import format as fmt
from dashboards.components.kpi import kpi_card, overview_kpis
from dashboards.queries import Filters
from pipelines.contracts import CHANNELS

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def test_every_channel_has_its_own_fixed_colour():
    assert set(figures.CHANNEL_COLOURS) == set(CHANNELS)
    assert len(set(figures.CHANNEL_COLOURS.values())) == len(CHANNELS)
    assert figures.SHARE_COLOUR not in figures.CHANNEL_COLOURS.values()


def test_graphs_never_offer_to_send_charts_to_the_cloud():
    assert figures.GRAPH_CONFIG["showSendToCloud"] is False
    assert "sendChartToCloud" in figures.GRAPH_CONFIG["modeBarButtonsToRemove"]


MIX = pl.DataFrame({
    "month": [JAN, JAN, JAN, FEB, FEB],
    "channel": ["web", "agency", "phone", "web", "agency"],
    "n_contacts": [30, 60, 10, 50, 50],
})


def test_channel_mix_volume_stacks_counts_in_channel_order_with_fixed_colours():
    fig = figures.channel_mix(MIX, "volume")
    assert fig.layout.barmode == "stack"
    assert [t.meta for t in fig.data] == ["agency", "phone", "web"]  # contracts.CHANNELS order
    by_channel = {t.meta: t for t in fig.data}
    assert list(by_channel["web"].y) == [30, 50]
    assert list(by_channel["phone"].x) == [JAN]
    assert by_channel["web"].marker.color == figures.CHANNEL_COLOURS["web"]
    assert by_channel["agency"].name == "Agency desk"
    assert fig.layout.yaxis.tickformat == ",d"


def test_channel_mix_share_sums_to_one_per_month():
    fig = figures.channel_mix(MIX, "share")
    totals: dict[dt.date, float] = {}
    for trace in fig.data:
        for x, y in zip(trace.x, trace.y, strict=True):
            totals[x] = totals.get(x, 0) + y
    assert totals == pytest.approx({JAN: 1.0, FEB: 1.0})
    web = next(t for t in fig.data if t.meta == "web")
    assert list(web.y) == pytest.approx([0.3, 0.5])
    assert [c[0] for c in web.customdata] == [30, 50]  # counts stay in the hover
    assert fig.layout.yaxis.tickformat == ".0%"


def test_channel_mix_without_contacts_says_so():
    fig = figures.channel_mix(MIX.clear(), "volume")
    assert fig.data == ()
    assert "No contacts" in fig.layout.annotations[0].text


SHARES = pl.DataFrame({
    "service": ["registration", "benefit_claim", "recruitment_event", "complaint"],
    "n_contacts": [200, 100, 50, 0],
    "n_digital": [150, 20, 10, 0],
    "share_digital": [0.75, 0.2, 0.2, None],
})


def test_share_bars_are_sorted_labelled_and_formatted():
    fig = figures.share_bars(SHARES, "service")
    (bar,) = fig.data
    assert bar.orientation == "h"
    # Plotly draws the first category at the bottom: the largest share ends on top.
    assert list(bar.y) == ["Recruitment event", "Benefit claim", "Registration"]
    assert list(bar.x) == pytest.approx([0.2, 0.2, 0.75])
    assert list(bar.text) == ["20.0%", "20.0%", "75.0%"]
    assert [c[2] for c in bar.customdata] == [50, 100, 200]
    assert tuple(fig.layout.xaxis.range) == (0, 1)
    assert bar.marker.color == figures.SHARE_COLOUR


def test_share_bars_can_label_from_a_column():
    df = pl.DataFrame({"region_code": ["FRK"], "region_name": ["Auvergne-Rhône-Alpes"],
                       "n_contacts": [10], "n_digital": [4], "share_digital": [0.4]})
    fig = figures.share_bars(df, "region_code", label_column="region_name")
    assert list(fig.data[0].y) == ["Auvergne-Rhône-Alpes"]
    assert fig.data[0].customdata[0][0] == "FRK"


def test_segment_shares_draws_one_panel_per_segment_type():
    df = pl.DataFrame({
        "segment_type": ["age_band", "age_band", "digital_skills", "support_tier"],
        "segment": ["<25", "50+", "none", "guided"],
        "n_contacts": [10, 30, 40, 40],
        "n_digital": [5, 6, 4, 20],
        "share_digital": [0.5, 0.2, 0.1, 0.5],
    })
    fig = figures.segment_shares(df)
    assert [t.meta for t in fig.data] == ["age_band", "digital_skills", "support_tier"]
    assert [a.text for a in fig.layout.annotations] == ["Age band", "Digital skills",
                                                        "Support tier"]
    ages = fig.data[0]
    # Bands in their natural order from the top (plotly lists categories bottom-up).
    assert list(ages.y) == ["50 and over", "Under 25"]
    assert list(ages.x) == [0.2, 0.5]
    assert fig.data[2].xaxis == "x3"


def test_sparkline_keeps_gaps_for_suppressed_months():
    fig = figures.sparkline([JAN, FEB, MAR], [0.5, None, 0.7])
    assert list(fig.data[0].y) == [0.5, None, 0.7]
    assert fig.data[0].connectgaps is False
    assert fig.layout.xaxis.visible is False


def test_readable_numbers_and_labels():
    assert fmt.fmt_int(1234567) == "1,234,567"
    assert fmt.fmt_pct(0.45678) == "45.7%"
    assert fmt.fmt_pct(None) == "–"
    assert fmt.fmt_month(dt.date(2026, 10, 1)) == "Oct 2026"
    assert fmt.label("appointment_booking") == "Appointment booking"
    assert fmt.label("sms") == "SMS"
    assert fmt.label("50+") == "50 and over"
    published = dt.datetime(2026, 1, 5, 8, 30, tzinfo=dt.UTC)
    assert fmt.fmt_timestamp(published, "Europe/Paris") == "5 Jan 2026, 09:30 (Europe/Paris)"


# -- headline indicators (pure arithmetic over monthly series) ------------------------------

def _monthly(**columns) -> pl.DataFrame:
    months = [dt.date(2025, m, 1) for m in range(10, 13)] + [JAN, FEB, MAR]
    return pl.DataFrame({"month": months, **columns})


def test_overview_kpis_compare_with_the_previous_period():
    contacts = _monthly(n_contacts=[100, 100, 100, 200, 100, 100],
                        n_digital=[50, 50, 50, 100, 60, 40],
                        n_rated=[20, 20, 20, 10, 10, 15], n_satisfied=[10, 10, 10, 8, 8, 12])
    jobseekers = _monthly(n_stock_end=[900, 950, 1000, 1100, 1200, 1250],
                          n_inflows=[0] * 6, n_exits=[0] * 6,
                          n_exits_employment=[10, 10, 10, 5, 5, 5])
    vacancies = _monthly(n_vacancies_posted=[0] * 6, n_open_end=[40, 40, 50, 60, 70, 75])
    f = Filters(JAN, MAR)
    kpis = {k.key: k for k in overview_kpis(contacts, jobseekers, vacancies, f,
                                            data_from=dt.date(2025, 10, 1), min_survey_n=30)}
    assert kpis["contacts"].value == 400 and kpis["contacts"].previous == 300
    assert kpis["contacts"].change == pytest.approx(1 / 3)
    assert kpis["contacts"].change_text("Oct 2025 – Dec 2025") == "Up 33.3% vs Oct 2025 – Dec 2025"
    assert kpis["digital_share"].value == pytest.approx(0.5)
    assert kpis["digital_share"].change == pytest.approx(0.0)
    assert kpis["digital_share"].series == (0.5, 0.6, 0.4)
    assert kpis["active_jobseekers"].value == 1250 and kpis["active_jobseekers"].previous == 1000
    assert kpis["exits_to_employment"].value == 15
    assert kpis["exits_to_employment"].change_text("Q4") == "Down 50.0% vs Q4"
    assert kpis["open_vacancies"].value == 75 and kpis["open_vacancies"].previous == 50
    # 35 answers now (shown), 60 before: 28/35 = 80% vs 30/60 = 50%, +30 points.
    satisfaction = kpis["satisfaction"]
    assert satisfaction.value == pytest.approx(0.8)
    assert satisfaction.change_text("Q4") == "Up 30.0 pp vs Q4"
    assert satisfaction.series == (None, None, None)  # no single month reaches 30 answers
    assert satisfaction.value_text == "80.0%"


def test_satisfaction_is_hidden_below_the_minimum_number_of_answers():
    contacts = _monthly(n_contacts=[10] * 6, n_digital=[5] * 6, n_rated=[5] * 6,
                        n_satisfied=[4] * 6)
    empty = _monthly(n_stock_end=[0] * 6, n_inflows=[0] * 6, n_exits=[0] * 6,
                     n_exits_employment=[0] * 6)
    vacancies = _monthly(n_vacancies_posted=[0] * 6, n_open_end=[0] * 6)
    kpis = {k.key: k for k in overview_kpis(contacts, empty, vacancies, Filters(JAN, MAR),
                                            data_from=dt.date(2025, 10, 1), min_survey_n=30)}
    satisfaction = kpis["satisfaction"]
    assert satisfaction.value is None and satisfaction.value_text == "–"
    assert "fewer than the 30 needed" in satisfaction.note
    card = kpi_card(satisfaction, "Q4")
    assert "kpi-satisfaction-note" in {c.id for c in card.children if hasattr(c, "id")}


def test_no_comparison_when_the_previous_period_is_not_in_the_data():
    contacts = _monthly(n_contacts=[1] * 6, n_digital=[1] * 6, n_rated=[0] * 6,
                        n_satisfied=[0] * 6)
    flows = _monthly(n_stock_end=[1] * 6, n_inflows=[0] * 6, n_exits=[0] * 6,
                     n_exits_employment=[0] * 6)
    vacancies = _monthly(n_vacancies_posted=[0] * 6, n_open_end=[0] * 6)
    kpis = overview_kpis(contacts, flows, vacancies, Filters(JAN, MAR),
                         data_from=JAN, min_survey_n=30)
    assert all(k.previous is None for k in kpis)
    assert kpis[0].change_text("Q4") == "No comparison with Q4"
