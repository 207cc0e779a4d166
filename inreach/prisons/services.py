"""The rules for prisons: unique names and codes, archiving, and deleting only unused ones."""

import re
from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError, check_lengths
from ..visits.models import Visit
from ..volunteers.models import Clearance
from .models import Prison

CODE_PATTERN = re.compile(r"[A-Z]{3}")
LABELS = {"name": "Name", "code": "Code", "address": "Address", "phone": "Main phone",
          "email": "Email address", "visiting_notes": "Visiting notes"}


@dataclass
class PrisonDetails:
    """What an organiser types about a prison."""

    name: str
    code: str
    address: str = ""
    phone: str = ""
    email: str = ""
    visiting_notes: str = ""


def _clean(details: PrisonDetails) -> dict:
    """The details with spaces trimmed and the code in capitals."""
    values = {name: (value or "").strip() for name, value in asdict(details).items()}
    values["code"] = values["code"].upper()
    return values


def _check(values: dict, prison_id: int | None) -> None:
    """A name, a three-letter code, text that fits, and no other prison with the same."""
    if not values["name"]:
        raise DomainError("name_missing", "Enter the prison's name, like HMP Wormwood Scrubs",
                          "name")
    if not CODE_PATTERN.fullmatch(values["code"]):
        raise DomainError("bad_code", "Enter the prison's code: 3 letters, like WSI", "code")
    check_lengths(Prison, values, LABELS)
    if _taken(Prison.code, values["code"], prison_id):
        raise DomainError("duplicate_code", f"Another prison has the code {values['code']}",
                          "code")
    if _taken(Prison.name, values["name"], prison_id):
        raise DomainError("duplicate_name", "Another prison has this name", "name")


def _taken(column, value: str, prison_id: int | None) -> bool:
    """Whether another prison already has this value (names compare case-insensitively)."""
    query = select(Prison.id).where(func.lower(column) == value.lower())
    if prison_id is not None:
        query = query.where(Prison.id != prison_id)
    return db.session.scalar(query.limit(1)) is not None


@writes
def create_prison(details: PrisonDetails, actor_id: int | None) -> Prison:
    """Add a prison."""
    values = _clean(details)
    _check(values, None)
    prison = Prison(**values)
    db.session.add(prison)
    db.session.flush()
    record("prison.created", actor_id, "prison", prison.id)
    db.session.commit()
    return prison


@writes
def update_prison(prison_id: int, details: PrisonDetails, actor_id: int) -> Prison:
    """Change a prison's details."""
    prison = get_prison(prison_id)
    values = _clean(details)
    _check(values, prison.id)
    for name, value in values.items():
        setattr(prison, name, value)
    record("prison.updated", actor_id, "prison", prison.id)
    db.session.commit()
    return prison


@writes
def set_archived(prison_id: int, archived: bool, actor_id: int) -> Prison:
    """Archive a prison (it can no longer be chosen for new visits) or bring it back."""
    prison = get_prison(prison_id)
    prison.archived = archived
    record("prison.archived" if archived else "prison.unarchived", actor_id, "prison", prison.id)
    db.session.commit()
    return prison


def usage(prison_id: int) -> tuple[int, int]:
    """How many visits and clearances use the prison."""
    visits = db.session.scalar(select(func.count()).where(Visit.prison_id == prison_id))
    clearances = db.session.scalar(select(func.count()).where(Clearance.prison_id == prison_id))
    return visits, clearances


@writes
def delete_prison(prison_id: int, actor_id: int) -> str:
    """Delete a prison nothing uses yet; returns its name. A used one must be archived instead."""
    prison = get_prison(prison_id)
    visits, clearances = usage(prison.id)
    if visits or clearances:
        raise DomainError("prison_in_use", f"{prison.name} cannot be deleted because it is used "
                          f"by {_uses(visits, clearances)}. Archive it instead: it stays on "
                          "those records but cannot be chosen for new visits.")
    name = prison.name
    record("prison.deleted", actor_id, "prison", prison.id)
    db.session.delete(prison)
    db.session.commit()
    return name


def _uses(visits: int, clearances: int) -> str:
    """Counts in words, like "2 visits and 1 clearance"."""
    parts = [f"{count} {noun}{'' if count == 1 else 's'}"
             for count, noun in ((visits, "visit"), (clearances, "clearance")) if count]
    return " and ".join(parts)


def get_prison(prison_id: int) -> Prison:
    """The prison, or a not_found error."""
    prison = db.session.get(Prison, prison_id)
    if prison is None:
        raise DomainError("not_found", "That prison does not exist")
    return prison


def all_prisons() -> list[Prison]:
    """Every prison: those in use first, archived ones last, each by name."""
    return list(db.session.scalars(select(Prison).order_by(Prison.archived, Prison.name)))


def active_prisons() -> list[Prison]:
    """The prisons that may be chosen for a new visit (not archived), by name."""
    query = select(Prison).where(Prison.archived.is_(False)).order_by(Prison.name)
    return list(db.session.scalars(query))
