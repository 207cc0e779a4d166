"""Importing the prison's list of men due for release onto a visit: read the CSV, preview what
would happen to each row, then write every eligible row in one transaction.

Nothing is stored between preview and confirm: the page carries the file back signed, and
confirm reads and checks it again from scratch, so it never trusts what the browser shows."""

import base64
import csv
import io
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError, check_lengths
from ..validation import check_characters
from ..visits.models import Visit
from ..visits.services import get_visit
from .models import INTERESTS, RELEASE_TYPES, CohortMember, KeepApart, Person
from .services import PersonDetails, check_details, eligibility, prison_number, save_person

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
REQUIRED = ("prison_number", "first_name", "last_name", "release_date")
OPTIONAL = ("release_type", "release_confirmed", "date_of_birth", "location", "release_area",
            "interests", "easy_read", "large_print", "interpreter_language", "notes",
            "keep_apart_from")
COLUMNS = REQUIRED + OPTIONAL
STATUSES = ("eligible", "ineligible", "invalid", "duplicate")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
YES, NO = {"yes", "y", "true", "1", "x"}, {"no", "n", "false", "0", ""}
TEXT_LABELS = {"location": "Location", "release_area": "Release area",
               "interpreter_language": "Interpreter language", "notes": "Notes"}
# Control characters never found in a spreadsheet's CSV: a sign of a binary file.
BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
PREVIEW_SALT = "cohort-import"


@dataclass
class ParsedFile:
    """The file's rows as {column: text}, with the line each starts on, and notices for people."""

    rows: list[tuple[int, dict[str, str]]]
    notices: list[str] = field(default_factory=list)


@dataclass
class PreviewRow:
    """What confirm would do with one row, and why (values as given, for showing)."""

    line: int
    status: str
    reason: str
    values: dict[str, str]
    details: PersonDetails | None = None
    keep_apart_from: tuple[str, ...] = ()


@dataclass
class KeepApartCheck:
    """Keep-apart pairs between men on the visit after the import, and references to others."""

    pairs: list[tuple[str, str]]
    unknown: list[str]


def _refuse(code: str, message: str):
    """A refusal of the whole file, shown next to the upload field."""
    return DomainError(code, message, "file")


def _decode(content: bytes, notices: list[str]) -> str:
    """The file as text: UTF-8 (with or without BOM), else Windows' cp1252; never binary."""
    if len(content) > MAX_BYTES:
        raise _refuse("too_big", f"The file must be smaller than {MAX_BYTES // 1024 // 1024} MB")
    if b"\x00" in content or content.lstrip().startswith(b"%PDF"):
        raise _refuse("not_csv", "The file is not a CSV file. Save the list as CSV and try again")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            raise _refuse("not_csv", "The file is not a CSV file. Save the list as CSV "
                                     "(UTF-8) and try again") from None
        notices.append("The file was not saved as UTF-8, so it was read as Windows text "
                       "(cp1252). Check that accented names look right.")
    if BINARY.search(text):
        raise _refuse("not_csv", "The file is not a CSV file. Save the list as CSV and try again")
    if not text.strip():
        raise _refuse("empty", "The file is empty")
    return text


def column_name(header: str) -> str:
    """A header as a column name: lower case, trimmed, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def _columns(header: list[str], notices: list[str]) -> list[str]:
    """The header's column names, refusing a file without the required ones."""
    names = [column_name(cell) for cell in header]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise _refuse("missing_columns", "The first row must name the columns. Missing: "
                      + ", ".join(missing) + ". Download the template to see them all")
    ignored = [name for name in names if name and name not in COLUMNS]
    if ignored:
        notices.append("These columns were ignored: " + ", ".join(ignored))
    return names


def _records(text: str):
    """Each CSV record with the line it starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as error:
        raise _refuse("not_csv", f"Line {start} could not be read as CSV: {error}") from None


def parse(content: bytes) -> ParsedFile:
    """Read the prison's list; refuse an empty, binary, too big or badly headed file."""
    notices: list[str] = []
    records = _records(_decode(content, notices))
    _, header = next(records)
    names = _columns(header, notices)
    rows = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) == MAX_ROWS:
            raise _refuse("too_many_rows", f"The file has more than {MAX_ROWS:,} rows. "
                                           "Split it into smaller files")
        values = {name: "" for name in COLUMNS}
        for name, cell in zip(names, cells, strict=False):
            if name in COLUMNS and not values[name]:
                values[name] = cell.strip()
        rows.append((line, values))
    if not rows:
        raise _refuse("empty", "The file has a header row but no men on it")
    return ParsedFile(rows, notices)


