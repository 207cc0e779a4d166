"""A visit's follow-up board: each man seen at the visit with his referrals, where each stands
and what is overdue, filtered by service, status or overdue. Read in a fixed handful of
statements whatever the size of the visit (the services to filter by, the referrals with their
men, and the visit's chase list for the overdue flags); the view is audited, as it shows names.
A visit's cohort is bounded (sessions of at most 200 men), so the board is one page."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..audit.services import record
from ..cohorts.models import CohortMember, Person
from ..database import db, writes
from ..directory.models import Service
from ..referrals.models import Referral, ReferralSet
from .chase import ChaseItem, chase_items


@dataclass(frozen=True)
class Filters:
    """What the board is narrowed to: one service, one status, only what is overdue."""

    service_id: int | None = None
    status: str = ""
    overdue: bool = False


@dataclass(frozen=True)
class BoardReferral:
    """One referral as the board shows it."""

    id: int
    service: str
    status: str
    consent: bool
    sent_on: date | None
    sent_how: str
    answered_on: date | None
    first_contact_on: date | None
    closed_on: date | None
    chased_on: date | None
    send_problem: str
    overdue: list[ChaseItem]


@dataclass
class BoardMan:
    """A man seen at the visit and his referrals on the board."""

    public_id: str  # his Person's, for his timeline
    first_name: str
    last_name: str
    reference: str
    referrals: list[BoardReferral] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def services_referred(visit_id: int) -> list[tuple[int, str]]:
    """The services men chose at this visit (id, name), by name: the board's service filter."""
    query = (select(Service.id, Service.name).distinct()
             .join(Referral, Referral.service_id == Service.id)
             .join(ReferralSet, Referral.set_id == ReferralSet.id)
             .join(CohortMember, ReferralSet.member_id == CohortMember.id)
             .where(CohortMember.visit_id == visit_id).order_by(Service.name, Service.id))
    return [(service_id, name) for service_id, name in db.session.execute(query)]


def selectable_ids(visit_id: int) -> set[int]:
    """The visit's referrals that may be updated (those he agreed to share)."""
    return set(db.session.scalars(
        select(Referral.id).join(ReferralSet, Referral.set_id == ReferralSet.id)
        .join(CohortMember, ReferralSet.member_id == CohortMember.id)
        .where(CohortMember.visit_id == visit_id, Referral.consent)))


def _query(visit_id: int, filters: Filters):
    """The visit's referrals with their man and service, by man then service."""
    query = (select(Referral, Service.name, CohortMember.form_reference, Person.public_id,
                    Person.first_name, Person.last_name)
             .join(ReferralSet, Referral.set_id == ReferralSet.id)
             .join(CohortMember, ReferralSet.member_id == CohortMember.id)
             .join(Person, CohortMember.person_id == Person.id)
             .join(Service, Referral.service_id == Service.id)
             .where(CohortMember.visit_id == visit_id)
             .order_by(Person.last_name, Person.first_name, CohortMember.id, Service.name,
                       Referral.id))
    if filters.service_id is not None:
        query = query.where(Referral.service_id == filters.service_id)
    if filters.status:
        query = query.where(Referral.status == filters.status)
    return query


def board(visit_id: int, filters: Filters, day: date) -> list[BoardMan]:
    """The visit's men and their referrals on ``day``, as filtered: four statements at any
    size (the chase list's three for the overdue flags, and the referrals)."""
    overdue: dict[int, list[ChaseItem]] = defaultdict(list)
    for item in chase_items(day, visit_id):
        overdue[item.referral_id].append(item)
    men: dict[str, BoardMan] = {}
    for referral, service, reference, public_id, first, last in db.session.execute(
            _query(visit_id, filters)):
        if filters.overdue and referral.id not in overdue:
            continue
        man = men.setdefault(reference, BoardMan(public_id, first, last, reference))
        man.referrals.append(BoardReferral(
            id=referral.id, service=service, status=referral.status, consent=referral.consent,
            sent_on=referral.sent_on, sent_how=referral.sent_how,
            answered_on=referral.answered_on, first_contact_on=referral.first_contact_on,
            closed_on=referral.closed_on, chased_on=referral.chased_on,
            send_problem=referral.send_problem, overdue=overdue.get(referral.id, [])))
    return list(men.values())


@writes
def record_viewed(visit_id: int, actor_id: int) -> None:
    """Audit that someone saw the names on a visit's follow-up board."""
    record("followup_board.viewed", actor_id, "visit", visit_id)
    db.session.commit()
