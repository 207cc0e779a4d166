"""The rules for organisations, volunteers and their clearance."""

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..accounts.roles import VOLUNTEER
from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError, check_lengths
from ..prisons.models import Prison
from .models import (
    CLEARANCE_STATES,
    ID_TYPES,
    ORGANISATION_KINDS,
    Clearance,
    Organisation,
    Volunteer,
)


@dataclass(frozen=True)
class ClearanceCheck:
    """Whether a volunteer may go into a prison on a day, and if not, why not (for people)."""

    cleared: bool
    state: str
    reason: str


def clearance_on(volunteer_id: int, prison_id: int, day: date) -> ClearanceCheck:
    """Is the volunteer cleared for this prison on this day?"""
    return verdict(clearance_at(volunteer_id, prison_id), day)


def clearances_on(volunteer_ids: list[int], prison_id: int, day: date) -> dict[int,
                                                                               ClearanceCheck]:
    """``clearance_on`` for many volunteers at one prison, in one query: by volunteer id."""
    found = {clearance.volunteer_id: clearance for clearance in db.session.scalars(
        select(Clearance).where(Clearance.prison_id == prison_id,
                                Clearance.volunteer_id.in_(volunteer_ids)))}
    return {volunteer_id: verdict(found.get(volunteer_id), day) for volunteer_id in volunteer_ids}


def verdict(clearance: Clearance | None, day: date) -> ClearanceCheck:
    """Whether a recorded clearance (or none) lets its volunteer in on this day. The one place
    this rule lives."""
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


@dataclass
class OrganisationDetails:
    """What an organiser types about an organisation."""

    name: str
    kind: str


@dataclass
class VolunteerDetails:
    """What an organiser types about a volunteer."""

    name: str
    organisation_id: int | None
    job_title: str = ""
    email: str = ""
    phone: str = ""
    user_id: int | None = None


@dataclass
class ClearanceDetails:
    """A volunteer's clearance at one prison, as the prison's security team reported it."""

    state: str
    submitted_on: date | None = None
    cleared_on: date | None = None
    expires_on: date | None = None
    id_type: str | None = None


@dataclass(frozen=True)
class ClearanceRow:
    """A volunteer's clearance at one prison with today's verdict, for pages (plain values)."""

    prison_id: int
    prison_code: str
    prison_name: str
    prison_archived: bool
    clearance: Clearance | None
    check: ClearanceCheck


ORGANISATION_LABELS = {"name": "Name"}
VOLUNTEER_LABELS = {"name": "Name", "job_title": "Job title", "email": "Email address",
                    "phone": "Phone"}
# How far back a submitted or cleared date, and how far ahead an expiry date, can be.
DATE_RANGE_YEARS = 10


def _stripped(values: dict) -> dict:
    """The values with spaces trimmed from text."""
    return {name: value.strip() if isinstance(value, str) else value
            for name, value in values.items()}


def _name_taken(model, name: str, own_id: int | None) -> bool:
    """Whether another row of the model has this name, compared case-insensitively."""
    query = select(model.id).where(func.lower(model.name) == name.lower())
    if own_id is not None:
        query = query.where(model.id != own_id)
    return db.session.scalar(query.limit(1)) is not None


def _check_organisation(values: dict, organisation_id: int | None) -> None:
    """A unique name that fits and a kind from the list."""
    if not values["name"]:
        raise DomainError("name_missing", "Enter the organisation's name", "name")
    check_lengths(Organisation, values, ORGANISATION_LABELS)
    if values["kind"] not in ORGANISATION_KINDS:
        raise DomainError("unknown_kind", "Choose the kind of organisation from the list", "kind")
    if _name_taken(Organisation, values["name"], organisation_id):
        raise DomainError("duplicate_name", "Another organisation has this name", "name")


@writes
def create_organisation(details: OrganisationDetails, actor_id: int | None) -> Organisation:
    """Add an organisation whose people visit."""
    values = _stripped(asdict(details))
    _check_organisation(values, None)
    organisation = Organisation(**values)
    db.session.add(organisation)
    db.session.flush()
    record("organisation.created", actor_id, "organisation", organisation.id)
    db.session.commit()
    return organisation


@writes
def update_organisation(organisation_id: int, details: OrganisationDetails,
                        actor_id: int) -> Organisation:
    """Change an organisation's name or kind."""
    organisation = get_organisation(organisation_id)
    values = _stripped(asdict(details))
    _check_organisation(values, organisation.id)
    for name, value in values.items():
        setattr(organisation, name, value)
    record("organisation.updated", actor_id, "organisation", organisation.id)
    db.session.commit()
    return organisation


