"""The rules for the day: signing rostered volunteers in and out, who may, and their hours.

Who may do what (the object-level checks below; views also declare the roles):
- organisers and admins ("planners") see every visit's check-in list, sign anyone in or out,
  undo a mistaken tap and export the hours;
- a volunteer sees only their own row, and only for visits they are rostered on, and signs
  only themselves in and out;
- auditors see the check-in list read-only.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..accounts.roles import PLANNERS, VOLUNTEER
from ..audit.services import record
from ..database import db, utcnow, writes
from ..dates import local, today
from ..errors import DomainError
from ..printing.spreadsheet import csv_text
from ..roster.models import RosterEntry
from ..visits.models import Visit
from ..volunteers.models import Volunteer

# Cells starting with these are formulas to a spreadsheet (OWASP "CSV injection").
CSV_HEADER = ["Name", "Organisation", "Role on the day", "Signed in", "Signed out", "Hours"]


@dataclass
class HoursRow:
    """One rostered volunteer's day as plain values; times are Europe/London wall-clock."""

    entry_id: int
    name: str
    organisation: str
    role_on_day: str
    confirmed: bool
    signed_in_at: datetime | None
    signed_out_at: datetime | None
    hours: float | None

    @property
    def state(self) -> str:
        """not_arrived, signed_in or signed_out."""
        if self.signed_out_at:
            return "signed_out"
        return "signed_in" if self.signed_in_at else "not_arrived"

    @property
    def state_text(self) -> str:
        """The state for people, with the local time of the last tap."""
        if self.signed_out_at:
            return f"Signed out at {self.signed_out_at:%H:%M}"
        return f"Signed in at {self.signed_in_at:%H:%M}" if self.signed_in_at else "Not arrived"


@dataclass
class VisitHours:
    """Every rostered volunteer's hours on a visit, by name, and the total of those hours."""

    rows: list[HoursRow]
    total: float


def own_volunteer_id(user: User) -> int | None:
    """The volunteer record linked to this login, if any."""
    return db.session.scalar(select(Volunteer.id).where(Volunteer.user_id == user.id))


def may_sign(user: User, entry: RosterEntry) -> bool:
    """Object-level check: planners sign anyone in or out; a volunteer only themselves."""
    if user.role in PLANNERS:
        return True
    return user.role == VOLUNTEER and entry.volunteer.user_id == user.id


def _entry_for(entry_id: int, actor_id: int) -> RosterEntry:
    """The entry, locked and re-read so two tablets tapping at once cannot both pass the
    checks; refuses an unknown entry or an actor who may not sign it."""
    entry = db.session.get(RosterEntry, entry_id, with_for_update=True, populate_existing=True)
    if entry is None:
        raise DomainError("not_found", "That volunteer is not on this visit")
    actor = db.session.get(User, actor_id)
    if actor is None or not may_sign(actor, entry):
        raise DomainError("not_allowed", "You can only sign yourself in and out")
    return entry


def _clock(moment: datetime) -> str:
    """A stored UTC time as HH:MM in England."""
    return f"{local(moment):%H:%M}"


def sign_in_closed(visit: Visit) -> DomainError | None:
    """Why nobody can sign in on this visit now (cancelled, or not its day), else None."""
    if visit.status == "cancelled":
        return DomainError("visit_cancelled", "This visit is cancelled, so nobody can sign in")
    day = f"{visit.date:%A} {visit.date.day} {visit.date:%B %Y}"
    if visit.date > today():
        return DomainError("not_visit_day", f"Signing in opens on the day of the visit, {day}")
    if visit.date < today():
        return DomainError("not_visit_day", f"Signing in closed: the visit was on {day}")
    return None


@writes
def sign_in(entry_id: int, actor_id: int) -> RosterEntry:
    """Record that a confirmed volunteer arrived, now; only on the day of a live visit."""
    entry = _entry_for(entry_id, actor_id)
    name = entry.volunteer.name
    if entry.signed_in_at is not None:
        raise DomainError("already_signed_in",
                          f"{name} is already signed in, since {_clock(entry.signed_in_at)}")
    refusal = sign_in_closed(entry.visit)
    if refusal:
        raise refusal
    if not entry.confirmed:
        raise DomainError("not_confirmed", f"{name} is not confirmed for this visit. An "
                                           "organiser must confirm their clearance first")
    entry.signed_in_at = utcnow()
    record("checkin.signed_in", actor_id, "roster_entry", entry.id)
    db.session.commit()
    return entry


