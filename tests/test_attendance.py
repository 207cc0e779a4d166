"""Attendance on the day and walk-ins: the rules and their codes, the audit rows, who may do
what on real visits, and the tablet pages through HTTP."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inreach.attendance import services
from inreach.audit.models import AuditEvent
from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, db, utcnow
from inreach.dates import today
from inreach.errors import DomainError
from inreach.roster.models import RosterEntry

from . import planning
from .conftest import csrf_token, log_in

MEN = {
    "john": ("John", "Fictional", "A1234BC", "B wing"),
    "karl": ("Karl", "Madeup", "B2345CD", "C wing"),
    "lee": ("Lee", "Invented", "C3456DE", "Healthcare"),
}


def _man(visit_id: int, session_id: int | None, first: str, last: str, number: str,
         location: str) -> CohortMember:
    """A man on the visit's cohort, placed in the session."""
    person = Person(prison_number=number, first_name=first, last_name=last, location=location,
                    release_date=today() + timedelta(days=20), release_type="CRD",
                    interests="employment,housing", notes="Likes football")
    member = CohortMember(visit_id=visit_id, person=person, session_id=session_id)
    begin_write()
    db.session.add(member)
    db.session.commit()
    return member


@pytest.fixture
def day(app, make_user):
    """A visit today with two sessions: John and Karl in the morning, Lee in the afternoon, and
    the volunteer login rostered; a second visit (with Karl) the volunteer is not on; a
    volunteer login on no roster ("stranger"). Returns the ids."""
    users = {role: make_user(role) for role in ("organiser", "admin", "auditor", "volunteer")}
    users["stranger"] = make_user("volunteer", email="stranger@test.example")
    with app.app_context():
        wsi = planning.prison()
        visit = planning.visit(wsi.id, today(), status="confirmed")
        other = planning.visit(wsi.id, today() - timedelta(days=60), status="completed")
        morning = planning.session(visit.id)
        afternoon = planning.session(visit.id, "Cohort 2", "13:30", "16:00")
        elsewhere = planning.session(other.id)
        ada = planning.volunteer("Ada Fictional", user_id=users["volunteer"])
        planning.volunteer("Dee Fictional", user_id=users["stranger"])
        begin_write()
        db.session.add(RosterEntry(visit_id=visit.id, volunteer_id=ada.id, role_on_day="IPS",
                                   confirmed=True))
        db.session.commit()
        members = {name: _man(visit.id, (afternoon if name == "lee" else morning).id, *details)
                   for name, details in MEN.items()}
        karl_before = CohortMember(visit_id=other.id, person_id=members["karl"].person_id,
                                   session_id=elsewhere.id, attendance="attended")
        begin_write()
        db.session.add(karl_before)
        db.session.commit()
        return {"visit": visit.id, "other": other.id, "morning": morning.id,
                "afternoon": afternoon.id, "elsewhere": elsewhere.id, "users": users,
                "karl_before": karl_before.public_id,
                "people": {name: member.person.public_id for name, member in members.items()},
                **{name: member.public_id for name, member in members.items()}}


@pytest.fixture
def ctx(app_context, day):
    """Service tests: the day's ids, inside an app context."""
    return day


def member(public_id: str) -> CohortMember:
    """A cohort member read fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(select(CohortMember).where(CohortMember.public_id == public_id))


def audit_rows(prefix: str = "attendance.") -> list[tuple]:
    """Audit rows about cohort members with this action prefix, as (action, actor, object type,
    object id, detail)."""
    rows = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.like(f"{prefix}%"), AuditEvent.object_type == "cohort_member")
        .order_by(AuditEvent.id))
    return [(row.action, row.actor_id, row.object_type, row.object_id, row.detail)
            for row in rows]


def refused(code: str, action, *args, **kwargs) -> DomainError:
    """Assert the service refuses with this code."""
    with pytest.raises(DomainError) as caught:
        action(*args, **kwargs)
    assert caught.value.code == code
    return caught.value


def cancel(visit_id: int) -> None:
    """Cancel the visit behind the services' back."""
    from inreach.visits.models import Visit

    begin_write()
    db.session.get(Visit, visit_id).status = "cancelled"
    db.session.commit()


