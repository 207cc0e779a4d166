"""A man's page: his details and his history across visits, as plain values. Reading it is
personal data seen by someone, so every read leaves an audit row (ids only)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..attendance.services import state_text
from ..audit.services import record
from ..cohorts.models import INTERESTS, RELEASE_TYPES, CohortMember, Person
from ..database import db, writes
from ..errors import DomainError
from ..privacy.restriction import is_restricted
from ..visits.models import Visit


@dataclass
class HistoryRow:
    """One visit he was on."""

    visit_id: int
    date: date
    prison: str
    session: str
    attendance: str
    walk_in: bool


@dataclass
class PersonPage:
    """Everything his page shows."""

    public_id: str
    first_name: str
    last_name: str
    prison_number: str
    release_date: date | None
    release_type: str
    release_confirmed: bool
    location: str
    release_area: str
    interests: list[str]
    reading_needs: list[str]
    notes: str
    history: list[HistoryRow]
    restricted: bool = False  # processing restricted (inreach.privacy.rights)


def reading_needs(person: Person) -> list[str]:
    """Easy read, large print and an interpreter, as people read them."""
    needs = [label for flag, label in ((person.easy_read, "Easy read"),
                                       (person.large_print, "Large print")) if flag]
    if person.interpreter_language:
        needs.append(f"Interpreter: {person.interpreter_language}")
    return needs


def history(person_id: int) -> list[HistoryRow]:
    """Each visit he was on, newest first."""
    query = (select(CohortMember).join(Visit).where(CohortMember.person_id == person_id)
             .order_by(Visit.date.desc(), Visit.id.desc()))
    return [HistoryRow(visit_id=member.visit_id, date=member.visit.date,
                       prison=member.visit.prison.name,
                       session=member.session.label if member.session else "Not placed",
                       attendance=state_text(member), walk_in=member.walk_in)
            for member in db.session.scalars(query)]


@writes
def person_page(public_id: str, actor_id: int) -> PersonPage:
    """His page by its opaque id (else not_found); records that the actor viewed it."""
    person = db.session.scalar(select(Person).where(Person.public_id == public_id))
    if person is None:
        raise DomainError("not_found", "That person does not exist")
    page = PersonPage(
        public_id=person.public_id, first_name=person.first_name, last_name=person.last_name,
        prison_number=person.prison_number, release_date=person.release_date,
        release_type=RELEASE_TYPES[person.release_type],
        release_confirmed=person.release_confirmed, location=person.location,
        release_area=person.release_area,
        interests=[INTERESTS[code] for code in person.interests.split(",") if code in INTERESTS],
        reading_needs=reading_needs(person), notes=person.notes, history=history(person.id),
        restricted=is_restricted(person))
    record("person.viewed", actor_id, "person", person.id)
    db.session.commit()
    return page
