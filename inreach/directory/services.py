"""The rules for the service directory: adding and changing entries, when an entry needs
checking, marking it checked, and finding services by pathway, area and words."""

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date

from flask import current_app
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..audit.services import record
from ..database import db, writes
from ..dates import today
from ..errors import DomainError
from ..paging import PAGE_SIZE, Page, paginate
from .models import Contact, DirectoryOrganisation, Phone, Service, ServiceArea, ServicePathway
from .rules import check_organisation, check_service
from .vocabulary import ANSWER_DAYS, NATIONAL

LISTED = ("active", "temporarily closed")  # what browsing shows unless asked for everything
EXPORT_BATCH = 200  # services loaded at a time for a download


@dataclass
class ServiceDetails:
    """What an organiser types about a service."""

    name: str
    organisation_id: int | None
    description: str = ""
    status: str = "active"
    url: str = ""
    email: str = ""
    eligibility: str = ""
    application_process: str = ""
    fees: str = ""
    languages: str = ""
    address: str = ""
    opening_hours: str = ""
    pathways: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (number, description)
    referable: bool = False
    next_steps: str = ""
    referral_contact: str = ""
    referral_details: list[str] = field(default_factory=list)
    referral_route: str = ""  # REFERRAL_ROUTES code, or "" while nobody has said
    referral_email: str = ""
    referral_instructions: str = ""
    answer_days: int = ANSWER_DAYS
    ips: bool = False


@dataclass
class OrganisationDetails:
    """What an organiser types about an organisation that runs services."""

    name: str
    description: str = ""
    website: str = ""
    email: str = ""


def clean_service(details: ServiceDetails) -> dict:
    """The details trimmed, with blank phones dropped and areas listed once each."""
    values = {name: value.strip() if isinstance(value, str) else value
              for name, value in asdict(details).items()}
    values["phones"] = [(number.strip(), description.strip())
                        for number, description in values["phones"] if number.strip()]
    values["areas"] = unique_areas(values["areas"])
    return values


def unique_areas(names: list[str]) -> list[str]:
    """Area names trimmed and listed once each, ignoring case; any spelling of national counts."""
    seen, result = set(), []
    for name in (name.strip() for name in names):
        name = NATIONAL if name.lower() == NATIONAL.lower() else name
        if name and name.lower() not in seen:
            seen.add(name.lower())
            result.append(name)
    return result


@writes
def create_service(details: ServiceDetails, actor_id: int) -> Service:
    """Add a service to the directory."""
    values = clean_service(details)
    check_service(values)
    service = Service(organisation=get_organisation(values["organisation_id"]))
    write_service(service, values)
    db.session.add(service)
    db.session.flush()
    record("directory.service.created", actor_id, "service", service.id)
    db.session.commit()
    return service


@writes
def update_service(service_id: int, details: ServiceDetails, actor_id: int) -> Service:
    """Change a service's details."""
    service = get_service(service_id)
    values = clean_service(details)
    check_service(values)
    service.organisation = get_organisation(values["organisation_id"])
    write_service(service, values)
    record("directory.service.updated", actor_id, "service", service.id)
    db.session.commit()
    return service


SCALARS = ("name", "description", "status", "url", "email", "eligibility", "application_process",
           "fees", "languages", "address", "opening_hours", "referable", "next_steps",
           "referral_contact", "referral_route", "referral_email", "referral_instructions",
           "answer_days", "ips")


def write_service(service: Service, values: dict) -> None:
    """Copy checked values onto a service: its own fields, pathways, areas and phones."""
    for name in SCALARS:
        setattr(service, name, values[name])
    service.referral_details = ",".join(values["referral_details"])
    set_pathways(service, values["pathways"])
    set_areas(service, values["areas"])
    set_phones(service, values["phones"])


def set_pathways(service: Service, codes: list[str]) -> None:
    """File the service under exactly these pathways, keeping the links it already has."""
    service.pathways = ([link for link in service.pathways if link.pathway in codes]
                        + [ServicePathway(pathway=code) for code in codes
                           if code not in service.pathway_codes])


def set_areas(service: Service, names: list[str], ids: dict[str, str] | None = None) -> None:
    """Cover exactly these areas, keeping existing rows (and their ids) where the name matches."""
    ids = ids or {}
    existing = {area.name.lower(): area for area in service.areas}
    service.areas = [existing.get(name.lower()) or ServiceArea(name=name, **_id(ids.get(name)))
                     for name in names]
    for area, name in zip(service.areas, names, strict=True):
        area.name = name  # a change of capitals only keeps the row


def _id(oruk_id: str | None) -> dict:
    """Keyword arguments that set a given Open Referral UK id, or leave the default."""
    return {"oruk_id": oruk_id} if oruk_id else {}