@writes
def delete_organisation(organisation_id: int, actor_id: int) -> str:
    """Delete an organisation with no volunteers; returns its name."""
    organisation = get_organisation(organisation_id)
    members = db.session.scalar(select(func.count()).where(
        Volunteer.organisation_id == organisation.id))
    if members:
        raise DomainError("organisation_in_use", f"{organisation.name} cannot be deleted because "
                          f"{members} volunteer{'' if members == 1 else 's'} belong to it. Move "
                          "them to another organisation first.")
    name = organisation.name
    record("organisation.deleted", actor_id, "organisation", organisation.id)
    db.session.delete(organisation)
    db.session.commit()
    return name


def get_organisation(organisation_id: int) -> Organisation:
    """The organisation, or a not_found error."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise DomainError("not_found", "That organisation does not exist")
    return organisation


def all_organisations() -> list[tuple[Organisation, int]]:
    """Every organisation by name, with how many volunteers belong to it."""
    members = (select(func.count()).where(Volunteer.organisation_id == Organisation.id)
               .correlate(Organisation).scalar_subquery())
    query = select(Organisation, members).order_by(Organisation.name)
    return [(organisation, count) for organisation, count in db.session.execute(query)]


def _check_volunteer(values: dict, volunteer_id: int | None) -> None:
    """A name, a known organisation, text that fits, and a free volunteer login if linked."""
    if not values["name"]:
        raise DomainError("name_missing", "Enter the volunteer's name", "name")
    check_lengths(Volunteer, values, VOLUNTEER_LABELS)
    if values["organisation_id"] is None or db.session.get(
            Organisation, values["organisation_id"]) is None:
        raise DomainError("unknown_organisation", "Choose an organisation from the list",
                          "organisation_id")
    if values["user_id"] is not None:
        _check_account(values["user_id"], volunteer_id)


def _check_account(user_id: int, volunteer_id: int | None) -> None:
    """The login exists, has the volunteer role and is nobody else's."""
    user = db.session.get(User, user_id)
    if user is None or user.role != VOLUNTEER:
        raise DomainError("not_a_volunteer_account",
                          "Choose a login with the volunteer role from the list", "user_id")
    owner = db.session.scalar(select(Volunteer.id).where(Volunteer.user_id == user_id))
    if owner is not None and owner != volunteer_id:
        raise DomainError("account_taken", "That login belongs to another volunteer", "user_id")


@writes
def create_volunteer(details: VolunteerDetails, actor_id: int | None) -> Volunteer:
    """Add a volunteer."""
    values = _stripped(asdict(details))
    _check_volunteer(values, None)
    volunteer = Volunteer(**values)
    db.session.add(volunteer)
    db.session.flush()
    record("volunteer.created", actor_id, "volunteer", volunteer.id)
    db.session.commit()
    return volunteer


@writes
def update_volunteer(volunteer_id: int, details: VolunteerDetails, actor_id: int) -> Volunteer:
    """Change a volunteer's details."""
    volunteer = get_volunteer(volunteer_id)
    values = _stripped(asdict(details))
    _check_volunteer(values, volunteer.id)
    for name, value in values.items():
        setattr(volunteer, name, value)
    record("volunteer.updated", actor_id, "volunteer", volunteer.id)
    db.session.commit()
    return volunteer


@writes
def set_volunteer_archived(volunteer_id: int, archived: bool, actor_id: int) -> Volunteer:
    """Archive a volunteer who no longer visits (they cannot be rostered), or bring them back."""
    volunteer = get_volunteer(volunteer_id)
    volunteer.archived = archived
    record("volunteer.archived" if archived else "volunteer.unarchived", actor_id, "volunteer",
           volunteer.id)
    db.session.commit()
    return volunteer


def get_volunteer(volunteer_id: int) -> Volunteer:
    """The volunteer, or a not_found error."""
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise DomainError("not_found", "That volunteer does not exist")
    return volunteer


def all_volunteers() -> list[Volunteer]:
    """Every volunteer with their organisation and clearances: active first, then by name."""
    query = (select(Volunteer).options(selectinload(Volunteer.organisation),
                                       selectinload(Volunteer.clearances))
             .order_by(Volunteer.archived, Volunteer.name))
    return list(db.session.scalars(query))


def volunteers_for_roster() -> list[Volunteer]:
    """The volunteers who may be rostered (not archived), with their organisation, by name."""
    query = (select(Volunteer).options(selectinload(Volunteer.organisation))
             .where(Volunteer.archived.is_(False)).order_by(Volunteer.name))
    return list(db.session.scalars(query))