# --- the rules -------------------------------------------------------------------------------

def test_marking_attended_records_the_time_and_an_audit_row_of_ids(ctx):
    organiser = ctx["users"]["organiser"]
    before = utcnow()
    services.mark_attended(ctx["visit"], ctx["john"], organiser)
    john = member(ctx["john"])
    assert john.attendance == "attended" and john.dna_reason is None
    assert before <= john.attendance_at <= utcnow()
    assert audit_rows() == [("attendance.attended", organiser, "cohort_member", str(john.id),
                             None)]


def test_marking_attended_twice_is_a_no_op(ctx):
    organiser = ctx["users"]["organiser"]
    services.mark_attended(ctx["visit"], ctx["john"], organiser)
    first = member(ctx["john"]).attendance_at
    services.mark_attended(ctx["visit"], ctx["john"], organiser)
    assert member(ctx["john"]).attendance_at == first
    assert len(audit_rows()) == 1


def test_absent_needs_a_reason_from_the_list(ctx):
    volunteer = ctx["users"]["volunteer"]
    for reason in (None, "", "bored"):
        error = refused("reason_required", services.mark_absent, ctx["visit"], ctx["john"],
                        reason, volunteer)
        assert error.field == "reason"
    assert member(ctx["john"]).attendance is None
    assert audit_rows() == []


def test_absent_with_a_reason_is_recorded(ctx):
    volunteer = ctx["users"]["volunteer"]
    services.mark_absent(ctx["visit"], ctx["karl"], "in_court", volunteer)
    karl = member(ctx["karl"])
    assert (karl.attendance, karl.dna_reason) == ("absent", "in_court")
    assert karl.attendance_at is not None
    assert audit_rows() == [("attendance.absent", volunteer, "cohort_member", str(karl.id), None)]


def test_switching_from_attended_to_absent_drops_nothing_but_the_old_state(ctx):
    organiser = ctx["users"]["organiser"]
    services.mark_absent(ctx["visit"], ctx["john"], "unwell", organiser)
    services.mark_attended(ctx["visit"], ctx["john"], organiser)
    john = member(ctx["john"])
    assert (john.attendance, john.dna_reason) == ("attended", None)


def test_clear_undoes_a_mistaken_tap(ctx):
    organiser = ctx["users"]["organiser"]
    services.mark_absent(ctx["visit"], ctx["john"], "refused", organiser)
    services.clear(ctx["visit"], ctx["john"], organiser)
    john = member(ctx["john"])
    assert (john.attendance, john.dna_reason, john.attendance_at) == (None, None, None)
    assert [row[0] for row in audit_rows()] == ["attendance.absent", "attendance.cleared"]
    refused("nothing_to_clear", services.clear, ctx["visit"], ctx["john"], organiser)
    assert len(audit_rows()) == 2


@pytest.mark.parametrize("action,args", [
    (services.mark_attended, ()), (services.mark_absent, ("unwell",)), (services.clear, ())])
def test_a_cancelled_visit_takes_no_attendance(ctx, action, args):
    cancel(ctx["visit"])
    refused("visit_cancelled", action, ctx["visit"], ctx["john"], *args,
            ctx["users"]["organiser"])
    assert member(ctx["john"]).attendance is None
    assert audit_rows() == []


@pytest.mark.parametrize("who", ["auditor", "stranger"])
def test_auditors_and_volunteers_off_the_roster_may_not_mark(ctx, who):
    refused("not_allowed", services.mark_attended, ctx["visit"], ctx["john"], ctx["users"][who])
    assert member(ctx["john"]).attendance is None


def test_a_man_of_another_visit_or_an_unknown_id_is_not_found(ctx):
    organiser = ctx["users"]["organiser"]
    refused("not_found", services.mark_attended, ctx["visit"], ctx["karl_before"], organiser)
    refused("not_found", services.mark_attended, ctx["visit"], "nobody", organiser)
    refused("not_found", services.mark_attended, 9999, ctx["john"], organiser)


