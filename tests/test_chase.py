"""The chase list: each kind of item appears on the right day and goes when answered, working
days, the order, one visit's list, the pages that show it (home, visit, full list), who may see
and act, and the chase action through the real sending code."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db
from inreach.followup.chase import add_working_days, chase_items
from inreach.followup.models import JobStart

from . import chase_builders as build
from . import planning
from .conftest import csrf_token, log_in

MONDAY = date(2025, 3, 3)  # the first visit; the dates below are counted from it


def _naive_working_days(start: date, days: int) -> date:
    """Step a day at a time, counting Monday to Friday only (a slow, obvious reference)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        days -= day.weekday() < 5
    return day


@pytest.mark.parametrize(("start", "days", "due"), [
    (date(2025, 3, 3), 5, date(2025, 3, 10)),   # Monday + 5 = next Monday
    (date(2025, 3, 3), 10, date(2025, 3, 17)),
    (date(2025, 3, 7), 1, date(2025, 3, 10)),   # Friday + 1 = Monday
    (date(2025, 3, 6), 2, date(2025, 3, 10)),   # Thursday + 2 = Monday
    (date(2025, 3, 8), 1, date(2025, 3, 10)),   # Saturday + 1 = Monday
    (date(2025, 3, 9), 5, date(2025, 3, 14)),   # Sunday + 5 = Friday
    (date(2025, 3, 3), 0, date(2025, 3, 3)),
])
def test_working_days_examples(start, days, due):
    assert add_working_days(start, days) == due


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
       st.integers(min_value=0, max_value=60))
def test_working_days_match_counting_day_by_day(start, days):
    assert add_working_days(start, days) == _naive_working_days(start, days)


@pytest.fixture
def world(app, make_user):
    """Users by role, two visits a week apart, an email service (10 working days), a phone
    service (5) and an IPS service."""
    users = {role: make_user(role) for role in ("organiser", "admin", "auditor", "volunteer")}
    with app.app_context():
        prison = planning.prison()
        return {"users": users, "first": build.visit(MONDAY, prison.id),
                "second": build.visit(MONDAY + timedelta(days=7), prison.id),
                "therapies": build.service("Talking Therapies", answer_days=10),
                "housing": build.service("Housing desk", answer_days=5, email=False),
                "ips": build.service("IPS work", email=True, ips=True)}


def _man(world, number="A1234BC", visit="first", **values) -> int:
    return build.man(world[visit], number, world["users"]["organiser"], **values)


def _kinds(day, visit_id=None) -> list[tuple[str, int, int]]:
    return [(item.kind, item.referral_id, item.days_overdue)
            for item in chase_items(day, visit_id)]


def test_unanswered_referral_appears_after_its_working_days(app_context, world):
    sent = build.referral(_man(world), world["therapies"], "sent", sent_on=MONDAY,
                          sent_how="email")
    due = date(2025, 3, 17)  # ten working days after Monday 3 March
    assert _kinds(due) == []
    assert _kinds(due + timedelta(days=1)) == [("answer", sent, 1)]
    item = chase_items(due + timedelta(days=5))[0]
    assert (item.due, item.days_overdue, item.service, item.first_name) == (
        due, 5, "Talking Therapies", "John")
    assert item.by_email and item.chaseable


def test_answered_or_unsent_referrals_are_not_chased(app_context, world):
    set_id = _man(world)
    build.referral(set_id, world["therapies"], "accepted", sent_on=MONDAY, answered_on=MONDAY)
    build.referral(set_id, world["housing"], "made")
    build.referral(_man(world, "B2345CD"), world["therapies"], "declined", sent_on=MONDAY,
                   answered_on=MONDAY, reason="no_capacity")
    assert _kinds(MONDAY + timedelta(days=60)) == []


def test_each_service_answer_time_is_its_own(app_context, world):
    set_id = _man(world)
    phone = build.referral(set_id, world["housing"], "sent", sent_on=MONDAY, sent_how="phone")
    build.referral(set_id, world["therapies"], "sent", sent_on=MONDAY, sent_how="email")
    assert _kinds(date(2025, 3, 11)) == [("answer", phone, 1)]  # five working days: Mon 10th
    item = chase_items(date(2025, 3, 11))[0]
    assert not item.by_email and not item.chaseable


