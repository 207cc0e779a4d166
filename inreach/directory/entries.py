"""What both import formats read a file into: plain values for each directory entry, and the
list of problems found, so every problem in a file can be shown at once."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from ..errors import DomainError
from .vocabulary import PATHWAYS, REFERRAL_ROUTES

# Open Referral UK uses UUIDs; we also take other short ids from systems that use plain codes.
ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,36}")
MAX_SERVICES = 5000
MAX_PROBLEMS = 50  # shown on the form; the rest are counted
POSITION = re.compile(r"(?:Entry|Row) (\d+)")


@dataclass
class PhoneEntry:
    """A phone number from the file, with its Open Referral UK id."""

    id: str
    number: str
    description: str = ""


@dataclass
class ContactEntry:
    """A contact from the file, with its phones."""

    id: str
    name: str = ""
    title: str = ""
    phones: list[PhoneEntry] = field(default_factory=list)


@dataclass
class OrganisationEntry:
    """The organisation running a service; a blank id means "find it by name, or add it"."""

    id: str | None
    name: str
    description: str = ""
    website: str = ""
    email: str = ""

    def values(self) -> dict:
        """The fields ``rules.check_organisation`` reads."""
        return {"name": self.name, "description": self.description, "website": self.website,
                "email": self.email}


@dataclass
class Entry:
    """One service from the file.

    ``values`` has the shape ``services.clean_service`` gives (organisation_id unused);
    ``contacts`` is None when the file has phone numbers but no contacts (the flat CSV), so the
    service's existing contacts are kept and only their numbers change."""

    where: str  # 'Entry 3 ("Housing Options")', to start each problem with
    id: str | None
    values: dict
    organisation: OrganisationEntry
    contacts: list[ContactEntry] | None = None
    area_ids: dict[str, str] = field(default_factory=dict)
    assured_date: date | None = None
    assurer_email: str = ""


class ImportRefused(DomainError):
    """The file was refused; ``problems`` lists every reason found, each naming its entry."""

    def __init__(self, problems: list[str]):
        # Problems are found in several passes; people fix a file from the top down.
        shown = sorted(problems, key=_position)[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"… and {len(problems) - MAX_PROBLEMS} more problems")
        headline = (problems[0] if len(problems) == 1 else
                    f"Nothing was imported: the file has {len(problems)} problems, listed above")
        super().__init__("import_refused", headline, "file")
        self.problems = shown


def _position(problem: str) -> int:
    """The entry or row a problem is about (0 for the whole file)."""
    match = POSITION.match(problem)
    return int(match[1]) if match else 0


def refuse(message: str) -> ImportRefused:
    """A refusal of the whole file for one reason."""
    return ImportRefused([message])


def where(kind: str, position: int, name: object) -> str:
    """How a problem names an entry: its position and, when it has one, its name."""
    if isinstance(name, str) and name.strip():
        return f'{kind} {position} ("{name.strip()[:60]}")'
    return f"{kind} {position}"


def check_id(value: object, what: str, problems: list[str], required: bool = True) -> str | None:
    """An id as given, or None after noting why it cannot be used."""
    if value in (None, ""):
        if required:
            problems.append(f"{what}: the id is missing")
    elif not isinstance(value, str):
        problems.append(f"{what}: the id must be text, like a UUID")
    elif not ID_PATTERN.fullmatch(value):
        problems.append(f"{what}: the id {value[:40]!r} is not one we can use: an id is 1 to 36 "
                        "letters, digits or . _ : - (such as a UUID)")
    else:
        return value
    return None


def parse_date(text: str) -> date:
    """A date written YYYY-MM-DD, or ValueError."""
    return datetime.strptime(text, "%Y-%m-%d").date()


def pathway_code(text: str) -> str | None:
    """The pathway a code or label names, in any case; None if it names none."""
    wanted = text.strip().lower()
    for code, label in PATHWAYS.items():
        if wanted in (code, label.lower()):
            return code
    return None


def route_code(text: str) -> str:
    """The referral route a code or label names, in any case ("Secure email" is email); text
    naming none is kept as written, so the rules refuse it by name."""
    wanted = text.strip().lower()
    for code, label in REFERRAL_ROUTES.items():
        if wanted in (code, label.lower()):
            return code
    return text
