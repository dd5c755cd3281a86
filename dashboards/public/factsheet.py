"""What a factsheet shows, section by section, built from the public marts: pure functions.

A section is a chart (inline SVG with its text alternative), the equivalent data table, a
"what this means" line generated from the same numbers, notes, and download links. The page,
the embed route and the tests all use these; nothing here reads anything but ``public.*``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl
from markupsafe import Markup

from dashboards.db import Warehouse
from dashboards.public import charts, queries
from dashboards.public.i18n import (
    age_group,
    country_name,
    fmt_date,
    fmt_month,
    fmt_number,
    fmt_pct,
    fmt_period,
    fmt_rate,
    t,
)

ALL = queries.ALL
PUBLISHED = "published"
SECTION_IDS = ("jobseekers", "vacancies", "occupations", "regions", "tension", "job-access",
               "unemployment")
Url = Callable[..., str]  # url(endpoint, **params) -> a link


class NotFound(LookupError):
    """No factsheet for this code."""


@dataclass(frozen=True)
class Cell:
    text: str
    is_confidential: bool = False
    is_header: bool = False


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass
class Section:
    id: str
    title: str
    caption: str
    chart: Markup | None
    alt: str
    meaning: str
    table: Table | None
    notes: list[str] = field(default_factory=list)
    downloads: list[tuple[str, str]] = field(default_factory=list)
    source: str = ""


@dataclass
class Factsheet:
    kind: str  # region | occupation
    code: str
    name: str
    title: str
    lang: str
    release: dict
    sections: list[Section]
    downloads: list[tuple[str, str]]

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise NotFound(section_id)


# -- small helpers ---------------------------------------------------------------------------

def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = dt.date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return out


def occupation_label(row: dict, lang: str) -> str:
    """The title in ``lang``, else in English, else 'ISCO 2512'."""
    return row.get(f"label_{lang}") or row.get("label_en") or t("isco", lang, code=row["isco_code"])


def _series(frame: pl.DataFrame, months: Sequence[dt.date], column: str) -> list[float | None]:
    """Values of ``column`` per month (None where suppressed or missing)."""
    by_month = dict(zip(frame["month"].to_list(), frame[column].to_list(), strict=True))
    return [by_month.get(m) for m in months]


def _cell_number(value, status: str, lang: str, fmt: Callable[[float], str]) -> Cell:
    if status == PUBLISHED and value is not None:
        return Cell(fmt(value))
    if status == "not_available":
        return Cell(t("not_available", lang))
    return Cell(t("confidential_abbr", lang), is_confidential=True)


def _join(items: Sequence[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {t('and', lang)} " + items[-1]


def change_phrase(value: float, previous: float, lang: str) -> str:
    """'3% more' / '3 % de moins' / 'about as many'."""
    if previous == 0:
        return t("same", lang)
    change = (value - previous) / previous
    if abs(change) < 0.005:
        return t("same", lang)
    pct = fmt_pct(abs(change), lang, 1 if abs(change) < 0.1 else 0)
    return t("more_pct" if change > 0 else "fewer_pct", lang, pct=pct)


def count_meaning(months: Sequence[dt.date], values: Sequence[float | None], what: str,
                  where: str, lang: str, **what_values) -> str:
    """The latest published count, compared with a year earlier (else the first month)."""
    published = [i for i, v in enumerate(values) if v is not None]
    if not published:
        return t("wtm_none", lang)
    last = published[-1]
    value = values[last]
    common = dict(month=fmt_month(months[last], lang), value=fmt_number(value, lang),
                  what=t(what, lang, **what_values), where=where)
    year_ago = last - 12
    if year_ago >= 0 and values[year_ago] is not None:
        prev, key = year_ago, "wtm_count"
    elif published[0] != last:
        prev, key = published[0], "wtm_count_since"
    else:
        return t("wtm_count_only", lang, **common)
    return t(key, lang, change=change_phrase(value, values[prev], lang),
             previous=fmt_number(values[prev], lang),
             previous_month=fmt_month(months[prev], lang), **common)


def alt_line(title: str, area: str, labels: Sequence[str], series: Sequence[charts.Series],
             fmt: Callable[[float], str], lang: str) -> str:
    """Alt text from the data: per series its lowest, highest and latest published value."""
    parts = []
    for s in series:
        points = [(i, v) for i, v in enumerate(s.values) if v is not None]
        if not points:
            continue
        low = min(points, key=lambda p: p[1])
        high = max(points, key=lambda p: p[1])
        latest = points[-1]
        parts.append(t("alt_series", lang, name=s.name, low=fmt(low[1]), low_at=labels[low[0]],
                       high=fmt(high[1]), high_at=labels[high[0]], latest=fmt(latest[1]),
                       latest_at=labels[latest[0]]))
    hidden = sum(1 for v in series[0].values if v is None) if series else 0
    if hidden:
        parts.append(t("alt_hidden", lang, n=hidden))
    if not parts:
        parts.append(t("alt_empty", lang))
    return t("alt_line", lang, title=title, area=area, first=labels[0] if labels else "",
             last=labels[-1] if labels else "", series=" ".join(parts))


def alt_bar(title: str, items: Sequence[tuple[str, float]], fmt: Callable[[float], str],
            lang: str) -> str:
    text = "; ".join(f"{name}: {fmt(v)}" for name, v in items) or t("alt_empty", lang)
    return t("alt_bar", lang, title=title, items=text + ".")


def _monthly_table(caption: str, months: Sequence[dt.date], frame: pl.DataFrame,
                   columns: Sequence[tuple[str, str, Callable[[float], str]]], lang: str,
                   month_header: str | None = None) -> Table:
    """One row per month (latest first); columns are (measure, header, formatter)."""
    rows = []
    by_month = {r["month"]: r for r in frame.iter_rows(named=True)}
    for m in reversed(months):
        r = by_month.get(m)
        cells = [Cell(fmt_month(m, lang), is_header=True)]
        for measure, _, fmt in columns:
            if r is None:
                cells.append(Cell(t("confidential_abbr", lang), is_confidential=True))
            else:
                cells.append(_cell_number(r[measure], r[f"{measure}_status"], lang, fmt))
        rows.append(tuple(cells))
    header = (month_header or t("month", lang), *[h for _, h, _ in columns])
    return Table(caption, header, tuple(rows))


def _downloads(url: Url, endpoint: str, page_lang: str, what: str, **params
               ) -> list[tuple[str, str]]:
    """CSV and Parquet links to the API rows behind a section (labels in the page's language)."""
    return [(t("download_of", page_lang, what=what, fmt=t(f"download_{fmt}", page_lang)),
             url(endpoint, format=fmt, lang=page_lang, **params)) for fmt in ("csv", "parquet")]


# -- sections --------------------------------------------------------------------------------

def jobseekers_section(frame: pl.DataFrame, months: Sequence[dt.date], where: str, area: str,
                       lang: str, url: Url, region: str) -> Section:
    title = t("jobseekers_title", lang)
    labels = [fmt_month(m, lang, short=True) for m in months]
    values = _series(frame, months, "n_jobseekers")
    series = [charts.Series(t("n_jobseekers", lang), values)]
    num = lambda v: fmt_number(v, lang)  # noqa: E731
    alt = alt_line(title, area, labels, series, num, lang)
    return Section(
        id="jobseekers", title=title, caption=t("jobseekers_caption", lang),
        chart=charts.line_chart(labels, series, chart_id="chart-jobseekers", title=title,
                                desc=alt, tick=num),
        alt=alt, meaning=count_meaning(months, values, "what_jobseekers", where, lang),
        table=_monthly_table(title, months, frame, [
            ("n_jobseekers", t("n_jobseekers", lang), num),
            ("n_new_registrations", t("n_new_registrations", lang), num),
            ("n_exits_employment", t("n_exits_employment", lang), num)], lang),
        downloads=_downloads(url, "region-monthly", lang, title, region=region),
        source=t("source_pes", lang))


def occupation_jobseekers_section(frame: pl.DataFrame, all_frame: pl.DataFrame,
                                  months: Sequence[dt.date], name: str, lang: str,
                                  downloads: list[tuple[str, str]]) -> Section:
    """Job-seekers whose occupation sought is in the group, all regions, and their share of all
    registered job-seekers. ``frame`` and ``all_frame`` are jobseekers_by_occupation rows."""
    title = t("jobseekers_occupation_title", lang)
    labels = [fmt_month(m, lang, short=True) for m in months]
    values = _series(frame, months, "n_jobseekers")
    series = [charts.Series(t("n_jobseekers_seeking", lang), values)]
    num = lambda v: fmt_number(v, lang)  # noqa: E731
    alt = alt_line(title, t("all_regions", lang), labels, series, num, lang)
    meaning = count_meaning(months, values, "what_jobseekers_seeking", t("where_all", lang),
                            lang, name=name)
    share = {m: (v, a) for m, v, a in zip(months, values, _series(all_frame, months,
                                                                   "n_jobseekers"), strict=True)}
    latest = [m for m in months if share[m][0] is not None and share[m][1]]
    if latest:
        value, total = share[latest[-1]]
        meaning += t("wtm_jobseekers_share", lang, share=fmt_pct(value / total, lang),
                     month=fmt_month(latest[-1], lang))
    table = _monthly_table(title, months, frame.join(
        all_frame.select("month", pl.col("n_jobseekers").alias("n_all"),
                         pl.col("n_jobseekers_status").alias("n_all_status")), on="month",
        how="left"), [("n_jobseekers", t("n_jobseekers_seeking", lang), num),
                      ("n_all", t("n_jobseekers_all", lang), num)], lang)
    return Section(
        id="jobseekers", title=title, caption=t("jobseekers_occupation_caption", lang),
        chart=charts.line_chart(labels, series, chart_id="chart-jobseekers", title=title,
                                desc=alt, tick=num),
        alt=alt, meaning=meaning, table=table, downloads=downloads,
        source=t("source_pes", lang))


def vacancies_section(frame: pl.DataFrame, months: Sequence[dt.date], where: str, area: str,
                      lang: str, downloads: list[tuple[str, str]]) -> Section:
    title = t("vacancies_title", lang)
    labels = [fmt_month(m, lang, short=True) for m in months]
    open_v = _series(frame, months, "n_vacancies_open")
    posted = _series(frame, months, "n_vacancies_posted")
    series = [charts.Series(t("n_vacancies_open", lang), open_v),
              charts.Series(t("n_vacancies_posted", lang), posted)]
    num = lambda v: fmt_number(v, lang)  # noqa: E731
    alt = alt_line(title, area, labels, series, num, lang)
    return Section(
        id="vacancies", title=title, caption=t("vacancies_caption", lang),
        chart=charts.line_chart(labels, series, chart_id="chart-vacancies", title=title,
                                desc=alt, tick=num),
        alt=alt, meaning=count_meaning(months, open_v, "what_vacancies", where, lang),
        table=_monthly_table(title, months, frame, [
            ("n_vacancies_open", t("n_vacancies_open", lang), num),
            ("n_vacancies_posted", t("n_vacancies_posted", lang), num)], lang),
        downloads=downloads, source=t("source_pes", lang))


def ranking_section(section_id: str, title: str, caption: str, rows: Sequence[tuple[str, dict]],
                    month: dt.date, lang: str, meaning: Callable[[list], str],
                    downloads: list[tuple[str, str]], header: str, top_n: int = 10) -> Section:
    """Open vacancies at the end of ``month`` by category, largest first. ``rows`` are
    (label, public mart row); confidential ones are listed in the table, never drawn."""
    num = lambda v: fmt_number(v, lang)  # noqa: E731
    published = sorted(((name, r["n_vacancies_open"]) for name, r in rows
                        if r["n_vacancies_open_status"] == PUBLISHED), key=lambda x: (-x[1], x[0]))
    hidden = [name for name, r in rows if r["n_vacancies_open_status"] != PUBLISHED]
    shown = published[:top_n]
    alt = alt_bar(title, shown, num, lang)
    table_rows = [(Cell(name, is_header=True), Cell(num(v))) for name, v in published]
    table_rows += [(Cell(name, is_header=True),
                    Cell(t("confidential_abbr", lang), is_confidential=True))
                   for name in sorted(hidden)]
    text = meaning(shown) if shown else t("wtm_none", lang)
    if hidden and shown:
        text += t("wtm_top_hidden", lang, n=len(hidden))
    return Section(
        id=section_id, title=title, caption=caption,
        chart=charts.bar_chart(shown, chart_id=f"chart-{section_id}", title=title, desc=alt,
                               tick=num) if shown else None,
        alt=alt, meaning=text,
        table=Table(caption, (header, t("n_vacancies_open", lang)), tuple(table_rows)),
        downloads=downloads, source=t("source_pes", lang))


def tension_section(frame: pl.DataFrame, all_frame: pl.DataFrame, months: Sequence[dt.date],
                    where: str, area: str, lang: str, url: Url, region: str) -> Section:
    """A region's tension beside all regions' (or all regions' alone)."""
    return _tension_section(
        frame, all_frame if region != ALL else None, months, where, area, lang,
        title=t("tension_title", lang), caption=t("tension_caption", lang),
        compare_name=t("all_regions", lang), compare_key="wtm_tension_compare",
        downloads=_downloads(url, "region-monthly", lang, t("tension_title", lang),
                             region=region))


def occupation_tension_section(frame: pl.DataFrame, all_frame: pl.DataFrame,
                               months: Sequence[dt.date], where: str, lang: str,
                               downloads: list[tuple[str, str]]) -> Section:
    """An occupation group's tension, all regions, beside that of all occupations."""
    return _tension_section(
        frame, all_frame, months, where, t("all_regions", lang), lang,
        title=t("tension_title", lang), caption=t("tension_occupation_caption", lang),
        compare_name=t("all_occupations", lang), compare_key="wtm_tension_compare_occupations",
        downloads=downloads)


def _tension_section(frame: pl.DataFrame, compare_frame: pl.DataFrame | None,
                     months: Sequence[dt.date], where: str, area: str, lang: str, *, title: str,
                     caption: str, compare_name: str, compare_key: str,
                     downloads: list[tuple[str, str]]) -> Section:
    labels = [fmt_month(m, lang, short=True) for m in months]
    per100 = lambda v: fmt_number(v, lang, 1)  # noqa: E731

    def scaled(values):
        return [None if v is None else round(v * 100, 1) for v in values]

    values = scaled(_series(frame, months, "rate_tension"))
    series = [charts.Series(t("rate_tension", lang), values)]
    overall = (scaled(_series(compare_frame, months, "rate_tension"))
               if compare_frame is not None else [None] * len(months))
    if compare_frame is not None:
        series.append(charts.Series(compare_name, overall))
    alt = alt_line(title, area, labels, series, per100, lang)
    published = [i for i, v in enumerate(values) if v is not None]
    if published:
        i = published[-1]
        compare = ""
        if overall[i] is not None and overall[i] > 0:
            ratio = values[i] / overall[i]
            judgement = t("tension_more" if ratio > 1.1 else "tension_less" if ratio < 0.9
                          else "tension_same", lang)
            compare = t(compare_key, lang, other=per100(overall[i]), judgement=judgement)
        meaning = t("wtm_tension", lang, month=fmt_month(months[i], lang),
                    value=per100(values[i]), where=where, compare=compare)
    else:
        meaning = t("wtm_none", lang)
    scaled_frame = frame.with_columns((pl.col("rate_tension") * 100).round(1))
    return Section(
        id="tension", title=title, caption=caption,
        chart=charts.line_chart(labels, series, chart_id="chart-tension", title=title, desc=alt,
                                tick=per100),
        alt=alt, meaning=meaning,
        table=_monthly_table(title, months, scaled_frame,
                             [("rate_tension", t("rate_tension", lang), per100)], lang),
        downloads=downloads, source=t("source_pes", lang))


def access_section(frame: pl.DataFrame, all_frame: pl.DataFrame, months: Sequence[dt.date],
                   where: str, area: str, lang: str, url: Url, region: str,
                   all_occupations: bool = False) -> Section:
    title = t("access_all_title" if all_occupations else "access_title", lang)
    complete = frame.filter(pl.col("rate_job_access_6m_status") != "not_available")
    cohort_months = [m for m in months if m in set(complete["month"].to_list())] or months[:1]
    labels = [fmt_month(m, lang, short=True) for m in cohort_months]
    pct = lambda v: fmt_pct(v, lang)  # noqa: E731
    values = _series(frame, cohort_months, "rate_job_access_6m")
    overall = _series(all_frame, cohort_months, "rate_job_access_6m")
    series = [charts.Series(t("rate_job_access_6m", lang), values)]
    if region != ALL:
        series.append(charts.Series(t("all_regions", lang), overall))
    alt = alt_line(title, area, labels, series, pct, lang)
    published = [i for i, v in enumerate(values) if v is not None]
    if published:
        i = published[-1]
        compare = (t("wtm_access_compare", lang, other=pct(overall[i]))
                   if region != ALL and overall[i] is not None else "")
        meaning = t("wtm_access", lang, where=where, month=fmt_month(cohort_months[i], lang),
                    value=pct(values[i]), compare=compare)
    else:
        meaning = t("wtm_none", lang)
    return Section(
        id="job-access", title=title, caption=t("access_caption", lang),
        chart=charts.line_chart(labels, series, chart_id="chart-job-access", title=title,
                                desc=alt, tick=lambda v: fmt_pct(v, lang)),
        alt=alt, meaning=meaning,
        table=_monthly_table(title, months, frame,
                             [("rate_job_access_6m", t("rate_job_access_6m", lang),
                               lambda v: fmt_pct(v, lang, 1))], lang,
                             month_header=t("registration_month", lang)),
        notes=[t("access_all_occupations", lang)] if all_occupations else [],
        downloads=_downloads(url, "region-monthly", lang, title, region=region),
        source=t("source_pes", lang))


def unemployment_section(frame: pl.DataFrame, area_code: str, area: str, lang: str, url: Url,
                         region_names: dict[str, str]) -> Section:
    title = t("unemployment_title", lang)
    downloads = _downloads(url, "unemployment-rate", lang, title, area=area_code)
    if frame.height == 0:
        return Section(id="unemployment", title=title, caption=t("unemployment_caption", lang),
                       chart=None, alt="", meaning=t("no_official", lang), table=None,
                       downloads=downloads)
    has_region = frame.filter(pl.col("geo_level") == "region").height > 0
    primary = frame.filter(pl.col("geo_level") == ("region" if has_region else "country"))
    geo = primary["geo"][0]
    geo_name = region_names.get(geo) if has_region else country_name(geo, lang)
    periods = primary["period"].to_list()
    values = primary["value"].to_list()
    labels = [fmt_period(p, lang) for p in periods]
    rate = lambda v: fmt_rate(v, lang)  # noqa: E731
    age = age_group(primary["age_group"][0], lang)
    series = [charts.Series(t("unemployment_rate", lang), values)]
    alt = alt_line(title, f"{geo_name}, {age}", labels, series, rate, lang)
    known = [i for i, v in enumerate(values) if v is not None]
    meaning = t("no_official", lang)
    if known:
        i = known[-1]
        change = ""
        step = 12 if primary["freq"][0] == "M" else 4 if primary["freq"][0] == "Q" else 1
        if i - step >= 0 and values[i - step] is not None:
            diff = values[i] - values[i - step]
            direction = t("up" if diff > 0.05 else "down" if diff < -0.05 else "unchanged", lang)
            change = t("wtm_unemployment_change", lang, direction=direction,
                       previous=rate(values[i - step]))
        meaning = t("wtm_unemployment", lang, geo=geo_name, age=age, value=rate(values[i]),
                    period=labels[i], change=change)
    notes = []
    if area_code == ALL:
        notes.append(t("national_context", lang))
    elif not has_region:
        notes.append(t("fallback_country", lang, area=area, country=geo_name))
    else:  # the region's own series is drawn; its country's latest figure is given beside it
        country = frame.filter((pl.col("geo_level") == "country") & pl.col("value").is_not_null())
        if country.height:
            last = country.row(-1, named=True)
            notes.append(t("national_figure", lang, country=country_name(last["geo"], lang),
                           value=rate(last["value"]), period=fmt_period(last["period"], lang),
                           dataset=last["dataset"]))
    rows = tuple((Cell(fmt_period(r["period"], lang), is_header=True),
                  Cell(rate(r["value"])), Cell(r["flags"] or ""))
                 for r in reversed(list(primary.iter_rows(named=True))))
    updated = primary["source_updated_on"][0]
    source = t("source_eurostat", lang, dataset=primary["dataset"][0],
               updated=fmt_date(updated, lang) if updated else "–")
    return Section(
        id="unemployment", title=title, caption=t("unemployment_caption", lang),
        chart=charts.line_chart(labels, series, chart_id="chart-unemployment", title=title,
                                desc=alt, tick=rate),
        alt=alt, meaning=meaning,
        table=Table(title, (t("period", lang), t("unemployment_rate", lang), t("flags", lang)),
                    rows),
        notes=notes, downloads=downloads, source=source)


# -- factsheets ------------------------------------------------------------------------------

def _context(wh: Warehouse) -> tuple[dict, list[dt.date]]:
    release = queries.release(wh)
    return release, months_between(release["data_from"], release["data_to"])


def region_factsheet(wh: Warehouse, code: str, lang: str, url: Url) -> Factsheet:
    """The factsheet of one region (or ALL): every section, from the public marts."""
    region_df = queries.regions(wh)
    names = dict(zip(region_df["region_code"], region_df["region_name"], strict=True))
    if code != ALL and code not in names:
        raise NotFound(code)
    release, months = _context(wh)
    name = t("all_regions", lang) if code == ALL else names[code]
    where = t("where_all", lang) if code == ALL else t("where_region", lang, name=name)
    monthly = queries.region_monthly(wh, sorted({code, ALL}))
    mine = monthly.filter(pl.col("region_code") == code)
    overall = monthly.filter(pl.col("region_code") == ALL)
    latest = months[-1]
    groups = queries.occupation_groups(wh, level=1)
    group_rows = {r["isco_code"]: r for r in groups.iter_rows(named=True)}
    by_group = queries.vacancies_by_occupation(wh, [code], None, latest, latest).filter(
        pl.col("isco_major_group") != ALL)
    top_rows = [(occupation_label(group_rows[r["isco_major_group"]], lang), r)
                for r in by_group.iter_rows(named=True)]
    vac_downloads = _downloads(url, "vacancies-by-occupation", lang, t("vacancies_title", lang),
                               region=code)

    def top_meaning(shown):
        items = [f"{n} ({fmt_number(v, lang)})" for n, v in shown[:3]]
        return t("wtm_top", lang, month=fmt_month(latest, lang), where=where,
                 items=_join(items, lang))

    sections = [
        jobseekers_section(mine, months, where, name, lang, url, code),
        vacancies_section(mine, months, where, name, lang, vac_downloads),
        ranking_section("occupations", t("top_title", lang),
                        t("top_caption", lang, month=fmt_month(latest, lang)), top_rows, latest,
                        lang, top_meaning, vac_downloads, t("occupation", lang)),
        tension_section(mine, overall, months, where, name, lang, url, code),
        access_section(mine, overall, months, where, name, lang, url, code),
        unemployment_section(queries.unemployment_rate(wh, [code]), code, name, lang, url,
                             names),
    ]
    return Factsheet("region", code, name, t("region_title", lang, name=name), lang, release,
                     sections, [d for s in sections for d in s.downloads])


def occupation_factsheet(wh: Warehouse, code: str, lang: str, url: Url) -> Factsheet:
    """The factsheet of one ISCO-08 major group: the job-seekers seeking it, its vacancies
    and tension, all regions; job access and unemployment for all occupations."""
    groups = queries.occupation_groups(wh)
    rows = {r["isco_code"]: r for r in groups.iter_rows(named=True)}
    if code not in rows or rows[code]["level"] != 1:
        raise NotFound(code)
    release, months = _context(wh)
    name = occupation_label(rows[code], lang)
    where = t("where_occupation", lang, name=name)
    latest = months[-1]
    region_df = queries.regions(wh)
    names = dict(zip(region_df["region_code"], region_df["region_name"], strict=True))
    cube = queries.vacancies_by_occupation(wh, None, [code])
    national = cube.filter(pl.col("region_code") == ALL)
    by_region = cube.filter((pl.col("region_code") != ALL) & (pl.col("month") == latest))
    units = queries.vacancies_by_unit_group(wh, [code], latest, latest)
    unit_rows = [(occupation_label(rows.get(r["isco_unit_group"], {"isco_code":
                                                                    r["isco_unit_group"]}), lang), r)
                 for r in units.iter_rows(named=True)]
    region_rows = [(names.get(r["region_code"], r["region_code"]), r)
                   for r in by_region.iter_rows(named=True)]
    all_monthly = queries.region_monthly(wh, [ALL])
    all_where = t("where_all", lang)
    all_name = t("all_regions", lang)
    sought = queries.jobseekers_by_occupation(wh, [ALL], [code, ALL])
    mine = sought.filter(pl.col("isco_major_group") == code)
    every = sought.filter(pl.col("isco_major_group") == ALL)
    js_downloads = _downloads(url, "jobseekers-by-occupation", lang,
                              t("jobseekers_occupation_title", lang), occupation=code)
    vac_downloads = _downloads(url, "vacancies-by-occupation", lang, t("vacancies_title", lang),
                               occupation=code)
    unit_downloads = _downloads(url, "vacancies-by-unit-group", lang, t("top_title", lang),
                                occupation=code)

    def top_meaning(shown):
        items = [f"{n} ({fmt_number(v, lang)})" for n, v in shown[:3]]
        return t("wtm_top", lang, month=fmt_month(latest, lang), where=where,
                 items=_join(items, lang))

    def region_meaning(shown):
        second = (t("wtm_regions_second", lang, name=shown[1][0],
                    value=fmt_number(shown[1][1], lang)) if len(shown) > 1 else "")
        return t("wtm_regions", lang, month=fmt_month(latest, lang),
                 first=f"{shown[0][0]} ({fmt_number(shown[0][1], lang)})", second=second)

    sections = [
        occupation_jobseekers_section(mine, every, months, name, lang, js_downloads),
        vacancies_section(national, months, where, name, lang, vac_downloads),
        ranking_section("occupations", t("top_title", lang),
                        t("top_caption", lang, month=fmt_month(latest, lang)), unit_rows,
                        latest, lang, top_meaning, unit_downloads, t("occupation", lang)),
        ranking_section("regions", t("by_region_title", lang),
                        t("by_region_caption", lang, month=fmt_month(latest, lang)),
                        region_rows, latest, lang, region_meaning, vac_downloads,
                        t("region", lang), top_n=20),
        occupation_tension_section(mine, every, months, t("where_seeking", lang, name=name),
                                   lang, js_downloads),
        access_section(all_monthly, all_monthly, months, all_where, all_name, lang, url, ALL,
                       all_occupations=True),
        unemployment_section(queries.unemployment_rate(wh, [ALL]), ALL, all_name, lang, url,
                             names),
    ]
    return Factsheet("occupation", code, name, t("occupation_title", lang, name=name), lang,
                     release, sections, [d for s in sections for d in s.downloads])