def test_no_first_contact_weeks_after_release(app_context, world):
    release = date(2025, 4, 1)
    accepted = build.referral(_man(world, release_date=release), world["therapies"],
                              "accepted", sent_on=MONDAY, answered_on=MONDAY)
    unreached = build.referral(_man(world, "B2345CD", release_date=release), world["housing"],
                               "no_contact", sent_on=MONDAY, answered_on=MONDAY)
    build.referral(_man(world, "C3456DE", release_date=release), world["housing"],
                   "first_contact", sent_on=MONDAY, answered_on=MONDAY,
                   first_contact_on=release)
    build.referral(_man(world, "D4567EF"), world["housing"], "accepted", sent_on=MONDAY,
                   answered_on=MONDAY)  # no release date known: nothing to count from
    four_weeks = release + timedelta(weeks=4)
    assert _kinds(four_weeks) == []
    assert sorted(_kinds(four_weeks + timedelta(days=1))) == sorted(
        [("first_contact", accepted, 1), ("first_contact", unreached, 1)])


def test_first_contact_weeks_come_from_config(make_app, make_user):
    app = make_app(FIRST_CONTACT_WEEKS=2)
    organiser = make_user("organiser")
    with app.app_context():
        visit = build.visit(MONDAY, planning.prison().id)
        release = date(2025, 4, 1)
        set_id = build.man(visit, "A1234BC", organiser, release_date=release)
        referral = build.referral(set_id, build.service("Talking Therapies"), "accepted",
                                  sent_on=MONDAY, answered_on=MONDAY)
        assert _kinds(release + timedelta(weeks=2, days=1)) == [("first_contact", referral, 1)]


def test_ips_checks_at_13_and_26_weeks(app_context, world):
    organiser = world["users"]["organiser"]
    referral = build.referral(_man(world), world["ips"], "first_contact", sent_on=MONDAY,
                              answered_on=MONDAY, first_contact_on=MONDAY)
    start = date(2025, 4, 7)
    job = build.job_start(referral, start, organiser)
    week_13, week_26 = start + timedelta(weeks=13), start + timedelta(weeks=26)
    assert _kinds(week_13 - timedelta(days=1)) == []
    assert _kinds(week_13) == [("in_work_13", referral, 0)]
    assert _kinds(week_26) == [("in_work_13", referral, 91), ("in_work_26", referral, 0)]
    item = chase_items(week_26)[1]
    assert not item.chaseable  # an IPS check is recorded, not chased by email
    _answer(job, in_work_13_weeks=True)
    assert _kinds(week_26) == [("in_work_26", referral, 0)]
    _answer(job, in_work_26_weeks=True)
    assert _kinds(week_26) == []


def test_no_26_week_check_after_out_of_work_at_13(app_context, world):
    referral = build.referral(_man(world), world["ips"], "first_contact", sent_on=MONDAY,
                              answered_on=MONDAY, first_contact_on=MONDAY)
    build.job_start(referral, date(2025, 4, 7), world["users"]["organiser"], in_work_13=False)
    assert _kinds(date(2026, 1, 1)) == []


def _answer(job_id: int, **answers) -> None:
    """Record the "still in work" answers of a job start."""
    begin_write()
    job = db.session.get(JobStart, job_id)
    for name, value in answers.items():
        setattr(job, name, value)
    db.session.commit()


def test_most_overdue_first_and_one_visit_alone(app_context, world):
    late = build.referral(_man(world), world["therapies"], "sent", sent_on=MONDAY,
                          sent_how="email")
    later = build.referral(_man(world, "B2345CD", "second"), world["housing"], "sent",
                           sent_on=date(2025, 3, 12), sent_how="phone")
    release = date(2025, 2, 1)
    latest = build.referral(_man(world, "C3456DE", release_date=release), world["housing"],
                            "accepted", sent_on=MONDAY, answered_on=MONDAY)
    day = date(2025, 4, 30)
    assert _kinds(day) == [("first_contact", latest, 60), ("answer", late, 44),
                           ("answer", later, 42)]
    second_visit = world["second"][0]
    assert [item.referral_id for item in chase_items(day, second_visit)] == [later]


# --- pages ---------------------------------------------------------------------------------

