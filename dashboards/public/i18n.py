"""English and French for the public pages: every label, and numbers and dates in the locale.

Formatting follows CLDR conventions without a locale library: English ``12,345`` and ``45.3%``;
French ``12 345`` (narrow no-break space) and ``45,3 %`` (no-break space before the sign).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LANGS = ("en", "fr")
DEFAULT_LANG = "en"
LANG_NAMES = {"en": "English", "fr": "Français"}
NNBSP, NBSP = "\u202f", "\u00a0"

MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
}
MONTHS_SHORT = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
}

# Eurostat age groups of the unemployment series the public marts may hold.
AGE_GROUPS = {
    "Y15-74": {"en": "aged 15 to 74", "fr": "15 à 74 ans"},
    "TOTAL": {"en": "all ages", "fr": "tous âges"},
    "Y_GE15": {"en": "aged 15 or over", "fr": "15 ans ou plus"},
    "Y25-74": {"en": "aged 25 to 74", "fr": "25 à 74 ans"},
    "Y20-64": {"en": "aged 20 to 64", "fr": "20 à 64 ans"},
    "Y_LT25": {"en": "under 25", "fr": "moins de 25 ans"},
}
COUNTRIES = {"FR": {"en": "France", "fr": "France"}, "DE": {"en": "Germany", "fr": "Allemagne"},
             "BE": {"en": "Belgium", "fr": "Belgique"}, "LU": {"en": "Luxembourg",
                                                            "fr": "Luxembourg"},
             "ES": {"en": "Spain", "fr": "Espagne"}, "IT": {"en": "Italy", "fr": "Italie"},
             "NL": {"en": "Netherlands", "fr": "Pays-Bas"}, "AT": {"en": "Austria",
                                                                 "fr": "Autriche"}}

STRINGS: dict[str, dict[str, str]] = {
    "site_name": {"en": "Labour-market factsheets", "fr": "Fiches sur le marché du travail"},
    "site_tagline": {"en": "Public Employment Service figures for everyone: job-seekers, "
                           "vacancies and job access, by region and by occupation.",
                     "fr": "Les chiffres du service public de l'emploi pour tous : "
                           "demandeurs d'emploi, offres d'emploi et accès à l'emploi, "
                           "par région et par métier."},
    "skip": {"en": "Skip to main content", "fr": "Aller au contenu principal"},
    "language": {"en": "Language", "fr": "Langue"},
    "home": {"en": "All factsheets", "fr": "Toutes les fiches"},
    "synthetic": {"en": "Synthetic demo data", "fr": "Données de démonstration fictives"},
    "synthetic_title": {"en": "Generated for demonstration: these are not real figures.",
                        "fr": "Générées pour la démonstration : ce ne sont pas des chiffres "
                              "réels."},
    "data_up_to": {"en": "Data up to {month}, published {when}.",
                   "fr": "Données jusqu'à {month}, publiées le {when}."},
    "regions": {"en": "Regions", "fr": "Régions"},
    "occupations": {"en": "Occupation groups (ISCO-08)", "fr": "Groupes de métiers (CITP-08)"},
    "all_regions": {"en": "All regions", "fr": "Toutes les régions"},
    "all_occupations": {"en": "All occupations", "fr": "Tous les métiers"},
    "region_title": {"en": "{name}: labour-market factsheet",
                     "fr": "{name} : fiche sur le marché du travail"},
    "occupation_title": {"en": "{name}: labour-market factsheet",
                         "fr": "{name} : fiche sur le marché du travail"},
    "region_kind": {"en": "Region", "fr": "Région"},
    "occupation_kind": {"en": "Occupation group", "fr": "Groupe de métiers"},
    "isco": {"en": "ISCO {code}", "fr": "CITP {code}"},
    "permalink": {"en": "Link to this factsheet", "fr": "Lien vers cette fiche"},
    "permalink_chart": {"en": "Link to this chart", "fr": "Lien vers ce graphique"},
    "downloads": {"en": "Download the data", "fr": "Télécharger les données"},
    "download_csv": {"en": "CSV", "fr": "CSV"},
    "download_parquet": {"en": "Parquet", "fr": "Parquet"},
    "download_of": {"en": "{what} ({fmt})", "fr": "{what} ({fmt})"},
    "api_docs": {"en": "Open-data API (OpenAPI description)",
                 "fr": "API de données ouvertes (description OpenAPI)"},
    "embed": {"en": "Embed this chart", "fr": "Intégrer ce graphique"},
    "embed_label": {"en": "HTML code to paste into your page",
                    "fr": "Code HTML à coller dans votre page"},
    "show_table": {"en": "Show the data as a table", "fr": "Afficher les données en tableau"},
    "what_this_means": {"en": "What this means:", "fr": "Ce que cela signifie :"},
    "month": {"en": "Month", "fr": "Mois"},
    "confidential": {"en": "confidential", "fr": "confidentiel"},
    "confidential_abbr": {"en": "c", "fr": "c"},
    "not_available": {"en": "not yet known", "fr": "pas encore connu"},
    "legend_confidential": {
        "en": "c: not published, to protect the confidentiality of people or employers "
              "(too few of them, or a value that others would give away).",
        "fr": "c : non publié, pour protéger la confidentialité des personnes ou des "
              "employeurs (trop peu nombreux, ou valeur que d'autres chiffres "
              "permettraient de retrouver)."},
    "about_disclosure": {
        "en": "To protect privacy, counts of people below {min_count} are not published and "
              "the others are rounded to the nearest {base}; vacancy figures are published "
              "only where at least {min_employers} employers contribute and none makes up "
              "more than {dominance} of them; rates are not published on fewer than "
              "{min_den} people. Other cells are hidden too when a hidden value could be "
              "worked out from totals.",
        "fr": "Pour protéger la vie privée, les effectifs de personnes inférieurs à "
              "{min_count} ne sont pas publiés et les autres sont arrondis à {base} près ; "
              "les offres ne sont publiées que si au moins {min_employers} employeurs y "
              "contribuent et qu'aucun n'en représente plus de {dominance} ; les taux ne "
              "sont pas publiés sur moins de {min_den} personnes. D'autres cases sont aussi "
              "masquées lorsqu'une valeur masquée pourrait être retrouvée à partir des "
              "totaux."},
    "source_pes": {"en": "Source: Public Employment Service registers, statistical "
                         "disclosure control applied.",
                   "fr": "Source : registres du service public de l'emploi, secret "
                         "statistique appliqué."},
    "access_all_occupations": {
        "en": "Job access is published for all occupations together: this chart covers every "
              "occupation and every region.",
        "fr": "L'accès à l'emploi est publié pour l'ensemble des métiers : ce graphique porte "
              "sur tous les métiers et toutes les régions."},
    "no_data": {"en": "No data has been published yet. Please come back later.",
                "fr": "Aucune donnée n'a encore été publiée. Revenez plus tard."},
    "not_found": {"en": "There is no factsheet for “{code}”.",
                  "fr": "Il n'y a pas de fiche pour « {code} »."},
    "full_factsheet": {"en": "See the full factsheet: {name}",
                       "fr": "Voir la fiche complète : {name}"},
    "opens_new_tab": {"en": "(opens in a new tab)", "fr": "(s'ouvre dans un nouvel onglet)"},
    "footer": {"en": "PES Observatory · open data under the Apache-2.0 project; official "
                     "statistics keep their publishers' licences.",
               "fr": "PES Observatory · données ouvertes du projet Apache-2.0 ; les "
                     "statistiques officielles gardent la licence de leur éditeur."},
    "contents": {"en": "On this page", "fr": "Sur cette page"},
    "intro_regions": {"en": "Choose a region:", "fr": "Choisissez une région :"},
    "intro_occupations": {"en": "Choose an occupation group:",
                          "fr": "Choisissez un groupe de métiers :"},
    "open_data": {"en": "Open data", "fr": "Données ouvertes"},
    "open_data_text": {
        "en": "Every figure on these pages can be downloaded as CSV or Parquet, or read "
              "from a JSON API.",
        "fr": "Chaque chiffre de ces pages peut être téléchargé en CSV ou en Parquet, ou lu "
              "depuis une API JSON."},
    "privacy": {"en": "Privacy", "fr": "Confidentialité"},
    # -- sections ------------------------------------------------------------------------
    "jobseekers_title": {"en": "Registered job-seekers", "fr": "Demandeurs d'emploi inscrits"},
    "jobseekers_occupation_title": {
        "en": "Registered job-seekers seeking this occupation group",
        "fr": "Demandeurs d'emploi inscrits recherchant un métier de ce groupe"},
    "jobseekers_occupation_caption": {
        "en": "People registered at the end of each month whose occupation sought is in this "
              "group, all regions. The register records one occupation sought per job-seeker.",
        "fr": "Personnes inscrites à la fin de chaque mois dont le métier recherché relève de "
              "ce groupe, toutes régions. Le registre indique un métier recherché par "
              "demandeur."},
    "n_jobseekers_seeking": {"en": "Job-seekers seeking this group",
                             "fr": "Demandeurs recherchant ce groupe"},
    "n_jobseekers_all": {"en": "All job-seekers", "fr": "Ensemble des demandeurs"},
    "jobseekers_caption": {"en": "People registered at the end of each month.",
                           "fr": "Personnes inscrites à la fin de chaque mois."},
    "n_jobseekers": {"en": "Job-seekers registered", "fr": "Demandeurs d'emploi inscrits"},
    "n_new_registrations": {"en": "New registrations", "fr": "Nouvelles inscriptions"},
    "n_exits_employment": {"en": "Left the register for a job",
                           "fr": "Sorties pour reprise d'emploi"},
    "vacancies_title": {"en": "Job vacancies", "fr": "Offres d'emploi"},
    "vacancies_caption": {"en": "Vacancies notified to the Public Employment Service: open at "
                                "the end of each month, and newly posted in the month.",
                          "fr": "Offres déposées auprès du service public de l'emploi : en "
                                "cours à la fin de chaque mois, et nouvelles dans le mois."},
    "n_vacancies_open": {"en": "Open vacancies", "fr": "Offres en cours"},
    "n_vacancies_posted": {"en": "New vacancies", "fr": "Nouvelles offres"},
    "top_title": {"en": "Occupations most in demand", "fr": "Métiers les plus demandés"},
    "top_caption": {"en": "Open vacancies at the end of {month}, by occupation.",
                    "fr": "Offres en cours à la fin de {month}, par métier."},
    "occupation": {"en": "Occupation", "fr": "Métier"},
    "by_region_title": {"en": "Where the vacancies are", "fr": "Où sont les offres"},
    "by_region_caption": {"en": "Open vacancies at the end of {month}, by region.",
                          "fr": "Offres en cours à la fin de {month}, par région."},
    "region": {"en": "Region", "fr": "Région"},
    "tension_title": {"en": "Labour-market tension", "fr": "Tension sur le marché du travail"},
    "tension_caption": {"en": "Open vacancies for every 100 registered job-seekers. Higher "
                              "means more vacancies per job-seeker.",
                        "fr": "Offres en cours pour 100 demandeurs d'emploi inscrits. Plus "
                              "le chiffre est élevé, plus il y a d'offres par demandeur."},
    "tension_occupation_caption": {
        "en": "Open vacancies in this occupation group for every 100 job-seekers seeking it, "
              "all regions. Higher means more vacancies per job-seeker.",
        "fr": "Offres en cours dans ce groupe de métiers pour 100 demandeurs d'emploi qui le "
              "recherchent, toutes régions. Plus le chiffre est élevé, plus il y a d'offres "
              "par demandeur."},
    "rate_tension": {"en": "Vacancies per 100 job-seekers",
                     "fr": "Offres pour 100 demandeurs"},
    "access_title": {"en": "Six-month job-access rate", "fr": "Taux d'accès à l'emploi à six mois"},
    "access_all_title": {"en": "Six-month job-access rate (all occupations)",
                         "fr": "Taux d'accès à l'emploi à six mois (tous métiers)"},
    "access_caption": {"en": "Share of the people who registered in a month who left the "
                             "register for a job within six months. Known only for months "
                             "at least six months before the latest data.",
                       "fr": "Part des personnes inscrites dans le mois qui ont quitté le "
                             "registre pour un emploi dans les six mois. Connu seulement "
                             "pour les mois antérieurs d'au moins six mois aux dernières "
                             "données."},
    "rate_job_access_6m": {"en": "Found a job within 6 months",
                           "fr": "Emploi trouvé en 6 mois"},
    "registration_month": {"en": "Month of registration", "fr": "Mois d'inscription"},
    "unemployment_title": {"en": "Official context: unemployment rate",
                           "fr": "Contexte officiel : taux de chômage"},
    "unemployment_caption": {"en": "Eurostat unemployment rate (ILO definition, Labour Force "
                                   "Survey): unemployed people as a share of the labour force. "
                                   "It is not the count of registered job-seekers.",
                             "fr": "Taux de chômage d'Eurostat (définition du BIT, enquête "
                                   "Forces de travail) : chômeurs en part de la population "
                                   "active. Ce n'est pas le nombre de demandeurs d'emploi "
                                   "inscrits."},
    "unemployment_rate": {"en": "Unemployment rate", "fr": "Taux de chômage"},
    "period": {"en": "Period", "fr": "Période"},
    "area": {"en": "Area", "fr": "Zone"},
    "flags": {"en": "Eurostat flags", "fr": "Indicateurs Eurostat"},
    "no_official": {"en": "No official unemployment statistics have been loaded for this area.",
                    "fr": "Aucune statistique officielle de chômage n'a été chargée pour "
                          "cette zone."},
    "source_eurostat": {"en": "Source: Eurostat ({dataset}), updated {updated}.",
                        "fr": "Source : Eurostat ({dataset}), mise à jour du {updated}."},
    # -- "what this means" and alt text ----------------------------------------------------
    "where_region": {"en": "in {name}", "fr": "dans la région {name}"},
    "where_all": {"en": "across all regions", "fr": "dans l'ensemble des régions"},
    "where_occupation": {"en": "for “{name}” (all regions)",
                         "fr": "pour « {name} » (toutes régions)"},
    "where_seeking": {"en": "seeking “{name}” (all regions)",
                      "fr": "recherchant « {name} » (toutes régions)"},
    "wtm_count": {
        "en": "In {month}, {value} {what} {where}: {change} than a year earlier "
              "({previous} in {previous_month}).",
        "fr": "En {month}, on compte {value} {what} {where} : {change} qu'un an plus tôt "
              "({previous} en {previous_month})."},
    "wtm_count_since": {
        "en": "In {month}, {value} {what} {where}: {change} than in {previous_month} "
              "({previous}).",
        "fr": "En {month}, on compte {value} {what} {where} : {change} qu'en "
              "{previous_month} ({previous})."},
    "wtm_count_only": {"en": "In {month}, {value} {what} {where}.",
                       "fr": "En {month}, on compte {value} {what} {where}."},
    "wtm_none": {"en": "The figures are not published, to protect confidentiality.",
                 "fr": "Les chiffres ne sont pas publiés, pour protéger la confidentialité."},
    "what_jobseekers": {"en": "people were registered as job-seekers",
                        "fr": "demandeurs d'emploi inscrits"},
    "what_jobseekers_seeking": {"en": "people seeking a job in “{name}” were registered",
                                "fr": "demandeurs d'emploi recherchant un métier du groupe "
                                      "« {name} »"},
    "wtm_jobseekers_share": {
        "en": " That is {share} of all registered job-seekers in {month}.",
        "fr": " Cela représente {share} de l'ensemble des demandeurs d'emploi inscrits en "
              "{month}."},
    "what_vacancies": {"en": "vacancies were open", "fr": "offres en cours"},
    "more_pct": {"en": "{pct} more", "fr": "{pct} de plus"},
    "fewer_pct": {"en": "{pct} fewer", "fr": "{pct} de moins"},
    "same": {"en": "about as many", "fr": "à peu près autant"},
    "wtm_tension": {
        "en": "In {month}, there were {value} open vacancies for every 100 job-seekers "
              "{where}{compare}.",
        "fr": "En {month}, on compte {value} offres en cours pour 100 demandeurs d'emploi "
              "{where}{compare}."},
    "wtm_tension_compare": {"en": ", against {other} across all regions: {judgement}",
                            "fr": ", contre {other} dans l'ensemble des régions : {judgement}"},
    "wtm_tension_compare_occupations": {
        "en": ", against {other} for all occupations: {judgement}",
        "fr": ", contre {other} pour l'ensemble des métiers : {judgement}"},
    "tension_more": {"en": "more vacancies per job-seeker than overall",
                     "fr": "plus d'offres par demandeur que dans l'ensemble"},
    "tension_less": {"en": "fewer vacancies per job-seeker than overall",
                     "fr": "moins d'offres par demandeur que dans l'ensemble"},
    "tension_same": {"en": "about the same as overall", "fr": "à peu près comme dans l'ensemble"},
    "wtm_access": {
        "en": "Of the people who registered {where} in {month}, {value} had left the "
              "register for a job within six months{compare}.",
        "fr": "Parmi les personnes inscrites {where} en {month}, {value} ont quitté le "
              "registre pour un emploi dans les six mois{compare}."},
    "wtm_access_compare": {"en": " (all regions: {other})",
                           "fr": " (ensemble des régions : {other})"},
    "wtm_top": {"en": "At the end of {month}, the most open vacancies {where} were for: {items}.",
                "fr": "À la fin de {month}, les offres en cours les plus nombreuses {where} "
                      "concernaient : {items}."},
    "wtm_top_hidden": {"en": " {n} more are not shown, to protect employers' confidentiality.",
                       "fr": " {n} autres ne sont pas affichés, pour protéger la "
                             "confidentialité des employeurs."},
    "and": {"en": "and", "fr": "et"},
    "wtm_regions": {"en": "At the end of {month}, {first} had the most open vacancies for "
                          "this group{second}.",
                    "fr": "À la fin de {month}, la région {first} comptait le plus d'offres "
                          "en cours pour ce groupe{second}."},
    "wtm_regions_second": {"en": ", followed by {name} ({value})",
                           "fr": ", suivie de {name} ({value})"},
    "wtm_unemployment": {
        "en": "The unemployment rate ({geo}, {age}) was {value} in {period}{change}.",
        "fr": "Le taux de chômage ({geo}, {age}) était de {value} en {period}{change}."},
    "wtm_unemployment_change": {"en": ", {direction} from {previous} a year earlier",
                                "fr": ", {direction} par rapport à {previous} un an plus tôt"},
    "up": {"en": "up", "fr": "en hausse"},
    "down": {"en": "down", "fr": "en baisse"},
    "unchanged": {"en": "unchanged", "fr": "stable"},
    "fallback_country": {
        "en": "No regional unemployment rate is loaded for {area}: Eurostat's regional series "
              "in the warehouse uses NUTS 2010 region codes, which do not match this region's "
              "NUTS 2021 code. The national figure for {country} is shown instead.",
        "fr": "Aucun taux de chômage régional n'est chargé pour {area} : la série régionale "
              "d'Eurostat présente dans l'entrepôt utilise les codes de régions NUTS 2010, "
              "qui ne correspondent pas au code NUTS 2021 de cette région. Le chiffre "
              "national ({country}) est affiché à la place."},
    "national_context": {
        "en": "Unemployment is not measured by occupation in the loaded statistics: the "
              "national rate is shown.",
        "fr": "Le chômage n'est pas mesuré par métier dans les statistiques chargées : le "
              "taux national est affiché."},
    "national_figure": {
        "en": "National figure ({country}): {value} in {period} (Eurostat {dataset}).",
        "fr": "Chiffre national ({country}) : {value} en {period} (Eurostat {dataset})."},
    "alt_line": {
        "en": "Line chart: {title}, {area}, monthly from {first} to {last}. {series}",
        "fr": "Graphique en courbes : {title}, {area}, mensuel de {first} à {last}. {series}"},
    "alt_series": {
        "en": "{name}: lowest {low} in {low_at}, highest {high} in {high_at}, latest {latest} "
              "in {latest_at}.",
        "fr": "{name} : minimum {low} en {low_at}, maximum {high} en {high_at}, dernier "
              "chiffre {latest} en {latest_at}."},
    "alt_hidden": {"en": "{n} months not published.", "fr": "{n} mois non publiés."},
    "alt_bar": {"en": "Bar chart: {title}. {items}",
                "fr": "Graphique en barres : {title}. {items}"},
    "alt_empty": {"en": "No published values to draw.", "fr": "Aucune valeur publiée à tracer."},
}


def lang_or_default(value: str | None) -> str:
    """A supported language from a query value; anything else gives the default."""
    return value if value in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **values) -> str:
    """The text ``key`` in ``lang`` with ``values`` filled in."""
    text = STRINGS[key][lang]
    return text.format(**values) if values else text


def other_lang(lang: str) -> str:
    return "fr" if lang == "en" else "en"


# -- numbers ---------------------------------------------------------------------------------

def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    return sep.join([digits[:head], *[digits[i:i + 3] for i in range(head, len(digits), 3)]])


def fmt_number(x: float | None, lang: str, decimals: int = 0) -> str:
    """12345.6 -> '12,345.6' (en) or '12 345,6' (fr); None -> '–'."""
    if x is None:
        return "–"
    sign = "-" if x < 0 else ""
    text = f"{abs(x):.{decimals}f}"
    whole, _, frac = text.partition(".")
    if lang == "fr":
        whole = _group(whole, NNBSP)
        return sign + whole + ("," + frac if frac else "")
    whole = _group(whole, ",")
    return sign + whole + ("." + frac if frac else "")


def fmt_pct(share: float | None, lang: str, decimals: int = 0) -> str:
    """0.453 -> '45%' (en) / '45 %' (fr), with ``decimals`` after the point."""
    if share is None:
        return "–"
    number = fmt_number(share * 100, lang, decimals)
    return number + (f"{NBSP}%" if lang == "fr" else "%")


def fmt_rate(value: float | None, lang: str) -> str:
    """A rate in per cent already (Eurostat): 7.1 -> '7.1%' / '7,1 %'."""
    return "–" if value is None else fmt_pct(value / 100, lang, 1)


# -- dates -----------------------------------------------------------------------------------

def fmt_month(month: dt.date, lang: str, short: bool = False) -> str:
    """2026-10-01 -> 'October 2026' / 'octobre 2026' (short: 'Oct 2026' / 'oct. 2026')."""
    names = MONTHS_SHORT if short else MONTHS
    return f"{names[lang][month.month - 1]} {month.year}"


def fmt_period(period: str, lang: str) -> str:
    """A Eurostat period: '2026-01' -> 'January 2026'; '2013' and '2024-Q3' as they are."""
    if len(period) == 7 and period[4] == "-" and period[5:].isdigit():
        return fmt_month(dt.date(int(period[:4]), int(period[5:]), 1), lang)
    if "-Q" in period:
        year, quarter = period.split("-Q")
        return f"Q{quarter} {year}" if lang == "en" else f"{quarter}e trimestre {year}"
    return period


def fmt_date(day: dt.date, lang: str) -> str:
    """2026-01-05 -> '5 January 2026' / '5 janvier 2026'."""
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def fmt_timestamp(ts: dt.datetime, timezone: str, lang: str) -> str:
    """An instant in the PES time zone: '5 January 2026, 09:30' / '5 janvier 2026 à 09:30'."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    local = ts.astimezone(ZoneInfo(timezone))
    joiner = ", " if lang == "en" else " à "
    return f"{fmt_date(local.date(), lang)}{joiner}{local:%H:%M}"


def month_param(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def country_name(code: str, lang: str) -> str:
    return COUNTRIES.get(code, {}).get(lang, code)


def age_group(code: str | None, lang: str) -> str:
    if code is None:
        return ""
    return AGE_GROUPS.get(code, {}).get(lang, code)
