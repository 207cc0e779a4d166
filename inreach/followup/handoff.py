"""Hand-off after a visit: the referrals to send, by receiving service.

- Which referrals: those of men on the visit who agreed to share their details with the service
  (a ``not_shared`` referral is never listed, printed, exported or emailed).
- What a service gets for a man: his name and exactly the details the directory says it asks
  for (``Service.referral_details``), with his form reference and when he consented under which
  wording, and nothing more. ``details_for`` is the one place that decides it, for the page, the
  PDF, the CSV and the email alike.
- Reading costs a fixed number of statements whatever the number of men: the visit, one query
  for every referral with its man and his set, one for the services.
- Every PDF or CSV of these details is audited per referral (ids only) before it is made.
"""

from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..audit.services import record, record_all
from ..cohorts.models import CohortMember, Person
from ..database import db, end_read, writes
from ..directory.models import Service
from ..directory.vocabulary import REFERRAL_DETAILS, REFERRAL_ROUTES
from ..errors import DomainError
from ..printing.services import htmls_to_pdf, render_html
from ..printing.spreadsheet import csv_text
from ..privacy.restriction import is_restricted
from ..referrals.models import HOUSING, ConsentWording, Referral, ReferralSet
from ..visits.models import Visit
from .vocabulary import SENT_HOW, STATUSES

PDF_TEMPLATE = "followup/handoff_referral_pdf.html"


@dataclass
class ManReferral:
    """One referral as the hand-off shows it: what the service gets, and where it stands."""

    referral_id: int
    reference: str  # his form reference, the only name the email gives him
    details: list[tuple[str, str]]  # (label, value): his name first, then what it asks for
    consent_version: int
    consented_on: date
    status: str
    sent_on: date | None
    sent_how: str
    send_problem: str
    queued: bool  # an email carrying it is on the queue

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def sent_how_label(self) -> str:
        return SENT_HOW.get(self.sent_how, "")

    @property
    def sendable(self) -> bool:
        """Made, and not already on its way by email."""
        return self.status == "made" and not self.queued


@dataclass
class ServiceReferrals:
    """A receiving service, how referrals reach it, and the visit's referrals to it."""

    service_id: int
    name: str
    route: str  # "" when the directory does not say yet
    email: str
    instructions: str
    answer_days: int
    detail_codes: list[str]  # what it asks for beyond his name (REFERRAL_DETAILS)
    referrals: list[ManReferral] = field(default_factory=list)

    @property
    def detail_labels(self) -> list[str]:
        return [REFERRAL_DETAILS[code] for code in self.detail_codes]

    @property
    def route_label(self) -> str:
        return REFERRAL_ROUTES.get(self.route, "Not given in the directory yet")

    @property
    def to_send(self) -> list[ManReferral]:
        return [referral for referral in self.referrals if referral.sendable]

    @property
    def emailable(self) -> bool:
        return self.route == "email" and bool(self.email)


@dataclass
class Handoff:
    """A visit's referrals to send, service by service (by name)."""

    visit_id: int
    visit_date: date
    prison_name: str
    services: list[ServiceReferrals]
    # Men with consented referrals whose processing is restricted (inreach.privacy.restriction):
    # left out, listed by name for the page.
    restricted_names: list[str] = field(default_factory=list)


def details_for(codes: list[str], person: Person, his_set: ReferralSet) -> list[tuple[str, str]]:
    """What a service gets for a man: his name, then each detail it asks for (in the
    directory's order), as text. Nothing else about him leaves through the hand-off."""
    wanted = set(codes)
    return [("Name", f"{person.first_name} {person.last_name}")] + [
        (label, _detail(code, person, his_set))
        for code, label in REFERRAL_DETAILS.items() if code in wanted]


def _detail(code: str, person: Person, his_set: ReferralSet) -> str:
    """One detail's value as the service reads it."""
    if code == "prison_number":
        return person.prison_number
    if code == "date_of_birth":
        return _day(person.date_of_birth)
    if code == "release_date":
        return _day(person.release_date)
    if code == "address":
        return ", ".join(part for part in (HOUSING[his_set.housing], his_set.release_area)
                         if part)
    if code == "phone":
        return _phone(his_set)
    return ", ".join(part for part in (his_set.probation_name, his_set.probation_contact)
                     if part) or "Not known"


