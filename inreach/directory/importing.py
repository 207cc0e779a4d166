"""Loading a directory file (Open Referral UK JSON or flat CSV): every entry is checked by the
same rules as the service form, then all of them are written in one transaction, or none.

This module owns the import's transaction: it commits once, at the end, with one audit row."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError
from . import flat_csv, oruk, services
from .entries import ContactEntry, Entry, ImportRefused, refuse
from .models import Contact, DirectoryOrganisation, Phone, Service, ServiceArea
from .rules import check_email, check_organisation, check_plain_text, check_service

MAX_BYTES = 5 * 1024 * 1024
READERS = {".json": oruk.read, ".csv": flat_csv.read}


@dataclass
class Counts:
    """What an import did."""

    added: int = 0
    updated: int = 0
    removed: int = 0

    def __str__(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.removed} removed"


@writes
def import_file(content: bytes, filename: str, remove_missing: bool, actor_id: int) -> Counts:
    """Check every entry in the file, then add and update them all (and, only when asked,
    remove services that are not in the file); refuses with every problem found."""
    entries, problems = read_file(content, filename)
    check_entries(entries, problems)
    try:
        counts = _write(entries, remove_missing)
        record("directory.imported", actor_id, detail=str(counts))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        raise refuse("The directory could not be saved, so nothing was imported. "
                     "Try again") from None
    return counts


def read_file(content: bytes, filename: str) -> tuple[list[Entry], list[str]]:
    """The well-formed entries of a file, read by its kind (.json or .csv), and the problems
    with the others; refuses a file that cannot be read at all."""
    reader = READERS.get(next((kind for kind in READERS if filename.lower().endswith(kind)), ""))
    if reader is None:
        raise refuse("Choose a .json (Open Referral UK) or .csv file")
    if len(content) > MAX_BYTES:
        raise refuse(f"The file must be smaller than {MAX_BYTES // 2**20} MB")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("The file is not UTF-8 text: save it as UTF-8 and try again") from None
    if not text.strip():
        raise refuse("The file is empty")
    entries, problems = reader(text)
    if not entries and not problems:
        raise refuse("The file has no services in it")
    return entries, problems


# Checking ------------------------------------------------------------------------------------

def check_entries(entries: list[Entry], problems: list[str]) -> None:
    """Refuse with the problems found reading the file, and those with every rule for every
    entry and ids that clash in the file or with the directory."""
    problems = problems + [problem for entry in entries for problem in _entry_problems(entry)]
    problems += _duplicate_ids(entries) + _organisation_clashes(entries)
    problems += _children_of_other_services(entries)
    if problems:
        raise ImportRefused(problems)


def _entry_problems(entry: Entry) -> list[str]:
    """The first rule an entry breaks (as the form would show it), if any."""
    try:
        check_service(entry.values)
        check_organisation(entry.organisation.values())
        check_email(entry.assurer_email, "Assurer email", "assurer_email")
        for contact in entry.contacts or []:
            check_plain_text(contact.name, "Contact name", "contacts", 120)
            check_plain_text(contact.title, "Contact title", "contacts", 120)
    except DomainError as error:
        return [f"{entry.where}: {error.message}"]
    return []


def _child_ids(entry: Entry) -> dict[str, list[str]]:
    """The ids of an entry's contacts, phones and areas, by what they are."""
    contacts = entry.contacts or []
    return {"contact": [contact.id for contact in contacts],
            "phone": [phone.id for contact in contacts for phone in contact.phones],
            "service area": list(entry.area_ids.values())}


def _duplicate_ids(entries: list[Entry]) -> list[str]:
    """An id given twice: two services, or two contacts, phones or areas anywhere in the file."""
    problems, seen = [], {}
    for entry in entries:
        ids = {"service": [entry.id] if entry.id else []} | _child_ids(entry)
        for kind, values in ids.items():
            for position, value in enumerate(values):
                if value in values[:position]:
                    problems.append(f'{entry.where}: the {kind} id "{value}" is used twice')
                    continue
                first = seen.setdefault((kind, value), entry)
                if first is not entry:
                    problems.append(f'{entry.where}: the {kind} id "{value}" is also used '
                                    f"by {first.where}")
    return problems


def _organisation_clashes(entries: list[Entry]) -> list[str]:
    """An organisation id given with different details in different entries."""
    problems, first = [], {}
    for entry in entries:
        organisation = entry.organisation
        if organisation.id is None:
            continue
        earlier = first.setdefault(organisation.id, entry)
        if earlier.organisation.values() != organisation.values():
            problems.append(f'{entry.where}: the organisation id "{organisation.id}" has '
                            f"different details in {earlier.where}")
    return problems


def _owners() -> dict[str, dict[str, tuple[str, str]]]:
    """Each contact, phone and area id in the directory, with its service's id and name."""
    owner = (Service.oruk_id, Service.name)
    queries = {
        "contact": select(Contact.oruk_id, *owner).join_from(Contact, Service),
        "phone": select(Phone.oruk_id, *owner).join_from(Phone, Contact)
        .join_from(Contact, Service),
        "service area": select(ServiceArea.oruk_id, *owner).join_from(ServiceArea, Service)}
    return {kind: {child: (service_id, name) for child, service_id, name
                   in db.session.execute(query)} for kind, query in queries.items()}