@pytest.fixture
def overdue(app, world, monkeypatch):
    """Today is 30 April 2025: John's email referral and Karl's phone one are overdue."""
    build.move_today(monkeypatch, date(2025, 4, 30))
    with app.app_context():
        world["email_referral"] = build.referral(
            _man(world, first="John", last="Emailed"), world["therapies"], "sent",
            sent_on=MONDAY, sent_how="email")
        world["phone_referral"] = build.referral(
            _man(world, "B2345CD", first="Karl", last="Phoned"), world["housing"], "sent",
            sent_on=MONDAY, sent_how="phone")
    return world


def _log_in(client, role):
    assert log_in(client, f"{role}@test.example").status_code == 302


def test_organiser_home_shows_the_list_with_actions(app, client, overdue):
    _log_in(client, "organiser")
    page = client.get("/").get_data(as_text=True)
    assert "John Emailed" in page and "Karl Phoned" in page
    assert "Chase<span" in page  # the email service can be chased
    assert f"/follow-up/referrals/{overdue['phone_referral']}" in page
    assert "The whole chase list" in page and 'href="/follow-up/chase"' in page
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "chase_list.viewed")) is not None


def test_home_shows_ten_of_many(app, client, world, monkeypatch):
    build.move_today(monkeypatch, date(2025, 4, 30))
    with app.app_context():
        for number in range(12):
            build.referral(_man(world, f"A{number:04d}BC"), world["therapies"], "sent",
                           sent_on=MONDAY + timedelta(days=number % 3), sent_how="email")
    _log_in(client, "organiser")
    page = client.get("/").get_data(as_text=True)
    assert page.count('data-kind="answer"') == 10
    assert "12 items overdue; the 10 most overdue" in page


def test_full_list_and_a_visit_list(app, client, overdue):
    with app.app_context():
        third = build.referral(_man(overdue, "C3456DE", "second", first="Lee", last="Later"),
                               overdue["therapies"], "sent", sent_on=MONDAY + timedelta(days=7),
                               sent_how="email")
    _log_in(client, "organiser")
    page = client.get("/follow-up/chase").get_data(as_text=True)
    assert "3 items to chase" in page and "Lee Later" in page
    second = overdue["second"][0]
    page = client.get(f"/follow-up/chase?visit={second}").get_data(as_text=True)
    assert "1 item to chase" in page and "Lee Later" in page and "John Emailed" not in page
    assert f'data-referral="{third}"' in page
    assert client.get("/follow-up/chase?visit=99999").status_code == 404
    assert client.get("/follow-up/chase?visit=abc&page=zz").status_code == 200


def test_an_item_appears_on_the_page_the_day_after_it_is_due(app, client, world,
                                                             monkeypatch):
    with app.app_context():
        build.referral(_man(world), world["therapies"], "sent", sent_on=MONDAY,
                       sent_how="email")
    _log_in(client, "organiser")
    build.move_today(monkeypatch, date(2025, 3, 17))
    assert "0 items to chase" in client.get("/follow-up/chase").get_data(as_text=True)
    build.move_today(monkeypatch, date(2025, 3, 18))
    assert "1 item to chase" in client.get("/follow-up/chase").get_data(as_text=True)


def test_visit_page_counts_its_items(app, client, overdue):
    _log_in(client, "organiser")
    first, second = overdue["first"][0], overdue["second"][0]
    page = client.get(f"/visits/{first}").get_data(as_text=True)
    assert "2 items to chase" in page and f"/follow-up/chase?visit={first}" in page
    assert f"/follow-up/visits/{first}" in page
    assert "0 items to chase" in client.get(f"/visits/{second}").get_data(as_text=True)


def test_nav_has_follow_up_for_readers_only(client, overdue):
    _log_in(client, "auditor")
    assert 'href="/follow-up/chase"' in client.get("/visits/").get_data(as_text=True)


def test_auditor_reads_without_actions(client, overdue):
    _log_in(client, "auditor")
    for url in ("/", "/follow-up/chase"):
        page = client.get(url).get_data(as_text=True)
        assert "John Emailed" in page, url
        assert "Chase<span" not in page and "Record the answer" not in page, url
        assert "See the referral" in page, url
    token = csrf_token(client, "/visits/")
    response = client.post(f"/follow-up/chase/{overdue['email_referral']}",
                           data={"csrf_token": token, "back": "list"})
    assert response.status_code == 403


