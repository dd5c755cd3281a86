"""Readable numbers, months and labels, shared by figures and page text."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHANNEL_LABELS = {
    "agency": "Agency desk", "phone": "Phone", "email": "Email", "web": "Website", "app": "App",
    "video": "Video call", "chat": "Chat", "sms": "SMS", "kiosk": "Kiosk", "letter": "Letter",
    "event": "Event",
}
SEGMENT_TYPE_LABELS = {
    "age_band": "Age band", "digital_skills": "Digital skills", "support_tier": "Support tier",
}
SEGMENT_LABELS = {
    "<25": "Under 25", "25-49": "25 to 49", "50+": "50 and over", "unknown": "Unknown",
    "none": "None", "basic": "Basic", "above_basic": "Above basic",
    "autonomous": "Autonomous", "guided": "Guided", "intensive": "Intensive", "global": "Global",
}


def label(code: str) -> str:
    """A human label for a code: 'sms' -> 'SMS', 'appointment_booking' -> 'Appointment booking'."""
    if code in CHANNEL_LABELS:
        return CHANNEL_LABELS[code]
    if code in SEGMENT_LABELS:
        return SEGMENT_LABELS[code]
    return code.replace("_", " ").capitalize()


def fmt_int(n: float | None) -> str:
    """12345 -> '12,345'."""
    return "–" if n is None else f"{round(n):,}"


def fmt_pct(x: float | None) -> str:
    """0.4531 -> '45.3%'."""
    return "–" if x is None else f"{x * 100:.1f}%"


def fmt_month(month: dt.date) -> str:
    """2026-10-01 -> 'Oct 2026'."""
    return month.strftime("%b %Y")


def fmt_period(month_from: dt.date, month_to: dt.date) -> str:
    if month_from == month_to:
        return fmt_month(month_from)
    return f"{fmt_month(month_from)} – {fmt_month(month_to)}"


def fmt_timestamp(ts: dt.datetime, timezone: str) -> str:
    """A published_at instant in the PES time zone: '5 Jan 2026, 09:30 (Europe/Paris)'."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    local = ts.astimezone(ZoneInfo(timezone))
    return f"{local.day} {local:%b %Y, %H:%M} ({timezone})"


def month_value(month: dt.date) -> str:
    """The URL and control form of a month: '2026-10'."""
    return f"{month:%Y-%m}"
