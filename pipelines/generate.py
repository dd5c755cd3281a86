"""Seeded, vectorised generator of the synthetic demo data set.

Every figure it is calibrated on, and its source, is in docs/calibration.md. The output is a
set of raw exports, as a PES would land them: agencies, job-seeker registration spells,
vacancies and one interaction file per month, plus ``_synthetic.json``, which lists every
file's hash so that ingestion can flag the loaded rows as synthetic.

Rows are drawn with NumPy arrays (one loop over months at most, never over rows), so the
default set takes seconds and ten million interactions well under two minutes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines import contracts as ct

GENERATOR = "pes-observatory demo"
MANIFEST_NAME = "_synthetic.json"
FILE_FORMATS = ("parquet", "csv")


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 42
    n_jobseekers: int = 50_000  # registration spells' persons
    n_employers: int = 2_000
    months: int = 36
    end_month: str = "2026-10"  # last full month generated, YYYY-MM
    n_interactions: int | None = None  # None = as many as behaviour implies; else exactly this
    file_format: str = "parquet"  # "parquet" or "csv" for the big tables


# =============================================================================================
# Reference tables and calibration constants (docs/calibration.md gives the sources)
# =============================================================================================

# NUTS 2021 level-1 codes of the 13 metropolitan regions; population in millions (Insee legal
# populations 2021, rounded), used only as weights for where job-seekers and employers live.
REGIONS = (
    ("FR1", "Île-de-France", 12.32),
    ("FRB", "Centre-Val de Loire", 2.57),
    ("FRC", "Bourgogne-Franche-Comté", 2.80),
    ("FRD", "Normandie", 3.33),
    ("FRE", "Hauts-de-France", 6.00),
    ("FRF", "Grand Est", 5.56),
    ("FRG", "Pays de la Loire", 3.85),
    ("FRH", "Bretagne", 3.39),
    ("FRI", "Nouvelle-Aquitaine", 6.03),
    ("FRJ", "Occitanie", 5.97),
    ("FRK", "Auvergne-Rhône-Alpes", 8.08),
    ("FRL", "Provence-Alpes-Côte d'Azur", 5.10),
    ("FRM", "Corse", 0.34),
)

# Agency code = département (2 characters, "2A"/"2B" for Corsica, leading zero kept) + a
# 3-digit number. Weight = relative size of the agency within its region.
AGENCIES = (
    ("75001", "Paris 13e Tolbiac", "FR1", 48.8265, 2.3570, 1.2),
    ("75002", "Paris 19e Flandre", "FR1", 48.8870, 2.3740, 1.2),
    ("93001", "Saint-Denis Pleyel", "FR1", 48.9190, 2.3430, 1.1),
    ("94001", "Créteil Préfecture", "FR1", 48.7790, 2.4540, 1.0),
    ("92001", "Nanterre Université", "FR1", 48.9010, 2.2150, 0.9),
    ("95001", "Cergy Préfecture", "FR1", 49.0390, 2.0760, 0.8),
    ("45001", "Orléans La Source", "FRB", 47.8450, 1.9380, 1.0),
    ("37001", "Tours Nord", "FRB", 47.4230, 0.6950, 1.0),
    ("21001", "Dijon Clemenceau", "FRC", 47.3260, 5.0450, 1.1),
    ("25001", "Besançon Planoise", "FRC", 47.2180, 5.9730, 1.0),
    ("71001", "Chalon-sur-Saône", "FRC", 46.7800, 4.8540, 0.8),
    ("76001", "Rouen Saint-Sever", "FRD", 49.4330, 1.0850, 1.1),
    ("14001", "Caen Côte de Nacre", "FRD", 49.2000, -0.3650, 1.0),
    ("76002", "Le Havre Centre", "FRD", 49.4940, 0.1080, 0.9),
    ("59001", "Lille Vauban", "FRE", 50.6330, 3.0450, 1.2),
    ("59002", "Roubaix Gare", "FRE", 50.6940, 3.1750, 1.0),
    ("80001", "Amiens Nord", "FRE", 49.9150, 2.2950, 0.9),
    ("62001", "Calais Beau-Marais", "FRE", 50.9510, 1.8590, 0.8),
    ("67001", "Strasbourg Meinau", "FRF", 48.5580, 7.7580, 1.2),
    ("57001", "Metz Borny", "FRF", 49.1100, 6.2250, 1.0),
    ("54001", "Nancy Gentilly", "FRF", 48.6800, 6.1500, 0.9),
    ("51001", "Reims Clairmarais", "FRF", 49.2600, 4.0250, 0.9),
    ("44001", "Nantes Beaulieu", "FRG", 47.2080, -1.5350, 1.2),
    ("49001", "Angers Saint-Serge", "FRG", 47.4830, -0.5450, 0.9),
    ("72001", "Le Mans Université", "FRG", 48.0060, 0.1990, 0.9),
    ("35001", "Rennes Cleunay", "FRH", 48.1030, -1.7100, 1.2),
    ("29001", "Brest Kergaradec", "FRH", 48.4200, -4.4750, 0.9),
    ("56001", "Lorient Kervénanec", "FRH", 47.7620, -3.3800, 0.8),
    ("33001", "Bordeaux Bastide", "FRI", 44.8450, -0.5550, 1.3),
    ("87001", "Limoges Beaubreuil", "FRI", 45.8700, 1.2800, 0.8),
    ("86001", "Poitiers Sud", "FRI", 46.5600, 0.3450, 0.8),
    ("64001", "Pau Lescar", "FRI", 43.3150, -0.4100, 0.8),
    ("31001", "Toulouse Mirail", "FRJ", 43.5800, 1.4000, 1.3),
    ("34001", "Montpellier Près d'Arènes", "FRJ", 43.5920, 3.8880, 1.1),
    ("30001", "Nîmes Courbessac", "FRJ", 43.8370, 4.3950, 0.8),
    ("66001", "Perpignan Catalogne", "FRJ", 42.6990, 2.8950, 0.8),
    ("69001", "Lyon Part-Dieu", "FRK", 45.7605, 4.8590, 1.3),
    ("69002", "Villeurbanne Gratte-Ciel", "FRK", 45.7690, 4.8800, 1.0),
    ("38001", "Grenoble Europole", "FRK", 45.1910, 5.7130, 1.0),
    ("42001", "Saint-Étienne Châteaucreux", "FRK", 45.4430, 4.3990, 0.9),
    ("63001", "Clermont-Ferrand Montferrand", "FRK", 45.7950, 3.1120, 0.9),
    ("13001", "Marseille Joliette", "FRL", 43.3050, 5.3680, 1.4),
    ("06001", "Nice Saint-Roch", "FRL", 43.7150, 7.2850, 1.0),
    ("83001", "Toulon La Seyne", "FRL", 43.1000, 5.8800, 0.9),
    ("84001", "Avignon Courtine", "FRL", 43.9330, 4.7900, 0.8),
    ("2A001", "Ajaccio Empereur", "FRM", 41.9260, 8.7370, 1.0),
    ("2B001", "Bastia Lupino", "FRM", 42.6850, 9.4430, 1.0),
)

# --- registration spells --------------------------------------------------------------------
# Monthly exit hazard to employment by Dares age band (<25, 25-49, 50+), before the duration
# and seasonal factors; tuned so that the stock's rates land on 5.9% / 3.5% / 1.6%.
EXIT_EMPLOYMENT = np.array([0.0725, 0.0460, 0.0225])
# Hazard of leaving for any reason but a job or retirement, tuned so that jobs are ~42% of exits.
EXIT_OTHER = 0.049
# Retirement hazard from 60 on (3% of exits).
EXIT_RETIREMENT = 0.014
# Non-employment reasons other than retirement, shares from Dares (March 2014).
OTHER_REASONS = ("training", "no_renewal", "other", "sanction_or_removal", "other_benefit")
OTHER_REASON_SHARES = np.array([11.6, 19.6, 12.5, 6.0, 5.0])
EMPLOYED_3_MONTHS = 0.833
# Seasonal factor of job exits by calendar month: Q3 peak, Q4 dip.
SEASON_EXIT = np.array([0.95, 0.97, 1.02, 1.03, 1.00, 1.05, 1.12, 1.08, 1.18, 0.92, 0.85, 0.83])
# Registrations by calendar month: September (end of summer jobs, leavers of school) and
# January peaks, a spring low.
SEASON_INFLOW = np.array([1.12, 0.97, 0.95, 0.90, 0.86, 0.90, 1.00, 0.94, 1.24, 1.12, 1.02, 0.98])
# Elapsed registration of the initial stock: exponential, mean 14 months, so that ~43% of the
# stock has been registered over a year.
STOCK_MEAN_ELAPSED_DAYS = 14 * 30.44
STOCK_MAX_ELAPSED_DAYS = 6 * 365
# Sizing the initial stock so the register stays roughly level: all exits take ~8.2% of the
# stock a month, and returning persons add ~18% to the new persons' registrations.
EXIT_ALL_MONTHLY, RETURN_RATIO = 0.082, 0.18
# Ages at registration, by band: (share of inflows, share of the initial stock).
AGE_BANDS = ((16, 24, 0.21, 0.11), (25, 49, 0.58, 0.56), (50, 66, 0.21, 0.33))
# Latent digital-skill score: age slope per year, low/high education shift; thresholds tuned
# so that ~5% come out "none" and ~13% "basic".
SKILL_AGE_SLOPE, SKILL_LOW_EDU, SKILL_HIGH_EDU = 0.060, 1.1, -0.8
SKILL_T_NONE, SKILL_T_BASIC = 3.25, 1.78
SKILL_UNKNOWN = 0.012
# Support tier by education (rows low, medium, high; columns autonomous, guided, intensive,
# global) giving ~40 / 40 / 15 / 5 overall; disability moves people to the heavier tiers.
TIER_BY_EDUCATION = np.array([
    [0.26, 0.42, 0.24, 0.08],
    [0.42, 0.40, 0.13, 0.05],
    [0.52, 0.39, 0.07, 0.02],
])
TIER_DISABILITY = np.array([0.22, 0.36, 0.27, 0.15])

# --- counsellors ----------------------------------------------------------------------------
# Caseload aimed at in the busiest month, by portfolio (autonomous is the "follow-up" one):
# just under the norms' upper bounds (350, 150, 70), leaving room for newcomers who leave
# again within the month. Small agencies still get one counsellor per portfolio.
CASELOAD_TARGET = {"autonomous": 330, "guided": 140, "intensive": 60, "global": 50}
EMPLOYERS_PER_ADVISER = 150

# --- vacancies ------------------------------------------------------------------------------
NACE_WEIGHTS = {
    "A": 5.0, "B": 0.1, "C": 9.0, "D": 0.3, "E": 0.7, "F": 8.0, "G": 14.0, "H": 6.0, "I": 13.0,
    "J": 3.0, "K": 1.5, "L": 1.0, "M": 5.0, "N": 12.0, "O": 3.0, "P": 3.0, "Q": 12.0, "R": 2.0,
    "S": 2.5, "T": 0.8, "U": 0.05,
}
# Employer size mix (micro, small, medium, large) and vacancies per employer-month by size.
SIZE_MIX_DEFAULT = (0.66, 0.22, 0.08, 0.04)
SIZE_MIX_LARGER = (0.46, 0.27, 0.16, 0.11)  # industry, transport, finance, public, health
SIZE_MIX_HOUSEHOLD = (1.0, 0.0, 0.0, 0.0)
LARGER_SECTIONS = "BCDEHKOQU"
SIZE_VACANCY_RATE = np.array([1.0, 2.2, 2.8, 4.0]) * 0.09
# ISCO-08 unit groups by NACE section, with relative weights.
ISCO_BY_SECTION = {
    "A": {"9211": 5, "6111": 2, "6112": 2, "6121": 2, "8332": 0.5},
    "B": {"9313": 1, "8332": 1, "3115": 1},
    "C": {"9329": 4, "8160": 2, "3115": 2, "7512": 1, "1321": 0.5, "8344": 1, "4110": 0.5},
    "D": {"3115": 2, "7411": 2, "4110": 1},
    "E": {"9611": 3, "8332": 2, "9329": 1},
    "F": {"7112": 3, "7115": 2, "7126": 2, "7411": 2, "9313": 4, "8332": 1},
    "G": {"5223": 6, "5230": 3, "4321": 2, "3322": 2, "1420": 1, "7231": 1, "7512": 1,
          "9333": 1},
    "H": {"8332": 4, "8322": 3, "9333": 4, "4321": 2, "8344": 2},
    "I": {"5120": 4, "5131": 4, "9412": 3, "4224": 1, "1412": 1, "9112": 1},
    "J": {"2512": 5, "3512": 2, "2431": 1, "4222": 1},
    "K": {"3322": 2, "4110": 2, "2411": 1, "4222": 2, "3313": 1},
    "L": {"3334": 3, "4110": 1, "9112": 1},
    "M": {"2411": 2, "3313": 2, "2431": 2, "4110": 2, "2512": 1},
    "N": {"9112": 5, "5414": 3, "4222": 3, "9329": 2, "8344": 1, "9333": 2},
    "O": {"4110": 3, "0310": 2, "3412": 1, "9112": 1},
    "P": {"2341": 3, "5311": 2, "4110": 1},
    "Q": {"2221": 3, "5321": 4, "5322": 3, "3412": 2, "2211": 1, "9112": 1, "5311": 1},
    "R": {"5131": 1, "4110": 1, "9112": 1, "5414": 1},
    "S": {"5141": 4, "9112": 1, "5223": 1},
    "T": {"9111": 3, "5311": 2, "5322": 2},
    "U": {"4110": 1},
}
# Hard-to-fill occupations take longer (time-to-fill factor); easy ones less.
ISCO_FILL_FACTOR = {
    "2211": 1.8, "2221": 1.6, "2512": 1.5, "7115": 1.4, "7126": 1.4, "7411": 1.4, "5321": 1.3,
    "8332": 1.3, "5120": 1.2, "5223": 0.8, "9112": 0.9, "9329": 0.7, "9211": 0.6, "4110": 0.9,
}
# --- occupation sought by job-seekers -------------------------------------------------------
# Job-seekers seek the vacancies' occupations, but not in the same proportions: each ISCO-08
# unit group's share of job-seekers is its share of vacancies divided by its relative tension.
# Shortage occupations (care, building trades, IT, drivers, cooks) have fewer job-seekers per
# vacancy than average, surplus ones (office, sales and stock clerks, labourers) more; a few
# occupations are sought but hardly ever notified. The pattern echoes France Travail's
# published tension indicators by occupation, without their levels.
SOUGHT_TENSION = {
    "2211": 3.0, "2221": 2.5, "2512": 2.4, "7115": 2.0, "7126": 2.0, "7411": 2.0, "5321": 1.8,
    "8332": 1.8, "3115": 1.6, "7231": 1.6, "5120": 1.6, "5131": 1.4, "5322": 1.3, "9112": 1.2,
    "2341": 1.2, "4110": 0.3, "5223": 0.5, "4321": 0.5, "1420": 0.5, "1412": 0.5, "1321": 0.5,
    "2431": 0.4, "9329": 0.6, "9333": 0.6, "4222": 0.6, "4224": 0.7, "5414": 0.8, "9211": 0.8,
    "3334": 0.7,
}
# Sought but not in the vacancies' mix: share of all job-seekers.
SOUGHT_ONLY = {"4120": 0.020, "2166": 0.006, "2642": 0.004, "2651": 0.004, "9621": 0.008}
# Factor on each ISCO major group (0-9) by education (low, medium, high).
SOUGHT_BY_EDUCATION = np.array([
    [1.0, 0.2, 0.05, 0.3, 0.7, 1.2, 1.5, 1.4, 1.5, 1.8],
    [1.0, 0.7, 0.40, 1.2, 1.3, 1.1, 0.9, 1.1, 1.0, 0.8],
    [1.0, 2.5, 3.50, 1.8, 0.8, 0.5, 0.3, 0.2, 0.2, 0.15],
])
SOUGHT_MISSING = 0.03  # no occupation recorded
SOUGHT_MAJOR_ONLY = 0.01  # only the major group recorded ("any service job")
# Vacancy postings by calendar month: spring and early summer peak, August and December lows.
SEASON_POSTING = np.array([0.95, 1.00, 1.15, 1.20, 1.15, 1.10, 0.95, 0.70, 1.05, 1.00, 0.90,
                           0.75])
SEASONAL_SECTIONS = "AIR"
# Contract mix (permanent, fixed_term, temporary, apprenticeship, seasonal) by sector group.
CONTRACT_MIX = {
    "seasonal": (0.22, 0.25, 0.06, 0.05, 0.42),
    "agency_work": (0.20, 0.25, 0.45, 0.04, 0.06),
    "other": (0.46, 0.34, 0.09, 0.07, 0.04),
}
SEASON_SEASONAL = np.array([0.6, 0.8, 1.4, 1.7, 1.7, 1.4, 1.0, 0.6, 0.7, 0.8, 0.9, 1.1])
SEASON_APPRENTICESHIP = np.array([0.6, 0.6, 0.7, 0.9, 1.2, 1.6, 1.6, 1.3, 1.4, 0.8, 0.6, 0.5])
# Share of postings with a PES pre-selection of candidates (the rest are self-service).
MATCHED_SHARE = 0.65
# Close reasons (filled_pes, filled_other, withdrawn, expired): matched vs self-service.
CLOSE_MIX_MATCHED = (0.58, 0.28, 0.08, 0.06)
CLOSE_MIX_SELF = (0.15, 0.70, 0.08, 0.07)
FILL_MEDIAN_DAYS, FILL_SIGMA = 46.0, 0.70
EXPIRY_DAYS = 61

# --- interactions ---------------------------------------------------------------------------
CH = {name: i for i, name in enumerate(ct.CHANNELS)}
N_CH = len(ct.CHANNELS)
# Log-change of each channel's weight per year: digital up, agency/phone/letter down.
CHANNEL_TREND = {"agency": -0.16, "phone": -0.12, "email": 0.08, "web": 0.06, "app": 0.30,
                 "video": 0.25, "chat": 0.30, "sms": 0.05, "kiosk": -0.10, "letter": -0.35,
                 "event": 0.0}
# Channel factors by age band (<25, 25-49, 50-59, 60+) and by digital skills.
CHANNEL_BY_AGE = (
    {"agency": 0.9, "phone": 0.7, "email": 0.8, "web": 0.9, "app": 1.6, "video": 1.1,
     "chat": 1.3, "sms": 1.1, "event": 1.2},
    {},
    {"agency": 1.7, "phone": 1.7, "web": 0.9, "app": 0.55, "video": 0.8, "chat": 0.7,
     "kiosk": 1.1, "letter": 1.2, "event": 0.9},
    {"agency": 2.4, "phone": 2.3, "email": 0.9, "web": 0.75, "app": 0.3, "video": 0.6,
     "chat": 0.5, "sms": 0.9, "kiosk": 1.1, "letter": 1.5, "event": 0.7},
)
CHANNEL_BY_SKILL = (
    {"agency": 5.0, "phone": 3.0, "email": 0.3, "web": 0.25, "app": 0.15, "video": 0.3,
     "chat": 0.2, "sms": 0.8, "kiosk": 0.6, "letter": 2.5},
    {"agency": 2.0, "phone": 1.7, "email": 0.7, "web": 0.7, "app": 0.55, "video": 0.6,
     "chat": 0.6, "letter": 1.4},
    {},
    {"agency": 1.3, "phone": 1.2, "letter": 1.2},
)
# Appointments: no-show and cancellation.
NO_SHOW_BASE, CANCELLED = 0.112, 0.04
NO_SHOW_BY_AGE = np.array([1.6, 1.0, 0.85, 0.85])
NO_SHOW_BY_SKILL = np.array([1.5, 1.35, 1.0, 1.2])
NO_SHOW_BY_TIER = np.array([0.9, 1.0, 1.15, 1.25])
# Satisfaction: share of contacts surveyed; agencies' satisfied shares spread over this range.
SURVEY_SHARE = 0.12
AGENCY_SATISFIED_RANGE = (0.44, 0.82)
SATISFACTION_OFFSET = 0.05
SATISFACTION_BY_CHANNEL = {"agency": 0.15, "phone": -0.25, "email": -0.10, "web": 0.10,
                           "app": 0.20, "video": 0.20, "kiosk": -0.10, "letter": -0.30,
                           "event": 0.30}
# First-contact resolution by channel.
RESOLVED_BY_CHANNEL = {"agency": 0.82, "phone": 0.72, "email": 0.66, "web": 0.78, "app": 0.80,
                       "video": 0.80, "chat": 0.70, "sms": 0.70, "kiosk": 0.75, "letter": 0.55,
                       "event": 0.85}
# Contact length: median seconds and log-sd by channel (None: not measured).
DURATION = {"agency": (900, 0.5), "phone": (360, 0.6), "web": (420, 0.8), "app": (240, 0.8),
            "video": (1500, 0.35), "chat": (420, 0.6), "kiosk": (300, 0.5), "event": (5400, 0.4)}
DURATION_BY_SERVICE = {"counselling": 2.0, "registration": 2.5, "benefit_claim": 2.0,
                       "job_search_report": 0.4, "skills_assessment": 2.5}


@dataclass(frozen=True)
class Activity:
    """One kind of contact: its service, who has it, how often and through which channels."""

    key: str
    service: str
    party: str  # jobseeker | employer
    kind: str  # fixed (dated by an event) | person (per person-month) | vacancy | employer
    channels: dict[str, float]
    staff: dict[str, float]  # P(staff-assisted | channel); missing channels are self-service
    outbound: dict[str, float] = dataclasses.field(default_factory=dict)
    rate: tuple[float, ...] = ()  # per month of exposure; by support tier for job-seekers


ACTIVITIES = (
    # -- job-seekers, dated by an event of their spell
    Activity("registration", "registration", "jobseeker", "fixed",
             {"web": 0.62, "app": 0.18, "kiosk": 0.04, "agency": 0.13, "phone": 0.03},
             {"agency": 1, "phone": 1, "web": 0.08, "app": 0.03, "kiosk": 0.3}),
    Activity("claim", "benefit_claim", "jobseeker", "fixed",
             {"web": 0.60, "app": 0.30, "agency": 0.05, "phone": 0.05},
             {"web": 0.22, "app": 0.22, "agency": 1, "phone": 1}),
    Activity("first_interview", "counselling", "jobseeker", "fixed",
             {"agency": 0.62, "phone": 0.28, "video": 0.10},
             {"agency": 1, "phone": 1, "video": 1}, {"phone": 0.5}),
    Activity("report", "job_search_report", "jobseeker", "fixed",
             {"app": 0.47, "web": 0.45, "phone": 0.04, "kiosk": 0.02, "agency": 0.02},
             {"agency": 1}),
    # -- job-seekers, per month registered
    Activity("claim_followup", "benefit_claim", "jobseeker", "person",
             {"web": 0.58, "app": 0.32, "phone": 0.05, "agency": 0.05},
             {"web": 0.20, "app": 0.20, "phone": 1, "agency": 1}, rate=(0.12, 0.12, 0.12, 0.12)),
    Activity("question", "information", "jobseeker", "person",
             {"web": 0.30, "app": 0.16, "phone": 0.26, "agency": 0.14, "email": 0.09,
              "chat": 0.05},
             {"phone": 1, "agency": 1, "email": 1, "chat": 0.5}, rate=(0.30, 0.35, 0.40, 0.40)),
    Activity("notice", "information", "jobseeker", "person",
             {"sms": 0.35, "email": 0.42, "letter": 0.23}, {},
             {"sms": 1, "email": 1, "letter": 1}, rate=(0.45, 0.45, 0.45, 0.45)),
    Activity("counselling", "counselling", "jobseeker", "person",
             {"agency": 0.45, "phone": 0.35, "video": 0.08, "email": 0.12},
             {"agency": 1, "phone": 1, "video": 1, "email": 1},
             {"phone": 0.6, "email": 0.55, "video": 0.3}, rate=(0.12, 0.45, 1.25, 1.70)),
    Activity("booking", "appointment_booking", "jobseeker", "person",
             {"web": 0.38, "app": 0.22, "phone": 0.30, "agency": 0.10},
             {"phone": 1, "agency": 1}, rate=(0.10, 0.22, 0.40, 0.45)),
    Activity("job_search", "job_matching", "jobseeker", "person",
             {"web": 0.55, "app": 0.45}, {}, rate=(0.55, 0.45, 0.30, 0.20)),
    Activity("job_proposal", "job_matching", "jobseeker", "person",
             {"email": 0.62, "phone": 0.23, "sms": 0.15},
             {"email": 1, "phone": 1, "sms": 1}, {"email": 1, "phone": 1, "sms": 1},
             rate=(0.04, 0.22, 0.55, 0.45)),
    Activity("assessment", "skills_assessment", "jobseeker", "person",
             {"agency": 0.40, "web": 0.50, "video": 0.10}, {"agency": 1, "video": 1},
             rate=(0.02, 0.06, 0.12, 0.10)),
    Activity("training", "training_referral", "jobseeker", "person",
             {"agency": 0.45, "phone": 0.25, "email": 0.30},
             {"agency": 1, "phone": 1, "email": 1}, {"email": 0.5, "phone": 0.4},
             rate=(0.02, 0.06, 0.12, 0.10)),
    Activity("event", "recruitment_event", "jobseeker", "person",
             {"event": 1.0}, {"event": 1}, rate=(0.02, 0.035, 0.045, 0.03)),
    Activity("complaint", "complaint", "jobseeker", "person",
             {"web": 0.40, "phone": 0.25, "letter": 0.15, "email": 0.15, "agency": 0.05},
             {"phone": 1, "letter": 1, "email": 1, "agency": 1}, rate=(0.006,) * 4),
    # -- employers
    Activity("vacancy_post", "vacancy_management", "employer", "fixed",
             {"web": 0.55, "phone": 0.20, "email": 0.15, "agency": 0.10},
             {"phone": 1, "email": 1, "agency": 1, "web": 0.05}),
    Activity("vacancy_close", "vacancy_management", "employer", "fixed",
             {"web": 0.60, "email": 0.20, "phone": 0.20}, {"email": 1, "phone": 1}),
    Activity("vacancy_followup", "vacancy_management", "employer", "vacancy",
             {"email": 0.45, "phone": 0.40, "web": 0.15}, {"email": 1, "phone": 1},
             {"email": 0.5, "phone": 0.6}, rate=(0.7,)),
    Activity("candidates", "job_matching", "employer", "vacancy",
             {"email": 0.70, "phone": 0.30}, {"email": 1, "phone": 1},
             {"email": 1, "phone": 1}, rate=(1.0,)),
    Activity("employer_question", "information", "employer", "employer",
             {"phone": 0.40, "web": 0.35, "email": 0.25}, {"phone": 1, "email": 1},
             rate=(0.06,)),
    Activity("employer_event", "recruitment_event", "employer", "employer",
             {"event": 1.0}, {"event": 1}, rate=(0.015,)),
)
ACT = {a.key: i for i, a in enumerate(ACTIVITIES)}

# Hour-of-day profiles (weights per hour 0-23): staffed offices and self-service screens.
HOURS_OFFICE = np.zeros(24)
HOURS_OFFICE[8:18] = [0.5, 1.0, 1.0, 1.0, 0.35, 0.6, 1.0, 0.9, 0.6, 0.2]
HOURS_BATCH = np.zeros(24)
HOURS_BATCH[8:20] = 1.0
HOURS_SCREEN = np.array([0.15, 0.08, 0.05, 0.03, 0.03, 0.06, 0.25, 0.6, 0.9, 1.1, 1.2, 1.1,
                         0.9, 0.9, 1.0, 1.0, 0.95, 0.9, 0.9, 0.95, 1.05, 1.0, 0.7, 0.35])


# =============================================================================================
# Small helpers
# =============================================================================================


@dataclass(frozen=True)
class Calendar:
    """The months of the window: first day, last day (days since 1970-01-01) and month/year."""

    month_start: np.ndarray
    month_end: np.ndarray
    month_of_year: np.ndarray  # 1..12
    year: np.ndarray
    labels: tuple[str, ...]

    @classmethod
    def ending(cls, end_month: str, months: int, before: int = 0) -> Calendar:
        end = np.datetime64(end_month, "M")
        m = np.arange(end - (months + before - 1), end + 1)
        as_int = m.astype(np.int64)
        return cls(
            month_start=m.astype("datetime64[D]").astype(np.int64),
            month_end=(m + 1).astype("datetime64[D]").astype(np.int64) - 1,
            month_of_year=as_int % 12 + 1,
            year=as_int // 12 + 1970,
            labels=tuple(str(x) for x in m),
        )

    @property
    def n(self) -> int:
        return len(self.month_start)

    @property
    def start(self) -> int:
        return int(self.month_start[0])

    @property
    def end(self) -> int:
        return int(self.month_end[-1])

    def month_of(self, day: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.month_start, day, side="right") - 1


def _weekday(day: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


def _year_of(day: np.ndarray) -> np.ndarray:
    return day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _pick(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One category per row of a (rows x categories) weight matrix."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return (u[:, None] >= cum).sum(axis=1).clip(max=weights.shape[1] - 1)


def _categorical(rng: np.random.Generator, p, size: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _channel_vector(factors: dict[str, float], default: float = 1.0) -> np.ndarray:
    v = np.full(N_CH, default)
    for name, value in factors.items():
        v[CH[name]] = value
    return v


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    """Zero-padded ids; the padding widens rather than ever truncating a number."""
    width = max(width, len(str(int(numbers.max())))) if len(numbers) else width
    digits = pl.Series(numbers.astype(np.int64)).cast(pl.String).str.zfill(width)
    return pl.select(pl.lit(prefix) + pl.lit(digits)).to_series()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


# =============================================================================================
# Agencies
# =============================================================================================


@dataclass(frozen=True)
class Agencies:
    frame: pl.DataFrame
    weight: np.ndarray  # share of job-seekers and employers living in each agency's area

    @property
    def n(self) -> int:
        return len(self.weight)


def build_agencies() -> Agencies:
    region_pop = {code: pop for code, _, pop in REGIONS}
    region_name = {code: name for code, name, _ in REGIONS}
    rel = np.array([a[5] for a in AGENCIES])
    region = np.array([a[2] for a in AGENCIES])
    weight = np.empty(len(AGENCIES))
    for code in region_pop:
        inside = region == code
        weight[inside] = region_pop[code] * rel[inside] / rel[inside].sum()
    frame = pl.DataFrame(
        {
            "agency_code": [a[0] for a in AGENCIES],
            "agency_name": [a[1] for a in AGENCIES],
            "region_code": [a[2] for a in AGENCIES],
            "region_name": [region_name[a[2]] for a in AGENCIES],
            "latitude": [a[3] for a in AGENCIES],
            "longitude": [a[4] for a in AGENCIES],
        },
        schema={"agency_code": pl.String, "agency_name": pl.String, "region_code": pl.String,
                "region_name": pl.String, "latitude": pl.Float64, "longitude": pl.Float64},
    )
    return Agencies(frame, weight / weight.sum())


# =============================================================================================
# Job-seekers: persons, then their registration spells
# =============================================================================================


@dataclass
class Persons:
    number: np.ndarray  # the numeric part of person_id
    birth_year: np.ndarray
    sex: np.ndarray  # index into ("F", "M", "X")
    education: np.ndarray  # index into EDUCATION_LEVELS
    skills: np.ndarray  # index into DIGITAL_SKILLS
    tier: np.ndarray  # index into SUPPORT_TIERS
    disability: np.ndarray
    agency: np.ndarray
    sought: np.ndarray | None = None  # index into SOUGHT_CODES, -1 when not recorded


@dataclass
class Spells:
    person: np.ndarray
    registered: np.ndarray  # day number
    exited: np.ndarray  # day number, -1 while registered
    reason: np.ndarray  # index into EXIT_REASONS, -1 while registered
    employed_3m: np.ndarray  # 1 / 0 / -1 unknown or not an employment exit
    latent_employed_3m: np.ndarray
    counsellor: np.ndarray | None = None  # index into the counsellor table

    @property
    def n(self) -> int:
        return len(self.person)


def _age_band3(age: np.ndarray) -> np.ndarray:
    return np.digitize(age, [25, 50])


def _age_band4(age: np.ndarray) -> np.ndarray:
    return np.digitize(age, [25, 50, 60])


def build_persons(rng: np.random.Generator, n: int, cal: Calendar, agencies: Agencies):
    """Persons and the first day of their first spell (before the window for the stock)."""
    p_stock = min(0.95, (1 + RETURN_RATIO) / (1 + EXIT_ALL_MONTHLY * cal.n))
    stock = rng.random(n) < p_stock
    first = np.empty(n, dtype=np.int64)
    n_stock = int(stock.sum())
    elapsed = np.minimum(rng.exponential(STOCK_MEAN_ELAPSED_DAYS, n_stock),
                         STOCK_MAX_ELAPSED_DAYS)
    first[stock] = cal.start - 1 - np.floor(elapsed).astype(np.int64)
    # Later months draw slightly fewer first registrations: returning persons fill the gap.
    months = np.arange(cal.n)
    w = SEASON_INFLOW[cal.month_of_year - 1] * (1 - 0.10 * (1 - np.exp(-months / 6)))
    m = _categorical(rng, w, n - n_stock)
    days_in = cal.month_end[m] - cal.month_start[m] + 1
    day = cal.month_start[m] + np.floor(rng.random(n - n_stock) * days_in).astype(np.int64)
    first[~stock] = _fewer_weekends(rng, day, cal.month_start[m], cal.month_end[m], 0.7)

    # Age at first registration by band, stock older than inflows.
    band = np.where(stock, _categorical(rng, [b[3] for b in AGE_BANDS], n),
                    _categorical(rng, [b[2] for b in AGE_BANDS], n))
    lo = np.array([b[0] for b in AGE_BANDS])[band]
    hi = np.array([b[1] for b in AGE_BANDS])[band]
    # Within a band, ages thin out at the edges (few 16-17 year-olds, few past 62).
    age = lo + np.floor((hi - lo + 1) * rng.beta(1.3, 1.6, n)).astype(np.int64)
    reg_year = _year_of(first)
    end_year = int(_year_of(np.array([cal.end]))[0])
    birth_year = np.clip(reg_year - age, end_year - 66, reg_year - 16)
    age = reg_year - birth_year

    sex = _categorical(rng, [0.494, 0.504, 0.002], n)
    band3 = _age_band3(age)
    p_low = np.array([0.30, 0.25, 0.36])[band3]
    p_high = np.array([0.20, 0.32, 0.20])[band3]
    u = rng.random(n)
    education = np.where(u < p_low, 0, np.where(u < p_low + p_high, 2, 1))
    disability = rng.random(n) < np.clip(0.04 + 0.0022 * (age - 16), 0, 0.2)
    tier_w = np.where(disability[:, None], TIER_DISABILITY[None, :], TIER_BY_EDUCATION[education])
    tier = _pick(rng, tier_w)
    latent = (SKILL_AGE_SLOPE * (age - 40) + SKILL_LOW_EDU * (education == 0)
              + SKILL_HIGH_EDU * (education == 2) + rng.logistic(size=n))
    skills = np.where(latent > SKILL_T_NONE, 0, np.where(latent > SKILL_T_BASIC, 1, 2))
    skills = np.where(rng.random(n) < SKILL_UNKNOWN, 3, skills)
    agency = _categorical(rng, agencies.weight, n)

    # Ids follow the order of first registration, with the gaps of a live register.
    order = np.argsort(first, kind="stable")
    number = np.empty(n, dtype=np.int64)
    number[order] = np.cumsum(1 + (rng.random(n) < 0.3) * rng.integers(1, 4, n))
    persons = Persons(number, birth_year, sex, education, skills, tier, disability, agency)
    return persons, first


def sought_weights() -> tuple[tuple[str, ...], np.ndarray]:
    """(codes, weights by education x code) of the occupation job-seekers seek."""
    vac = {}
    for section, weights in ISCO_BY_SECTION.items():
        total = sum(weights.values())
        for code, w in weights.items():
            vac[code] = vac.get(code, 0.0) + NACE_WEIGHTS[section] * w / total
    base = {code: w / SOUGHT_TENSION.get(code, 1.0) for code, w in vac.items()}
    scale = (1 - sum(SOUGHT_ONLY.values())) / sum(base.values())
    base = {code: w * scale for code, w in base.items()} | SOUGHT_ONLY
    codes = tuple(sorted(base))
    major = np.array([int(c[0]) for c in codes])
    weights = np.array([base[c] for c in codes])[None, :] * SOUGHT_BY_EDUCATION[:, major]
    return codes, weights


SOUGHT_CODES, SOUGHT_WEIGHTS = sought_weights()
# The major groups come after the unit groups: index len(SOUGHT_CODES) + g is group g.
SOUGHT_LABELS = (*SOUGHT_CODES, *(str(g) for g in range(10)))


def draw_sought(rng: np.random.Generator, education: np.ndarray) -> np.ndarray:
    """Each person's occupation sought (index into SOUGHT_LABELS; -1 when not recorded)."""
    n = len(education)
    unit = _pick(rng, SOUGHT_WEIGHTS[education])
    u = rng.random(n)
    major = np.array([int(c[0]) for c in SOUGHT_CODES])[unit] + len(SOUGHT_CODES)
    return np.where(u < SOUGHT_MISSING, -1,
                    np.where(u < SOUGHT_MISSING + SOUGHT_MAJOR_ONLY, major, unit))


