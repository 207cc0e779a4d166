"""A man's rights over his record, used by an administrator: correct a detail (rectification),
restrict processing and lift the restriction, and erase him now (through the purge's own
path). Each needs a reason chosen from a fixed list (inreach.privacy.reasons) and leaves an
audit row with the field name and the reason's code, never the values or typed text. While he
is restricted (inreach.privacy.restriction), print batches and sending leave him out. An erased
man's record cannot be changed."""

from datetime import date

from sqlalchemy import select, update

from ..audit.services import record
from ..cohorts.models import RELEASE_TYPES, CohortMember, Person
from ..cohorts.services import prison_number
from ..database import db, utcnow, writes
from ..errors import DomainError, check_lengths
from ..referrals.models import Referral, ReferralSet
from ..validation import check_characters
from .reasons import check_reason
from .restriction import not_restricted
from .subject_access import person_by_public_id

# The details an administrator may correct, with their labels.
CORRECTABLE = {"first_name": "First name", "last_name": "Last name",
               "prison_number": "Prison number", "date_of_birth": "Date of birth",
               "release_date": "Release date", "release_type": "Release type",
               "location": "Location in the prison", "release_area": "Release area",
               "interpreter_language": "Interpreter language", "notes": "Notes"}
DATES = {"date_of_birth", "release_date"}
REQUIRED = {"first_name", "last_name", "prison_number"}
MULTI_LINE = {"notes"}  # the only detail that may hold line breaks
EARLIEST, LATEST = date(1900, 1, 1), date(2099, 12, 31)  # any other year is a typing mistake


def corrected_value(field: str, text: str, person_id: int):
    """The new value of a field from what was typed, checked as the field needs."""
    text = (text or "").strip()
    if field not in CORRECTABLE:
        raise DomainError("bad_field", "Choose the detail to correct from the list", "field")
    label = CORRECTABLE[field]
    try:
        check_characters({field: text}, {field: label}, multi_line=MULTI_LINE)
    except DomainError as error:
        raise DomainError(error.code, error.message, "value") from error
    if field in REQUIRED and not text:
        raise DomainError("blank", f"Enter the correct {label.lower()}", "value")
    if field in DATES:
        return _date(text, label, field == "date_of_birth")
    if field == "release_type":
        return _release_type(text)
    if field == "prison_number":
        return _prison_number(text, person_id)
    check_lengths(Person, {field: text}, {field: label})
    return text


def _date(text: str, label: str, past: bool) -> date | None:
    """A date typed as YYYY-MM-DD in a sensible year (a birth date not in the future), or None
    when left blank (not known)."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise DomainError("bad_date", f"Enter the {label.lower()} as a real date, for example "
                          "1990-03-14, or leave it blank if it is not known", "value") from error
    latest = utcnow().date() if past else LATEST
    if not EARLIEST <= day <= latest:
        raise DomainError("bad_year", f"Enter the {label.lower()} with the right year: between "
                          f"{EARLIEST.year} and {latest.year}", "value")
    return day


def _release_type(text: str) -> str:
    """A release type by its code or its words."""
    for code, words in RELEASE_TYPES.items():
        if text.casefold() in (code.casefold(), words.casefold()):
            return code
    raise DomainError("bad_release_type", "Enter a release type: "
                      + ", ".join(RELEASE_TYPES), "value")


def _prison_number(text: str, person_id: int) -> str:
    """A prison number like A1234BC that no other man has."""
    try:
        number = prison_number(text.replace(" ", ""))
    except DomainError as error:
        raise DomainError(error.code, error.message, "value") from error
    other = db.session.scalar(select(Person.id).where(Person.prison_number == number,
                                                      Person.id != person_id))
    if other is not None:
        raise DomainError("taken", "Another man has this prison number. Check it on his "
                          "paperwork before correcting it.", "value")
    return number


def _not_erased(public_id: str) -> Person:
    """The man, locked for this write; refused when his details were erased or purged (nothing
    may be typed into an erased record: it would be kept for ever)."""
    person = person_by_public_id(public_id)
    db.session.refresh(person, with_for_update=True)
    if person.purged_at is not None:
        raise DomainError("erased", "His details were erased, so they cannot be changed",
                          "reason")
    return person


@writes
def rectify(public_id: str, field: str, text: str, reason: str, actor_id: int) -> None:
    """Correct one detail of his record, audited with the field and the reason."""
    reason = check_reason("correct", reason)
    person = _not_erased(public_id)
    value = corrected_value(field, text, person.id)
    setattr(person, field, value)
    record("person.rectified", actor_id, "person", person.id,
           detail=f"field={field}; reason={reason}")
    db.session.commit()


@writes
def restrict(public_id: str, reason: str, actor_id: int) -> None:
    """Restrict processing of his data: from now he is left out of batches and sending."""
    reason = check_reason("restrict", reason)
    person = _not_erased(public_id)
    if person.restricted_at is not None:
        raise DomainError("already_restricted", "He is already restricted", "reason")
    person.restricted_at, person.restricted_reason = utcnow(), reason
    _release_queued_emails(person.id)
    record("person.restricted", actor_id, "person", person.id, detail=f"reason={reason}")
    db.session.commit()


def _release_queued_emails(person_id: int) -> None:
    """Take his referrals off any email queued but not yet sent, so they are neither sent nor
    marked sent (the email task skips restricted men too: see inreach.followup.sending)."""
    sets = (select(ReferralSet.id).join(CohortMember, ReferralSet.member_id == CohortMember.id)
            .where(CohortMember.person_id == person_id))
    db.session.execute(update(Referral).where(Referral.set_id.in_(sets),
                                              Referral.dispatch_id.is_not(None))
                       .values(dispatch_id=None))


@writes
def lift(public_id: str, reason: str, actor_id: int) -> None:
    """Lift the restriction: he is printed and sent for again."""
    reason = check_reason("lift", reason)
    person = _not_erased(public_id)
    if person.restricted_at is None:
        raise DomainError("not_restricted", "He is not restricted", "reason")
    person.restricted_at, person.restricted_reason = None, ""
    record("person.restriction_lifted", actor_id, "person", person.id,
           detail=f"reason={reason}")
    db.session.commit()


def erase(public_id: str, reason: str, actor) -> None:
    """Erase him now, through the purge's own path (which audits it)."""
    from .purge import erase_person  # the purge module owns erasure

    erase_person(person_by_public_id(public_id).id, reason, actor)


def restricted_in_session(session_id: int) -> list[str]:
    """Names of the restricted men placed in a session, for the printing page."""
    query = (select(Person.first_name, Person.last_name).join(CohortMember)
             .where(CohortMember.session_id == session_id, ~not_restricted())
             .order_by(Person.last_name, Person.first_name))
    return [f"{first} {last}" for first, last in db.session.execute(query)]
