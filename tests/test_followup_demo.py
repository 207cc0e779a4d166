"""The demo's past visit: about eight weeks ago, its men's referrals in every state, moved there
through the real services (events and audit rows included), an IPS job start, and nothing added
by a second seed."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.cohorts.models import CohortMember
from inreach.database import db
from inreach.dates import today
from inreach.demo.past_visit import PAST_VISIT_DAYS_AGO, PAST_VISIT_TITLE
from inreach.followup.models import JobStart, ReferralEvent
from inreach.followup.outcomes import counts_as_job_start
from inreach.followup.vocabulary import STATUSES
from inreach.referrals.models import Referral, ReferralSet
from inreach.visits.models import Visit


@pytest.fixture
def seeded(app, runner):
    """The demo data seeded through the command, inside an app context."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        yield runner


def past_referrals() -> list[Referral]:
    """Every referral made at the past demo visit."""
    return list(db.session.scalars(
        select(Referral).join(Referral.referral_set).join(ReferralSet.member)
        .join(CohortMember.visit).where(Visit.title == PAST_VISIT_TITLE).order_by(Referral.id)))


def test_the_past_visit_was_eight_weeks_ago_and_is_completed(seeded):
    visit = db.session.scalar(select(Visit).where(Visit.title == PAST_VISIT_TITLE))
    assert visit.date == today() - timedelta(days=PAST_VISIT_DAYS_AGO)
    assert visit.status == "completed" and visit.prison.code == "PVI"


def test_its_referrals_are_in_every_state(seeded):
    referrals = past_referrals()
    assert {referral.status for referral in referrals} == set(STATUSES)
    sent = [referral for referral in referrals if referral.status == "sent"]
    ages = sorted((today() - referral.sent_on).days for referral in sent)
    assert ages[0] <= 7 and ages[-1] > 30  # one waiting within its time, one long overdue
    declined = next(referral for referral in referrals if referral.status == "declined")
    assert declined.reason and declined.answered_on
    closed = next(referral for referral in referrals if referral.status == "closed")
    assert closed.closed_on and closed.first_contact_on and closed.reason == "completed"
    assert all(not referral.consent for referral in referrals
               if referral.status == "not_shared")
    assert all(referral.sent_on is None for referral in referrals
               if referral.status in ("made", "not_shared"))


def test_every_date_is_in_the_past_and_after_the_visit(seeded):
    visit_day = today() - timedelta(days=PAST_VISIT_DAYS_AGO)
    days = [event.on_date for event in db.session.scalars(select(ReferralEvent))]
    assert days and all(visit_day <= day <= today() for day in days)


def test_the_changes_went_through_the_status_service(seeded):
    events = db.session.scalars(select(ReferralEvent)).all()
    audited = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "referral.status"))
    assert audited == len(events) >= 15
    assert any(event.how == "link" and event.actor_id is None for event in events)


def test_an_ips_referral_has_its_milestones_and_one_job_start(seeded):
    job = db.session.scalars(select(JobStart)).one()
    referral = job.referral
    assert referral.service.ips and referral.status == "first_contact"
    assert referral.profile_started_on and referral.employer_contact_on
    assert job.started_on == today() - timedelta(days=35)
    assert counts_as_job_start(job.hours_per_week) and job.hours_per_week == 16


def test_a_second_seed_adds_nothing(seeded):
    before = (len(past_referrals()), db.session.scalar(select(func.count()).select_from(
        ReferralEvent)))
    result = seeded.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert (len(past_referrals()), db.session.scalar(select(func.count()).select_from(
        ReferralEvent))) == before