def _fewer_weekends(rng, day, lo, hi, p_move):
    """Move a share of weekend days to the nearest weekday inside [lo, hi]."""
    wd = _weekday(day)
    move = (wd >= 5) & (rng.random(len(day)) < p_move)
    back = day - (wd - 4)  # Saturday/Sunday -> Friday
    ahead = day + (7 - wd)  # -> Monday
    target = np.where(back >= lo, back, np.where(ahead <= hi, ahead, day))
    return np.where(move, target, day)


def simulate_exits(rng: np.random.Generator, registered: np.ndarray, birth_year: np.ndarray,
                   cal: Calendar):
    """Exit day and reason of spells, by a monthly competing-risk hazard."""
    n = len(registered)
    exited = np.full(n, -1, dtype=np.int64)
    reason = np.full(n, -1, dtype=np.int64)
    other_p = OTHER_REASON_SHARES / OTHER_REASON_SHARES.sum()
    other_codes = np.array([ct.EXIT_REASONS.index(r) for r in OTHER_REASONS])
    for m in range(cal.n):
        ds, de = cal.month_start[m], cal.month_end[m]
        idx = np.flatnonzero((exited < 0) & (registered <= de))
        if not len(idx):
            continue
        reg = registered[idx]
        lo = np.maximum(reg, ds)
        exposure = (de - lo + 1) / (de - ds + 1)
        months_in = np.maximum(ds - reg, 0) / 30.44
        age = cal.year[m] - birth_year[idx]
        # Job chances fall with time registered; other exits less so.
        h_job = (EXIT_EMPLOYMENT[_age_band3(age)] * (0.55 + 0.75 * np.exp(-months_in / 8))
                 * SEASON_EXIT[cal.month_of_year[m] - 1])
        h_other = EXIT_OTHER * (0.8 + 0.35 * np.exp(-months_in / 6))
        h_ret = np.where(age >= 60, EXIT_RETIREMENT * (1 + (age >= 62)), 0.0)
        h_all = h_job + h_other + h_ret
        leaves = rng.random(len(idx)) < 1 - np.exp(-h_all * exposure)
        j = idx[leaves]
        u = rng.random(len(j)) * h_all[leaves]
        why = np.where(u < h_job[leaves], ct.EXIT_REASONS.index("employment"),
                       np.where(u < h_job[leaves] + h_ret[leaves],
                                ct.EXIT_REASONS.index("retirement"),
                                other_codes[_categorical(rng, other_p, len(j))]))
        span = de - lo[leaves] + 1
        exited[j] = lo[leaves] + np.floor(rng.random(len(j)) * span).astype(np.int64)
        reason[j] = why
    return exited, reason


