"""The rules for visits and their sessions."""

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import Select, bindparam, exists, false, select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..accounts.roles import PLAN_READERS, VOLUNTEER
from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError
from ..paging import PAGE_SIZE, Page, paginate
from ..prisons.models import Prison
from ..roster.models import RosterEntry, RosterSession
from ..volunteers.models import Volunteer
from .models import STATUSES, Visit, VisitSession

GATE_LIST_WORKING_DAYS = 10
DEADLINE_NEAR_DAYS = 5
UPCOMING_SHOWN = 10  # visits on the home page; the visits list has the rest
# Which status may follow which; a completed visit is final.
NEXT_STATUSES = {
    "draft": ("confirmed", "cancelled"),
    "confirmed": ("completed", "cancelled", "draft"),
    "cancelled": ("draft",),
    "completed": (),
}


@dataclass
class VisitDetails:
    """What an organiser types about a visit."""

    prison_id: int
    date: date
    title: str
    purpose: str = ""
    arrival_time: time | None = None
    contact_name: str = ""
    contact_role: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    gate_list_deadline: date | None = None
    notes: str = ""


@dataclass
class SessionDetails:
    """What an organiser types about a session."""

    label: str
    starts_at: time
    ends_at: time
    room: str
    capacity: int
    roles_wanted: str = ""


def working_days_before(day: date, count: int) -> date:
    """The date ``count`` weekdays before ``day`` (bank holidays are not known here)."""
    while count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _check_visit(details: VisitDetails, current_prison_id: int | None = None) -> None:
    """Refuse an unknown or newly chosen archived prison, and a deadline after the visit."""
    prison = db.session.get(Prison, details.prison_id)
    if prison is None or (prison.archived and prison.id != current_prison_id):
        raise DomainError("prison_unavailable", "Choose a prison from the list", "prison_id")
    if details.gate_list_deadline and details.gate_list_deadline > details.date:
        raise DomainError("deadline_after_visit",
                          "The gate-list deadline must be on or before the visit date",
                          "gate_list_deadline")


@writes
def create_visit(details: VisitDetails, actor_id: int, today: date) -> Visit:
    """Plan a new visit in draft; the gate-list deadline defaults to 10 working days before."""
    _check_visit(details)
    if details.date < today:
        raise DomainError("date_past", "The visit date must be today or in the future", "date")
    fields = vars(details) | {"gate_list_deadline": details.gate_list_deadline
                              or working_days_before(details.date, GATE_LIST_WORKING_DAYS)}
    visit = Visit(**fields, status="draft")
    db.session.add(visit)
    db.session.flush()
    record("visit.created", actor_id, "visit", visit.id)
    db.session.commit()
    return visit


@writes
def update_visit(visit_id: int, details: VisitDetails, actor_id: int) -> Visit:
    """Change a visit's details (an archived prison may stay, not be newly chosen)."""
    visit = get_visit(visit_id)
    _check_visit(details, current_prison_id=visit.prison_id)
    for name, value in vars(details).items():
        if name == "gate_list_deadline" and value is None:
            value = working_days_before(details.date, GATE_LIST_WORKING_DAYS)
        setattr(visit, name, value)
    record("visit.updated", actor_id, "visit", visit.id)
    db.session.commit()
    return visit


@writes
def change_status(visit_id: int, status: str, actor_id: int) -> Visit:
    """Move a visit along draft → confirmed → completed, or cancel it."""
    visit = get_visit(visit_id)
    if status not in NEXT_STATUSES.get(visit.status, ()):
        raise DomainError("bad_transition",
                          f"A {STATUSES[visit.status].lower()} visit cannot become "
                          f"{STATUSES.get(status, status).lower()}")
    visit.status = status
    record("visit.status_changed", actor_id, "visit", visit.id, detail=f"status={status}")
    db.session.commit()
    return visit


