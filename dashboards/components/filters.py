"""The filter bar shared by the pages, and its two-way link with the URL query string.

Every control has the id ``{"type": "filter", "name": <query key>}``; its value is already the
query value ('2026-10', ['FRK', 'FR1'], 'share'), so one callback keeps any page's controls and
the URL in step. Values from a URL are only ever kept if they are among the control's options.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, quote, urlencode

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboards.components.format import fmt_month, label, month_value
from dashboards.queries import SEGMENTS, Filters, add_months
from observatory import access

URL_ID = "filters-url"
MULTI = ("region", *SEGMENTS)  # age_band, digital_skills, support_tier
PERIOD = ("from", "to")
DEFAULT_N_MONTHS = 12
CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "measure": (("volume", "Volume"), ("share", "Share of month")),
    "direction": (("all", "All"), ("inbound", "Inbound"), ("outbound", "Outbound")),
    # Outcomes page (issue 6): the breakdown of A1 and sustainability, and the survival curves.
    "breakdown": (("region", "Region"), ("age_band", "Age band"), ("sex", "Sex"),
                  ("education_level", "Education"), ("support_tier", "Support tier"),
                  ("digital_skills", "Digital skills")),
    "curves": (("support_tier", "Support tier"), ("age_band", "Age band"),
               ("digital_skills", "Digital skills"), ("channel_profile", "Channel profile")),
    # Channels section (issue 5): user type, the segment shown, what the exclusion list ranks.
    "user_type": (("all", "All users"), ("jobseeker", "Job-seekers"), ("employer", "Employers")),
    "segment_by": (("digital_skills", "Digital skills"), ("age_band", "Age band"),
                   ("education_level", "Education"), ("support_tier", "Support tier")),
    "rank_by": (("agency", "Agencies"), ("region", "Regions")),
}
# Single-choice keys whose options come from the data (the page supplies them), with the value
# that means "no choice" and is left out of the URL.
OPEN_CHOICES: dict[str, str] = {"isco": "all", "service": "all"}
# Multi-select filters only the Channels section offers: kept in its URLs, not carried to the
# pages that have no such control.
PAGE_MULTI = ("agency", "education_level")
LABELS = {
    "from": "From month", "to": "To month", "region": "Region", "age_band": "Age band",
    "digital_skills": "Digital skills", "support_tier": "Support tier",
    "measure": "Show", "direction": "Direction",
    "breakdown": "Break down by", "curves": "Survival curves by", "isco": "Occupation (ISCO-08)",
    "agency": "Agency", "education_level": "Education", "user_type": "User type",
    "segment_by": "Segment shown", "rank_by": "Rank", "service": "Service",
}
COMMON = (*PERIOD, *MULTI)


def fid(name: str) -> dict[str, str]:
    """The component id of the control for query key ``name``."""
    return {"type": "filter", "name": name}


def dom_id(name: str) -> str:
    """The id Dash gives the control's DOM element (for <label for=...>)."""
    component_id = fid(name)
    return "{" + ",".join(f"{json.dumps(k)}:{json.dumps(component_id[k])}"
                          for k in sorted(component_id)) + "}"


# -- query <-> values ------------------------------------------------------------------------

def _raw_values(raw: object) -> list[str]:
    """The comma-separated or repeated values of one query key, as text."""
    if raw is None:
        return []
    items = list(raw) if isinstance(raw, list | tuple) else [raw]
    return [v for item in items for v in str(item).split(",") if v.strip()]


def _known(raw: object, options: Sequence[str]) -> list[str]:
    """The values of ``raw`` that are among ``options``, in the order given."""
    known = []
    for token in _raw_values(raw):
        # A '+' typed in a query string decodes to a space: '50+' arrives as '50 '.
        for candidate in (token.strip(), token.replace(" ", "+").strip()):
            if candidate in options:
                known.append(candidate)
                break
    return known