def build_spells(rng: np.random.Generator, persons: Persons, first: np.ndarray,
                 cal: Calendar) -> Spells:
    """First spells, then a second spell for some of those who left (a lapsed renewal, a
    short job...), each exit simulated by the same hazard."""
    n = len(first)
    exited, reason = simulate_exits(rng, first, persons.birth_year, cal)
    job = reason == ct.EXIT_REASONS.index("employment")
    latent = job & (rng.random(n) < EMPLOYED_3_MONTHS)

    # Who comes back, and after how many days.
    name = np.array(ct.EXIT_REASONS + ("",))[reason]
    p_back = np.select(
        [name == "no_renewal", job & ~latent, job & latent, name == "training",
         np.isin(name, ["other", "sanction_or_removal", "other_benefit"])],
        [0.65, 0.55, 0.08, 0.35, 0.20], 0.0)
    gap = np.select(
        [name == "no_renewal", job & ~latent, job & latent, name == "training"],
        [7 + rng.exponential(30, n), 20 + rng.exponential(35, n), 120 + rng.exponential(150, n),
         90 + rng.exponential(90, n)], 60 + rng.exponential(90, n)).astype(np.int64)
    back = (exited >= 0) & (rng.random(n) < p_back) & (exited + gap <= cal.end)
    who = np.flatnonzero(back)
    reg2 = exited[who] + gap[who]
    exited2, reason2 = simulate_exits(rng, reg2, persons.birth_year[who], cal)
    job2 = reason2 == ct.EXIT_REASONS.index("employment")
    latent2 = job2 & (rng.random(len(who)) < EMPLOYED_3_MONTHS)

    all_exited = np.concatenate([exited, exited2])
    all_reason = np.concatenate([reason, reason2])
    all_latent = np.concatenate([latent, latent2])
    # Whether a job lasted three months is only known three months after the exit.
    known = (all_reason == ct.EXIT_REASONS.index("employment")) & (all_exited + 91 <= cal.end)
    return Spells(
        person=np.concatenate([np.arange(n), who]),
        registered=np.concatenate([first, reg2]),
        exited=all_exited,
        reason=all_reason,
        employed_3m=np.where(known, all_latent.astype(np.int64), -1),
        latent_employed_3m=all_latent,
    )


