"""IPS employment outcomes, through the services and the referral page: the vocational profile,
the first employer contact, job starts (counted from 4 paid hours a week, several per man) and
the 13- and 26-week checks, each audited; bad hours or dates save nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.database import db
from inreach.errors import DomainError
from inreach.followup import outcomes
from inreach.followup.models import JobStart

from . import followup_world as fw
from .conftest import csrf_token


@pytest.fixture
def ctx(app_context, make_user):
    """A visit 200 days ago; John referred to IPS and housing (both shared), Karl to IPS (not
    shared)."""
    ctx = fw.world(make_user, days_ago=200)
    john = fw.refer(ctx, "john", {ctx["ips"]: True, ctx["housing"]: True})
    karl = fw.refer(ctx, "karl", {ctx["ips"]: False})
    ctx.update(ips_ref=john[ctx["ips"]], housing_ref=john[ctx["housing"]],
               unshared=karl[ctx["ips"]], me=ctx["users"]["organiser"])
    return ctx


def audit(action_prefix: str) -> list[tuple]:
    """Audit rows whose action starts so, as (action, actor, object type, object id, detail)."""
    return [(row.action, row.actor_id, row.object_type, row.object_id, row.detail)
            for row in db.session.scalars(select(AuditEvent).where(
                AuditEvent.action.like(action_prefix + "%")).order_by(AuditEvent.id))]


def jobs() -> int:
    """How many job starts are stored."""
    return db.session.scalar(select(func.count()).select_from(JobStart))


def refused(code: str, field: str | None, call, *args) -> None:
    """The call is refused with this code on this field, and nothing is stored."""
    before = (jobs(), len(audit("")))
    with pytest.raises(DomainError) as caught:
        call(*args)
    db.session.commit()
    assert (caught.value.code, caught.value.field) == (code, field)
    assert (jobs(), len(audit(""))) == before


# --- milestones -------------------------------------------------------------------------------

def test_the_profile_and_first_employer_contact_are_kept_and_audited(ctx):
    outcomes.record_milestone(ctx["ips_ref"], "profile_started_on", fw.ago(150), ctx["me"])
    outcomes.record_milestone(ctx["ips_ref"], "employer_contact_on", fw.ago(140), ctx["me"])
    outcomes.record_milestone(ctx["ips_ref"], "employer_contact_on", fw.ago(141), ctx["me"])
    referral = fw.fresh(ctx["ips_ref"])
    assert (referral.profile_started_on, referral.employer_contact_on) == (fw.ago(150),
                                                                          fw.ago(141))
    ref = str(ctx["ips_ref"])
    assert audit("referral.")[-3:] == [
        ("referral.profile_started", ctx["me"], "referral", ref, None),
        ("referral.employer_contact", ctx["me"], "referral", ref, None),
        ("referral.employer_contact", ctx["me"], "referral", ref, None)]


@pytest.mark.parametrize(("days_ago", "code"), [(None, "no_date"), (-1, "future"),
                                                (201, "before_visit")])
def test_a_milestone_date_must_fall_between_the_visit_and_today(ctx, days_ago, code):
    on = None if days_ago is None else fw.ago(days_ago)
    for field in outcomes.MILESTONES:
        refused(code, field, outcomes.record_milestone, ctx["ips_ref"], field, on, ctx["me"])
    assert fw.fresh(ctx["ips_ref"]).profile_started_on is None


def test_outcomes_are_only_for_shared_referrals_to_an_ips_service(ctx):
    refused("not_ips", None, outcomes.record_milestone, ctx["housing_ref"],
            "profile_started_on", fw.ago(5), ctx["me"])
    refused("no_consent", None, outcomes.add_job_start, ctx["unshared"], fw.ago(5), 16,
            ctx["me"])
    refused("not_found", None, outcomes.add_job_start, 999_999, fw.ago(5), 16, ctx["me"])


# --- job starts -------------------------------------------------------------------------------

def test_a_job_start_counts_from_four_paid_hours_and_a_man_may_have_several(ctx):
    hours = {fw.ago(120): 16, fw.ago(60): 3.5, fw.ago(30): 4, fw.ago(10): 7.5}
    made = [outcomes.add_job_start(ctx["ips_ref"], day, value, ctx["me"])
            for day, value in hours.items()]
    db.session.expire_all()
    stored = db.session.scalars(select(JobStart).order_by(JobStart.id)).all()
    assert [(job.started_on, job.hours_per_week) for job in stored] == list(hours.items())
    assert [outcomes.counts_as_job_start(job.hours_per_week) for job in stored] == [
        True, False, True, True]
    assert all(job.recorded_by == ctx["me"] and job.in_work_13_weeks is None for job in stored)
    assert audit("job_start.") == [("job_start.created", ctx["me"], "job_start", str(job.id),
                                    None) for job in made]


@pytest.mark.parametrize(("hours", "code"), [(None, "no_hours"), (-1, "bad_hours"),
                                             (80.5, "bad_hours"), (float("nan"), "bad_hours")])
def test_hours_outside_nought_to_eighty_save_nothing(ctx, hours, code):
    refused(code, "hours_per_week", outcomes.add_job_start, ctx["ips_ref"], fw.ago(10), hours,
            ctx["me"])


@pytest.mark.parametrize(("days_ago", "code"), [(None, "no_date"), (-1, "future"),
                                                (201, "before_visit")])
def test_a_job_start_date_must_fall_between_the_visit_and_today(ctx, days_ago, code):
    on = None if days_ago is None else fw.ago(days_ago)
    refused(code, "started_on", outcomes.add_job_start, ctx["ips_ref"], on, 16, ctx["me"])


# --- 13 and 26 weeks --------------------------------------------------------------------------

def test_in_work_is_recorded_only_once_the_weeks_have_passed(ctx):
    recent = outcomes.add_job_start(ctx["ips_ref"], fw.ago(13 * 7 - 1), 16, ctx["me"]).id
    older = outcomes.add_job_start(ctx["ips_ref"], fw.ago(13 * 7), 16, ctx["me"]).id
    with pytest.raises(DomainError) as caught:
        outcomes.record_in_work(ctx["ips_ref"], recent, 13, True, ctx["me"])
    assert (caught.value.code, caught.value.field) == ("too_early", "in_work")
    assert f"{fw.ago(-1):%-d %B %Y}" in caught.value.message  # when it can be recorded
    outcomes.record_in_work(ctx["ips_ref"], older, 13, True, ctx["me"])
    refused("too_early", "in_work", outcomes.record_in_work, ctx["ips_ref"], older, 26, False,
            ctx["me"])
    db.session.expire_all()
    assert db.session.get(JobStart, older).in_work_13_weeks is True
    assert db.session.get(JobStart, recent).in_work_13_weeks is None
    assert audit("job_start.in_work") == [("job_start.in_work_13_weeks", ctx["me"],
                                           "job_start", str(older), None)]


def test_both_checks_after_twenty_six_weeks(ctx):
    job = outcomes.add_job_start(ctx["ips_ref"], fw.ago(26 * 7), 20, ctx["me"]).id
    outcomes.record_in_work(ctx["ips_ref"], job, 13, True, ctx["me"])
    outcomes.record_in_work(ctx["ips_ref"], job, 26, False, ctx["me"])
    db.session.expire_all()
    stored = db.session.get(JobStart, job)
    assert (stored.in_work_13_weeks, stored.in_work_26_weeks) == (True, False)


def test_a_check_needs_an_answer_known_weeks_and_his_own_job(ctx):
    job = outcomes.add_job_start(ctx["ips_ref"], fw.ago(190), 20, ctx["me"]).id
    refused("no_answer", "in_work", outcomes.record_in_work, ctx["ips_ref"], job, 13, None,
            ctx["me"])
    refused("bad_weeks", None, outcomes.record_in_work, ctx["ips_ref"], job, 12, True,
            ctx["me"])
    refused("not_found", None, outcomes.record_in_work, ctx["ips_ref"], job + 1, 13, True,
            ctx["me"])


# --- the forms on the referral page ------------------------------------------------------------

@pytest.fixture
def web(app, client, make_user):
    """The same world, with the client logged in as the organiser."""
    from .conftest import log_in

    with app.app_context():
        ctx = fw.world(make_user, days_ago=200)
        ctx["ips_ref"] = fw.refer(ctx, "john", {ctx["ips"]: True})[ctx["ips"]]
    log_in(client, "organiser@test.example")
    return ctx


def page_of(ctx) -> str:
    """The referral's page path."""
    return f"/follow-up/referrals/{ctx['ips_ref']}"


