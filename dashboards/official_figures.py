"""Pure figure builders and chart texts for the "Labour market" page (official statistics).

Polars frames from dashboards.official_queries in, Plotly figures and plain text out; no data
access here. Maps draw only the GeoJSON they are given: the geo subplot is hidden, so Plotly
never fetches its own world topojson, and there are no tiles.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from dashboards.components.format import fmt_int, fmt_pct
from dashboards.figures import FONT, GRAPH_CONFIG, empty_figure

# Okabe & Ito without its yellow (too pale for a line on white), then Paul Tol's wine and olive.
# A line keeps colour and dash style; the legend and hover name it, so colour is never the
# only cue.
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                  "#882255", "#999933")
SERIES_DASHES = ("solid", "dash", "dot", "dashdot")
PROJECTS_COLOUR = "#0072B2"  # blue
DIFFICULT_COLOUR = "#D55E00"  # vermilion
SEASONAL_COLOUR = "#009E73"  # bluish green, also hatched
NO_DATA_COLOUR = "#e3e3e3"
# Viridis is perceptually uniform and readable with every common colour-vision deficiency;
# reversed, a darker region has a higher value.
MAP_COLOURSCALE = "Viridis"

# Eurostat observation flags (code list OBS_FLAG). A cell can carry several ('bu').
FLAG_LABELS: dict[str, str] = {
    "b": "break in time series",
    "c": "confidential",
    "d": "definition differs",
    "e": "estimated",
    "f": "forecast",
    "n": "not significant",
    "p": "provisional",
    "r": "revised",
    "s": "Eurostat estimate",
    "u": "low reliability",
    "z": "not applicable",
}
# What the flag note under the series explains, in this order (':' is a missing value).
EXPLAINED_FLAGS = ("b", "p", "u", "e")

# Polygons outside this box (lon, lat) are left out of a map of Europe: fitting the map to
# French Guiana, Réunion or the Canary Islands would shrink Europe to a stamp. Eurostat's own
# maps show them in insets; here the note under the map names the regions not drawn.
EUROPE_BOX = (-25.0, 34.0, 45.0, 72.0)

MAP_HEIGHT = 560

# plotly.js (4.1) fetches its world topojson for any geo trace with a locationmode, even a
# GeoJSON choropleth on a hidden base map, and by default from cdn.plot.ly. There is no
# network here, and nothing of that topojson is drawn: hand it an empty topology inline. The
# '#' makes the file name plotly.js appends ('/world_110m.json') a fragment of the data URL.
EMPTY_TOPOJSON_URL = ("data:application/json," + quote('{"type":"Topology","objects":{},"arcs":[]}')
                      + "#")
MAP_GRAPH_CONFIG = {**GRAPH_CONFIG, "topojsonURL": EMPTY_TOPOJSON_URL}


def _style(fig: go.Figure, *, height: int) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#1f2328"},
        separators=".,",
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        hoverlabel={"font": {"family": FONT}},
    )
    return fig


# -- text helpers ------------------------------------------------------------------------------

def describe_flags(flags: str | None) -> str:
    """'bu' -> 'b: break in time series; u: low reliability'."""
    if not flags:
        return ""
    return "; ".join(f"{f}: {FLAG_LABELS.get(f, 'flag ' + f)}" for f in flags)


def fmt_period(period: str) -> str:
    """'2026-01' -> 'Jan 2026'; '2013' and '2025-Q2' stay as published."""
    if len(period) == 7 and period[4] == "-" and period[5:].isdigit():
        return dt.date(int(period[:4]), int(period[5:]), 1).strftime("%b %Y")
    return period


def fmt_value(value: float | None, decimals: int = 1, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{decimals}f}{suffix}"


def _local_date(ts: dt.datetime | None, timezone: str) -> str | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(ZoneInfo(timezone)).date().isoformat()


def source_line(attribution: str | None, what: str, source_file: str,
                source_updated_on: dt.date | None, loaded_at: dt.datetime | None,
                timezone: str = "UTC") -> str:
    """'Source: Eurostat, une_rt_m (une_rt_m.csv, last update 2026-03-04), loaded 2026-11-25'."""
    head = attribution or "Source: unknown publisher"
    inner = [source_file] if what != source_file else []
    if source_updated_on is not None:
        inner.append(f"last update {source_updated_on.isoformat()}")
    detail = what + (f" ({', '.join(inner)})" if inner else "")
    loaded = _local_date(loaded_at, timezone)
    return f"{head}, {detail}" + (f", loaded {loaded}" if loaded else "")


def source_lines(sources: pl.DataFrame, what: str | None = None,
                 timezone: str = "UTC") -> list[str]:
    """One line per imported file of an official_sources() frame; `what` names the dataset."""
    return [source_line(row["attribution"], what or row["source_file"], row["source_file"],
                        row["source_updated_on"], row["loaded_at"], timezone)
            for row in sources.iter_rows(named=True)]


def _names(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# -- 1. series over time ---------------------------------------------------------------------

def series_name(geo: str | None, geo_label: str | None) -> str:
    """'France (FR)'; the code alone when there is no name."""
    code = geo or "?"
    return f"{geo_label} ({code})" if geo_label and geo_label != code else code


def _series_keys(df: pl.DataFrame, geo_order: Sequence[str] | None) -> list[tuple]:
    keys = list(df.select("geo", "dimensions").unique(maintain_order=True).iter_rows())
    if geo_order:
        rank = {g: i for i, g in enumerate(geo_order)}
        keys.sort(key=lambda k: rank.get(k[0], len(rank)))
    return keys


def _dimension_text(dimensions: str | None, varying: Iterable[str]) -> str:
    values = json.loads(dimensions) if dimensions else {}
    return ", ".join(str(values.get(k)) for k in varying if k in values)


def series_figure(df: pl.DataFrame, *, y_title: str, decimals: int = 1, suffix: str = "",
                  geo_order: Sequence[str] | None = None, height: int = 440) -> go.Figure:
    """One line per geo (and per other dimension combination, if several) over period_start.

    ``df``: geo, geo_label, period, period_start, value, flags, dimensions
    (official_queries.unemployment_series). A missing value is a gap, never a zero. A flagged
    value gets a diamond with its flag letter above; hover says what the flag means.
    """
    if df.is_empty():
        return empty_figure("No observations match these choices.", height=height)
    keys = _series_keys(df, geo_order)
    dims = [json.loads(d) if d else {} for _, d in keys]
    varying = sorted({k for d in dims for k in d if len({x.get(k) for x in dims}) > 1})
    fig = go.Figure()
    n_flagged = 0
    for i, (geo, dimensions) in enumerate(keys):
        part = df.filter((pl.col("geo") == geo) if geo is not None else pl.col("geo").is_null())
        part = part.filter(pl.col("dimensions") == dimensions).sort("period_start")
        labels = [v for v in part["geo_label"].to_list() if v]
        name = series_name(geo, labels[0] if labels else None)
        if varying:
            name += f" – {_dimension_text(dimensions, varying)}"
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[(i // len(SERIES_COLOURS)) % len(SERIES_DASHES)]
        flags = part["flags"].to_list()
        hover_flags = [f"<br>flag {describe_flags(f)}" if f else "" for f in flags]
        fig.add_trace(go.Scatter(
            x=part["period_start"].to_list(), y=part["value"].to_list(),
            mode="lines+markers", name=name, legendgroup=name, meta=geo,
            line={"color": colour, "dash": dash, "width": 2}, marker={"size": 4},
            connectgaps=False,
            customdata=list(zip(part["period"].to_list(), hover_flags, strict=True)),
            hovertemplate=(f"<b>{name}</b><br>%{{customdata[0]}}: "
                           f"%{{y:,.{decimals}f}}{suffix}%{{customdata[1]}}<extra></extra>"),
        ))
        flagged = part.filter(pl.col("flags").is_not_null() & pl.col("value").is_not_null())
        if flagged.height:
            n_flagged += flagged.height
            fig.add_trace(go.Scatter(
                x=flagged["period_start"].to_list(), y=flagged["value"].to_list(),
                mode="markers+text", text=flagged["flags"].to_list(),
                textposition="top center", textfont={"color": colour, "size": 13},
                name=f"{name}: flagged", legendgroup=name, showlegend=False,
                meta={"geo": geo, "flagged": True},
                marker={"symbol": "diamond", "size": 11, "color": colour,
                        "line": {"color": "#1f2328", "width": 1}},
                customdata=[(p, describe_flags(f)) for p, f in
                            flagged.select("period", "flags").iter_rows()],
                hovertemplate=(f"<b>{name}</b><br>%{{customdata[0]}}: %{{y:,.{decimals}f}}"
                               f"{suffix}<br>flag %{{customdata[1]}}<extra></extra>"),
            ))
    if n_flagged:
        # A legend key for the diamonds (no data: x and y are empty).
        fig.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", name="Flagged value (letter above it)",
            marker={"symbol": "diamond", "size": 11, "color": "#ffffff",
                    "line": {"color": "#1f2328", "width": 1}},
            hoverinfo="skip", meta={"legend_key": True}))
    fig.update_layout(hovermode="closest",
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    fig.update_xaxes(title=None)
    fig.update_yaxes(title=y_title, rangemode="tozero" if suffix == "" else "normal")
    return _style(fig, height=height)


def describe_series_chart(df: pl.DataFrame, what: str, *, decimals: int = 1,
                          suffix: str = "", geo_order: Sequence[str] | None = None) -> str:
    """A text alternative for the series chart: what, who, when, latest values, flags, gaps."""
    if df.is_empty():
        return f"No {what} observations match these choices."
    if geo_order:
        rank = {g: i for i, g in enumerate(geo_order)}
        df = df.sort(pl.col("geo").replace_strict(rank, default=len(rank), return_dtype=pl.Int64),
                     "period_start", maintain_order=True)
    else:
        df = df.sort("geo", "period_start", maintain_order=True)
    parts = []
    latest = []
    for (geo,), part in df.group_by("geo", maintain_order=True):
        known = part.filter(pl.col("value").is_not_null())
        labels = [v for v in part["geo_label"].to_list() if v]
        name = labels[0] if labels else (geo or "?")
        if known.height:
            row = known.row(-1, named=True)
            latest.append(f"{name} {fmt_value(row['value'], decimals, suffix)} "
                          f"({fmt_period(row['period'])})")
    periods = df.sort("period_start")["period"].to_list()
    names = [series_name(g, lbl) for g, lbl in
             df.select("geo", "geo_label").unique(subset="geo", maintain_order=True).iter_rows()]
    parts.append(f"Line chart of the {what} for {_names(names)}, "
                 f"{fmt_period(periods[0])} to {fmt_period(periods[-1])}.")
    if latest:
        parts.append("Latest values: " + "; ".join(latest) + ".")
    flagged = df.filter(pl.col("flags").is_not_null() & pl.col("value").is_not_null())
    if flagged.height:
        shown = [f"{g} {fmt_period(p)} ({f})" for g, p, f in
                 flagged.select("geo", "period", "flags").head(5).iter_rows()]
        more = f" and {flagged.height - 5} more" if flagged.height > 5 else ""
        parts.append(f"{flagged.height} flagged value(s): {', '.join(shown)}{more}.")
    n_missing = df["value"].null_count()
    if n_missing:
        parts.append(f"{n_missing} missing value(s) are shown as gaps.")
    return " ".join(parts)


# -- 2. NUTS choropleth ----------------------------------------------------------------------

def _ring_in_box(ring: Sequence[Sequence[float]], box: tuple[float, float, float, float]) -> bool:
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    lon0, lat0, lon1, lat1 = box
    return max(lons) >= lon0 and min(lons) <= lon1 and max(lats) >= lat0 and min(lats) <= lat1


def europe_only(features: Iterable[Mapping[str, Any]],
                box: tuple[float, float, float, float] = EUROPE_BOX) -> list[dict[str, Any]]:
    """The features with their polygons outside ``box`` dropped (and features left empty)."""
    kept = []
    for feature in features:
        geometry = feature.get("geometry") or {}
        kind = geometry.get("type")
        if kind == "Polygon":
            if not _ring_in_box(geometry["coordinates"][0], box):
                continue
            kept.append(dict(feature))
        elif kind == "MultiPolygon":
            polygons = [p for p in geometry["coordinates"] if _ring_in_box(p[0], box)]
            if not polygons:
                continue
            kept.append({**feature, "geometry": {"type": "MultiPolygon", "coordinates": polygons}})
        else:
            kept.append(dict(feature))
    return kept


def outside_europe(frame: pl.DataFrame, geojson: Mapping[str, Any] | None
                   ) -> list[tuple[str, str]]:
    """(nuts_id, name) of the regions with a value that the map leaves out entirely."""
    if geojson is None:
        return []
    kept = {str(f["properties"]["NUTS_ID"]) for f in europe_only(geojson["features"])}
    valued = frame.filter(pl.col("value").is_not_null())
    names = {str(f["properties"]["NUTS_ID"]): f["properties"].get("NAME_LATN")
             for f in geojson["features"]}
    return [(i, names.get(i) or n) for i, n in valued.select("nuts_id", "name_latn").iter_rows()
            if i in names and i not in kept]


def _country(feature: Mapping[str, Any]) -> str:
    props = feature.get("properties") or {}
    return props.get("CNTR_CODE") or str(props.get("NUTS_ID", ""))[:2]


def choropleth_figure(frame: pl.DataFrame, geojson: Mapping[str, Any] | None, *,
                      value_title: str, decimals: int = 1, suffix: str = "",
                      height: int = MAP_HEIGHT) -> go.Figure:
    """Regions coloured by value; other regions of the same countries in grey ('no value').

    ``frame``: nuts_id, name_latn, value, flags (official_queries.nuts_choropleth_data) and the
    FeatureCollection it came with. Drawn with the given GeoJSON only, fitted to its regions.
    """
    if geojson is None:
        return empty_figure("No NUTS boundaries are loaded for this level.", height=height)
    features = {str(f["properties"]["NUTS_ID"]): f for f in europe_only(geojson["features"])}
    valued = frame.filter(pl.col("value").is_not_null()
                          & pl.col("nuts_id").is_in(list(features)))
    if valued.is_empty():
        return empty_figure("No value for any region of this level and period.", height=height)
    ids = valued["nuts_id"].to_list()
    countries = {_country(features[i]) for i in ids}
    no_value = [i for i, f in features.items() if i not in set(ids) and _country(f) in countries]
    names = {i: (f["properties"].get("NAME_LATN") or i) for i, f in features.items()}
    fig = go.Figure()
    if no_value:
        fig.add_trace(go.Choropleth(
            geojson={"type": "FeatureCollection", "features": [features[i] for i in no_value]},
            locations=no_value, z=[0] * len(no_value), featureidkey="properties.NUTS_ID",
            colorscale=[[0, NO_DATA_COLOUR], [1, NO_DATA_COLOUR]], showscale=False,
            marker={"line": {"color": "#ffffff", "width": 0.5}}, name="No value",
            customdata=[names[i] for i in no_value], meta="no_value",
            hovertemplate="<b>%{customdata}</b> (%{location})<br>No value<extra></extra>",
        ))
    flags = valued["flags"].to_list()
    fig.add_trace(go.Choropleth(
        geojson={"type": "FeatureCollection", "features": [features[i] for i in ids]},
        locations=ids, z=valued["value"].to_list(), featureidkey="properties.NUTS_ID",
        colorscale=MAP_COLOURSCALE, reversescale=True,
        marker={"line": {"color": "#ffffff", "width": 0.5}}, name=value_title, meta="values",
        colorbar={"title": {"text": value_title}, "thickness": 14},
        customdata=[(names.get(i, i), f" ({describe_flags(f)})" if f else "")
                    for i, f in zip(ids, flags, strict=True)],
        hovertemplate=(f"<b>%{{customdata[0]}}</b> (%{{location}})<br>"
                       f"%{{z:,.{decimals}f}}{suffix}%{{customdata[1]}}<extra></extra>"),
    ))
    fig.update_geos(
        fitbounds="locations", visible=False, projection={"type": "conic equal area"},
        showcountries=False, showcoastlines=False, showland=False, showocean=False,
        showlakes=False, showrivers=False, showframe=False, showsubunits=False,
        bgcolor="rgba(0,0,0,0)",
    )
    fig = _style(fig, height=height)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 10, "b": 0})
    return fig


def describe_choropleth(frame: pl.DataFrame, what: str, period: str, level: int, *,
                        decimals: int = 1, suffix: str = "") -> str:
    """A text alternative for the map: coverage, lowest, median and highest region."""
    valued = frame.filter(pl.col("value").is_not_null()).sort("value")
    if valued.is_empty():
        return f"Map of the {what}: no region of NUTS level {level} has a value in " \
               f"{fmt_period(period)}."
    low, high = valued.row(0, named=True), valued.row(-1, named=True)
    median = statistics.median(valued["value"].to_list())
    areas = "countries (NUTS 0)" if level == 0 else f"NUTS {level} regions"
    text = (f"Map of the {what} in {fmt_period(period)} for {valued.height} {areas}. "
            f"Lowest: {low['name_latn']} ({low['nuts_id']}) "
            f"{fmt_value(low['value'], decimals, suffix)}; highest: {high['name_latn']} "
            f"({high['nuts_id']}) {fmt_value(high['value'], decimals, suffix)}; median "
            f"{fmt_value(median, decimals, suffix)}.")
    n_flagged = valued["flags"].drop_nulls().len()
    if n_flagged:
        text += f" {n_flagged} value(s) are flagged (see hover)."
    return text


# -- 3. BMO ----------------------------------------------------------------------------------

def bmo_figure(df: pl.DataFrame, label_column: str, *, highlight: str | None = None,
               code_column: str | None = None, height: int | None = None) -> go.Figure:
    """Recruitment projects (bars) beside the shares judged difficult and seasonal, one row per
    family or region, largest on top.

    ``df``: official_queries.bmo_totals. A count whose every cell is secret has no bar and
    reads 'secret', never 0. ``highlight`` (a value of ``code_column``) is set in bold.
    """
    height = height or max(300, 130 + 30 * df.height)
    if df.is_empty():
        return empty_figure("No BMO survey loaded.", height=300)
    df = df.sort("n_projects", descending=False, nulls_last=False)  # plotly draws bottom-up
    labels = df[label_column].to_list()
    if highlight is not None and code_column:
        labels = [f"<b>{lbl}</b>" if code == highlight else lbl
                  for lbl, code in zip(labels, df[code_column].to_list(), strict=True)]
    projects = df["n_projects"].to_list()
    secrets = df["n_secret_projects"].to_list()
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.03,
                        column_widths=[0.55, 0.45])
    fig.add_trace(go.Bar(
        orientation="h", x=projects, y=labels, name="Recruitment projects",
        marker={"color": PROJECTS_COLOUR}, meta="n_projects",
        text=[fmt_int(v) if v is not None else "secret" for v in projects],
        textposition="outside", cliponaxis=False,
        customdata=secrets,
        hovertemplate=("<b>%{y}</b><br>%{x:,} recruitment projects<br>"
                       "%{customdata:,} secret cell(s) not included<extra></extra>"),
    ), row=1, col=1)
    for column, name, colour, pattern, secret in (
            ("share_difficult", "Judged difficult", DIFFICULT_COLOUR, "", "n_secret_difficult"),
            ("share_seasonal", "Seasonal", SEASONAL_COLOUR, "/", "n_secret_seasonal")):
        fig.add_trace(go.Bar(
            orientation="h", x=df[column].to_list(), y=labels, name=name, meta=column,
            marker={"color": colour, "pattern": {"shape": pattern}},
            customdata=df[secret].to_list(),
            hovertemplate=(f"<b>%{{y}}</b><br>{name}: %{{x:.1%}}<br>"
                           "%{customdata:,} secret cell(s) not included<extra></extra>"),
        ), row=1, col=2)
    fig.update_layout(barmode="group", bargap=0.25,
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0})
    fig.update_xaxes(tickformat=",d", row=1, col=1, title="Recruitment projects")
    fig.update_xaxes(tickformat=".0%", range=[0, 1], row=1, col=2, title="Share of projects")
    fig.update_yaxes(automargin=True)
    fig = _style(fig, height=height)
    fig.update_layout(margin={"l": 10, "r": 20, "t": 40, "b": 10})
    return fig


def describe_bmo(df: pl.DataFrame, what: str, label_column: str) -> str:
    """A text alternative for a BMO chart: the largest and smallest groups with their shares."""
    known = df.filter(pl.col("n_projects").is_not_null()).sort("n_projects", descending=True)
    if known.is_empty():
        return f"No BMO recruitment projects {what}."

    def one(row: Mapping[str, Any]) -> str:
        return (f"{row[label_column]} ({fmt_int(row['n_projects'])} projects, "
                f"{fmt_pct(row['share_difficult'])} difficult, "
                f"{fmt_pct(row['share_seasonal'])} seasonal)")

    text = (f"Bar chart of BMO recruitment projects {what}: {known.height} groups, "
            f"{fmt_int(known['n_projects'].sum())} projects in all. Largest: "
            f"{one(known.row(0, named=True))}")
    if known.height > 1:
        text += f"; smallest: {one(known.row(-1, named=True))}"
    return text + "."


def secret_note(df: pl.DataFrame) -> str:
    """'1,234 secret cells not included: …' for a bmo_totals frame."""
    n = {c: int(df[c].sum() or 0) for c in ("n_secret_projects", "n_secret_difficult",
                                             "n_secret_seasonal")}
    cells = int(df["n_cells"].sum() or 0)
    if not any(n.values()):
        return "No cell is secret: the counts are complete."
    return (f"{fmt_int(n['n_secret_projects'])} secret cells (published as *) not included in "
            f"the project counts, out of {fmt_int(cells)} employment-area × occupation cells: "
            "each count is a lower bound, never a zero. Shares use only the cells where both "
            f"counts are published ({fmt_int(n['n_secret_difficult'])} secret 'difficult' and "
            f"{fmt_int(n['n_secret_seasonal'])} secret 'seasonal' cells left out).")