def test_the_session_sheet_is_plain_rows_and_counts(ctx):
    organiser = ctx["users"]["organiser"]
    services.mark_attended(ctx["visit"], ctx["john"], organiser)
    sheet = services.session_sheet(ctx["visit"], ctx["morning"])
    assert [(row.first_name, row.last_name, row.number_end, row.location, row.state_text)
            for row in sheet.rows] == [("John", "Fictional", "4BC", "B wing", "Attended"),
                                       ("Karl", "Madeup", "5CD", "C wing", "Not marked yet")]
    assert (sheet.attended, sheet.absent, sheet.unmarked) == (1, 0, 1)
    services.mark_absent(ctx["visit"], ctx["karl"], "transferred", organiser)
    sheet = services.session_sheet(ctx["visit"], ctx["morning"])
    assert sheet.rows[1].state_text == "Did not attend: transferred"
    assert (sheet.attended, sheet.absent, sheet.unmarked) == (1, 1, 0)
    refused("not_found", services.session_sheet, ctx["visit"], ctx["elsewhere"])


# --- walk-ins --------------------------------------------------------------------------------

def test_a_walk_in_joins_the_session_flagged_and_attended(ctx):
    volunteer = ctx["users"]["volunteer"]
    added = services.add_walk_in(ctx["visit"], ctx["afternoon"], " Mo ", "Newman", "d4567ef",
                                 volunteer, today())
    walk_in = member(added.public_id)
    assert (walk_in.walk_in, walk_in.attendance, walk_in.session_id) == (
        True, "attended", ctx["afternoon"])
    assert walk_in.attendance_at is not None
    assert (walk_in.person.first_name, walk_in.person.prison_number) == ("Mo", "D4567EF")
    assert walk_in.person.release_date is None
    assert audit_rows("") == [
        ("cohort.walk_in_added", volunteer, "cohort_member", str(walk_in.id), None),
        ("attendance.attended", volunteer, "cohort_member", str(walk_in.id), None)]
    names = [row.first_name for row in services.session_sheet(ctx["visit"], ctx["afternoon"]).rows]
    assert names == ["Lee", "Mo"]


def test_a_walk_in_with_a_release_date_keeps_it(ctx):
    release = today() + timedelta(days=400)
    added = services.add_walk_in(ctx["visit"], ctx["morning"], "Mo", "Newman", "D4567EF",
                                 ctx["users"]["organiser"], today(), release_date=release)
    assert member(added.public_id).person.release_date == release


def test_a_walk_in_known_from_before_keeps_what_we_knew(ctx):
    karl = db.session.scalar(select(Person).where(Person.prison_number == "B2345CD"))
    begin_write()
    db.session.delete(db.session.scalar(select(CohortMember).where(
        CohortMember.visit_id == ctx["visit"], CohortMember.person_id == karl.id)))
    db.session.commit()
    services.add_walk_in(ctx["visit"], ctx["afternoon"], "Karl", "Madeup", "B2345CD",
                         ctx["users"]["organiser"], today())
    karl = db.session.scalar(select(Person).where(Person.prison_number == "B2345CD"))
    assert (karl.location, karl.interests, karl.notes) == (
        "C wing", "employment,housing", "Likes football")
    assert karl.release_date == today() + timedelta(days=20)


@pytest.mark.parametrize("first,last,number,code,field", [
    ("", "Newman", "D4567EF", "missing_name", "first_name"),
    ("Mo", " ", "D4567EF", "missing_name", "last_name"),
    ("Mo", "Newman", "1234", "bad_prison_number", "prison_number"),
    ("John", "Fictional", "A1234BC", "already_on_visit", "prison_number"),
])
def test_a_bad_walk_in_saves_nothing(ctx, first, last, number, code, field):
    count = db.session.scalar(select(func.count()).select_from(CohortMember))
    error = refused(code, services.add_walk_in, ctx["visit"], ctx["morning"], first, last, number,
                    ctx["users"]["organiser"], today())
    assert error.field == field
    assert db.session.scalar(select(func.count()).select_from(CohortMember)) == count
    assert audit_rows("") == []