def post(client, ctx, tail: str, **data):
    """Post a form of the referral page, with the page's CSRF token."""
    data["csrf_token"] = csrf_token(client, page_of(ctx))
    return client.post(page_of(ctx) + tail, data=data)


def test_a_job_start_through_the_page_says_whether_it_counts(app, client, web):
    response = post(client, web, "/jobs", started_on=fw.ago(30).isoformat(),
                    hours_per_week="3.5")
    assert response.status_code == 302
    assert "under 4 hours: not counted" in client.get(page_of(web)).get_data(as_text=True)
    post(client, web, "/jobs", started_on=fw.ago(20).isoformat(), hours_per_week="16")
    html = client.get(page_of(web)).get_data(as_text=True)
    assert "16: counts as a job start" in html and "3.5: under 4 hours: not counted" in html
    assert html.count('data-testid="job-row"') == 2


@pytest.mark.parametrize(("hours", "message"), [
    ("sixteen", "Enter the paid hours a week as a number, for example 16 or 7.5"),
    ("81", "Paid hours a week must be between 0 and 80"),
    ("", "Enter the paid hours a week")])
def test_bad_hours_get_a_message_on_the_field_and_save_nothing(app, client, web, hours,
                                                               message):
    response = post(client, web, "/jobs", started_on=fw.ago(30).isoformat(),
                    hours_per_week=hours)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="hours_per_week-error"' in html and message in html
    assert 'href="#hours_per_week"' in html  # the error summary links to the field
    with app.app_context():
        assert jobs() == 0


