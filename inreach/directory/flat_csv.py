"""The directory as a flat CSV, one row per service, for people who work in spreadsheets: the
export, and reading it back into plain entry values. Pure functions: no database."""

import csv
import io
from collections.abc import Iterable, Iterator

from ..printing.spreadsheet import FORMULA_STARTS, csv_download, csv_text
from .entries import (
    MAX_SERVICES,
    Entry,
    OrganisationEntry,
    check_id,
    parse_date,
    pathway_code,
    refuse,
    route_code,
    where,
)
from .models import Service
from .services import unique_areas
from .vocabulary import ANSWER_DAYS

COLUMNS = ("service_id", "name", "status", "organisation_id", "organisation_name",
           "organisation_description", "organisation_website", "organisation_email",
           "description", "url", "email", "eligibility", "application_process", "fees",
           "languages", "address", "opening_hours", "pathways", "areas", "phones",
           "accepts_self_referrals", "what_happens_next", "referral_contact", "details_required",
           "referral_route", "referral_email", "referral_instructions", "answer_working_days",
           "ips_employment", "assured_date", "assurer_email")
LIST = "; "  # between the items of a list in one cell
PHONE = " | "  # between a phone number and what it is
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}
# Plain text fields that are the same in the CSV as on the service.
TEXT = ("name", "status", "description", "url", "email", "eligibility", "application_process",
        "fees", "languages", "address", "opening_hours", "referral_contact", "referral_email",
        "referral_instructions")


# Export --------------------------------------------------------------------------------------

def export_bytes(services: list[Service]) -> bytes:
    """The services as a CSV download, every cell safe to open in a spreadsheet."""
    return b"".join(export_chunks([services]))


def export_chunks(batches: Iterable[list[Service]]) -> Iterator[bytes]:
    """The download in pieces, the header first and then one per batch of services, so it can
    be written while it is read."""
    yield csv_download(csv_text([list(COLUMNS)]))
    for batch in batches:
        yield csv_text([row(service) for service in batch]).encode("utf-8")


def row(service: Service) -> list[str]:
    """One service as a row of cells, in the order of COLUMNS."""
    organisation = service.organisation
    cells = {name: getattr(service, name) for name in TEXT} | {
        "service_id": service.oruk_id, "organisation_id": organisation.oruk_id,
        "organisation_name": organisation.name,
        "organisation_description": organisation.description,
        "organisation_website": organisation.website, "organisation_email": organisation.email,
        "pathways": LIST.join(service.pathway_codes), "areas": LIST.join(service.area_names),
        "phones": LIST.join(f"{phone.number}{PHONE}{phone.description}" if phone.description
                            else phone.number for phone in service.phones),
        "accepts_self_referrals": "yes" if service.referable else "no",
        "what_happens_next": service.next_steps,
        "details_required": LIST.join(service.detail_codes),
        "referral_route": service.referral_route, "answer_working_days": str(service.answer_days),
        "ips_employment": "yes" if service.ips else "no",
        "assured_date": service.assured_date.isoformat() if service.assured_date else "",
        "assurer_email": service.assurer_email}
    return [cells[name] for name in COLUMNS]


# Import --------------------------------------------------------------------------------------

def read(text: str) -> tuple[list[Entry], list[str]]:
    """The well-formed rows of a directory CSV as entries, and the problems with the others."""
    records = _records(text)
    header = [cell.strip().lower().replace(" ", "_") for cell in next(records, [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise refuse("The first row must name every column of the directory export. Missing: "
                     + ", ".join(missing))
    rows = [(number, dict(zip(header, map(_unescape, cells), strict=False)))
            for number, cells in enumerate(records, 2) if any(cell.strip() for cell in cells)]
    if len(rows) > MAX_SERVICES:
        raise refuse(f"The file has {len(rows):,} services: at most {MAX_SERVICES:,} can be "
                     "imported at once")
    problems: list[str] = []
    entries = [_entry(number, cells, problems) for number, cells in rows]
    return [entry for entry in entries if entry is not None], problems


def _records(text: str):
    """Each CSV record, refusing text that is not CSV."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from reader
    except csv.Error as error:
        raise refuse(f"Line {reader.line_num} could not be read as CSV: {error}") from None


def _unescape(cell: str) -> str:
    """A cell as exported before it was made safe for spreadsheets (the ' put before =, +, - or
    @ is taken off again), trimmed."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        cell = cell[1:]
    return cell.strip()


def _items(text: str) -> list[str]:
    """The items of a list cell."""
    return [item.strip() for item in text.split(";") if item.strip()]


def _entry(number: int, cells: dict[str, str], problems: list[str]) -> Entry | None:
    """One row's values, or None (with the problems noted) if it cannot be read."""
    cells = {name: cells.get(name, "") for name in COLUMNS}
    label = where("Row", number, cells["name"])
    found = len(problems)
    entry = Entry(
        where=label, id=check_id(cells["service_id"], label, problems, required=False),
        values=_values(cells, label, problems),
        organisation=OrganisationEntry(
            id=check_id(cells["organisation_id"], f"{label}, organisation", problems,
                        required=False),
            name=cells["organisation_name"], description=cells["organisation_description"],
            website=cells["organisation_website"], email=cells["organisation_email"]),
        assured_date=_date(cells["assured_date"], label, problems),
        assurer_email=cells["assurer_email"])
    return entry if len(problems) == found else None


def _values(cells: dict[str, str], label: str, problems: list[str]) -> dict:
    """The row's service values, in the shape ``services.clean_service`` gives."""
    return {name: cells[name] for name in TEXT} | {
        "organisation_id": None,
        "pathways": [pathway_code(item) or item for item in _items(cells["pathways"])],
        "areas": unique_areas(_items(cells["areas"])),
        "phones": [_phone(item) for item in _items(cells["phones"])],
        "referable": _yes(cells, "accepts_self_referrals", label, problems),
        "next_steps": cells["what_happens_next"],
        "referral_details": _items(cells["details_required"]),
        "referral_route": route_code(cells["referral_route"]),
        "answer_days": _working_days(cells["answer_working_days"], label, problems),
        "ips": _yes(cells, "ips_employment", label, problems),
    }


def _yes(cells: dict[str, str], column: str, label: str, problems: list[str]) -> bool:
    """A yes/no cell (blank is no)."""
    answer = cells[column].lower()
    if answer not in YES | NO:
        problems.append(f"{label}: {column} must be yes or no, not {cells[column][:40]!r}")
    return answer in YES


def _working_days(text: str, label: str, problems: list[str]) -> int:
    """The answer time in whole working days (blank is the usual ten); the rules check the
    range."""
    if not text:
        return ANSWER_DAYS
    if not (text.isascii() and text.isdigit()):
        problems.append(f"{label}: answer_working_days must be a whole number of working days, "
                        f"like 10, not {text[:40]!r}")
        return ANSWER_DAYS
    return int(text)


def _phone(item: str) -> tuple[str, str]:
    """A phone written "number | what it is" (or just the number)."""
    number, _, description = item.partition("|")
    return number.strip(), description.strip()


def _date(text: str, label: str, problems: list[str]):
    """The assured date, or None."""
    try:
        return parse_date(text) if text else None
    except ValueError:
        problems.append(f"{label}: assured_date must be a date like 2026-11-24, not "
                        f"{text[:40]!r}")
        return None