def test_volunteer_sees_nothing_of_it(app, client, overdue):
    _log_in(client, "volunteer")
    home = client.get("/").get_data(as_text=True)
    assert "To chase" not in home and "John Emailed" not in home
    assert "/follow-up/chase" not in home
    assert client.get("/follow-up/chase").status_code == 403
    token = csrf_token(client, "/")
    response = client.post(f"/follow-up/chase/{overdue['email_referral']}",
                           data={"csrf_token": token, "back": "list"})
    assert response.status_code == 403


# --- the chase action (inreach.followup.sending) -------------------------------------------

@pytest.fixture
def outbox(tmp_path):
    return tmp_path / "outbox"


@pytest.fixture
def mail_app(make_app, outbox):
    """The app writing emails to a folder (no SMTP server configured)."""
    return make_app(MAIL_OUTBOX_DIR=str(outbox))


def test_chase_by_email(mail_app, make_user, outbox, monkeypatch):
    client = mail_app.test_client()
    organiser = make_user("organiser")
    build.move_today(monkeypatch, date(2025, 4, 30))
    with mail_app.app_context():
        visit = build.visit(MONDAY, planning.prison().id)
        referral = build.referral(build.man(visit, "A1234BC", organiser),
                                  build.service("Talking Therapies"), "sent", sent_on=MONDAY,
                                  sent_how="email")
    _log_in(client, "organiser")
    token = csrf_token(client, "/follow-up/chase")
    response = client.post(f"/follow-up/chase/{referral}",
                           data={"csrf_token": token, "back": "home"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Chased" in client.get("/").get_data(as_text=True)
    with mail_app.app_context():
        assert build.stored(referral).chased_on == date(2025, 4, 30)
        assert db.session.scalar(select(AuditEvent.object_id).where(
            AuditEvent.action == "referral.chased")) == str(referral)
    emails = list(outbox.glob("*.eml"))
    assert len(emails) == 1
    assert "referrals@example.org" in emails[0].read_text()
    page = client.get("/follow-up/chase").get_data(as_text=True)
    assert "chased 30 Apr 2025" in page  # still unanswered, so still listed


def test_chase_refused_for_a_service_without_email(mail_app, make_user, outbox, monkeypatch):
    client = mail_app.test_client()
    organiser = make_user("organiser")
    build.move_today(monkeypatch, date(2025, 4, 30))
    with mail_app.app_context():
        visit = build.visit(MONDAY, planning.prison().id)
        referral = build.referral(build.man(visit, "A1234BC", organiser),
                                  build.service("Housing desk", email=False), "sent",
                                  sent_on=MONDAY, sent_how="phone")
    _log_in(client, "organiser")
    page = client.get("/follow-up/chase").get_data(as_text=True)
    assert "Chase<span" not in page and "Record the answer" in page
    token = csrf_token(client, "/follow-up/chase")
    response = client.post(f"/follow-up/chase/{referral}",
                           data={"csrf_token": token, "back": "list"}, follow_redirects=True)
    assert "cannot be chased by email" in response.get_data(as_text=True)
    with mail_app.app_context():
        assert build.stored(referral).chased_on is None
    assert not outbox.exists() or not list(outbox.glob("*.eml"))


def test_chase_needs_the_csrf_token(client, overdue):
    _log_in(client, "organiser")
    response = client.post(f"/follow-up/chase/{overdue['email_referral']}",
                           data={"back": "list"})
    assert response.status_code == 400


@pytest.mark.browser
def test_chase_pages_fit_a_tablet_and_pass_axe(app, overdue, serve, tablet):
    """The home page's list and the full chase list on a 768px tablet: no sideways scrolling,
    nothing serious for axe, targets big enough to tap."""
    from axe_playwright_python.sync_playwright import Axe

    from .conftest import tap_log_in
    from .test_browser import small_targets, violations

    base, page = serve(app), tablet
    tap_log_in(page, base, "organiser@test.example")
    problems = []
    for path in ("/", "/follow-up/chase", f"/visits/{overdue['first'][0]}"):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 768, path
        problems += violations(page, Axe()) + small_targets(page)
    assert not problems, "\n".join(problems)
