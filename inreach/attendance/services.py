"""The rules for attendance on the day: who came to each session, who did not and why, and men
who walk in without being on the list.

Who may do what (views also declare the roles):
- organisers and admins ("planners") mark attendance and add walk-ins on any visit;
- a volunteer does the same, but only on visits they are rostered on;
- auditors read the session sheets; they change nothing.
Each service owns its transaction and leaves one audit row holding ids only.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..accounts.models import User
from ..accounts.roles import PLANNERS, VOLUNTEER
from ..audit.services import record
from ..cohorts.models import DNA_REASONS, CohortMember, Person
from ..cohorts.services import PersonDetails, get_member, join_cohort, prison_number
from ..database import db, utcnow, writes
from ..errors import DomainError
from ..visits.models import Visit, VisitSession
from ..visits.services import get_session, get_visit, may_view


@dataclass
class SheetRow:
    """One man on a session's sheet, as plain values."""

    public_id: str
    person_public_id: str
    first_name: str
    last_name: str
    number_end: str
    location: str
    walk_in: bool
    state: str
    state_text: str


@dataclass
class Sheet:
    """A session's men by name, and how many attended, were absent or are not marked yet."""

    rows: list[SheetRow]
    attended: int
    absent: int
    unmarked: int


def may_mark(user: User | None, visit_id: int) -> bool:
    """Object-level check: planners on any visit, volunteers on visits they are rostered on."""
    if user is None or user.role not in (*PLANNERS, VOLUNTEER):
        return False
    return may_view(user, visit_id)


def _check_open(visit: Visit, actor_id: int) -> None:
    """Refuse an actor who may not mark this visit, and a cancelled visit."""
    if not may_mark(db.session.get(User, actor_id), visit.id):
        raise DomainError("not_allowed", "You can only record attendance on your own visits")
    if visit.status == "cancelled":
        raise DomainError("visit_cancelled",
                          "This visit is cancelled, so attendance cannot be recorded")


def _member_for(visit_id: int, public_id: str, actor_id: int) -> CohortMember:
    """The man's place on the visit, re-read under a lock, once the actor may change it."""
    visit = get_visit(visit_id)
    _check_open(visit, actor_id)
    member = get_member(visit.id, public_id)
    return db.session.get(CohortMember, member.id, with_for_update=True, populate_existing=True)


@writes
def _set(member: CohortMember, attendance: str | None, reason: str | None, action: str,
         actor_id: int) -> CohortMember:
    """Record the new state now, with an audit row, and commit."""
    member.attendance, member.dna_reason = attendance, reason
    member.attendance_at = utcnow() if attendance else None
    record(action, actor_id, "cohort_member", member.id)
    db.session.commit()
    return member


def mark_attended(visit_id: int, member_public_id: str, actor_id: int) -> CohortMember:
    """He came. Tapping again changes nothing (a retried submission is a no-op)."""
    member = _member_for(visit_id, member_public_id, actor_id)
    if member.attendance == "attended":
        db.session.rollback()
        return member
    return _set(member, "attended", None, "attendance.attended", actor_id)


def mark_absent(visit_id: int, member_public_id: str, reason: str | None,
                actor_id: int) -> CohortMember:
    """He did not come, for a reason from DNA_REASONS (required)."""
    if reason not in DNA_REASONS:
        raise DomainError("reason_required", "Choose why he did not attend", "reason")
    member = _member_for(visit_id, member_public_id, actor_id)
    if member.attendance == "absent" and member.dna_reason == reason:
        db.session.rollback()
        return member
    return _set(member, "absent", reason, "attendance.absent", actor_id)


def clear(visit_id: int, member_public_id: str, actor_id: int) -> CohortMember:
    """Undo a mistaken tap: he is back to not marked."""
    member = _member_for(visit_id, member_public_id, actor_id)
    if member.attendance is None:
        db.session.rollback()
        raise DomainError("nothing_to_clear", "His attendance is not marked yet")
    return _set(member, None, None, "attendance.cleared", actor_id)


def state_text(member: CohortMember) -> str:
    """Attended, Did not attend (reason) or Not marked yet."""
    if member.attendance == "attended":
        return "Attended"
    if member.attendance == "absent":
        return f"Did not attend: {DNA_REASONS[member.dna_reason].lower()}"
    return "Not marked yet"


def _row(member: CohortMember) -> SheetRow:
    """A man on the sheet as plain values."""
    person = member.person
    return SheetRow(public_id=member.public_id, person_public_id=person.public_id,
                    first_name=person.first_name,
                    last_name=person.last_name, number_end=person.prison_number[-3:],
                    location=person.location, walk_in=member.walk_in,
                    state=member.attendance or "unmarked", state_text=state_text(member))


def session_of(visit_id: int, session_id: int) -> VisitSession:
    """A session of this visit, or not_found."""
    session = get_session(session_id)
    if session.visit_id != visit_id:
        raise DomainError("not_found", "That session is not part of this visit")
    return session


def session_sheet(visit_id: int, session_id: int) -> Sheet:
    """The men placed in a session, by last then first name, with counts. Reads only."""
    session = session_of(visit_id, session_id)
    query = (select(CohortMember).join(Person).options(contains_eager(CohortMember.person))
             .where(CohortMember.visit_id == visit_id, CohortMember.session_id == session.id)
             .order_by(Person.last_name, Person.first_name, CohortMember.id))
    rows = [_row(member) for member in db.session.scalars(query)]
    states = [row.state for row in rows]
    return Sheet(rows=rows, attended=states.count("attended"), absent=states.count("absent"),
                 unmarked=states.count("unmarked"))


def _walk_in_details(number: str, first_name: str, last_name: str,
                     release_date: date | None) -> PersonDetails:
    """What we were told, on top of what we already know of him (nothing known is wiped)."""
    person = db.session.scalar(select(Person).where(Person.prison_number == number))
    details = PersonDetails(prison_number=number, first_name=first_name, last_name=last_name)
    if person is not None:
        known = {name: getattr(person, name) for name in vars(details)}
        details = PersonDetails(**known | {"interests": [code for code in
                                                         person.interests.split(",") if code]})
        details.first_name, details.last_name = first_name, last_name
    if release_date is not None:
        details.release_date = release_date
    return details


@writes
def add_walk_in(visit_id: int, session_id: int, first_name: str, last_name: str,
                prison_number_text: str, actor_id: int, today: date,
                release_date: date | None = None) -> CohortMember:
    """A man who turns up without being on the list: on the cohort as a walk-in, placed in this
    session and marked attended, all in one transaction."""
    visit = get_visit(visit_id)
    _check_open(visit, actor_id)
    session = session_of(visit.id, session_id)
    number = prison_number(prison_number_text)
    details = _walk_in_details(number, first_name, last_name, release_date)
    member = join_cohort(visit.id, details, actor_id, today, walk_in=True)
    member.session_id = session.id
    return _set(member, "attended", None, "attendance.attended", actor_id)  # one commit
