"""Dates and times as people in England read them; the database keeps UTC."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from .database import utcnow

LONDON = ZoneInfo("Europe/London")


def today() -> date:
    """Today's date in England."""
    return utcnow().astimezone(LONDON).date()


def local(moment: datetime) -> datetime:
    """A UTC moment as a wall-clock time in England."""
    return moment.astimezone(LONDON)


def duration(seconds: float) -> str:
    """A length of time as a person says it: "40 seconds", "3 minutes", "2 hours 5 minutes"."""
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} minutes"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} hours" + (f" {minutes} minute{'s' if minutes != 1 else ''}"
                                   if minutes else "")
    return f"{hours // 24} days"
