"""Builders for chase-list and follow-up board tests: visits in the past, services with their
answer time and route, and referrals already standing at a given status, straight into the
real test database (the status service itself is tested in test_followup_rules and used by the
board's bulk update); and a way to move "today"."""

from datetime import UTC, date, datetime, time

from inreach import dates
from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, db
from inreach.directory.models import DirectoryOrganisation, Service
from inreach.followup.models import JobStart
from inreach.referrals.consent import wording_id_for
from inreach.referrals.models import Referral, ReferralSet
from inreach.visits.models import Visit, VisitSession


def move_today(monkeypatch, day: date) -> None:
    """Make ``inreach.dates.today()`` answer ``day`` (noon in England, whatever the season)."""
    monkeypatch.setattr(dates, "utcnow", lambda: datetime.combine(day, time(12), UTC))


def visit(day: date, prison_id: int) -> tuple[int, int]:
    """A completed visit on ``day`` with one session of 200 places: (visit id, session id)."""
    begin_write()
    item = Visit(prison_id=prison_id, date=day, title="Employment and wellbeing day",
                 gate_list_deadline=day, status="completed",
                 sessions=[VisitSession(label="Cohort 1", starts_at=time(9, 30),
                                        ends_at=time(12), room="Chapel", capacity=200)])
    db.session.add(item)
    db.session.commit()
    return item.id, item.sessions[0].id


def service(name: str, answer_days: int = 10, email: bool = True, ips: bool = False) -> int:
    """A referable service taking referrals by secure email (else by phone)."""
    begin_write()
    organisation = db.session.query(DirectoryOrganisation).filter_by(
        name="Fictional Trust").one_or_none() or DirectoryOrganisation(name="Fictional Trust")
    item = Service(organisation=organisation, name=name, referable=True, ips=ips,
                   next_steps="They will phone you in the week after release",
                   referral_route="email" if email else "phone",
                   referral_email="referrals@example.org" if email else "",
                   referral_instructions="" if email else "Phone 020 7946 0999",
                   answer_days=answer_days)
    db.session.add(item)
    db.session.commit()
    return item.id


def man(visit_session: tuple[int, int], number: str, recorded_by: int, first: str = "John",
        last: str = "Fictional", release_date: date | None = None) -> int:
    """A man on the visit with a saved referral set (no referrals yet): the set's id."""
    visit_id, session_id = visit_session
    begin_write()
    person = Person(prison_number=number, first_name=first, last_name=last,
                    release_date=release_date, release_type="CRD")
    member = CohortMember(visit_id=visit_id, person=person, session_id=session_id)
    referral_set = ReferralSet(member=member, session_id=session_id, recorded_by=recorded_by,
                               consent_wording_id=wording_id_for(1))
    db.session.add(referral_set)
    db.session.commit()
    return referral_set.id


def referral(set_id: int, service_id: int, status: str = "made", **values) -> int:
    """A referral standing at ``status`` with the given facts (sent_on, answered_on, ...)."""
    begin_write()
    item = Referral(set_id=set_id, service_id=service_id, consent=status != "not_shared",
                    status=status, **values)
    db.session.add(item)
    db.session.commit()
    return item.id


def job_start(referral_id: int, started_on: date, recorded_by: int, in_work_13=None,
              in_work_26=None) -> int:
    """An IPS job start of 16 hours a week."""
    begin_write()
    item = JobStart(referral_id=referral_id, started_on=started_on, hours_per_week=16,
                    in_work_13_weeks=in_work_13, in_work_26_weeks=in_work_26,
                    recorded_by=recorded_by)
    db.session.add(item)
    db.session.commit()
    return item.id


def stored(referral_id: int) -> Referral:
    """The referral as stored now."""
    db.session.expire_all()
    return db.session.get(Referral, referral_id)