def _date(values: dict[str, str], column: str) -> date | None:
    """A date as YYYY-MM-DD or DD/MM/YYYY, blank as None, anything else refused naming it."""
    text = values[column]
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise DomainError("bad_date", f"{column}: “{text}” is not a date like 2027-03-14 or "
                                  "14/03/2027", column)


def _yes_no(values: dict[str, str], column: str) -> bool:
    """Yes or no (blank is no), anything else refused naming the column."""
    text = values[column].lower()
    if text not in YES | NO:
        raise DomainError("bad_yes_no", f"{column}: “{values[column]}” is not yes or no", column)
    return text in YES


def _release_type(text: str) -> str:
    """A release type code from the list (any case; blank is other)."""
    codes = {code.lower(): code for code in RELEASE_TYPES}
    code = codes.get(text.lower() or "other")
    if code is None:
        raise DomainError("bad_release_type", f"release_type: “{text}” is not one of "
                                              + ", ".join(RELEASE_TYPES), "release_type")
    return code


def _interests(text: str) -> list[str]:
    """Interest codes from a list separated by ; or |, by code or by name."""
    known = {column_name(label): code for code, label in INTERESTS.items()} | {
        code: code for code in INTERESTS}
    interests = []
    for item in filter(None, (part.strip() for part in re.split(r"[;|]", text))):
        code = known.get(column_name(item))
        if code is None:
            raise DomainError("bad_interest", f"interests: “{item}” is not one of "
                                              + ", ".join(INTERESTS), "interests")
        interests.append(code)
    return interests


def _details(values: dict[str, str]) -> PersonDetails:
    """A row as a man's details, checked by the same rules as the form."""
    check_lengths(Person, values, TEXT_LABELS)
    check_characters(values, TEXT_LABELS, multi_line=["notes"])
    return check_details(PersonDetails(
        prison_number=values["prison_number"], first_name=values["first_name"],
        last_name=values["last_name"], release_date=_date(values, "release_date"),
        release_type=_release_type(values["release_type"]),
        release_confirmed=_yes_no(values, "release_confirmed"),
        date_of_birth=_date(values, "date_of_birth"), location=values["location"],
        release_area=values["release_area"], interests=_interests(values["interests"]),
        easy_read=_yes_no(values, "easy_read"), large_print=_yes_no(values, "large_print"),
        interpreter_language=values["interpreter_language"], notes=values["notes"]))


def members_on_visit(visit_id: int) -> dict[str, int]:
    """Prison number → person id of everyone already on the visit's cohort (one query)."""
    query = (select(Person.prison_number, Person.id).join(CohortMember)
             .where(CohortMember.visit_id == visit_id))
    return dict(db.session.execute(query).all())


def _preview_row(visit: Visit, line: int, values: dict[str, str], today: date,
                 on_visit: dict[str, int], seen: dict[str, int]) -> PreviewRow:
    """Judge one row: invalid, duplicate, ineligible or eligible, with the reason."""
    try:
        number = prison_number(values["prison_number"])
        details = _details(values)
    except DomainError as error:
        return PreviewRow(line, "invalid", error.message, values)
    if number in seen:
        return PreviewRow(line, "duplicate", f"Also on line {seen[number]} of the file", values)
    seen[number] = line
    if number in on_visit:
        return PreviewRow(line, "duplicate", "Already on this visit", values)
    check = eligibility(visit, details.release_date, today)
    others = tuple(other.upper() for other in re.split(r"[;,\s]+", values["keep_apart_from"])
                   if other)
    return PreviewRow(line, "eligible" if check.eligible else "ineligible", check.reason,
                      values, details, others)


def preview(visit: Visit, parsed: ParsedFile, today: date,
            on_visit: dict[str, int] | None = None) -> list[PreviewRow]:
    """What confirm would do with each row of the file (one query, whatever its size)."""
    on_visit = members_on_visit(visit.id) if on_visit is None else on_visit
    seen: dict[str, int] = {}
    return [_preview_row(visit, line, values, today, on_visit, seen)
            for line, values in parsed.rows]