def linkable_accounts(volunteer_id: int | None = None) -> list[User]:
    """Volunteer logins not yet linked to another volunteer, by name."""
    taken = select(Volunteer.user_id).where(Volunteer.user_id.is_not(None))
    if volunteer_id is not None:
        taken = taken.where(Volunteer.id != volunteer_id)
    query = (select(User).where(User.role == VOLUNTEER, User.id.not_in(taken))
             .order_by(User.display_name))
    return list(db.session.scalars(query))


def _check_clearance(details: ClearanceDetails, today: date) -> None:
    """Known state and ID type; cleared needs a date; dates in order and possible."""
    if details.state not in CLEARANCE_STATES:
        raise DomainError("unknown_state", "Choose the state of the clearance from the list",
                          "state")
    if details.id_type is not None and details.id_type not in ID_TYPES:
        raise DomainError("unknown_id_type", "Choose the type of ID seen from the list",
                          "id_type")
    if details.state == "cleared" and details.cleared_on is None:
        raise DomainError("cleared_date_missing", "Enter the date the volunteer was cleared",
                          "cleared_on")
    _check_dates_possible(details, today)
    submitted, cleared, expires = details.submitted_on, details.cleared_on, details.expires_on
    if submitted and cleared and submitted > cleared:
        raise DomainError("submitted_after_cleared",
                          "The date submitted must be on or before the date cleared",
                          "submitted_on")
    if cleared and expires and expires < cleared:
        raise DomainError("expires_before_cleared",
                          "The expiry date must be on or after the date cleared", "expires_on")


def _check_dates_possible(details: ClearanceDetails, today: date) -> None:
    """Submitted and cleared dates not in the future nor too long ago; expiry not too far off."""
    earliest = _years_from(today, -DATE_RANGE_YEARS)
    for name, label in (("submitted_on", "date submitted"), ("cleared_on", "date cleared")):
        day = getattr(details, name)
        if day and day > today:
            raise DomainError(f"{name}_future", f"The {label} must be today or in the past", name)
        if day and day < earliest:
            raise DomainError(f"{name}_too_early", f"The {label} must be within the last "
                              f"{DATE_RANGE_YEARS} years", name)
    expires = details.expires_on
    if expires and not earliest <= expires <= _years_from(today, DATE_RANGE_YEARS):
        raise DomainError("expires_on_out_of_range", "The expiry date must be within "
                          f"{DATE_RANGE_YEARS} years of today", "expires_on")


def _years_from(day: date, years: int) -> date:
    """The same day some years before or after (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@writes
def record_clearance(volunteer_id: int, prison_id: int, details: ClearanceDetails,
                     actor_id: int | None, today: date) -> Clearance:
    """Record or update a volunteer's clearance at a prison (a new one not at an archived one)."""
    volunteer = get_volunteer(volunteer_id)
    prison = db.session.get(Prison, prison_id)
    if prison is None:
        raise DomainError("unknown_prison", "Choose a prison from the list", "prison_id")
    clearance = clearance_at(volunteer.id, prison.id)
    if clearance is None and prison.archived:
        raise DomainError("prison_archived", f"{prison.name} is archived: bring it back into "
                          "use before recording a new clearance there", "prison_id")
    _check_clearance(details, today)
    if clearance is None:
        clearance = Clearance(volunteer=volunteer, prison=prison)
        db.session.add(clearance)
    for name, value in asdict(details).items():
        setattr(clearance, name, value)
    db.session.flush()
    record("clearance.recorded", actor_id, "clearance", clearance.id,
           detail=f"volunteer={volunteer.id} prison={prison.id}")
    db.session.commit()
    return clearance


def clearance_at(volunteer_id: int, prison_id: int) -> Clearance | None:
    """The volunteer's recorded clearance at the prison, if any."""
    return db.session.scalar(select(Clearance).where(
        Clearance.volunteer_id == volunteer_id, Clearance.prison_id == prison_id))


def clearance_rows(volunteer: Volunteer, day: date,
                   every_prison: bool = False) -> list[ClearanceRow]:
    """Clearance and verdict on ``day`` per prison recorded (``every_prison``: and each in use)."""
    recorded = {clearance.prison_id: clearance for clearance in volunteer.clearances}
    prisons = db.session.scalars(select(Prison).order_by(Prison.name))
    return [ClearanceRow(prison.id, prison.code, prison.name, prison.archived,
                         recorded.get(prison.id), clearance_on(volunteer.id, prison.id, day))
            for prison in prisons
            if prison.id in recorded or (every_prison and not prison.archived)]


def volunteer_summaries(day: date) -> list[tuple[Volunteer, list[ClearanceRow]]]:
    """Every volunteer (active first) with their recorded clearances and the verdict on ``day``."""
    return [(volunteer, clearance_rows(volunteer, day)) for volunteer in all_volunteers()]
