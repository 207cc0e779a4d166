"""The rules for the roster: who goes in on a visit, in which sessions and role, and whether
they are confirmed (only volunteers cleared for the prison on the visit date can be)."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError
from ..visits.models import Visit, VisitSession
from ..visits.services import get_visit
from ..volunteers.models import Volunteer
from ..volunteers.services import clearance_on, clearances_on
from .models import RosterEntry, RosterSession


@dataclass
class RosterRow:
    """One rostered volunteer as a page or a printout shows them (plain values only)."""

    entry_id: int
    volunteer_id: int
    name: str
    organisation: str
    role_on_day: str
    escorted: bool
    confirmed: bool
    cleared: bool
    reason: str
    sessions: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """Confirmed, or pending with the reason, for people."""
        if self.confirmed and self.cleared:
            return "Confirmed"
        if self.confirmed:
            return f"Confirmed, but {self.reason[0].lower()}{self.reason[1:]}"
        return f"Pending: {self.reason}" if not self.cleared else "Pending: cleared, not confirmed"


@writes
def add_to_roster(visit_id: int, volunteer_id: int, role_on_day: str, escorted: bool,
                  session_ids: list[int], actor_id: int) -> RosterEntry:
    """Put a volunteer on a visit; confirmed at once if cleared for the prison on that day."""
    visit = get_visit(visit_id)
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.archived:
        raise DomainError("volunteer_unavailable", "Choose a volunteer from the list",
                          "volunteer_id")
    if _entry_for(visit.id, volunteer.id) is not None:
        raise DomainError("already_rostered", f"{volunteer.name} is already on this visit",
                          "volunteer_id")
    sessions = _sessions_of(visit, session_ids)
    check = clearance_on(volunteer.id, visit.prison_id, visit.date)
    entry = RosterEntry(visit=visit, volunteer=volunteer, role_on_day=role_on_day.strip(),
                        escorted=escorted, confirmed=check.cleared)
    entry.sessions = [RosterSession(session=session) for session in sessions]
    db.session.add(entry)
    db.session.flush()
    record("roster.added", actor_id, "roster_entry", entry.id)
    db.session.commit()
    return entry


def _entry_for(visit_id: int, volunteer_id: int) -> RosterEntry | None:
    """The volunteer's roster entry on a visit, if any."""
    return db.session.scalar(select(RosterEntry).where(
        RosterEntry.visit_id == visit_id, RosterEntry.volunteer_id == volunteer_id))


def _sessions_of(visit: Visit, session_ids: list[int]) -> list[VisitSession]:
    """The chosen sessions, refusing any that belong to another visit."""
    by_id = {session.id: session for session in visit.sessions}
    if any(session_id not in by_id for session_id in session_ids):
        raise DomainError("unknown_session", "Choose sessions of this visit", "session_ids")
    return [by_id[session_id] for session_id in dict.fromkeys(session_ids)]


def get_entry(visit_id: int, entry_id: int) -> RosterEntry:
    """A roster entry of this visit, or a not_found error."""
    entry = db.session.get(RosterEntry, entry_id)
    if entry is None or entry.visit_id != visit_id:
        raise DomainError("not_found", "That volunteer is not on this visit")
    return entry


@writes
def confirm(visit_id: int, entry_id: int, actor_id: int) -> RosterEntry:
    """Confirm a pending volunteer; refused unless cleared for the prison on the visit date."""
    entry = get_entry(visit_id, entry_id)
    check = clearance_on(entry.volunteer_id, entry.visit.prison_id, entry.visit.date)
    if not check.cleared:
        raise DomainError("not_cleared", f"{entry.volunteer.name} cannot be confirmed: "
                                         f"{check.reason[0].lower()}{check.reason[1:]}")
    entry.confirmed = True
    record("roster.confirmed", actor_id, "roster_entry", entry.id)
    db.session.commit()
    return entry


@writes
def set_sessions(visit_id: int, entry_id: int, session_ids: list[int], actor_id: int) -> None:
    """Place a rostered volunteer in exactly these sessions of the visit (none: whole visit)."""
    entry = get_entry(visit_id, entry_id)
    wanted = {session.id for session in _sessions_of(entry.visit, session_ids)}
    for placed in list(entry.sessions):
        if placed.session_id not in wanted:
            entry.sessions.remove(placed)
    already = {placed.session_id for placed in entry.sessions}
    entry.sessions.extend(RosterSession(session_id=session_id)
                          for session_id in sorted(wanted - already))
    record("roster.sessions_set", actor_id, "roster_entry", entry.id,
           detail="sessions=" + ",".join(map(str, sorted(wanted))))
    db.session.commit()


@writes
def remove_from_roster(visit_id: int, entry_id: int, actor_id: int) -> None:
    """Take a volunteer off a visit, unless they have already signed in (hours are kept)."""
    entry = get_entry(visit_id, entry_id)
    if entry.signed_in_at is not None:
        raise DomainError("signed_in", f"{entry.volunteer.name} has signed in on the day; "
                                       "their hours are kept, so they stay on the roster")
    record("roster.removed", actor_id, "roster_entry", entry.id)
    db.session.delete(entry)
    db.session.commit()


def roster_rows(visit: Visit) -> list[RosterRow]:
    """The visit's roster with each volunteer's clearance on the visit date, by name (entries,
    volunteers, sessions and clearances loaded together, however many there are)."""
    entries = list(db.session.scalars(
        select(RosterEntry).where(RosterEntry.visit_id == visit.id)
        .options(joinedload(RosterEntry.volunteer).joinedload(Volunteer.organisation),
                 selectinload(RosterEntry.sessions).joinedload(RosterSession.session))))
    checks = clearances_on([entry.volunteer_id for entry in entries], visit.prison_id,
                           visit.date)
    rows = []
    for entry in entries:
        check = checks[entry.volunteer_id]
        rows.append(RosterRow(
            entry_id=entry.id, volunteer_id=entry.volunteer_id, name=entry.volunteer.name,
            organisation=entry.volunteer.organisation.name, role_on_day=entry.role_on_day,
            escorted=entry.escorted, confirmed=entry.confirmed, cleared=check.cleared,
            reason=check.reason,
            sessions=[placed.session.label for placed in
                      sorted(entry.sessions, key=lambda item: item.session.starts_at)]))
    return sorted(rows, key=lambda row: row.name.lower())