def counts(rows: list[PreviewRow]) -> dict[str, int]:
    """How many rows have each status (every status listed, even at zero)."""
    tally = Counter(row.status for row in rows)
    return {status: tally[status] for status in STATUSES}


def keep_apart(rows: list[PreviewRow], on_visit) -> KeepApartCheck:
    """Pairs from eligible rows to men imported with them or already on the visit; and the
    prison numbers named that are neither (so the organiser can check them)."""
    known = {row.details.prison_number for row in rows if row.status == "eligible"}
    known |= set(on_visit)
    pairs, unknown = set(), set()
    for row in rows:
        if row.status != "eligible":
            continue
        for other in row.keep_apart_from:
            if other == row.details.prison_number:
                continue
            if other in known:
                pairs.add(tuple(sorted((row.details.prison_number, other))))
            else:
                unknown.add(other)
    return KeepApartCheck(sorted(pairs), sorted(unknown))


@writes
def record_preview(visit_id: int, actor_id: int, rows: list[PreviewRow]) -> None:
    """Leave an audit row that a list was previewed (counts only, no personal data)."""
    tally = counts(rows)
    record("cohort.import_previewed", actor_id, "visit", visit_id,
           detail=" ".join(f"{status}={number}" for status, number in tally.items()))
    db.session.commit()


def _write(visit: Visit, rows: list[PreviewRow], on_visit: dict[str, int]) -> int:
    """Add the eligible men and their keep-apart pairs to the session; the number of pairs."""
    with db.session.no_autoflush:
        people = {row.details.prison_number: save_person(row.details)
                  for row in rows if row.status == "eligible"}
    db.session.flush()
    for person in people.values():
        db.session.add(CohortMember(visit_id=visit.id, person_id=person.id))
    ids = on_visit | {number: person.id for number, person in people.items()}
    existing = set(db.session.execute(select(KeepApart.first_id, KeepApart.second_id).where(
        KeepApart.visit_id == visit.id)).all())
    new_pairs = {tuple(sorted((ids[a], ids[b]))) for a, b in keep_apart(rows, on_visit).pairs}
    for first_id, second_id in sorted(new_pairs - existing):
        db.session.add(KeepApart(visit_id=visit.id, first_id=first_id, second_id=second_id))
    db.session.flush()
    return len(new_pairs - existing)


@writes
def confirm(visit_id: int, content: bytes, actor_id: int, today: date) -> dict[str, int]:
    """Read and check the file again, then add every eligible man in one transaction (all or
    nothing) with one audit row; returns the counts per status and of keep-apart pairs."""
    visit = get_visit(visit_id)
    on_visit = members_on_visit(visit.id)
    rows = preview(visit, parse(content), today, on_visit)
    tally = counts(rows)
    if not tally["eligible"]:
        raise DomainError("nothing_to_import", "Nobody on the list is eligible for this visit, "
                                               "so nothing was imported")
    try:
        tally["keep_apart"] = _write(visit, rows, on_visit)
        record("cohort.imported", actor_id, "visit", visit.id,
               detail=" ".join(f"{status}={number}" for status, number in tally.items()))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        raise DomainError("import_failed", "The list could not be saved, so nothing was "
                                           "imported. Try again") from None
    return tally


def _serializer() -> URLSafeSerializer:
    """Signs the file the preview page carries back, so confirm can trust it is unchanged."""
    return URLSafeSerializer(current_app.secret_key, salt=PREVIEW_SALT)


def seal(visit_id: int, content: bytes) -> str:
    """The file, compressed and signed for this visit, for a hidden field."""
    packed = base64.b64encode(zlib.compress(content, 9)).decode("ascii")
    return _serializer().dumps({"visit": visit_id, "file": packed})


def unseal(visit_id: int, token: str) -> bytes:
    """The file back from a hidden field, refused if it was changed or is for another visit."""
    try:
        payload = _serializer().loads(token or "")
        if payload["visit"] != visit_id:
            raise BadSignature("another visit")
        return zlib.decompress(base64.b64decode(payload["file"]))
    except (BadSignature, KeyError, TypeError, ValueError, zlib.error):
        raise DomainError("bad_token", "The preview could not be checked, so nothing was "
                                       "imported. Upload the file again") from None
