"""A man's rights over his record, used by an administrator: correct a detail (rectification),
restrict processing and lift the restriction, and erase him now (through the purge's own
path). Each needs a reason and leaves an audit row with the field name and the reason, never
the values. While he is restricted, print batches and sending leave him out."""

import re
from datetime import date

from sqlalchemy import select

from ..audit.services import record
from ..cohorts.models import PRISON_NUMBER, RELEASE_TYPES, CohortMember, Person
from ..database import db, utcnow, writes
from ..errors import DomainError, check_lengths
from .requests import person_by_public_id

REASON_MAX = 150  # fits the audit row's detail with the field name
# The details an administrator may correct, with their labels.
CORRECTABLE = {"first_name": "First name", "last_name": "Last name",
               "prison_number": "Prison number", "date_of_birth": "Date of birth",
               "release_date": "Release date", "release_type": "Release type",
               "location": "Location in the prison", "release_area": "Release area",
               "interpreter_language": "Interpreter language", "notes": "Notes"}
DATES = {"date_of_birth", "release_date"}
REQUIRED = {"first_name", "last_name", "prison_number"}


def check_reason(reason: str) -> str:
    """The reason, trimmed; refused when blank or too long for the audit row."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("no_reason", "Enter the reason, for example what he asked for",
                          "reason")
    if len(reason) > REASON_MAX:
        raise DomainError("too_long", f"The reason must be {REASON_MAX} characters or fewer",
                          "reason")
    return reason


def corrected_value(field: str, text: str, person_id: int):
    """The new value of a field from what was typed, checked as the field needs."""
    text = (text or "").strip()
    if field not in CORRECTABLE:
        raise DomainError("bad_field", "Choose the detail to correct from the list", "field")
    label = CORRECTABLE[field]
    if field in REQUIRED and not text:
        raise DomainError("blank", f"Enter the correct {label.lower()}", "value")
    if field in DATES:
        return _date(text, label)
    if field == "release_type":
        return _release_type(text)
    if field == "prison_number":
        return _prison_number(text, person_id)
    check_lengths(Person, {field: text}, {field: label})
    return text


def _date(text: str, label: str) -> date | None:
    """A date typed as YYYY-MM-DD, or None when left blank (not known)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise DomainError("bad_date", f"Enter the {label.lower()} as a real date, for example "
                          "1990-03-14, or leave it blank if it is not known", "value") from error


def _release_type(text: str) -> str:
    """A release type by its code or its words."""
    for code, words in RELEASE_TYPES.items():
        if text.casefold() in (code.casefold(), words.casefold()):
            return code
    raise DomainError("bad_release_type", "Enter a release type: "
                      + ", ".join(RELEASE_TYPES), "value")


def _prison_number(text: str, person_id: int) -> str:
    """A prison number like A1234BC that no other man has."""
    number = text.replace(" ", "").upper()
    if not re.fullmatch(PRISON_NUMBER, number):
        raise DomainError("bad_prison_number", "Enter a prison number like A1234BC", "value")
    other = db.session.scalar(select(Person.id).where(Person.prison_number == number,
                                                      Person.id != person_id))
    if other is not None:
        raise DomainError("taken", "Another man has this prison number. Check it on his "
                          "paperwork before correcting it.", "value")
    return number


@writes
def rectify(public_id: str, field: str, text: str, reason: str, actor_id: int) -> None:
    """Correct one detail of his record, audited with the field and the reason."""
    reason = check_reason(reason)
    person = person_by_public_id(public_id)
    value = corrected_value(field, text, person.id)
    setattr(person, field, value)
    record("person.rectified", actor_id, "person", person.id,
           detail=f"field={field}; reason={reason}")
    db.session.commit()


@writes
def restrict(public_id: str, reason: str, actor_id: int) -> None:
    """Restrict processing of his data: from now he is left out of batches and sending."""
    reason = check_reason(reason)
    person = person_by_public_id(public_id)
    if person.restricted_at is not None:
        raise DomainError("already_restricted", "He is already restricted", "reason")
    person.restricted_at, person.restricted_reason = utcnow(), reason
    record("person.restricted", actor_id, "person", person.id, detail=f"reason={reason}")
    db.session.commit()


@writes
def lift(public_id: str, reason: str, actor_id: int) -> None:
    """Lift the restriction: he is printed and sent for again."""
    reason = check_reason(reason)
    person = person_by_public_id(public_id)
    if person.restricted_at is None:
        raise DomainError("not_restricted", "He is not restricted", "reason")
    person.restricted_at, person.restricted_reason = None, ""
    record("person.restriction_lifted", actor_id, "person", person.id,
           detail=f"reason={reason}")
    db.session.commit()


def erase(public_id: str, reason: str, actor) -> None:
    """Erase him now, through the purge's own path (which audits it)."""
    from .purge import erase_person  # the purge module owns erasure

    reason = check_reason(reason)
    erase_person(person_by_public_id(public_id).id, reason, actor)


def restricted_in_session(session_id: int) -> list[str]:
    """Names of the restricted men placed in a session, for the printing page."""
    query = (select(Person.first_name, Person.last_name).join(CohortMember)
             .where(CohortMember.session_id == session_id, Person.restricted_at.is_not(None))
             .order_by(Person.last_name, Person.first_name))
    return [f"{first} {last}" for first, last in db.session.execute(query)]