# =============================================================================================
# Counsellors
# =============================================================================================


@dataclass
class Counsellors:
    number: np.ndarray
    agency: np.ndarray
    portfolio: np.ndarray  # index into SUPPORT_TIERS + ("employers",)

    @property
    def n(self) -> int:
        return len(self.number)


PORTFOLIOS = ct.SUPPORT_TIERS + ("employers",)


def _water_fill(load: np.ndarray, k: int) -> np.ndarray:
    """How many of k newcomers each counsellor takes, lowest caseloads first, so that the
    caseloads end as even as they can."""
    order = np.argsort(load, kind="stable")
    low = load[order]
    csum = np.cumsum(low)
    need = np.arange(1, len(low) + 1) * low - csum  # newcomers to lift the j+1 lowest to low[j]
    j = int(np.searchsorted(need, k, side="right")) - 1
    level = (k + csum[j]) // (j + 1)
    give = np.zeros(len(low), dtype=np.int64)
    give[: j + 1] = level - low[: j + 1]
    give[: k - int(give.sum())] += 1
    out = np.empty_like(give)
    out[order] = give
    return out


def assign_counsellors(rng: np.random.Generator, persons: Persons, spells: Spells,
                       employer_agency: np.ndarray, n_agencies: int, cal: Calendar):
    """Size each agency's portfolios on the caseload norms, then give each new spell to the
    counsellor of its portfolio with the smallest caseload, month by month."""
    n_tiers = len(ct.SUPPORT_TIERS)
    n_groups = n_agencies * n_tiers
    group = persons.agency[spells.person] * n_tiers + persons.tier[spells.person]
    end = np.where(spells.exited < 0, cal.end + 1, spells.exited)
    stock = np.zeros((cal.n, n_groups))
    for m in range(cal.n):
        active = (spells.registered <= cal.month_end[m]) & (end > cal.month_end[m])
        stock[m] = np.bincount(group[active], minlength=n_groups)
    target = np.array([CASELOAD_TARGET[t] for t in ct.SUPPORT_TIERS])
    tier_of_group = np.arange(n_groups) % n_tiers
    size = np.maximum(np.ceil(stock.max(axis=0) / target[tier_of_group]), 1).astype(np.int64)
    emp_count = np.bincount(employer_agency, minlength=n_agencies)
    emp_size = np.maximum(np.round(emp_count / EMPLOYERS_PER_ADVISER), 1).astype(np.int64)

    # Counsellor table: agency by agency, portfolio by portfolio.
    per_agency = np.concatenate([size.reshape(n_agencies, n_tiers), emp_size[:, None]], axis=1)
    agency = np.repeat(np.repeat(np.arange(n_agencies), len(PORTFOLIOS)), per_agency.ravel())
    portfolio = np.repeat(np.tile(np.arange(len(PORTFOLIOS)), n_agencies), per_agency.ravel())
    offsets = np.concatenate([[0], np.cumsum(per_agency.ravel())[:-1]]).reshape(
        n_agencies, len(PORTFOLIOS))
    counsellors = Counsellors(np.arange(1, len(agency) + 1), agency, portfolio)
    first_of_group = offsets[:, :n_tiers].ravel()

    arrival = np.maximum(cal.month_of(np.maximum(spells.registered, cal.start)), 0)
    order = np.lexsort((spells.registered, group, arrival))
    month_bounds = np.searchsorted(arrival[order], np.arange(cal.n + 1))
    assigned = np.full(spells.n, -1, dtype=np.int64)
    for m in range(cal.n):
        arrivals = order[month_bounds[m]:month_bounds[m + 1]]
        if not len(arrivals):
            continue
        still = (assigned >= 0) & (end > cal.month_end[m])
        load = np.bincount(assigned[still], minlength=counsellors.n)
        groups, starts, counts = np.unique(group[arrivals], return_index=True,
                                           return_counts=True)
        for g, s0, k in zip(groups, starts, counts, strict=True):
            first_c = first_of_group[g]
            give = _water_fill(load[first_c:first_c + size[g]], int(k))
            who = first_c + np.repeat(np.arange(size[g]), give)
            assigned[arrivals[s0:s0 + k]] = rng.permutation(who)
    spells.counsellor = assigned

    e_order = np.argsort(employer_agency, kind="stable")
    e_sorted = employer_agency[e_order]
    e_rank = np.arange(len(e_order)) - np.searchsorted(e_sorted, e_sorted, side="left")
    e_slot = np.empty(len(e_order), dtype=np.int64)
    e_slot[e_order] = e_rank
    employer_counsellor = offsets[employer_agency, n_tiers] + e_slot % emp_size[employer_agency]
    return counsellors, employer_counsellor


