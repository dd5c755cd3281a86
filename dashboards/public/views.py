"""The public pages and the chart embeds: server-rendered HTML on the Dash app's Flask server.

    /public/                          index: every region and occupation group
    /public/region/<code>             one region's factsheet (ALL: all regions)
    /public/occupation/<code>         one ISCO-08 major group's factsheet
    /embed/<kind>/<code>/<chart>      one chart alone, for an iframe

``?lang=en|fr`` picks the language; every link carries it, so a copied URL keeps it. No login
and no script: the pages are plain HTML with inline SVG charts, read from ``public.*`` only.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import duckdb
from flask import Blueprint, Response, abort, render_template, request, url_for
from markupsafe import Markup

from dashboards import db
from dashboards.public import factsheet as fs
from dashboards.public import queries
from dashboards.public.api import API_PREFIX
from dashboards.public.i18n import (
    LANG_NAMES,
    LANGS,
    fmt_month,
    fmt_pct,
    fmt_timestamp,
    lang_or_default,
    other_lang,
    t,
)

log = logging.getLogger(__name__)
BP = "public_pages"
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
EMBED_CSP = PAGE_CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
EMBED_SIZE = {"width": 640, "height": 480}


def _api_url(endpoint: str, **params) -> str:
    return f"{API_PREFIX}/{endpoint}?" + urlencode(params)


def _status_line(release: dict, timezone: str, lang: str) -> dict:
    return {
        "synthetic": bool(release.get("is_synthetic")),
        "freshness": t("data_up_to", lang, month=fmt_month(release["data_to"], lang),
                       when=fmt_timestamp(release["published_at"], timezone, lang))
        if release.get("published_at") else "",
    }


def _about(release: dict, lang: str) -> str:
    return t("about_disclosure", lang, min_count=release["min_count"],
             base=release["rounding_base"], min_employers=release["min_employers"],
             dominance=fmt_pct(release["dominance_share"], lang),
             min_den=release["min_rate_denominator"])


def blueprint(app) -> Blueprint:
    """The public pages of ``app`` (a Dash app bound to its settings by dashboards.db.bind)."""
    bp = Blueprint(BP, __name__, template_folder="templates", static_folder="static",
                   static_url_path="/public/static")

    def settings():
        return getattr(app, db.SETTINGS_ATTRIBUTE)

    def warehouse() -> db.Warehouse:
        return db.warehouse_for(settings().published_db)

    def page_context(lang: str, endpoint: str, **view_args) -> dict:
        """What every page template needs: language, the switch, the permalink."""
        links = {code: url_for(endpoint, lang=code, **view_args) for code in LANGS}
        return {
            "lang": lang, "t": lambda key, **v: t(key, lang, **v),
            "lang_links": [(code, LANG_NAMES[code], links[code]) for code in LANGS],
            "other_lang": other_lang(lang),
            "permalink": url_for(endpoint, lang=lang, _external=True, **view_args),
            "home_url": url_for(f"{BP}.index", lang=lang),
            "api_index": url_for("public_api.index"),
            "openapi_url": url_for("public_api.openapi_json"),
            "bp": BP,
        }

    def unavailable(lang: str, status: int, message: str, endpoint: str, **view_args):
        html = render_template("public/message.html", message=message,
                               page_title=t("site_name", lang),
                               **page_context(lang, endpoint, **view_args))
        return Response(html, status=status)

    @bp.after_request
    def security_headers(response: Response) -> Response:
        embed = request.path.startswith("/embed/")
        response.headers["Content-Security-Policy"] = EMBED_CSP if embed else PAGE_CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        return response

    @bp.get("/public")
    @bp.get("/public/")  # registered first, so links use it
    def index():
        lang = lang_or_default(request.args.get("lang"))
        try:
            wh = warehouse()
            release = queries.release(wh)
            regions = queries.regions(wh)
            groups = queries.occupation_groups(wh, level=1)
        except (db.NoDataYet, duckdb.CatalogException):
            return unavailable(lang, 503, t("no_data", lang), f"{BP}.index")
        region_links = [(t("all_regions", lang), url_for(f"{BP}.region", code=fs.ALL, lang=lang))]
        region_links += [(r["region_name"], url_for(f"{BP}.region", code=r["region_code"],
                                                    lang=lang))
                         for r in regions.iter_rows(named=True)]
        group_links = [(fs.occupation_label(g, lang) + f" ({t('isco', lang, code=g['isco_code'])})",
                        url_for(f"{BP}.occupation", code=g["isco_code"], lang=lang))
                       for g in groups.iter_rows(named=True)]
        return render_template(
            "public/index.html", region_links=region_links, group_links=group_links,
            about=_about(release, lang), **_status_line(release, settings().timezone, lang),
            page_title=t("site_name", lang), **page_context(lang, f"{BP}.index"))

    def _factsheet(kind: str, code: str, lang: str) -> fs.Factsheet:
        build = fs.region_factsheet if kind == "region" else fs.occupation_factsheet
        return build(warehouse(), code, lang, _api_url)

    def _render_factsheet(kind: str, code: str):
        lang = lang_or_default(request.args.get("lang"))
        endpoint = f"{BP}.{kind}"
        try:
            sheet = _factsheet(kind, code, lang)
        except fs.NotFound:
            return unavailable(lang, 404, t("not_found", lang, code=code), endpoint, code=code)
        except (db.NoDataYet, duckdb.CatalogException):
            return unavailable(lang, 503, t("no_data", lang), endpoint, code=code)
        downloads = list(dict.fromkeys(sheet.downloads))  # each link once, in order
        embeds = {s.id: embed_snippet(kind, code, s.id, s.title, sheet.name, lang)
                  for s in sheet.sections if s.chart is not None}
        return render_template(
            "public/factsheet.html", sheet=sheet, downloads=downloads, embeds=embeds,
            kind_label=t(f"{kind}_kind", lang), about=_about(sheet.release, lang),
            **_status_line(sheet.release, settings().timezone, lang),
            page_title=sheet.title, **page_context(lang, endpoint, code=code))

    def embed_snippet(kind: str, code: str, chart: str, title: str, name: str, lang: str) -> str:
        src = url_for(f"{BP}.embed", kind=kind, code=code, chart=chart, lang=lang, _external=True)
        return (f'<iframe src="{src}" title="{Markup.escape(f"{title} – {name}")}" '
                f'width="{EMBED_SIZE["width"]}" height="{EMBED_SIZE["height"]}" '
                f'loading="lazy" style="border:0;max-width:100%"></iframe>')

    @bp.get("/public/region/<code>")
    def region(code: str):
        return _render_factsheet("region", code)

    @bp.get("/public/occupation/<code>")
    def occupation(code: str):
        return _render_factsheet("occupation", code)

    @bp.get("/embed/<kind>/<code>/<chart>")
    def embed(kind: str, code: str, chart: str):
        lang = lang_or_default(request.args.get("lang"))
        if kind not in ("region", "occupation"):
            abort(404)
        view = {"kind": kind, "code": code, "chart": chart}
        try:
            sheet = _factsheet(kind, code, lang)
            section = sheet.section(chart)
        except fs.NotFound:
            return unavailable(lang, 404, t("not_found", lang, code=f"{code}/{chart}"),
                               f"{BP}.embed", **view)
        except (db.NoDataYet, duckdb.CatalogException):
            return unavailable(lang, 503, t("no_data", lang), f"{BP}.embed", **view)
        full = url_for(f"{BP}.{kind}", code=code, lang=lang, _external=True) + f"#{chart}"
        return render_template(
            "public/embed.html", sheet=sheet, section=section, full_url=full,
            page_title=f"{section.title} – {sheet.name}", **page_context(lang, f"{BP}.embed",
                                                                        **view))

    return bp