def test_walk_ins_are_refused_on_a_cancelled_visit_another_session_or_by_a_stranger(ctx):
    args = ("Mo", "Newman", "D4567EF")
    refused("not_found", services.add_walk_in, ctx["visit"], ctx["elsewhere"], *args,
            ctx["users"]["organiser"], today())
    refused("not_allowed", services.add_walk_in, ctx["visit"], ctx["morning"], *args,
            ctx["users"]["stranger"], today())
    cancel(ctx["visit"])
    refused("visit_cancelled", services.add_walk_in, ctx["visit"], ctx["morning"], *args,
            ctx["users"]["organiser"], today())
    assert db.session.scalar(select(Person).where(Person.prison_number == "D4567EF")) is None


# --- who may, through HTTP -------------------------------------------------------------------

ROLE_EMAILS = {"organiser": "organiser@test.example", "admin": "admin@test.example",
               "auditor": "auditor@test.example", "volunteer": "volunteer@test.example",
               "stranger": "stranger@test.example"}


def sheet_path(ids, session: str = "morning") -> str:
    """The session's tablet page."""
    return f"/visits/{ids['visit']}/attendance/sessions/{ids[session]}"


def as_role(client, role: str | None) -> None:
    """Log the client in (None: stay anonymous)."""
    if role:
        assert log_in(client, ROLE_EMAILS[role]).status_code == 302


PAGE_STATUS = {None: 302, "organiser": 200, "admin": 200, "auditor": 200, "volunteer": 200,
               "stranger": 403}
POST_STATUS = {None: 302, "organiser": 302, "admin": 302, "auditor": 403, "volunteer": 302,
               "stranger": 403}


@pytest.mark.parametrize("role", list(PAGE_STATUS))
def test_who_may_see_the_pages(client, day, role):
    as_role(client, role)
    for path in (f"/visits/{day['visit']}/attendance/", sheet_path(day)):
        response = client.get(path)
        assert response.status_code == PAGE_STATUS[role], (path, role)
        if role is None:
            assert "/login?next=" in response.headers["Location"]
    walk_in = client.get(sheet_path(day) + "/walk-in").status_code
    assert walk_in == {"auditor": 403}.get(role, PAGE_STATUS[role])


@pytest.mark.parametrize("role", list(POST_STATUS))
def test_who_may_mark(app, client, day, role):
    as_role(client, role)
    token = csrf_token(client, "/account/password" if role else "/login")
    base = f"/visits/{day['visit']}/attendance/members/{day['john']}"
    response = client.post(f"{base}/attended", data={"csrf_token": token})
    assert response.status_code == POST_STATUS[role]
    with app.app_context():
        done = member(day["john"]).attendance == "attended"
    assert done == (role in ("organiser", "admin", "volunteer"))
    if done:
        assert response.headers["Location"].endswith(
            f"/sessions/{day['morning']}#member-{day['john']}")


@pytest.mark.parametrize("role", list(POST_STATUS))
def test_who_may_mark_absent_clear_and_add_walk_ins(app, client, day, role):
    with app.app_context():
        services.mark_attended(day["visit"], day["karl"], day["users"]["organiser"])
    as_role(client, role)
    token = csrf_token(client, "/account/password" if role else "/login")
    base = f"/visits/{day['visit']}/attendance"
    posts = [(f"{base}/members/{day['john']}/absent", {"reason": "refused"}),
             (f"{base}/members/{day['karl']}/clear", {}),
             (f"{base}/sessions/{day['morning']}/walk-in",
              {"first_name": "Mo", "last_name": "Newman", "prison_number": "D4567EF"})]
    for path, data in posts:
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == POST_STATUS[role], path
    allowed = role in ("organiser", "admin", "volunteer")
    with app.app_context():
        assert (member(day["john"]).attendance == "absent") == allowed
        assert (member(day["karl"]).attendance is None) == allowed
        mo = db.session.scalar(select(Person).where(Person.prison_number == "D4567EF"))
        assert (mo is not None) == allowed


def test_the_auditor_sees_the_sheet_without_buttons(client, day):
    as_role(client, "auditor")
    page = client.get(sheet_path(day)).get_data(as_text=True)
    assert "John Fictional" in page and "B wing" in page and "4BC" in page
    assert "Attended<span" not in page and "Why John Fictional did not attend" not in page
    assert "/attendance/members/" not in page
    assert "Add a walk-in" not in page