def _day(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "Not known"


def _phone(his_set: ReferralSet) -> str:
    """His phone number and whether a message may be left on it."""
    if not his_set.phone:
        return "None given"
    message = {True: "safe to leave a message", False: "do not leave a message"}.get(
        his_set.safe_message, "not asked whether a message may be left")
    return f"{his_set.phone} ({message})"


def handoff(visit_id: int, service_id: int | None = None,
            referral_ids: list[int] | None = None) -> Handoff:
    """The visit's consented referrals by service, or one service's (or only these
    referrals); not_found for an unknown visit. Three statements whatever the number of men."""
    visit = db.session.scalar(select(Visit).options(joinedload(Visit.prison))
                              .where(Visit.id == visit_id))
    if visit is None:
        raise DomainError("not_found", "That visit does not exist")
    rows = db.session.execute(_referrals_query(visit_id, service_id, referral_ids)).all()
    restricted = {person.id: f"{person.first_name} {person.last_name}"
                  for _, _, person, *_ in rows if is_restricted(person)}
    rows = [row for row in rows if row[2].id not in restricted]
    services = _services({referral.service_id for referral, *_ in rows})
    for referral, his_set, person, reference, version in rows:
        entry = services[referral.service_id]
        entry.referrals.append(_man_referral(entry, referral, his_set, person, reference,
                                             version, visit.date))
    return Handoff(visit_id=visit.id, visit_date=visit.date, prison_name=visit.prison.name,
                   services=sorted(services.values(), key=lambda item: item.name.casefold()),
                   restricted_names=sorted(set(restricted.values())))


def _referrals_query(visit_id: int, service_id: int | None, referral_ids: list[int] | None):
    """Every consented referral of the visit's men with his set, person, reference and consent
    wording version, by his name."""
    query = (select(Referral, ReferralSet, Person, CohortMember.form_reference,
                    ConsentWording.version)
             .join(ReferralSet, Referral.set_id == ReferralSet.id)
             .join(CohortMember, ReferralSet.member_id == CohortMember.id)
             .join(Person, CohortMember.person_id == Person.id)
             .join(ConsentWording, ReferralSet.consent_wording_id == ConsentWording.id)
             .where(CohortMember.visit_id == visit_id, Referral.consent.is_(True),
                    Referral.status != "not_shared")
             .order_by(Person.last_name, Person.first_name, Referral.id))
    if service_id is not None:
        query = query.where(Referral.service_id == service_id)
    if referral_ids is not None:
        query = query.where(Referral.id.in_(referral_ids))
    return query


def _services(service_ids: set[int]) -> dict[int, ServiceReferrals]:
    """The receiving services, in one statement, each with no referrals yet."""
    if not service_ids:
        return {}
    found = db.session.scalars(select(Service).where(Service.id.in_(service_ids)))
    return {service.id: ServiceReferrals(
        service_id=service.id, name=service.name, route=service.referral_route,
        email=service.referral_email, instructions=service.referral_instructions,
        answer_days=service.answer_days,
        detail_codes=[code for code in REFERRAL_DETAILS if code in service.detail_codes])
        for service in found}


def _man_referral(entry: ServiceReferrals, referral: Referral, his_set: ReferralSet,
                  person: Person, reference: str, version: int, visit_date: date) -> ManReferral:
    return ManReferral(
        referral_id=referral.id, reference=reference,
        details=details_for(entry.detail_codes, person, his_set), consent_version=version,
        consented_on=his_set.paper_date or visit_date, status=referral.status,
        sent_on=referral.sent_on, sent_how=referral.sent_how,
        send_problem=referral.send_problem, queued=referral.dispatch_id is not None)


def service_referrals(visit_id: int, service_id: int,
                      referral_ids: list[int] | None = None) -> tuple[Handoff, ServiceReferrals]:
    """One service's referrals from the visit (not_found when it has none)."""
    found = handoff(visit_id, service_id, referral_ids)
    if not found.services:
        raise DomainError("not_found", "This visit has no referrals to that service")
    return found, found.services[0]


# --- the referral PDF and CSV -------------------------------------------------------------------

def pdf_title(found: Handoff, service: ServiceReferrals) -> str:
    """The PDF's title: the service, the prison and the day, no one's name."""
    return f"Referrals to {service.name}: {found.prison_name}, {found.visit_date:%d %B %Y}"


def referral_pdf(found: Handoff, service: ServiceReferrals) -> bytes:
    """One page per man for the service (call after the read has ended: it only renders)."""
    title = pdf_title(found, service)
    common = {"service_name": service.name, "prison_name": found.prison_name,
              "visit_date": found.visit_date, "answer_days": service.answer_days}
    htmls = [render_html(PDF_TEMPLATE, {**common, "man": _printable(referral)}, title=title)
             for referral in service.referrals]
    return htmls_to_pdf(htmls, title=title, sheets=False)


def _printable(referral: ManReferral) -> dict:
    """A referral as the plain values the PDF prints: no status, nothing it was not given."""
    values = asdict(referral)
    return {key: values[key] for key in ("reference", "details", "consent_version",
                                         "consented_on")}


def csv_rows(service: ServiceReferrals) -> list[list[str]]:
    """A header and one row per man: the same details as the PDF."""
    header = ["Form reference", "Name", *service.detail_labels, "Consent wording version",
              "Consented on"]
    return [header] + [[referral.reference, *(value for _, value in referral.details),
                        str(referral.consent_version), referral.consented_on.isoformat()]
                       for referral in service.referrals]


def download(visit_id: int, service_id: int, file_format: str, actor_id: int) -> bytes | str:
    """A service's referral PDF or CSV for someone to download, audited per referral first
    (so no write is held while WeasyPrint works)."""
    found, service = service_referrals(visit_id, service_id)
    _record_download(visit_id, service, file_format, actor_id)
    if file_format == "csv":
        return csv_text(csv_rows(service))
    end_read()
    return referral_pdf(found, service)


@writes
def _record_download(visit_id: int, service: ServiceReferrals, file_format: str,
                     actor_id: int) -> None:
    record("handoff.downloaded", actor_id, "service", service.service_id,
           detail=f"visit {visit_id}, {file_format}")
    record_all(actor_id, [(f"referral.downloaded_{file_format}", "referral",
                           referral.referral_id) for referral in service.referrals])
    db.session.commit()


@writes
def record_viewed(visit_id: int, actor_id: int) -> None:
    """Audit that someone opened the visit's referrals to send (names and details)."""
    record("handoff.viewed", actor_id, "visit", visit_id)
    db.session.commit()