def set_phones(service: Service, phones: list[tuple[str, str]]) -> None:
    """Set the phone numbers in order, reusing existing rows so their ids stay the same."""
    rows = service.phones
    for row, (number, description) in zip(rows, phones, strict=False):
        row.number, row.description = number, description
    for row in rows[len(phones):]:
        next(contact for contact in service.contacts if row in contact.phones).phones.remove(row)
    if len(phones) > len(rows):
        if not service.contacts:
            service.contacts.append(Contact())
        service.contacts[0].phones.extend(Phone(number=number, description=description)
                                          for number, description in phones[len(rows):])


@writes
def delete_service(service_id: int, actor_id: int) -> str:
    """Remove a service nobody was referred to; returns its name. One with referrals stays,
    so their history holds: mark it inactive or closed instead."""
    from ..referrals.models import Referral  # referrals build on the directory, not the reverse

    service = get_service(service_id)
    if db.session.scalar(select(Referral.id).where(Referral.service_id == service.id).limit(1)):
        raise DomainError("service_in_use", f"{service.name} has referrals, so it stays in the "
                          "directory. Change its status to inactive or closed instead.")
    name = service.name
    record("directory.service.deleted", actor_id, "service", service.id)
    db.session.delete(service)
    db.session.commit()
    return name


def check_days() -> int:
    """How many days after its last check an entry needs checking again."""
    return int(current_app.config["DIRECTORY_CHECK_DAYS"])


def needs_checking(service: Service, on: date | None = None) -> bool:
    """Whether nobody has checked the entry within the checking period (or ever)."""
    if service.assured_date is None:
        return True
    return ((on or today()) - service.assured_date).days > check_days()


def stale(services: list[Service]) -> list[Service]:
    """The services among these that need checking, for warnings before printing."""
    return [service for service in services if needs_checking(service)]


def missing_route(service: Service) -> bool:
    """Whether an active service taking self-referrals does not say how referrals reach it:
    they can then only be marked as sent another way, never emailed."""
    return service.referable and service.status == "active" and not service.referral_route


def _without_route(query: Select) -> Select:
    """The query narrowed to the services ``missing_route`` is true of."""
    return query.where(Service.referable.is_(True), Service.status == "active",
                       Service.referral_route == "")


def count_missing_route() -> int:
    """How many services ``missing_route`` is true of, for the directory's warning."""
    return db.session.scalar(_without_route(select(func.count()).select_from(Service)))


@writes
def mark_checked(service_id: int, checker_email: str, actor_id: int) -> Service:
    """Record that someone checked the entry today."""
    service = get_service(service_id)
    service.assured_date = today()
    service.assurer_email = checker_email
    record("directory.service.checked", actor_id, "service", service.id)
    db.session.commit()
    return service


def get_service(service_id: int) -> Service:
    """The service, or a not_found error."""
    service = db.session.get(Service, service_id)
    if service is None:
        raise DomainError("not_found", "That service is not in the directory")
    return service


def service_by_oruk_id(oruk_id: str) -> Service:
    """The service with this Open Referral UK id (as used in URLs), or a not_found error."""
    service = db.session.scalar(select(Service).where(Service.oruk_id == oruk_id))
    if service is None:
        raise DomainError("not_found", "That service is not in the directory")
    return service


def _with_details(query):
    """Load what a list of services shows, in a few queries rather than one per service."""
    return query.options(selectinload(Service.organisation), selectinload(Service.pathways),
                         selectinload(Service.areas),
                         selectinload(Service.contacts).selectinload(Contact.phones))


def find_services(pathway: str | None = None, area: str | None = None, words: str | None = None,
                  everything: bool = False, no_route: bool = False) -> list[Service]:
    """Services by name, filtered by pathway, by area (national ones cover every area) and by
    words in the name, description or organisation; closed ones only when asked; only those
    missing a referral route when asked."""
    query = _with_details(_found(pathway, area, words, everything, no_route))
    return list(db.session.scalars(query))


def services_page(pathway: str | None = None, area: str | None = None, words: str | None = None,
                  everything: bool = False, page: int = 1, size: int = PAGE_SIZE,
                  no_route: bool = False) -> Page:
    """One page of ``find_services``, cut in SQL, each service with what the list shows. The
    page is cut by id alone (sorting 5,000 whole rows to keep 50 costs ten times more), then
    its services are loaded."""
    ids = paginate(_found(pathway, area, words, everything, no_route)
                   .with_only_columns(Service.id), page, size)
    return replace(ids, items=_by_ids(db.session, ids.items))


def _by_ids(session: Session, ids: list[int]) -> list[Service]:
    """The services with these ids, in this order, with what lists and exports show (one
    deleted meanwhile is left out)."""
    found = {service.id: service for service in session.scalars(
        _with_details(select(Service).where(Service.id.in_(ids))))}
    return [found[service_id] for service_id in ids if service_id in found]


