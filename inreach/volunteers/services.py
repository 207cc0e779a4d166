"""The rules for organisations, volunteers and their clearance."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..database import db
from .models import CLEARANCE_STATES, Clearance


@dataclass(frozen=True)
class ClearanceCheck:
    """Whether a volunteer may go into a prison on a day, and if not, why not (for people)."""

    cleared: bool
    state: str
    reason: str


def clearance_on(volunteer_id: int, prison_id: int, day: date) -> ClearanceCheck:
    """Is the volunteer cleared for this prison on this day? The one place this rule lives."""
    clearance = db.session.scalar(select(Clearance).where(
        Clearance.volunteer_id == volunteer_id, Clearance.prison_id == prison_id))
    if clearance is None or clearance.state == "not_started":
        return ClearanceCheck(False, "not_started", "Clearance for this prison not started")
    if clearance.state != "cleared":
        label = CLEARANCE_STATES[clearance.state]
        return ClearanceCheck(False, clearance.state, f"Clearance {label.lower()}, not cleared")
    if clearance.cleared_on and clearance.cleared_on > day:
        return ClearanceCheck(False, "submitted",
                              f"Cleared only from {clearance.cleared_on:%d %B %Y}")
    if clearance.expires_on and clearance.expires_on < day:
        return ClearanceCheck(False, "expired",
                              f"Clearance expired on {clearance.expires_on:%d %B %Y}")
    return ClearanceCheck(True, "cleared", "Cleared")
