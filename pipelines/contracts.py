"""Data contracts of the landed sources: the single source of truth for columns.

docs/data-contracts.md describes the same contracts for people; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines import isco08

CHANNELS = ("agency", "phone", "email", "web", "app", "video", "chat", "sms", "kiosk", "letter", "event")
# Digital = reached through a screen without travelling to an agency desk. Kiosks are
# self-service terminals, so they count as digital even though they stand in agencies.
DIGITAL_CHANNELS = ("web", "app", "email", "video", "chat", "sms", "kiosk")
SERVICES = (
    "registration", "benefit_claim", "job_search_report", "appointment_booking", "counselling",
    "skills_assessment", "training_referral", "job_matching", "recruitment_event",
    "vacancy_management", "information", "complaint",
)
EXIT_REASONS = (
    "employment", "training", "other_benefit", "sanction_or_removal", "no_renewal", "retirement",
    "other",
)
SUPPORT_TIERS = ("autonomous", "guided", "intensive", "global")
DIGITAL_SKILLS = ("none", "basic", "above_basic", "unknown")
EDUCATION_LEVELS = ("low", "medium", "high")
EMPLOYER_SIZES = ("micro", "small", "medium", "large")
NACE_SECTIONS = tuple("ABCDEFGHIJKLMNOPQRSTU")
CONTRACT_TYPES = ("permanent", "fixed_term", "temporary", "apprenticeship", "seasonal")
CLOSE_REASONS = ("filled_pes", "filled_other", "withdrawn", "expired")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # text | int | float | bool | date | timestamp
    required: bool
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    # Identifies a person, an employer or a counsellor: replaced by a keyed HMAC at ingestion.
    pseudonymise: bool = False
    description: str = ""
    # How the docs name ``allowed`` when it is a classification too long to list.
    allowed_name: str | None = None


@dataclass(frozen=True)
class Contract:
    source: str
    description: str
    columns: tuple[Column, ...]
    unique_key: str | None

    @property
    def key_columns(self) -> tuple[str, ...]:
        """What identifies a row: a repeat is kept once and reported."""
        if self.unique_key:
            return (self.unique_key,)
        return ("person_id", "registered_on") if self.source == "jobseekers" else ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def pseudonymised(self) -> list[str]:
        return [c.name for c in self.columns if c.pseudonymise]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


INTERACTIONS = Contract(
    source="interactions",
    description="One row per contact between the PES and a user.",
    unique_key="interaction_id",
    columns=(
        Column("interaction_id", "text", True, description="Unique id of the contact."),
        Column("occurred_at", "timestamp", True,
               description="ISO 8601; naive times are in the PES time zone of the settings."),
        Column("party_type", "text", True, allowed=("jobseeker", "employer")),
        Column("party_id", "text", True, pseudonymise=True,
               description="person_id of a job-seeker or employer_id of an employer."),
        Column("channel", "text", True, allowed=CHANNELS),
        Column("direction", "text", True, allowed=("inbound", "outbound")),
        Column("service", "text", True, allowed=SERVICES),
        Column("agency_code", "text", True),
        Column("is_staff_assisted", "bool", True, description="False means self-service."),
        Column("counsellor_id", "text", False, pseudonymise=True),
        Column("duration_s", "int", False, min=0),
        Column("wait_s", "int", False, min=0),
        Column("is_resolved", "bool", False, description="First-contact resolution."),
        Column("satisfaction", "int", False, min=1, max=5),
        Column("appointment_status", "text", False, allowed=("attended", "no_show", "cancelled")),
    ),
)

JOBSEEKERS = Contract(
    source="jobseekers",
    description="One row per registration spell of a job-seeker.",
    unique_key=None,  # a person has one row per spell: (person_id, registered_on) is checked
    columns=(
        Column("person_id", "text", True, pseudonymise=True),
        Column("registered_on", "date", True),
        Column("birth_year", "int", True, min=1900, max=2100),
        Column("sex", "text", True, allowed=("F", "M", "X")),
        Column("education_level", "text", True, allowed=EDUCATION_LEVELS,
               description="ISCED bands: low 0-2, medium 3-4, high 5-8."),
        Column("agency_code", "text", True),
        Column("support_tier", "text", True, allowed=SUPPORT_TIERS),
        Column("digital_skills", "text", True, allowed=DIGITAL_SKILLS),
        Column("has_disability", "bool", True),
        Column("sought_isco08", "text", False, allowed=isco08.CODES,
               allowed_name="an ISCO-08 code: unit group (4 digits) or, when only a broader "
                            "group is recorded, sub-major (2), minor (3) or major group (1)",
               description="Occupation sought (the register's main one), coded in ISCO-08 as "
                           "vacancies are. A PES's own codes (ROME, KldB...) can be mapped "
                           "in mappings.toml. Empty when not recorded."),
        Column("exited_on", "date", False),
        Column("exit_reason", "text", False, allowed=EXIT_REASONS),
        Column("employed_3_months_after_exit", "bool", False),
    ),
)

VACANCIES = Contract(
    source="vacancies",
    description="One row per vacancy notified to the PES.",
    unique_key="vacancy_id",
    columns=(
        Column("vacancy_id", "text", True),
        Column("employer_id", "text", True, pseudonymise=True),
        Column("employer_size", "text", True, allowed=EMPLOYER_SIZES,
               description="micro < 10 staff, small 10-49, medium 50-249, large 250+."),
        Column("nace_section", "text", True, allowed=NACE_SECTIONS),
        Column("isco08", "text", True, pattern=r"^[0-9]{4}$",
               description="ISCO-08 unit group, 4 digits kept as text."),
        Column("agency_code", "text", True),
        Column("contract_type", "text", True, allowed=CONTRACT_TYPES),
        Column("posted_on", "date", True),
        Column("n_positions", "int", True, min=1),
        Column("closed_on", "date", False),
        Column("close_reason", "text", False, allowed=CLOSE_REASONS),
        Column("n_candidates_proposed", "int", False, min=0),
        Column("n_hires_from_proposed", "int", False, min=0),
    ),
)

AGENCIES = Contract(
    source="agencies",
    description="Reference list of PES agencies and their region.",
    unique_key="agency_code",
    columns=(
        Column("agency_code", "text", True),
        Column("agency_name", "text", True),
        Column("region_code", "text", True, pattern=r"^[A-Z]{2}[0-9A-Z]{0,3}$",
               description="A NUTS code (NUTS 1 for the French regions by default)."),
        Column("region_name", "text", True),
        Column("latitude", "float", False, min=-90, max=90),
        Column("longitude", "float", False, min=-180, max=180),
    ),
)

CONTRACTS: dict[str, Contract] = {c.source: c for c in (AGENCIES, JOBSEEKERS, VACANCIES, INTERACTIONS)}
# Reference data first, so that facts always find their agency in the same refresh.
LOAD_ORDER = ("agencies", "jobseekers", "vacancies", "interactions")


def render_markdown() -> str:
    """The column tables of docs/data-contracts.md; a test keeps the doc equal to them."""
    out = []
    for source in LOAD_ORDER:
        c = CONTRACTS[source]
        key = f" Unique key: `{c.unique_key}`." if c.unique_key else ""
        out += [f"### `{source}`", "", f"{c.description}{key}", "",
                "| column | type | required | allowed values | notes |",
                "|---|---|---|---|---|"]
        for col in c.columns:
            allowed = " \\| ".join(f"`{v}`" for v in col.allowed) if col.allowed else ""
            if col.allowed_name:
                allowed = col.allowed_name
            if col.min is not None or col.max is not None:
                lo = "" if col.min is None else f"≥ {col.min:g}"
                hi = "" if col.max is None else f"≤ {col.max:g}"
                allowed = ", ".join(x for x in (lo, hi) if x)
            if col.pattern:
                allowed = f"matches `{col.pattern}`"
            notes = col.description + (" Pseudonymised (HMAC-SHA256) at ingestion."
                                       if col.pseudonymise else "")
            out.append(f"| `{col.name}` | {col.dtype} | {'yes' if col.required else 'no'} "
                       f"| {allowed} | {notes.strip()} |")
        out.append("")
    return "\n".join(out)