# =============================================================================================
# Employers and vacancies
# =============================================================================================


@dataclass
class Employers:
    size: np.ndarray
    section: np.ndarray  # index into NACE_SECTIONS
    agency: np.ndarray


@dataclass
class Vacancies:
    employer: np.ndarray
    isco: np.ndarray  # index into ISCO_CODES
    contract: np.ndarray
    posted: np.ndarray
    n_positions: np.ndarray
    closed: np.ndarray  # -1 while open
    reason: np.ndarray  # -1 while open
    proposed: np.ndarray  # -1 when the PES proposed nobody (self-service posting)
    hires: np.ndarray  # -1 when not measured
    matched: np.ndarray

    @property
    def n(self) -> int:
        return len(self.employer)


ISCO_CODES = tuple(sorted({code for weights in ISCO_BY_SECTION.values() for code in weights}))


def build_employers(rng: np.random.Generator, n: int, agencies: Agencies) -> Employers:
    sections = ct.NACE_SECTIONS
    # Employers are drawn per sector so that vacancies (not firms) follow the sector weights.
    sec_w = np.array([NACE_WEIGHTS[s] for s in sections])
    mix = np.array([SIZE_MIX_HOUSEHOLD if s == "T" else SIZE_MIX_LARGER
                    if s in LARGER_SECTIONS else SIZE_MIX_DEFAULT for s in sections])
    per_employer = mix @ SIZE_VACANCY_RATE
    section = _categorical(rng, sec_w / per_employer, n)
    size = _pick(rng, mix[section])
    agency = _categorical(rng, agencies.weight, n)
    return Employers(size, section, agency)


def build_vacancies(rng: np.random.Generator, employers: Employers, cal: Calendar,
                    lead_months: int = 4) -> Vacancies:
    """Postings per employer-month (with a backlog posted before the window still open in it),
    then time to close, close reason and candidates."""
    full = Calendar.ending(cal.labels[-1], cal.n, before=lead_months)
    n_emp = len(employers.size)
    # Employers differ a lot in how often they recruit.
    propensity = SIZE_VACANCY_RATE[employers.size] * rng.gamma(1.5, 1 / 1.5, n_emp)
    rate = propensity[:, None] * SEASON_POSTING[full.month_of_year - 1][None, :]
    counts = rng.poisson(rate).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    employer, m = cell // full.n, cell % full.n
    days_in = full.month_end[m] - full.month_start[m] + 1
    posted = full.month_start[m] + np.floor(rng.random(len(cell)) * days_in).astype(np.int64)
    posted = _fewer_weekends(rng, posted, full.month_start[m], full.month_end[m], 0.95)
    k = len(cell)

    section = employers.section[employer]
    sec_letter = np.array(ct.NACE_SECTIONS)[section]
    isco_w = np.zeros((len(ct.NACE_SECTIONS), len(ISCO_CODES)))
    for s, weights in ISCO_BY_SECTION.items():
        for code, w in weights.items():
            isco_w[ct.NACE_SECTIONS.index(s), ISCO_CODES.index(code)] = w
    isco = _pick(rng, isco_w[section])

    moy = full.month_of_year[m] - 1
    group = np.where(np.isin(sec_letter, list(SEASONAL_SECTIONS)), "seasonal",
                     np.where(sec_letter == "N", "agency_work", "other"))
    cw = np.array([CONTRACT_MIX[g] for g in ("seasonal", "agency_work", "other")])
    gi = np.select([group == "seasonal", group == "agency_work"], [0, 1], 2)
    w = cw[gi].copy()
    w[:, 4] *= SEASON_SEASONAL[moy]
    w[:, 3] *= SEASON_APPRENTICESHIP[moy]
    contract = _pick(rng, w)

    size = employers.size[employer]
    p_single = np.array([0.84, 0.80, 0.70, 0.58])[size]
    n_positions = np.where(rng.random(k) < p_single, 1,
                           1 + np.minimum(rng.geometric(0.45, k), 29))

    matched = rng.random(k) < MATCHED_SHARE
    reason = np.where(matched, _pick(rng, np.tile(CLOSE_MIX_MATCHED, (k, 1))),
                      _pick(rng, np.tile(CLOSE_MIX_SELF, (k, 1))))
    fill_factor = np.array([ISCO_FILL_FACTOR.get(c, 1.0) for c in ISCO_CODES])[isco]
    contract_factor = np.array([1.0, 0.9, 0.5, 1.2, 0.7])[contract]
    ttf = FILL_MEDIAN_DAYS * fill_factor * contract_factor * np.exp(FILL_SIGMA * rng.normal(size=k))
    withdrawn = 28 * np.exp(0.8 * rng.normal(size=k))
    expired = EXPIRY_DAYS + 30 * rng.binomial(2, 0.35, k)
    days = np.select([reason <= 1, reason == 2], [ttf, withdrawn], expired)
    closed = posted + np.clip(np.round(days), 1, 400).astype(np.int64)
    wd = _weekday(closed)
    closed = np.where(wd >= 5, closed + (7 - wd), closed)

    proposed = np.where(matched, 1 + rng.negative_binomial(2, 2 / (2 + 3.5 * np.sqrt(n_positions))),
                        -1)
    extra = rng.binomial(np.maximum(n_positions - 1, 0), 0.7)
    hires = np.where(reason == 0, np.minimum(np.minimum(proposed, n_positions), 1 + extra), 0)
    hires = np.where(matched, hires, -1)

    # Keep what the window sees: posted in it, or posted before and still open at its start.
    keep = (closed >= cal.start) & (posted <= cal.end)
    still_open = closed > cal.end
    closed = np.where(still_open, -1, closed)
    reason = np.where(still_open, -1, reason)
    hires = np.where(still_open & matched, 0, hires)
    order = np.argsort(posted[keep], kind="stable")
    pick = np.flatnonzero(keep)[order]
    return Vacancies(employer[pick], isco[pick], contract[pick], posted[pick], n_positions[pick],
                     closed[pick], reason[pick], proposed[pick], hires[pick], matched[pick])