def test_a_date_before_the_visit_gets_a_message_on_the_field(app, client, web):
    html = post(client, web, "/profile_started_on",
                profile_started_on=fw.ago(201).isoformat()).get_data(as_text=True)
    assert 'id="profile_started_on-error"' in html and "before the visit" in html
    html = post(client, web, "/employer_contact_on",
                employer_contact_on=fw.ago(-3).isoformat()).get_data(as_text=True)
    assert 'id="employer_contact_on-error"' in html and "in the future" in html
    with app.app_context():
        referral = fw.fresh(web["ips_ref"])
        assert referral.profile_started_on is None and referral.employer_contact_on is None


def test_the_week_checks_are_offered_once_due_and_recorded(app, client, web):
    post(client, web, "/jobs", started_on=fw.ago(100).isoformat(), hours_per_week="20")
    html = client.get(page_of(web)).get_data(as_text=True)
    assert html.count('name="in_work" value="yes"') == 1  # 13 weeks due, 26 not yet
    assert f"Can be recorded from {fw.ago(100) + timedelta(weeks=26):%-d %B %Y}" in html
    with app.app_context():
        job = db.session.scalar(select(JobStart.id))
    early = post(client, web, f"/jobs/{job}/in-work/26", in_work="yes")
    assert early.status_code == 200 and "can be recorded from" in early.get_data(as_text=True)
    assert post(client, web, f"/jobs/{job}/in-work/13", in_work="no").status_code == 302
    with app.app_context():
        stored = db.session.get(JobStart, job)
        assert (stored.in_work_13_weeks, stored.in_work_26_weeks) == (False, None)