def get_visit(visit_id: int) -> Visit:
    """The visit, or a not_found error."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        raise DomainError("not_found", "That visit does not exist")
    return visit


def _overlaps(a_start: time, a_end: time, b_start: time, b_end: time) -> bool:
    """Whether two time ranges on the same day overlap (touching ends do not)."""
    return a_start < b_end and b_start < a_end


def _check_session(visit: Visit, details: SessionDetails, session_id: int | None) -> None:
    """Ends after it starts, capacity 1–200, a unique label, and no double-booked room."""
    if details.ends_at <= details.starts_at:
        raise DomainError("ends_before_start", "The end time must be after the start time",
                          "ends_at")
    if not 1 <= details.capacity <= 200:
        raise DomainError("capacity_range", "Capacity must be between 1 and 200", "capacity")
    for other in visit.sessions:
        if other.id == session_id:
            continue
        if other.label.strip().lower() == details.label.strip().lower():
            raise DomainError("duplicate_label", "Another session of this visit has this name",
                              "label")
        same_room = other.room.strip().lower() == details.room.strip().lower()
        if same_room and _overlaps(details.starts_at, details.ends_at,
                                   other.starts_at, other.ends_at):
            raise DomainError(
                "room_clash",
                f"{other.label} uses {other.room} from {other.starts_at:%H:%M} to "
                f"{other.ends_at:%H:%M}; choose another room or time", "room")


@writes
def add_session(visit_id: int, details: SessionDetails, actor_id: int) -> VisitSession:
    """Add a session to a visit (sessions are on the visit's date by construction)."""
    visit = get_visit(visit_id)
    _check_session(visit, details, None)
    session = VisitSession(visit=visit, **vars(details))
    db.session.add(session)
    db.session.flush()
    record("session.created", actor_id, "session", session.id)
    db.session.commit()
    return session


@writes
def update_session(session_id: int, details: SessionDetails, actor_id: int) -> VisitSession:
    """Change a session, keeping the same rules."""
    session = get_session(session_id)
    _check_session(session.visit, details, session.id)
    for name, value in vars(details).items():
        setattr(session, name, value)
    record("session.updated", actor_id, "session", session.id)
    db.session.commit()
    return session


@writes
def delete_session(session_id: int, actor_id: int) -> None:
    """Remove a session nobody has been placed in yet."""
    session = get_session(session_id)
    placed = db.session.scalar(select(RosterSession.id).where(
        RosterSession.session_id == session.id).limit(1))
    if placed is not None:
        raise DomainError("session_in_use", "Volunteers are placed in this session. "
                                            "Take them out of it first.")
    record("session.deleted", actor_id, "session", session.id)
    db.session.delete(session)
    db.session.commit()


def get_session(session_id: int) -> VisitSession:
    """The session, or a not_found error."""
    session = db.session.get(VisitSession, session_id)
    if session is None:
        raise DomainError("not_found", "That session does not exist")
    return session


def visible_visits(user: User, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """A page of the visits a user may see, newest first (see ``_visible``)."""
    return paginate(_visible(user).order_by(Visit.date.desc(), Visit.id.desc()), page, size)


def upcoming_visits(user: User, today: date, limit: int = UPCOMING_SHOWN) -> list[Visit]:
    """The draft or confirmed visits from today on that a user may see, soonest first, at most
    ``limit`` of them."""
    query = _visible(user).where(Visit.date >= today, Visit.status.in_(("draft", "confirmed")))
    return list(db.session.scalars(query.order_by(Visit.date, Visit.id).limit(limit)))


def _visible(user: User) -> Select:
    """The visits a user may see, with their prisons: all for planners and auditors, those
    they are rostered on for volunteers, none for anyone else."""
    query = select(Visit).options(joinedload(Visit.prison))
    if user.role in PLAN_READERS:
        return query
    if user.role == VOLUNTEER:
        return query.where(exists().where(RosterEntry.visit_id == Visit.id,
                                          RosterEntry.volunteer_id == Volunteer.id,
                                          Volunteer.user_id == user.id))
    return query.where(false())


# Checked on every request about a visit (every referral save), so built once and run as a
# plain query: on SQLite, building a statement costs more than running it.
ROSTERED = (select(RosterEntry.id).join(Volunteer, Volunteer.id == RosterEntry.volunteer_id)
            .where(RosterEntry.visit_id == bindparam("visit_id"),
                   Volunteer.user_id == bindparam("user_id")))


def may_view(user: User, visit_id: int) -> bool:
    """Object-level check: planners and auditors see any visit; a volunteer only a visit they
    are rostered on."""
    if user.role in PLAN_READERS:
        return True
    if user.role != VOLUNTEER:
        return False
    rostered = db.session.connection().execute(ROSTERED, {"visit_id": visit_id,
                                                          "user_id": user.id})
    return rostered.first() is not None