# =============================================================================================
# Interactions
# =============================================================================================


@dataclass
class Contacts:
    """Contacts before their channel and outcome are drawn: who, what, and the days allowed."""

    party: np.ndarray  # 0 job-seeker (entity = spell), 1 employer (entity = employer)
    entity: np.ndarray
    activity: np.ndarray
    day: np.ndarray  # -1: draw in [lo, hi]
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def concat(cls, parts: list[Contacts]) -> Contacts:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts])
                     for f in dataclasses.fields(cls)))

    def take(self, idx: np.ndarray) -> Contacts:
        return Contacts(*(getattr(self, f.name)[idx] for f in dataclasses.fields(self)))

    @property
    def n(self) -> int:
        return len(self.party)


def _contacts(party, entity, activity, day, lo, hi) -> Contacts:
    n = len(entity)

    def full(x, dtype=np.int64):
        return np.broadcast_to(np.asarray(x, dtype=dtype), (n,)).copy()

    return Contacts(full(party, np.int8), full(entity), full(activity, np.int16), full(day),
                    full(lo), full(hi))


def _spell_months(spells: Spells, cal: Calendar):
    """One row per spell and month it is registered in the window, with its first/last day."""
    end = np.where(spells.exited < 0, cal.end, spells.exited)
    first_m = np.maximum(cal.month_of(np.maximum(spells.registered, cal.start)), 0)
    last_m = cal.month_of(np.minimum(end, cal.end))
    valid = (end >= cal.start) & (spells.registered <= cal.end)
    n_m = np.where(valid, last_m - first_m + 1, 0)
    spell = np.repeat(np.arange(spells.n), n_m)
    within = np.arange(len(spell)) - np.repeat(np.cumsum(n_m) - n_m, n_m)
    m = first_m[spell] + within
    lo = np.maximum(spells.registered[spell], cal.month_start[m])
    hi = np.minimum(end[spell], cal.month_end[m])
    return spell, m, lo, hi


def _fixed_contacts(rng, spells: Spells, vac: Vacancies, cal: Calendar) -> Contacts:
    """Contacts dated by an event: registration, first claim and interview, monthly reports,
    posting and closing a vacancy."""
    parts = []
    end = np.where(spells.exited < 0, cal.end, np.minimum(spells.exited, cal.end))
    new = np.flatnonzero(spells.registered >= cal.start)
    reg = spells.registered[new]
    # A staffed registration on a Saturday is done on the next weekday.
    parts.append(_contacts(0, new, ACT["registration"], -1, reg,
                           np.minimum(reg + 2, np.maximum(end[new], reg))))
    claims = new[rng.random(len(new)) < 0.75]
    day = spells.registered[claims] + rng.geometric(0.5, len(claims)) - 1
    ok = day <= end[claims]
    parts.append(_contacts(0, claims[ok], ACT["claim"], day[ok], day[ok], day[ok] + 2))
    day = spells.registered[new] + 7 + rng.integers(0, 22, len(new))
    ok = day <= end[new]
    parts.append(_contacts(0, new[ok], ACT["first_interview"], day[ok], spells.registered[new][ok],
                           end[new][ok]))
    # Monthly job-search report in the last days of each month the person is still registered.
    spell, m, lo, hi = _spell_months(spells, cal)
    at_end = (hi == cal.month_end[m]) & (rng.random(len(spell)) < 0.93)
    parts.append(_contacts(0, spell[at_end], ACT["report"], -1,
                           np.maximum(lo[at_end], cal.month_end[m][at_end] - 4), hi[at_end]))
    posted = np.flatnonzero(vac.posted >= cal.start)
    parts.append(_contacts(1, vac.employer[posted], ACT["vacancy_post"], vac.posted[posted],
                           vac.posted[posted], vac.posted[posted]))
    closing = np.flatnonzero((vac.closed >= 0) & (vac.reason <= 2))
    parts.append(_contacts(1, vac.employer[closing], ACT["vacancy_close"], vac.closed[closing],
                           vac.closed[closing], vac.closed[closing]))
    return Contacts.concat(parts)


def _recurrent_cells(spells: Spells, persons: Persons, vac: Vacancies, n_employers: int,
                     cal: Calendar):
    """Cells of (entity, month, activity) with an expected number of contacts each."""
    js_acts = [i for i, a in enumerate(ACTIVITIES) if a.kind == "person"]
    tier_rates = np.array([ACTIVITIES[i].rate for i in js_acts]).T  # tiers x activities
    spell, m, lo, hi = _spell_months(spells, cal)
    exposure = (hi - lo + 1) / (cal.month_end[m] - cal.month_start[m] + 1)
    tier = persons.tier[spells.person[spell]]
    js_rate = (tier_rates[tier] * exposure[:, None]).ravel()

    # Vacancy-months while open.
    v_end = np.where(vac.closed < 0, cal.end, vac.closed)
    v_first = cal.month_of(np.maximum(vac.posted, cal.start))
    v_last = cal.month_of(v_end)
    n_m = v_last - v_first + 1
    v = np.repeat(np.arange(vac.n), n_m)
    vm = v_first[v] + np.arange(len(v)) - np.repeat(np.cumsum(n_m) - n_m, n_m)
    v_lo = np.maximum(np.maximum(vac.posted[v], cal.start), cal.month_start[vm])
    v_hi = np.minimum(v_end[v], cal.month_end[vm])
    v_expo = (v_hi - v_lo + 1) / (cal.month_end[vm] - cal.month_start[vm] + 1)
    v_acts = [ACT["vacancy_followup"], ACT["candidates"]]
    v_rate = np.stack([ACTIVITIES[ACT["vacancy_followup"]].rate[0] * v_expo,
                       ACTIVITIES[ACT["candidates"]].rate[0] * v_expo * vac.matched[v]],
                      axis=1).ravel()

    # Employer-months: every employer is around for the whole window.
    e = np.repeat(np.arange(n_employers), cal.n)
    em = np.tile(np.arange(cal.n), n_employers)
    e_acts = [ACT["employer_question"], ACT["employer_event"]]
    e_rate = np.tile([ACTIVITIES[a].rate[0] for a in e_acts], len(e))

    groups = [
        (js_acts, np.zeros(len(spell), np.int8), spell, lo, hi, js_rate),
        (v_acts, np.ones(len(v), np.int8), vac.employer[v], v_lo, v_hi, v_rate),
        (e_acts, np.ones(len(e), np.int8), e, cal.month_start[em], cal.month_end[em], e_rate),
    ]
    return groups


def _expand(groups, counts_by_group) -> Contacts:
    parts = []
    for (acts, party, entity, lo, hi, _), counts in zip(groups, counts_by_group, strict=True):
        cell = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        row, a = cell // len(acts), cell % len(acts)
        parts.append(Contacts(party[row], entity[row], np.asarray(acts, np.int16)[a],
                              np.full(len(row), -1, np.int64), lo[row], hi[row]))
    return Contacts.concat(parts)


def draw_contacts(rng: np.random.Generator, spells: Spells, persons: Persons, vac: Vacancies,
                  n_employers: int, cal: Calendar, n_target: int | None) -> Contacts:
    """Fixed and recurrent contacts; with a target, recurrent rates are scaled and the count
    trimmed or topped up at random so the total is exact."""
    fixed = _fixed_contacts(rng, spells, vac, cal)
    groups = _recurrent_cells(spells, persons, vac, n_employers, cal)
    rates = np.concatenate([g[5] for g in groups])
    sizes = [len(g[5]) for g in groups]
    if n_target is not None and n_target < fixed.n:
        keep = np.sort(rng.choice(fixed.n, n_target, replace=False))
        return fixed.take(keep)
    if n_target is not None:
        rates = rates * ((n_target - fixed.n) / rates.sum())
    counts = rng.poisson(rates)
    if n_target is not None:
        gap = n_target - fixed.n - int(counts.sum())
        if gap > 0:
            np.add.at(counts, rng.choice(len(rates), gap, p=rates / rates.sum()), 1)
        elif gap < 0:
            drop = rng.choice(int(counts.sum()), -gap, replace=False)
            cells = np.searchsorted(np.cumsum(counts), drop, side="right")
            np.subtract.at(counts, cells, 1)
    split = np.split(counts, np.cumsum(sizes)[:-1])
    return Contacts.concat([fixed, _expand(groups, split)])


def _channel_table(cal: Calendar) -> np.ndarray:
    """Cumulative channel probabilities by (activity, month, age band, skills)."""
    base = np.array([_channel_vector(a.channels, 0.0) for a in ACTIVITIES])
    t = np.arange(cal.n) / 12.0
    trend = np.exp(np.outer(t, [CHANNEL_TREND[c] for c in ct.CHANNELS]))
    age = np.array([_channel_vector(f) for f in CHANNEL_BY_AGE])
    skill = np.array([_channel_vector(f) for f in CHANNEL_BY_SKILL])
    w = (base[:, None, None, None, :] * trend[None, :, None, None, :]
         * age[None, None, :, None, :] * skill[None, None, None, :, :])
    cum = np.cumsum(w, axis=-1)
    cum /= cum[..., -1:]
    cum[..., -1] = 1.0
    return cum


@dataclass
class Drawn:
    """Contacts with every column drawn, as compact arrays (codes, not strings)."""

    party: np.ndarray
    party_code: np.ndarray  # index into the concatenated person + employer id list
    at: np.ndarray  # seconds since 1970-01-01, local time
    channel: np.ndarray
    outbound: np.ndarray
    service: np.ndarray
    agency: np.ndarray
    staff: np.ndarray
    counsellor: np.ndarray  # -1: none
    duration: np.ndarray  # -1: null
    wait: np.ndarray
    resolved: np.ndarray  # -1 null, 0, 1
    satisfaction: np.ndarray  # 0: null
    status: np.ndarray  # -1 null, else index into APPOINTMENT_STATUS