@writes
def sign_out(entry_id: int, actor_id: int) -> RosterEntry:
    """Record that a signed-in volunteer left, now."""
    entry = _entry_for(entry_id, actor_id)
    name = entry.volunteer.name
    if entry.signed_in_at is None:
        raise DomainError("not_signed_in", f"{name} has not signed in yet, so cannot sign out")
    if entry.signed_out_at is not None:
        raise DomainError("already_signed_out",
                          f"{name} already signed out at {_clock(entry.signed_out_at)}")
    entry.signed_out_at = utcnow()
    record("checkin.signed_out", actor_id, "roster_entry", entry.id)
    db.session.commit()
    return entry


@writes
def undo(entry_id: int, actor_id: int) -> str:
    """Planners only: take back the last tap (a sign-out, else a sign-in); returns which."""
    actor = db.session.get(User, actor_id)
    if actor is None or actor.role not in PLANNERS:
        raise DomainError("not_allowed", "Only an organiser can undo a sign-in or sign-out")
    entry = _entry_for(entry_id, actor_id)
    if entry.signed_out_at is not None:
        entry.signed_out_at, undone = None, "sign_out"
    elif entry.signed_in_at is not None:
        entry.signed_in_at, undone = None, "sign_in"
    else:
        raise DomainError("nothing_to_undo", f"{entry.volunteer.name} has not signed in")
    record("checkin.undone", actor_id, "roster_entry", entry.id, detail=f"undid={undone}")
    db.session.commit()
    return undone


def hours(entry: RosterEntry) -> float | None:
    """Hours between signing in and out, to two decimal places; None until both happened."""
    if entry.signed_in_at is None or entry.signed_out_at is None:
        return None
    return round((entry.signed_out_at - entry.signed_in_at).total_seconds() / 3600, 2)


def _row(entry: RosterEntry) -> HoursRow:
    """An entry as plain values, times in England."""
    return HoursRow(
        entry_id=entry.id, name=entry.volunteer.name,
        organisation=entry.volunteer.organisation.name, role_on_day=entry.role_on_day,
        confirmed=entry.confirmed,
        signed_in_at=local(entry.signed_in_at) if entry.signed_in_at else None,
        signed_out_at=local(entry.signed_out_at) if entry.signed_out_at else None,
        hours=hours(entry))


def visit_hours(visit_id: int, volunteer_id: int | None = None) -> VisitHours:
    """Plain data for any page: ``rows`` sorted by name and ``total`` (sum of their hours).

    Each row is an HoursRow: entry_id, name, organisation, role_on_day, confirmed,
    signed_in_at and signed_out_at (aware Europe/London datetimes, or None), hours (float to
    two places, None until signed out) and state (not_arrived / signed_in / signed_out).
    Pass ``volunteer_id`` for that volunteer's row only. Reads only; no audit row.
    """
    query = (select(RosterEntry).where(RosterEntry.visit_id == visit_id)
             .options(joinedload(RosterEntry.volunteer).joinedload(Volunteer.organisation)))
    if volunteer_id is not None:
        query = query.where(RosterEntry.volunteer_id == volunteer_id)
    rows = sorted((_row(entry) for entry in db.session.scalars(query)),
                  key=lambda row: (row.name.lower(), row.entry_id))
    return VisitHours(rows=rows, total=round(sum(row.hours or 0 for row in rows), 2))


def _when(moment: datetime | None) -> str:
    """A local time for the CSV, or blank."""
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""


@writes
def hours_csv(visit_id: int, actor_id: int) -> str:
    """The visit's volunteer hours as CSV text with a total row; the export is audited."""
    data = visit_hours(visit_id)
    rows = [[row.name, row.organisation, row.role_on_day, _when(row.signed_in_at),
             _when(row.signed_out_at), "" if row.hours is None else f"{row.hours:.2f}"]
            for row in data.rows]
    record("checkin.hours_exported", actor_id, "visit", visit_id)
    db.session.commit()
    return csv_text([CSV_HEADER, *rows, ["Total", "", "", "", "", f"{data.total:.2f}"]])