def _found(pathway: str | None, area: str | None, words: str | None,
           everything: bool, no_route: bool = False) -> Select:
    """The query behind ``find_services``, by name, without its loader options."""
    query = select(Service).join(Service.organisation)
    if not everything:
        query = query.where(Service.status.in_(LISTED))
    if no_route:
        query = _without_route(query)
    if pathway:
        query = query.where(exists().where(ServicePathway.service_id == Service.id,
                                           ServicePathway.pathway == pathway))
    if area:
        names = {area.lower(), NATIONAL.lower()}
        query = query.where(exists().where(ServiceArea.service_id == Service.id,
                                           func.lower(ServiceArea.name).in_(names)))
    if words:
        text = words.strip().lower()
        query = query.where(or_(*(func.lower(column).contains(text, autoescape=True)
                                  for column in (Service.name, Service.description,
                                                 DirectoryOrganisation.name))))
    return query.order_by(Service.name, Service.id)


def export_ids() -> list[int]:
    """Every service's id in the order the exports write them (by name), in one short read."""
    return list(db.session.scalars(_found(None, None, None, True)
                                   .with_only_columns(Service.id)))


def services_in_batches(ids: list[int]) -> Iterator[list[Service]]:
    """The services with these ids, in this order, ``EXPORT_BATCH`` at a time with what the
    exports write. Each batch is its own short read on its own session, closed before the batch
    is handed on: a download holds no connection while it is written, and no more than one
    batch of services in memory."""
    for start in range(0, len(ids), EXPORT_BATCH):
        with Session(db.engine) as session:
            batch = _by_ids(session, ids[start:start + EXPORT_BATCH])
        yield batch


def referable_services(area: str | None = None) -> list[Service]:
    """Active services that take self-referrals at a visit (for one area, if given), by name.
    Loads only what the tablet's choices show, as it runs on every capture."""
    query = (select(Service).where(Service.referable.is_(True), Service.status == "active")
             .options(selectinload(Service.pathways)).order_by(Service.name, Service.id))
    if area:
        names = {area.lower(), NATIONAL.lower()}
        query = query.where(exists().where(ServiceArea.service_id == Service.id,
                                           func.lower(ServiceArea.name).in_(names)))
    return list(db.session.scalars(query))


def known_areas() -> list[str]:
    """Every local authority some service covers, by name (National is not one)."""
    query = (select(ServiceArea.name).where(func.lower(ServiceArea.name) != NATIONAL.lower())
             .distinct().order_by(ServiceArea.name))
    return list(db.session.scalars(query))


def is_known_area(name: str) -> bool:
    """Whether some service covers this local authority (one of ``known_areas``)."""
    query = select(ServiceArea.id).where(func.lower(ServiceArea.name) == name.lower(),
                                         func.lower(ServiceArea.name) != NATIONAL.lower())
    return db.session.scalar(query.limit(1)) is not None


@writes
def create_organisation(details: OrganisationDetails, actor_id: int) -> DirectoryOrganisation:
    """Add an organisation that runs services."""
    values = {name: value.strip() for name, value in asdict(details).items()}
    check_organisation(values)
    organisation = DirectoryOrganisation(**values)
    db.session.add(organisation)
    db.session.flush()
    record("directory.organisation.created", actor_id, "directory_organisation",
           organisation.id)
    db.session.commit()
    return organisation


@writes
def update_organisation(organisation_id: int, details: OrganisationDetails,
                        actor_id: int) -> DirectoryOrganisation:
    """Change an organisation's details."""
    organisation = get_organisation(organisation_id)
    values = {name: value.strip() for name, value in asdict(details).items()}
    check_organisation(values)
    for name, value in values.items():
        setattr(organisation, name, value)
    record("directory.organisation.updated", actor_id, "directory_organisation",
           organisation.id)
    db.session.commit()
    return organisation


def get_organisation(organisation_id: int | None) -> DirectoryOrganisation:
    """The organisation, or an error on the organisation field."""
    organisation = db.session.get(DirectoryOrganisation, organisation_id or 0)
    if organisation is None:
        raise DomainError("no_organisation", "Choose the organisation that runs the service",
                          "organisation_id")
    return organisation


def all_organisations() -> list[DirectoryOrganisation]:
    """Every organisation, by name."""
    query = select(DirectoryOrganisation).order_by(DirectoryOrganisation.name)
    return list(db.session.scalars(query.options(selectinload(DirectoryOrganisation.services))))


def organisation_by_oruk_id(oruk_id: str) -> DirectoryOrganisation:
    """The organisation with this Open Referral UK id, or a not_found error."""
    organisation = db.session.scalar(
        select(DirectoryOrganisation).where(DirectoryOrganisation.oruk_id == oruk_id))
    if organisation is None:
        raise DomainError("not_found", "That organisation is not in the directory")
    return organisation