def _children_of_other_services(entries: list[Entry]) -> list[str]:
    """Contact, phone and area ids that already belong to another service in the directory."""
    owners, problems = _owners(), []
    for entry in entries:
        for kind, values in _child_ids(entry).items():
            for value in values:
                service_id, name = owners[kind].get(value, (entry.id, ""))
                if service_id != entry.id:
                    problems.append(f'{entry.where}: the {kind} id "{value}" already belongs '
                                    f'to another service in the directory ("{name}")')
    return problems


# Writing -------------------------------------------------------------------------------------

def _write(entries: list[Entry], remove_missing: bool) -> Counts:
    """Add, update and (when asked) remove services in the session; nothing is committed."""
    existing = {service.oruk_id: service for service in db.session.scalars(
        select(Service).options(selectinload(Service.areas), selectinload(Service.pathways),
                                selectinload(Service.contacts).selectinload(Contact.phones)))}
    counts = Counts()
    if remove_missing:
        for oruk_id in set(existing) - {entry.id for entry in entries}:
            _remove(existing.pop(oruk_id), counts)
    _clear_children(entries, existing)
    organisations = _Organisations()
    owners = [organisations.find(entry) for entry in entries]
    # Flushed before the services are written: rows coming back with the same ids must not be
    # inserted before the old ones are deleted, and services refer to organisations by id
    # (much quicker for thousands of services than through the organisation's list).
    db.session.flush()
    for entry, organisation in zip(entries, owners, strict=True):
        service = existing.get(entry.id)
        if service is None:
            service = Service(**({"oruk_id": entry.id} if entry.id else {}))
            db.session.add(service)
        service.organisation_id = organisation.id
        _write_service(service, entry)
    counts.added = sum(entry.id not in existing for entry in entries)
    counts.updated += len(entries) - counts.added
    db.session.flush()
    if remove_missing:
        _remove_organisations_without_services()
    return counts


def _remove(service: Service, counts: Counts) -> None:
    """Delete a service missing from the file; one with referrals keeps its history and is
    marked inactive instead (so it drops out of packs and the tablet's choices)."""
    from ..referrals.models import Referral  # referrals build on the directory, not the reverse

    if db.session.scalar(select(Referral.id).where(Referral.service_id == service.id).limit(1)):
        service.status = "inactive"
        counts.updated += 1
    else:
        db.session.delete(service)
        counts.removed += 1


def _clear_children(entries: list[Entry], existing: dict[str, Service]) -> None:
    """Drop the contacts and areas of services whose file gives them with ids (they come back
    from the file, ids and all)."""
    for entry in entries:
        service = existing.get(entry.id)
        if service is not None and entry.contacts is not None:
            service.contacts = []
            service.areas = []


def _write_service(service: Service, entry: Entry) -> None:
    """Copy an entry's checked values onto its service."""
    values = entry.values
    for name in services.SCALARS:
        setattr(service, name, values[name])
    service.referral_details = ",".join(values["referral_details"])
    service.assured_date, service.assurer_email = entry.assured_date, entry.assurer_email
    services.set_pathways(service, values["pathways"])
    services.set_areas(service, values["areas"], entry.area_ids)
    if entry.contacts is None:
        services.set_phones(service, values["phones"])
    else:
        service.contacts = [_contact(contact) for contact in entry.contacts]


def _contact(contact: ContactEntry) -> Contact:
    """A new contact row (with its phones) keeping the file's ids."""
    return Contact(oruk_id=contact.id, name=contact.name, title=contact.title,
                   phones=[Phone(oruk_id=phone.id, number=phone.number,
                                 description=phone.description) for phone in contact.phones])


class _Organisations:
    """The organisations entries run under: found by id (and given the file's details) or, in
    a file without ids, by name; added when new."""

    def __init__(self):
        rows = list(db.session.scalars(select(DirectoryOrganisation)))
        self.by_id = {row.oruk_id: row for row in rows}
        self.by_name = {row.name.lower(): row for row in rows}

    def find(self, entry: Entry) -> DirectoryOrganisation:
        """The entry's organisation, added if it is new."""
        given = entry.organisation
        row = self.by_id.get(given.id) if given.id else self.by_name.get(given.name.lower())
        if row is None or given.id:
            row = row or self._add(given.id)
            for name, value in given.values().items():
                setattr(row, name, value)
        self.by_name.setdefault(row.name.lower(), row)
        return row

    def _add(self, oruk_id: str | None) -> DirectoryOrganisation:
        """A new organisation, with the file's id if it gives one."""
        row = DirectoryOrganisation(**({"oruk_id": oruk_id} if oruk_id else {}))
        db.session.add(row)
        if oruk_id:
            self.by_id[oruk_id] = row
        return row


def _remove_organisations_without_services() -> None:
    """Delete organisations left running no service."""
    for organisation in db.session.scalars(
            select(DirectoryOrganisation).where(~DirectoryOrganisation.services.any())):
        db.session.delete(organisation)
