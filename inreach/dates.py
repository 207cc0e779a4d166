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