def default_period(months: Sequence[str]) -> tuple[str, str]:
    """The latest months: a year, or less when the data is too short to show the year before,
    so that the opening view can always compare with a previous period."""
    n = max(1, min(DEFAULT_N_MONTHS, len(months) // 2))
    return months[-n], months[-1]


def parse_query(query: Mapping[str, str | Sequence[str]],
                allowed: Mapping[str, Sequence[str]]) -> dict[str, str | list[str]]:
    """Control values for each name in ``allowed`` from a parsed query; anything unknown is dropped.

    ``allowed`` maps a query key to its permitted values in display order (months ascending).
    """
    values: dict[str, str | list[str]] = {}
    for name, options in allowed.items():
        known = _known(query.get(name), options)
        if name in MULTI or name in PAGE_MULTI:
            wanted = set(known)
            values[name] = [o for o in options if o in wanted]
        elif name in PERIOD:
            continue
        else:
            fallback = (CHOICES[name][0][0] if name in CHOICES
                        else options[0] if options else OPEN_CHOICES.get(name))
            values[name] = known[0] if known else fallback
    # No months at all only comes from a forged request (the controls always have options).
    months = list(allowed.get("from") or allowed.get("to") or ())
    if months:
        default_from, default_to = default_period(months)
        month_from = next(iter(_known(query.get("from"), months)), default_from)
        month_to = next(iter(_known(query.get("to"), months)), default_to)
        values["from"], values["to"] = sorted((month_from, month_to))
    return values


def parse_search(search: str | None, allowed: Mapping[str, Sequence[str]]
                 ) -> dict[str, str | list[str]]:
    query = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    return parse_query(query, allowed)


def to_search(values: Mapping[str, str | Sequence[str] | None]) -> str:
    """The query string of a view: the period always, other filters only when set."""
    pairs: list[tuple[str, str]] = []
    for name in (*COMMON, *PAGE_MULTI, *CHOICES, *OPEN_CHOICES):
        value = values.get(name)
        if name in MULTI or name in PAGE_MULTI:
            if value:
                pairs.append((name, ",".join(value)))
        elif name in CHOICES:
            if value and value != CHOICES[name][0][0]:
                pairs.append((name, value))
        elif name in OPEN_CHOICES:
            if value and value != OPEN_CHOICES[name]:
                pairs.append((name, value))
        elif value:
            pairs.append((name, value))
    return "?" + urlencode(pairs, safe=",", quote_via=quote) if pairs else ""


def common_search(search: str | None) -> str:
    """Only the filters every page shares, for links to another page."""
    return carried_search(search, COMMON)


def carried_search(search: str | None, keys: Sequence[str]) -> str:
    """The ``keys`` of a query string, for links; regions the user may not see are left out
    (a crafted URL cannot make the app write another region into its links)."""
    query = scoped_query(parse_qs((search or "").lstrip("?")))
    pairs = [(k, ",".join(query[k])) for k in keys if query.get(k)]
    return "?" + urlencode(pairs, safe=",", quote_via=quote) if pairs else ""


def scoped_query(query: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """A parsed query less the regions the current user may not see."""
    allowed = access.allowed_regions()
    out = {k: list(v) for k, v in query.items()}
    if allowed is not None and "region" in out:
        out["region"] = [",".join(r for r in _raw_values(out["region"]) if r in allowed)]
        if not out["region"][0]:
            del out["region"]
    return out


def to_filters(values: Mapping[str, str | Sequence[str] | None]) -> Filters:
    """The query object for validated control values."""

    def month(v: str) -> dt.date:
        return dt.date(int(v[:4]), int(v[5:7]), 1)

    month_from, month_to = sorted((month(values["from"]), month(values["to"])))
    return Filters(month_from, month_to,
                   **{name: tuple(values.get(name) or ()) for name in MULTI})


# -- options and layout ----------------------------------------------------------------------

def month_options(data_from: dt.date, data_to: dt.date) -> list[str]:
    months, month = [], data_from
    while month <= data_to:
        months.append(month_value(month))
        month = add_months(month, 1)
    return months


def allowed_values(data_from: dt.date, data_to: dt.date, region_codes: Sequence[str],
                   extras: Sequence[str] = ()) -> dict[str, list[str]]:
    months = month_options(data_from, data_to)
    allowed: dict[str, list[str]] = {"from": months, "to": months, "region": list(region_codes)}
    allowed.update({name: list(values) for name, values in SEGMENTS.items()})
    allowed.update({name: [v for v, _ in CHOICES[name]] for name in extras})
    return allowed


def _field(name: str, control) -> html.Div:
    return html.Div([html.Label(LABELS[name], htmlFor=dom_id(name), className="filter-label"),
                     control], className=f"filter-field filter-{name}")


def filter_bar(values: Mapping[str, str | list[str]], allowed: Mapping[str, Sequence[str]],
               region_names: Mapping[str, str], extras: Sequence[str] = ()) -> html.Section:
    """The filters of a page; ``extras`` adds page-specific choices such as 'measure'."""
    month_opts = [{"label": fmt_month(dt.date(int(m[:4]), int(m[5:7]), 1)), "value": m}
                  for m in allowed["from"]]
    fields = [
        _field(name, dcc.Dropdown(id=fid(name), options=month_opts, value=values[name],
                                  clearable=False))
        for name in PERIOD
    ]
    fields.append(_field("region", dcc.Dropdown(
        id=fid("region"), multi=True, value=values["region"], placeholder="All regions",
        options=[{"label": f"{region_names.get(c, c)} ({c})", "value": c}
                 for c in allowed["region"]])))
    fields += [
        _field(name, dcc.Dropdown(id=fid(name), multi=True, value=values[name], placeholder="All",
                                  options=[{"label": label(v), "value": v} for v in allowed[name]]))
        for name in SEGMENTS
    ]
    fields += [
        html.Fieldset([html.Legend(LABELS[name], className="filter-label"),
                       dcc.RadioItems(id=fid(name), value=values[name], inline=True,
                                      options=[{"label": text, "value": v}
                                               for v, text in CHOICES[name]])],
                      className=f"filter-field filter-{name}")
        for name in extras
    ]
    return html.Section([
        html.H2("Filters", className="visually-hidden", id="filters-heading"),
        html.Div(fields, className="filter-grid"),
        html.P("Segment filters apply to job-seekers; employer contacts have no segment.",
               className="filter-hint"),
        # refresh=False: the URL is rewritten without telling the page router, so changing a
        # filter does not re-render (and unfocus) the page; Back/Forward still reach us.
        dcc.Location(id=URL_ID, refresh=False),
    ], className="filters", role="search", **{"aria-labelledby": "filters-heading"})


# -- the URL <-> controls callback -----------------------------------------------------------

def sync(trigger_is_url: bool, search: str | None, names: Sequence[str],
         values: Sequence[str | list[str] | None], options: Sequence[Sequence]
         ) -> tuple[object, object]:
    """What the sync callback returns: (new search or no_update, one new value or no_update
    per control; a wildcard output needs a list even when nothing changes)."""
    allowed = {name: [o["value"] if isinstance(o, dict) else o for o in opts or ()]
               for name, opts in zip(names, options, strict=True)}
    current = dict(zip(names, values, strict=True))
    unchanged = [no_update] * len(names)
    if trigger_is_url:
        wanted = parse_search(search, allowed)
        if all(wanted.get(n) == current[n] for n in names):
            return no_update, unchanged
        return no_update, [wanted.get(n) for n in names]
    # A control changed: normalise (e.g. from after to) and write the URL.
    as_query = {n: (v if isinstance(v, str) or v is None else list(v))
                for n, v in current.items() if v is not None}
    valid = parse_query(as_query, allowed)
    new_search = to_search(valid)
    new_values = unchanged if all(valid.get(n) == current[n] for n in names) \
        else [valid.get(n) for n in names]
    return (no_update if new_search == (search or "") else new_search), new_values


def register_callbacks(app) -> None:
    @app.callback(
        Output(URL_ID, "search"),
        Output(fid(ALL), "value"),
        Input(URL_ID, "search"),
        Input(fid(ALL), "value"),
        State(fid(ALL), "options"),
        prevent_initial_call=True,
    )
    def sync_url_and_filters(search, values, options):
        names = [item["id"]["name"] for item in ctx.inputs_list[1]]
        return sync(ctx.triggered_id == URL_ID, search, names, values,
                    scoped_options(names, options))


def scoped_options(names: Sequence[str], options: Sequence[Sequence]) -> list[Sequence]:
    """The controls' options as sent by the browser, less the regions the user may not see:
    a crafted request cannot make the URL or the controls name another region."""
    allowed = access.allowed_regions()
    if allowed is None:
        return list(options)
    return [[o for o in opts or () if (o["value"] if isinstance(o, dict) else o) in allowed]
            if name == "region" else opts for name, opts in zip(names, options, strict=True)]