APPOINTMENT_STATUS = ("attended", "no_show", "cancelled")
CHUNK = 2_000_000


def _dst_days(cal: Calendar) -> np.ndarray:
    """Days on which Paris clocks change (last Sundays of March and October)."""
    days = []
    for year in range(int(cal.year.min()), int(cal.year.max()) + 1):
        for month in (3, 10):
            last = np.datetime64(f"{year}-{month + 1:02d}-01") - np.timedelta64(1, "D")
            d = int(last.astype(np.int64))
            days.append(d - (_weekday(np.array([d]))[0] - 6) % 7)
    return np.array(days)


def agency_satisfaction(rng: np.random.Generator, n_agencies: int) -> np.ndarray:
    """Each agency's baseline log-odds of a satisfied answer, spread over the published range."""
    q = (rng.permutation(n_agencies) + 0.5) / n_agencies
    lo, hi = AGENCY_SATISFIED_RANGE
    return _logit(lo + (hi - lo) * q ** 0.75) + SATISFACTION_OFFSET


def draw_details(rng: np.random.Generator, cs: Contacts, spells: Spells, persons: Persons,
                 employers: Employers, employer_counsellor: np.ndarray,
                 agency_logit: np.ndarray, cal: Calendar) -> Drawn:
    """Channel, time, direction and outcome of each contact."""
    n = cs.n
    js = cs.party == 0
    spell = np.where(js, cs.entity, 0)
    person = spells.person[spell]
    emp = np.where(js, 0, cs.entity)

    # Day: drawn inside the allowed range where not fixed by the event.
    free = cs.day < 0
    day = np.where(free, cs.lo + np.floor(rng.random(n) * (cs.hi - cs.lo + 1)).astype(np.int64),
                   cs.day)
    m = np.clip(cal.month_of(day), 0, cal.n - 1)

    age = np.where(js, cal.year[m] - persons.birth_year[person], 40)
    band = np.where(js, _age_band4(age), 1)
    skill = np.where(js, persons.skills[person], 2)
    tier = np.where(js, persons.tier[person], 1)
    agency = np.where(js, persons.agency[person], employers.agency[emp])

    # Channel from the cumulative table: offset every row's cumulative values by its cell.
    cum = _channel_table(cal)
    cell = ((cs.activity.astype(np.int64) * cal.n + m) * 4 + band) * 4 + skill
    flat = (cum + np.arange(cum.size // N_CH).reshape(cum.shape[:-1])[..., None]).ravel()
    channel = (np.searchsorted(flat, cell + rng.random(n), side="right") - cell * N_CH)
    channel = channel.clip(0, N_CH - 1).astype(np.int8)
    del flat

    p_out = np.array([_channel_vector(a.outbound, 0.0) for a in ACTIVITIES])
    p_staff = np.array([_channel_vector(a.staff, 0.0) for a in ACTIVITIES])
    outbound = rng.random(n) < p_out[cs.activity, channel]
    staff = rng.random(n) < p_staff[cs.activity, channel]
    service_of = np.array([ct.SERVICES.index(a.service) for a in ACTIVITIES])
    service = service_of[cs.activity]

    # Time of day: offices keep office hours on weekdays; screens are used day and night.
    office_ch = np.isin(channel, [CH[c] for c in ("agency", "phone", "video", "event", "letter")])
    automated = ~staff & outbound
    office = (office_ch | staff) & ~automated
    wd = _weekday(day)
    lo = np.maximum(cs.lo, cal.start)
    hi = np.minimum(cs.hi, cal.end)
    # A weekend day moves to a random weekday of the same week if the spell allows, else to
    # the nearest Friday or Monday, else (a spell of a weekend) just outside it.
    any_weekday = day - wd + rng.integers(0, 5, n)
    fri, mon = day - (wd - 4), day + (7 - wd)
    near = np.where(wd == 5, fri, mon)
    far = np.where(wd == 5, mon, fri)

    def inside(d):
        return (d >= lo) & (d <= hi)

    moved = np.where(inside(any_weekday), any_weekday,
                     np.where(inside(near), near, np.where(inside(far), far,
                              np.where((near >= cal.start) & (near <= cal.end), near, far))))
    weekend = wd >= 5
    day = np.where(weekend & (office | automated), moved, day)
    # Screens are used at weekends too, but less.
    quiet = weekend & ~office & ~automated & (rng.random(n) < 0.35) & inside(any_weekday)
    day = np.where(quiet, any_weekday, day)
    # Report lists, letters and mail-outs are sent in office hours too.
    profile = np.where(office, 0, np.where(automated, 1, 2))
    hour_cum = np.cumsum(np.stack([HOURS_OFFICE, HOURS_BATCH, HOURS_SCREEN]), axis=1)
    hour_cum /= hour_cum[:, -1:]
    hour = (np.searchsorted((hour_cum + np.arange(3)[:, None]).ravel(),
                            profile + rng.random(n), side="right") - profile * 24).clip(0, 23)
    # No wall-clock time in the hour that clocks skip or repeat.
    hour = np.where(np.isin(day, _dst_days(cal)) & (hour == 2), 3, hour)
    at = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)

    # Appointments: booked ones, and counselling in person, by phone or video.
    appt = (service == ct.SERVICES.index("appointment_booking")) | (
        (service == ct.SERVICES.index("counselling"))
        & np.isin(channel, [CH["agency"], CH["phone"], CH["video"]]))
    p_ns = NO_SHOW_BASE * NO_SHOW_BY_AGE[band] * NO_SHOW_BY_SKILL[skill] * NO_SHOW_BY_TIER[tier]
    u = rng.random(n)
    status = np.where(~appt, -1, np.where(u < p_ns, 1, np.where(u < p_ns + CANCELLED, 2, 0)))
    missed = status >= 1
    # A missed counselling session leaves no length, wait, outcome or rating.
    no_contact = missed & (service == ct.SERVICES.index("counselling"))

    counsellor = np.where(js, spells.counsellor[spell], employer_counsellor[emp])
    counsellor = np.where(staff, counsellor, -1)

    med = np.array([DURATION.get(c, (np.nan, 0))[0] for c in ct.CHANNELS])
    sig = np.array([DURATION.get(c, (np.nan, 0))[1] for c in ct.CHANNELS])
    svc_factor = np.array([DURATION_BY_SERVICE.get(s, 1.0) for s in ct.SERVICES])[service]
    dur = med[channel] * svc_factor * np.exp(sig[channel] * rng.normal(size=n))
    duration = np.where(np.isnan(dur) | no_contact, -1, np.round(np.nan_to_num(dur)))
    duration = duration.astype(np.int64)

    inbound = ~outbound
    w_phone = 150 * np.exp(0.9 * rng.normal(size=n)) * np.where(wd == 0, 1.6, 1.0)
    booked = np.isin(service, [ct.SERVICES.index(s) for s in
                               ("counselling", "skills_assessment", "training_referral")])
    w_agency = np.where(booked, 240 * np.exp(0.7 * rng.normal(size=n)),
                        540 * np.exp(0.8 * rng.normal(size=n)))
    w_chat = 45 * np.exp(0.7 * rng.normal(size=n))
    wait = np.select([channel == CH["phone"], channel == CH["agency"], channel == CH["chat"]],
                     [w_phone, w_agency, w_chat], -1.0)
    wait = np.where(inbound & ~no_contact & (wait >= 0) & (staff | (channel != CH["chat"])),
                    np.round(wait), -1).astype(np.int64)

    p_res = _channel_vector(RESOLVED_BY_CHANNEL, 0.7)[channel]
    p_res = p_res * np.where(service == ct.SERVICES.index("complaint"), 0.6, 1.0)
    p_res = p_res * np.where((skill <= 1) & ~staff, 0.85, 1.0)
    resolved = np.where(inbound & ~no_contact, (rng.random(n) < p_res).astype(np.int64), -1)

    # Satisfaction of a sample: agency effect + channel + was it resolved + long waits.
    surveyed = ((inbound | staff) & ~no_contact & ~np.isin(channel, [CH["sms"], CH["letter"]])
                & (rng.random(n) < SURVEY_SHARE))
    x = (agency_logit[agency] + _channel_vector(SATISFACTION_BY_CHANNEL, 0.0)[channel]
         + np.select([resolved == 1, resolved == 0], [0.4, -1.2], 0.0)
         - 0.6 * (wait > 900) + 0.25 * (~js))
    satisfied = rng.random(n) < _sigmoid(x)
    u = rng.random(n)
    score = np.where(satisfied, np.where(u < 0.45, 5, 4),
                     np.where(u < 0.5, 3, np.where(u < 0.8, 2, 1)))
    satisfaction = np.where(surveyed, score, 0)

    party_code = np.where(js, person, len(persons.number) + emp)
    return Drawn(cs.party.astype(np.int8), party_code.astype(np.int32), at.astype(np.int64),
                 channel, outbound, service.astype(np.int8), agency.astype(np.int16), staff,
                 counsellor.astype(np.int32), duration.astype(np.int32), wait.astype(np.int32),
                 resolved.astype(np.int8), satisfaction.astype(np.int8), status.astype(np.int8))


# =============================================================================================
# Frames and files
# =============================================================================================


def jobseekers_frame(persons: Persons, spells: Spells) -> pl.DataFrame:
    p = spells.person
    order = np.lexsort((persons.number[p], spells.registered))
    p, s = p[order], order
    frame = pl.DataFrame({
        "person_id": _ids("P", persons.number[p], 7),
        "registered_on": pl.Series(spells.registered[s].astype(np.int32)).cast(pl.Date),
        "birth_year": pl.Series(persons.birth_year[p], dtype=pl.Int64),
        "sex": pl.Series(["F", "M", "X"]).gather(persons.sex[p]),
        "education_level": pl.Series(ct.EDUCATION_LEVELS).gather(persons.education[p]),
        "agency_code": pl.Series([a[0] for a in AGENCIES]).gather(persons.agency[p]),
        "support_tier": pl.Series(ct.SUPPORT_TIERS).gather(persons.tier[p]),
        "digital_skills": pl.Series(ct.DIGITAL_SKILLS).gather(persons.skills[p]),
        "has_disability": pl.Series(persons.disability[p], dtype=pl.Boolean),
        "sought_isco08": _gather_nullable(
            SOUGHT_LABELS, persons.sought[p] if persons.sought is not None
            else np.full(len(p), -1)),
        "exited_on": _nullable(spells.exited[s], spells.exited[s] >= 0, pl.Date),
        "exit_reason": _gather_nullable(ct.EXIT_REASONS, spells.reason[s]),
        "employed_3_months_after_exit": _nullable(spells.employed_3m[s] == 1,
                                                  spells.employed_3m[s] >= 0, pl.Boolean),
    })
    return frame.select(ct.JOBSEEKERS.names)


def vacancies_frame(vac: Vacancies, employers: Employers, employer_ids: pl.Series) -> pl.DataFrame:
    e = vac.employer
    frame = pl.DataFrame({
        "vacancy_id": _ids("V", np.arange(1, vac.n + 1), 6),
        "employer_id": employer_ids.gather(e),
        "employer_size": pl.Series(ct.EMPLOYER_SIZES).gather(employers.size[e]),
        "nace_section": pl.Series(ct.NACE_SECTIONS).gather(employers.section[e]),
        "isco08": pl.Series(ISCO_CODES).gather(vac.isco),
        "agency_code": pl.Series([a[0] for a in AGENCIES]).gather(employers.agency[e]),
        "contract_type": pl.Series(ct.CONTRACT_TYPES).gather(vac.contract),
        "posted_on": pl.Series(vac.posted.astype(np.int32)).cast(pl.Date),
        "n_positions": pl.Series(vac.n_positions, dtype=pl.Int64),
        "closed_on": _nullable(vac.closed, vac.closed >= 0, pl.Date),
        "close_reason": _gather_nullable(ct.CLOSE_REASONS, vac.reason),
        "n_candidates_proposed": _nullable(vac.proposed, vac.proposed >= 0, pl.Int64),
        "n_hires_from_proposed": _nullable(vac.hires, vac.hires >= 0, pl.Int64),
    })
    return frame.select(ct.VACANCIES.names)


def _nullable(values: np.ndarray, valid: np.ndarray, dtype) -> pl.Series:
    physical = values.astype(np.int32) if dtype == pl.Date else values
    s = pl.Series(physical)
    s = pl.select(pl.when(pl.Series(valid)).then(s)).to_series()
    return s.cast(dtype)


def _gather_nullable(labels: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    idx = pl.Series(np.where(codes >= 0, codes, 0).astype(np.int64))
    idx = pl.select(pl.when(pl.Series(codes >= 0)).then(idx)).to_series()
    return pl.Series(labels).gather(idx)


def interactions_frame(d: Drawn, sl: slice, first_id: int, party_ids: pl.Series,
                       counsellor_ids: pl.Series) -> pl.DataFrame:
    n = sl.stop - sl.start
    agency_codes = pl.Series([a[0] for a in AGENCIES])
    counsellor = d.counsellor[sl]
    frame = pl.DataFrame({
        "interaction_id": _ids("I", np.arange(first_id, first_id + n), 8),
        "occurred_at": pl.Series(d.at[sl] * 1_000_000).cast(pl.Datetime("us")),
        "party_type": pl.Series(["jobseeker", "employer"]).gather(d.party[sl]),
        "party_id": party_ids.gather(d.party_code[sl]),
        "channel": pl.Series(ct.CHANNELS).gather(d.channel[sl]),
        "direction": pl.Series(["inbound", "outbound"]).gather(d.outbound[sl].astype(np.int8)),
        "service": pl.Series(ct.SERVICES).gather(d.service[sl]),
        "agency_code": agency_codes.gather(d.agency[sl]),
        "is_staff_assisted": pl.Series(d.staff[sl], dtype=pl.Boolean),
        "counsellor_id": _gather_ids(counsellor_ids, counsellor),
        "duration_s": _nullable(d.duration[sl], d.duration[sl] >= 0, pl.Int64),
        "wait_s": _nullable(d.wait[sl], d.wait[sl] >= 0, pl.Int64),
        "is_resolved": _nullable(d.resolved[sl] == 1, d.resolved[sl] >= 0, pl.Boolean),
        "satisfaction": _nullable(d.satisfaction[sl].astype(np.int64), d.satisfaction[sl] > 0,
                                  pl.Int64),
        "appointment_status": _gather_nullable(APPOINTMENT_STATUS, d.status[sl]),
    })
    return frame.select(ct.INTERACTIONS.names)


def _gather_ids(ids: pl.Series, codes: np.ndarray) -> pl.Series:
    idx = pl.Series(np.where(codes >= 0, codes, 0).astype(np.int64))
    idx = pl.select(pl.when(pl.Series(codes >= 0)).then(idx)).to_series()
    return ids.gather(idx)


def _write(frame: pl.DataFrame, path: Path, fmt: str) -> str:
    """Write atomically (temp file in the same folder, then rename); return the sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if fmt == "csv":
            frame.write_csv(tmp, date_format="%Y-%m-%d", datetime_format="%Y-%m-%dT%H:%M:%S",
                            null_value="", include_bom=False)
        else:
            frame.write_parquet(tmp, compression="zstd", compression_level=3, statistics=True,
                                row_group_size=262_144)
        digest = _sha256(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return digest


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_text(text: str, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# =============================================================================================
# Entry point
# =============================================================================================


def _check(config: DemoConfig) -> None:
    if config.file_format not in FILE_FORMATS:
        raise ValueError(f"file_format must be one of {FILE_FORMATS}, not {config.file_format!r}")
    if config.n_jobseekers < 1 or config.n_employers < 1 or config.months < 1:
        raise ValueError("n_jobseekers, n_employers and months must be at least 1")
    if config.n_interactions is not None and config.n_interactions < 0:
        raise ValueError("n_interactions must be >= 0")
    try:
        np.datetime64(config.end_month, "M")
    except ValueError as exc:
        raise ValueError(f"end_month must be YYYY-MM, not {config.end_month!r}") from exc


def generate_demo(landing_dir: Path, config: DemoConfig = DemoConfig(),
                  progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write the demo data set under landing_dir/<source>/ and return the files written."""
    _check(config)
    say = progress or (lambda message: None)
    landing_dir = Path(landing_dir)
    fmt = config.file_format
    ext = "csv" if fmt == "csv" else "parquet"
    # Independent streams: the interaction count never changes the people or the vacancies,
    # and the occupation sought (drawn last, from its own stream) changes nothing else.
    (r_people, r_spells, r_employers, r_vacancies, r_counsellors, r_contacts, r_details,
     r_sought) = (np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(8))
    cal = Calendar.ending(config.end_month, config.months)
    agencies = build_agencies()

    persons, first = build_persons(r_people, config.n_jobseekers, cal, agencies)
    persons.sought = draw_sought(r_sought, persons.education)
    spells = build_spells(r_spells, persons, first, cal)
    employers = build_employers(r_employers, config.n_employers, agencies)
    vac = build_vacancies(r_vacancies, employers, cal)
    counsellors, employer_counsellor = assign_counsellors(
        r_counsellors, persons, spells, employers.agency, agencies.n, cal)
    say(f"{len(persons.number):,} persons, {spells.n:,} spells, {vac.n:,} vacancies, "
        f"{counsellors.n:,} counsellors")

    contacts = draw_contacts(r_contacts, spells, persons, vac, config.n_employers, cal,
                             config.n_interactions)
    agency_logit = agency_satisfaction(r_counsellors, agencies.n)
    # In chunks, so the temporaries of ten million rows never sit in memory at once.
    chunks = []
    for start in range(0, contacts.n, CHUNK):
        part = contacts.take(slice(start, start + CHUNK))
        chunks.append(draw_details(r_details, part, spells, persons, employers,
                                   employer_counsellor, agency_logit, cal))
    del contacts, part
    drawn = Drawn(*(np.concatenate([getattr(c, f.name) for c in chunks])
                    for f in dataclasses.fields(Drawn)))
    del chunks
    order = np.argsort(drawn.at, kind="stable")
    drawn = Drawn(*(getattr(drawn, f.name)[order] for f in dataclasses.fields(Drawn)))
    del order
    say(f"{len(drawn.at):,} interactions drawn")

    written: dict[str, str] = {}
    paths: list[Path] = []

    def put(frame: pl.DataFrame, rel: str, file_format: str) -> None:
        path = landing_dir / rel
        written[rel] = _write(frame, path, file_format)
        paths.append(path)

    put(agencies.frame, "agencies/agencies.csv", "csv")
    put(jobseekers_frame(persons, spells), f"jobseekers/jobseekers.{ext}", fmt)
    # Ids of eight characters or more: compressed column bytes spell a short one such as
    # "C0042" by chance, which the privacy tests' search of the database file would report.
    employer_ids = _ids("E", np.arange(1, config.n_employers + 1), 7)
    put(vacancies_frame(vac, employers, employer_ids), f"vacancies/vacancies.{ext}", fmt)
    say("agencies, jobseekers and vacancies written")

    party_ids = pl.concat([_ids("P", persons.number, 7), employer_ids])
    counsellor_ids = _ids("C", counsellors.number, 7)
    day = drawn.at // 86400
    month = cal.month_of(day)
    bounds = np.searchsorted(month, np.arange(cal.n + 1), side="left")
    for m in range(cal.n):
        start, stop = int(bounds[m]), int(bounds[m + 1])
        if stop == start:
            continue
        frame = interactions_frame(drawn, slice(start, stop), start + 1, party_ids,
                                   counsellor_ids)
        put(frame, f"interactions/interactions_{cal.labels[m]}.{ext}", fmt)
        say(f"interactions {cal.labels[m]}: {stop - start:,} rows")

    manifest_path = landing_dir / MANIFEST_NAME
    stale = _previous_files(manifest_path) - set(written)
    manifest = {"generator": GENERATOR, "seed": config.seed,
                "config": dataclasses.asdict(config), "files": dict(sorted(written.items()))}
    _write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", manifest_path)
    paths.append(manifest_path)
    # Files of an earlier demo run that this one did not rewrite (another format, other months)
    # would otherwise be loaded beside the new ones.
    for rel in sorted(stale):
        (landing_dir / rel).unlink(missing_ok=True)
    say(f"{len(paths)} files written under {landing_dir}")
    return paths


def _previous_files(manifest_path: Path) -> set[str]:
    try:
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(old, dict) or old.get("generator") != GENERATOR:
        return set()
    files = old.get("files", {})
    # Only plain relative paths inside the landing folder are ever removed.
    return {rel for rel in files if isinstance(rel, str) and not rel.startswith(("/", ".."))
            and ".." not in Path(rel).parts}
