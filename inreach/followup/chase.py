"""The chase list: what has gone quiet after a visit and needs someone to act, most overdue
first. Three kinds of item, each found by one query over an indexed status (or the few IPS job
starts), with the dates worked out here:

- **answer**: a referral sent and not answered ("sent") after its service's answer time,
  counted in working days from the day it was sent;
- **first_contact**: a referral accepted (or the service could not reach him) with no first
  contact ``FIRST_CONTACT_WEEKS`` weeks after his release date;
- **in_work_13** / **in_work_26**: an IPS job start 13 (or 26) weeks old whose "still in work"
  answer is not recorded yet (26 weeks only if he was not out of work at 13).

Reading the list sends the same few statements whatever the number of referrals; names are
shown, so pages that show them audit the view (``record_viewed``)."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, or_

from ..audit.services import record
from ..cohorts.models import CohortMember, Person
from ..database import db, writes
from ..directory.models import Service
from ..prisons.models import Prison
from ..referrals.models import Referral
from ..visits.models import Visit
from .models import JobStart
from .services import with_man_and_service

KINDS = {
    "answer": "No answer from the service",
    "first_contact": "No first contact since release",
    "in_work_13": "13-week job check due",
    "in_work_26": "26-week job check due",
}
IPS_WEEKS = {"in_work_13": 13, "in_work_26": 26}


@dataclass(frozen=True)
class ChaseItem:
    """One thing to chase: what, how late, and whose referral (names for the organiser)."""

    kind: str
    due: date
    days_overdue: int
    referral_id: int
    status: str
    reference: str
    first_name: str
    last_name: str
    person_public_id: str
    service: str
    by_email: bool  # the service takes referrals by secure email, so it can be chased by one
    visit_id: int
    visit_date: date
    prison: str
    chased_on: date | None

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    @property
    def chaseable(self) -> bool:
        """Whether a chase by email fits: the service takes email and owes an answer or his
        first contact (an IPS check is for the organiser to record)."""
        return self.by_email and self.status in ("sent", "accepted") and self.kind in (
            "answer", "first_contact")


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days (Monday to Friday) after ``start``. Bank holidays count as
    working days: the answer time is a rule of thumb, and a day or two early is harmless. A
    start at the weekend counts from the Friday before, so Monday is the first working day."""
    if days <= 0:
        return start
    day = start - timedelta(days=max(start.weekday() - 4, 0))
    weeks, rest = divmod(days, 5)
    day += timedelta(weeks=weeks)
    while rest:
        day += timedelta(days=1)
        if day.weekday() < 5:
            rest -= 1
    return day


def _rows(*columns):
    """A query of the columns with the referral's man, visit, prison and service joined."""
    return with_man_and_service(
        Referral.id, Referral.status, Referral.chased_on, CohortMember.form_reference,
        Person.first_name, Person.last_name, Person.public_id, Service.name,
        Service.referral_route, Service.referral_email, Visit.id, Visit.date, Prison.name,
        *columns)


def _item(kind: str, due: date, day: date, row) -> ChaseItem:
    """A chase item from a row of ``_rows`` (its extra columns are ignored)."""
    (referral_id, status, chased_on, reference, first_name, last_name, public_id, service,
     route, email, visit_id, visit_date, prison) = row[:13]
    return ChaseItem(kind=kind, due=due, days_overdue=(day - due).days, referral_id=referral_id,
                     status=status, reference=reference, first_name=first_name, last_name=last_name,
                     person_public_id=public_id, service=service,
                     by_email=route == "email" and bool(email), visit_id=visit_id,
                     visit_date=visit_date, prison=prison, chased_on=chased_on)


def _unanswered(day: date, visit_id: int | None) -> list[ChaseItem]:
    """Referrals sent and not answered within their service's working days."""
    query = _rows(Referral.sent_on, Service.answer_days).where(
        Referral.status == "sent", Referral.sent_on < day)
    items = []
    for row in db.session.execute(_for_visit(query, visit_id)):
        due = add_working_days(row.sent_on, row.answer_days)
        if due < day:
            items.append(_item("answer", due, day, row))
    return items


def _no_first_contact(day: date, visit_id: int | None) -> list[ChaseItem]:
    """Referrals accepted (or the service could not reach him) with no first contact some
    weeks after his release."""
    wait = timedelta(weeks=current_app.config["FIRST_CONTACT_WEEKS"])
    query = _rows(Person.release_date).where(
        Referral.status.in_(("accepted", "no_contact")), Person.release_date < day - wait)
    return [_item("first_contact", row.release_date + wait, day, row)
            for row in db.session.execute(_for_visit(query, visit_id))]


def _ips_checks(day: date, visit_id: int | None) -> list[ChaseItem]:
    """IPS job starts due their 13- or 26-week "still in work" answer."""
    week_13, week_26 = day - timedelta(weeks=13), day - timedelta(weeks=26)
    query = _rows(JobStart.started_on, JobStart.in_work_13_weeks, JobStart.in_work_26_weeks) \
        .join(JobStart, JobStart.referral_id == Referral.id).where(or_(
            and_(JobStart.started_on <= week_13, JobStart.in_work_13_weeks.is_(None)),
            and_(JobStart.started_on <= week_26, JobStart.in_work_26_weeks.is_(None),
                 JobStart.in_work_13_weeks.is_not(False))))
    items = []
    for row in db.session.execute(_for_visit(query, visit_id)):
        for kind, weeks in IPS_WEEKS.items():
            due = row.started_on + timedelta(weeks=weeks)
            unanswered = (row.in_work_13_weeks if weeks == 13 else row.in_work_26_weeks) is None
            if due <= day and unanswered and (weeks == 13 or row.in_work_13_weeks is not False):
                items.append(_item(kind, due, day, row))
    return items


def _for_visit(query, visit_id: int | None):
    return query if visit_id is None else query.where(Visit.id == visit_id)


def chase_items(day: date, visit_id: int | None = None) -> list[ChaseItem]:
    """Everything to chase on ``day`` (of one visit, or every visit), most overdue first: three
    statements whatever the number of referrals."""
    items = (_unanswered(day, visit_id) + _no_first_contact(day, visit_id)
             + _ips_checks(day, visit_id))
    return sorted(items, key=lambda item: (-item.days_overdue, item.reference, item.kind))


def shown_items(actor_id: int, day: date, visit_id: int | None = None) -> list[ChaseItem]:
    """The chase list for a page that shows it; the view is audited when it names anyone."""
    items = chase_items(day, visit_id)
    if items:
        record_viewed(actor_id, visit_id)
    return items


@writes
def record_viewed(actor_id: int, visit_id: int | None = None) -> None:
    """Audit that someone saw the chase list's names (of one visit, or of every visit)."""
    record("chase_list.viewed", actor_id, "visit" if visit_id else None, visit_id)
    db.session.commit()