# --- the tablet pages through HTTP -----------------------------------------------------------

def post(client, path: str, data: dict | None = None, page: str | None = None):
    """Submit a form on the page with its CSRF token."""
    token = csrf_token(client, page or path)
    return client.post(path, data={"csrf_token": token, **(data or {})})


def test_the_sheet_shows_each_man_with_his_buttons(client, day):
    as_role(client, "volunteer")
    response = client.get(sheet_path(day))
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    for name in ("John Fictional", "Karl Madeup"):
        assert f"Attended<span class=\"nhsuk-u-visually-hidden\"> {name}</span>" in page
        assert f"Why {name} did not attend" in page
    assert "Lee Invented" not in page
    assert "2 men: 0 attended, 0 did not attend, 2 not marked" in page
    assert "/people/" not in page  # volunteers cannot open a man's page
    assert 'src="/static/js/attendance-filter.js"' in page and "data-filter hidden" in page


def test_a_volunteer_marks_attended_absent_and_clears(app, client, day):
    as_role(client, "volunteer")
    page = sheet_path(day)
    base = f"/visits/{day['visit']}/attendance/members"
    response = post(client, f"{base}/{day['john']}/attended", page=page)
    assert response.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "Marked attended." in shown
    post(client, f"{base}/{day['karl']}/absent", {"reason": "unwell"}, page=page)
    shown = client.get(page).get_data(as_text=True)
    assert "Marked as did not attend." in shown and "Did not attend: unwell" in shown
    assert "2 men: 1 attended, 1 did not attend, 0 not marked" in shown
    post(client, f"{base}/{day['john']}/clear", page=page)
    with app.app_context():
        assert member(day["john"]).attendance is None
        assert member(day["karl"]).dna_reason == "unwell"


def test_absent_without_a_reason_says_so_and_changes_nothing(app, client, day):
    as_role(client, "organiser")
    page = sheet_path(day)
    path = f"/visits/{day['visit']}/attendance/members/{day['john']}/absent"
    for data in ({}, {"reason": ""}, {"reason": "bored"}):
        response = post(client, path, data, page=page)
        assert response.status_code == 302
        assert "Choose why he did not attend" in client.get(page).get_data(as_text=True)
    with app.app_context():
        assert member(day["john"]).attendance is None
        assert audit_rows() == []


def test_unknown_men_sessions_and_visits_are_404(client, day):
    as_role(client, "organiser")
    base = f"/visits/{day['visit']}/attendance"
    assert client.get(f"{base}/sessions/{day['elsewhere']}").status_code == 404
    assert client.get(f"{base}/sessions/{day['elsewhere']}/walk-in").status_code == 404
    assert client.get("/visits/9999/attendance/").status_code == 404
    for public_id in ("nobody", day["karl_before"]):
        response = post(client, f"{base}/members/{public_id}/attended", page=sheet_path(day))
        assert response.status_code == 404


def test_a_post_without_a_csrf_token_is_refused(app, client, day):
    as_role(client, "organiser")
    base = f"/visits/{day['visit']}/attendance"
    assert client.post(f"{base}/members/{day['john']}/attended").status_code == 400
    response = client.post(f"{base}/sessions/{day['morning']}/walk-in", data={
        "first_name": "Mo", "last_name": "Newman", "prison_number": "D4567EF"})
    assert response.status_code == 400
    with app.app_context():
        assert member(day["john"]).attendance is None
        assert db.session.scalar(select(Person).where(Person.prison_number == "D4567EF")) is None


def test_a_cancelled_visit_shows_no_buttons_and_refuses_taps(app, client, day):
    with app.app_context():
        cancel(day["visit"])
    as_role(client, "organiser")
    page = client.get(sheet_path(day)).get_data(as_text=True)
    assert "This visit is cancelled" in page and "/attendance/members/" not in page
    token = csrf_token(client, "/account/password")
    client.post(f"/visits/{day['visit']}/attendance/members/{day['john']}/attended",
                data={"csrf_token": token})
    assert "attendance cannot be recorded" in client.get(sheet_path(day)).get_data(as_text=True)
    with app.app_context():
        assert member(day["john"]).attendance is None


