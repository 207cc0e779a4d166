"""The rules for people and cohorts: prison numbers, who is eligible for a visit, adding a man
to a visit's cohort (from the prison's list, one by one, or as a walk-in), and the window."""

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError
from ..visits.models import Visit
from ..visits.services import get_visit
from .models import INTERESTS, PRISON_NUMBER, RELEASE_TYPES, CohortMember, Person

WINDOW_MAX_DAYS = 730


@dataclass
class PersonDetails:
    """What we know of a man from the prison's list or the form (plain values)."""

    prison_number: str
    first_name: str
    last_name: str
    release_date: date | None = None
    release_type: str = "other"
    release_confirmed: bool = False
    date_of_birth: date | None = None
    location: str = ""
    release_area: str = ""
    interests: list[str] = field(default_factory=list)
    easy_read: bool = False
    large_print: bool = False
    interpreter_language: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Eligibility:
    """Whether a man may join a visit's cohort, and if not why (for people)."""

    eligible: bool
    reason: str


def prison_number(text: str) -> str:
    """The prison number upper-cased and trimmed, or a DomainError saying what is wrong."""
    number = (text or "").strip().upper()
    if not re.fullmatch(PRISON_NUMBER, number):
        raise DomainError("bad_prison_number",
                          "Enter a prison number like A1234BC: a letter, 4 digits, 2 letters",
                          "prison_number")
    return number


def eligibility(visit: Visit, release_date: date | None, today: date) -> Eligibility:
    """Is a man due for release inside the visit's window (and not already released)?"""
    if release_date is None:
        return Eligibility(False, "No release date")
    if release_date < today:
        return Eligibility(False, f"Already released ({release_date:%d %b %Y})")
    days = (release_date - visit.date).days
    if not visit.eligible_from_days <= days <= visit.eligible_to_days:
        when = f"{days} days after" if days >= 0 else f"{-days} days before"
        return Eligibility(False, f"Release outside the window: {when} the visit")
    return Eligibility(True, f"Release {days} days after the visit")


def check_details(details: PersonDetails) -> PersonDetails:
    """Refuse a missing name, a bad prison number or an unknown release type or interest."""
    for name, label in (("first_name", "first name"), ("last_name", "last name")):
        if not getattr(details, name).strip():
            raise DomainError("missing_name", f"Enter the man's {label}", name)
        if len(getattr(details, name).strip()) > 60:
            raise DomainError("too_long", f"The {label} must be 60 characters or fewer", name)
    if details.release_type not in RELEASE_TYPES:
        raise DomainError("bad_release_type", "Choose a release date type from the list",
                          "release_type")
    unknown = set(details.interests) - set(INTERESTS)
    if unknown:
        raise DomainError("bad_interest", "Choose interests from the list", "interests")
    return PersonDetails(**(asdict(details) | {
        "prison_number": prison_number(details.prison_number),
        "first_name": details.first_name.strip(), "last_name": details.last_name.strip()}))


def save_person(details: PersonDetails) -> Person:
    """Find the man by prison number (his history links up) and bring his details up to date.
    Joins the caller's transaction."""
    person = db.session.scalar(select(Person).where(
        Person.prison_number == details.prison_number))
    if person is None:
        person = Person(prison_number=details.prison_number)
        db.session.add(person)
    values = asdict(details) | {"interests": ",".join(details.interests)}
    for name, value in values.items():
        setattr(person, name, value)
    return person


def member_of(visit_id: int, person_id: int) -> CohortMember | None:
    """The man's place on this visit's cohort, if he has one."""
    return db.session.scalar(select(CohortMember).where(
        CohortMember.visit_id == visit_id, CohortMember.person_id == person_id))


@writes
def add_to_cohort(visit_id: int, details: PersonDetails, actor_id: int | None, today: date,
                  walk_in: bool = False) -> CohortMember:
    """Add one man to a visit's cohort: eligible men, or anyone who walks in on the day."""
    member = join_cohort(visit_id, details, actor_id, today, walk_in)
    db.session.commit()
    return member


def join_cohort(visit_id: int, details: PersonDetails, actor_id: int | None, today: date,
                walk_in: bool = False) -> CohortMember:
    """The checks and writes of add_to_cohort, left uncommitted for a caller that does more in
    the same transaction (e.g. placing a walk-in and marking him attended)."""
    visit = get_visit(visit_id)
    details = check_details(details)
    if not walk_in:
        check = eligibility(visit, details.release_date, today)
        if not check.eligible:
            raise DomainError("ineligible", f"Not eligible for this visit: {check.reason}",
                              "release_date")
    existing = db.session.scalar(select(Person.id).where(
        Person.prison_number == details.prison_number))
    if existing is not None and member_of(visit.id, existing) is not None:
        raise DomainError("already_on_visit", "This man is already on this visit's cohort",
                          "prison_number")
    person = save_person(details)
    db.session.flush()
    member = CohortMember(visit_id=visit.id, person_id=person.id, walk_in=walk_in)
    db.session.add(member)
    db.session.flush()
    record("cohort.walk_in_added" if walk_in else "cohort.added", actor_id, "cohort_member",
           member.id)
    return member


@writes
def set_window(visit_id: int, from_days: int, to_days: int, actor_id: int) -> Visit:
    """Set who is eligible: release between ``from_days`` and ``to_days`` after the visit."""
    visit = get_visit(visit_id)
    if from_days < 0:
        raise DomainError("window_negative", "The window must start on or after the visit day",
                          "eligible_from_days")
    if to_days < from_days or to_days > WINDOW_MAX_DAYS:
        raise DomainError("window_range", f"The window must end between its start and "
                                          f"{WINDOW_MAX_DAYS} days", "eligible_to_days")
    visit.eligible_from_days, visit.eligible_to_days = from_days, to_days
    record("visit.window_changed", actor_id, "visit", visit.id,
           detail=f"days={from_days}-{to_days}")
    db.session.commit()
    return visit


def cohort(visit_id: int) -> list[CohortMember]:
    """Everyone on a visit's cohort, by last then first name (each with his details)."""
    query = (select(CohortMember).join(Person).options(contains_eager(CohortMember.person))
             .where(CohortMember.visit_id == visit_id)
             .order_by(Person.last_name, Person.first_name))
    return list(db.session.scalars(query))


def get_member(visit_id: int, public_id: str) -> CohortMember:
    """A man's place on this visit's cohort by its opaque id, or not_found."""
    member = db.session.scalar(select(CohortMember).where(
        CohortMember.visit_id == visit_id, CohortMember.public_id == public_id))
    if member is None:
        raise DomainError("not_found", "That man is not on this visit's cohort")
    return member
