"""What one referral's follow-up page shows, as plain values: the man, the service and the
visit, where the referral stands, its history of status changes and, for an IPS service, his
employment outcomes. Three statements whatever the history; each view is audited (ids only)."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from ..accounts.models import User
from ..audit.services import record
from ..cohorts.models import CohortMember, Person
from ..database import db, writes
from ..dates import today
from ..directory.models import Service
from ..errors import DomainError
from ..prisons.models import Prison
from ..referrals.models import Referral
from ..visits.models import Visit
from .models import JobStart, ReferralEvent
from .outcomes import check_due_on, counts_as_job_start
from .services import with_man_and_service
from .vocabulary import CLOSE_REASONS, DECLINE_REASONS, HOW, NEXT, SENT_HOW

LINK_WHO = HOW["link"]  # "Receiving service, by link"


def who_text(name: str | None, how: str) -> str:
    """Who recorded a change: the user, the receiving service by its link, or inreach itself
    (e.g. the task that sent the email)."""
    if name:
        return name
    return LINK_WHO if how == "link" else "inreach (automatic)"


def reason_text(status: str, reason: str, other: str) -> str:
    """Why a referral was declined or closed, as people read it ("" when no reason applies)."""
    labels = {"declined": DECLINE_REASONS, "closed": CLOSE_REASONS}.get(status, {})
    if reason not in labels:
        return ""
    return f"{labels[reason]}: {other}" if reason == "other" and other else labels[reason]


@dataclass
class EventRow:
    """One status change, as plain values."""

    on: date
    recorded_at: datetime
    status: str
    from_status: str
    who: str
    how: str
    reason: str


@dataclass
class JobRow:
    """One job he started, with its 13- and 26-week checks."""

    id: int
    started_on: date
    hours_per_week: float
    counts: bool
    in_work: dict[int, bool | None]  # weeks -> answer (None: not recorded)
    due_on: dict[int, date]  # weeks -> the day the check may be recorded
    due_now: dict[int, bool]  # weeks -> whether that day has come


@dataclass
class ReferralPage:
    """Everything the referral's page shows."""

    id: int
    status: str
    consent: bool
    next_statuses: tuple[str, ...]
    person_public_id: str
    first_name: str
    last_name: str
    form_reference: str
    service_name: str
    ips: bool
    answer_days: int
    visit_id: int
    visit_title: str
    visit_date: date
    prison: str
    sent_on: date | None
    sent_how: str
    answered_on: date | None
    first_contact_on: date | None
    closed_on: date | None
    reason: str
    send_problem: str
    profile_started_on: date | None
    employer_contact_on: date | None
    events: list[EventRow]
    jobs: list[JobRow]


PAGE = with_man_and_service(
    Referral, CohortMember.form_reference, Person.public_id, Person.first_name,
    Person.last_name, Service.name, Service.ips, Service.answer_days, Visit.id, Visit.title,
    Visit.date, Prison.name)


def referral_page(referral_id: int) -> ReferralPage:
    """The referral's page by id (else DomainError not_found)."""
    row = db.session.execute(PAGE.where(Referral.id == referral_id)).first()
    if row is None:
        raise DomainError("not_found", "That referral does not exist")
    (referral, reference, public_id, first, last, service, ips, answer_days, visit_id, title,
     visit_date, prison) = row
    return ReferralPage(
        id=referral.id, status=referral.status, consent=referral.consent,
        next_statuses=NEXT[referral.status], person_public_id=public_id, first_name=first,
        last_name=last, form_reference=reference, service_name=service, ips=ips,
        answer_days=answer_days, visit_id=visit_id, visit_title=title, visit_date=visit_date,
        prison=prison, sent_on=referral.sent_on, sent_how=SENT_HOW.get(referral.sent_how, ""),
        answered_on=referral.answered_on, first_contact_on=referral.first_contact_on,
        closed_on=referral.closed_on,
        reason=reason_text(referral.status, referral.reason, referral.reason_other),
        send_problem=referral.send_problem, profile_started_on=referral.profile_started_on,
        employer_contact_on=referral.employer_contact_on, events=events([referral.id]),
        jobs=jobs([referral.id]) if ips else [])


def events(referral_ids: list[int]) -> list[EventRow]:
    """The status changes of these referrals, newest first, with who recorded each."""
    query = (select(ReferralEvent, User.display_name)
             .outerjoin(User, User.id == ReferralEvent.actor_id)
             .where(ReferralEvent.referral_id.in_(referral_ids))
             .order_by(ReferralEvent.on_date.desc(), ReferralEvent.id.desc()))
    return [EventRow(on=event.on_date, recorded_at=event.recorded_at, status=event.status,
                     from_status=event.from_status, who=who_text(name, event.how),
                     how=HOW.get(event.how, event.how),
                     reason=reason_text(event.status, event.reason, event.reason_other))
            for event, name in db.session.execute(query)]


def jobs(referral_ids: list[int]) -> list[JobRow]:
    """The jobs he started after these referrals, newest first."""
    day = today()
    query = (select(JobStart).where(JobStart.referral_id.in_(referral_ids))
             .order_by(JobStart.started_on.desc(), JobStart.id.desc()))
    rows = []
    for job in db.session.scalars(query):
        due = {weeks: check_due_on(job.started_on, weeks) for weeks in (13, 26)}
        rows.append(JobRow(id=job.id, started_on=job.started_on,
                           hours_per_week=job.hours_per_week,
                           counts=counts_as_job_start(job.hours_per_week),
                           in_work={13: job.in_work_13_weeks, 26: job.in_work_26_weeks},
                           due_on=due, due_now={weeks: day >= on for weeks, on in due.items()}))
    return rows


@writes
def record_view(referral_id: int, actor_id: int) -> None:
    """Audit that someone opened the referral's page."""
    record("referral.viewed", actor_id, "referral", referral_id)
    db.session.commit()