def test_adding_a_walk_in_through_the_form(app, client, day):
    as_role(client, "volunteer")
    path = sheet_path(day, "afternoon") + "/walk-in"
    response = post(client, path, {"first_name": "Mo", "last_name": "Newman",
                                   "prison_number": "d4567ef", "release_date": ""})
    assert response.status_code == 302
    with app.app_context():
        walk_in = db.session.scalar(select(CohortMember).join(Person).where(
            Person.prison_number == "D4567EF"))
        assert (walk_in.walk_in, walk_in.attendance, walk_in.session_id) == (
            True, "attended", day["afternoon"])
    assert response.headers["Location"].endswith(f"#member-{walk_in.public_id}")
    assert "D4567EF" not in response.headers["Location"]
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Walk-in added to the cohort and marked attended." in shown
    assert "Walk-in</strong>" in shown


@pytest.mark.parametrize("data,message", [
    ({"first_name": "", "last_name": "Newman", "prison_number": "D4567EF"},
     "Enter the man&#39;s first name"),
    ({"first_name": "Mo", "last_name": "Newman", "prison_number": "12"},
     "Enter a prison number like A1234BC"),
    ({"first_name": "Mo", "last_name": "Newman", "prison_number": "D4567EF",
      "release_date": "2027-02-31"}, "Enter a real date"),
    ({"first_name": "John", "last_name": "Fictional", "prison_number": "A1234BC"},
     "already on this visit"),
    ({"first_name": "M" * 61, "last_name": "Newman", "prison_number": "D4567EF"},
     "60 characters or fewer"),
])
def test_a_bad_walk_in_form_shows_the_error_and_saves_nothing(app, client, day, data, message):
    as_role(client, "organiser")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(CohortMember))
    response = post(client, sheet_path(day) + "/walk-in", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortMember)) == before


def test_no_name_or_prison_number_in_any_url(client, day):
    import re

    as_role(client, "organiser")
    for path in (f"/visits/{day['visit']}/attendance/", sheet_path(day),
                 sheet_path(day) + "/walk-in"):
        page = client.get(path).get_data(as_text=True)
        urls = re.findall(r'(?:href|action|src)="([^"]*)"', page)
        for first, last, number, _ in MEN.values():
            for name in (first, last):
                assert not [url for url in urls if name.lower() in url.lower()], (path, name)
            # Prison numbers are upper case; ids in URLs are lower-case hex, where "4bc" and
            # the like turn up by chance.
            for piece in (number, number[-3:]):
                assert not [url for url in urls if piece in url], (path, piece)


def test_the_session_list_counts_each_session(client, day):
    as_role(client, "volunteer")
    page = client.get(f"/visits/{day['visit']}/attendance/").get_data(as_text=True)
    assert "Cohort 1" in page and "Cohort 2" in page
    assert "2 men: 0 attended" in page and "1 man: 0 attended" in page


def test_no_man_s_name_goes_into_the_session_cookie(app, client, login_as):
    """Flashes are kept in the signed but readable cookie, so they never name the men."""
    import base64
    import zlib


    login_as("organiser")
    with app.app_context():
        visit = planning.visit(planning.prison().id)
        session = planning.session(visit.id)
        person = Person(prison_number="C3456DE", first_name="Zed", last_name="Cookietest")
        member = CohortMember(visit_id=visit.id, person=person, session_id=session.id)
        begin_write()
        db.session.add(member)
        db.session.commit()
        path = f"/visits/{visit.id}/attendance/members/{member.public_id}/attended"
        page = f"/visits/{visit.id}/attendance/sessions/{session.id}"
    client.post(path, data={"csrf_token": csrf_token(client, page)})
    cookie = client.get_cookie("inreach_session").value
    payload = cookie.split(".")[0 if not cookie.startswith(".") else 1]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(data) if cookie.startswith(".") else data).decode()
    assert "Marked attended." in text
    assert "Cookietest" not in text and "C3456DE" not in text
