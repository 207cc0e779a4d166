"""Visit and roster pages through HTTP: forms, messages, nothing half-saved, who may do what."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inreach.database import begin_write, db
from inreach.roster.models import RosterEntry
from inreach.visits.models import Visit, VisitSession

from . import planning
from .conftest import csrf_token, log_in

LATER = date.today() + timedelta(days=40)


@pytest.fixture
def plan(app):
    """A prison, a visit with one session, a cleared and an uncleared volunteer on its roster."""
    with app.app_context():
        wsi = planning.prison()
        visit = planning.visit(wsi.id, LATER)
        session = planning.session(visit.id)
        ann, bo = planning.volunteer("Ann Cleared"), planning.volunteer("Bo Waiting")
        planning.clear(ann.id, wsi.id)
        begin_write()
        db.session.add_all([
            RosterEntry(visit_id=visit.id, volunteer_id=ann.id, role_on_day="IPS specialist",
                        confirmed=True),
            RosterEntry(visit_id=visit.id, volunteer_id=bo.id, role_on_day="Peer mentor")])
        db.session.commit()
        entry = db.session.scalar(select(RosterEntry.id).where(RosterEntry.volunteer_id == bo.id))
        return {"prison": wsi.id, "visit": visit.id, "session": session.id, "ann": ann.id,
                "bo": bo.id, "bo_entry": entry}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def post(client, path, data, form_page=None):
    data = {**data, "csrf_token": csrf_token(client, form_page or path)}
    return client.post(path, data=data)


def visit_form(prison, **changes):
    return {"prison_id": prison, "date": LATER.isoformat(), "title": "Wellbeing day",
            "arrival_time": "09:00", "contact_name": "Pat Lead", **changes}


def test_organiser_plans_a_visit_and_adds_a_session(app, client, login_as, plan):
    login_as("organiser")
    response = post(client, "/visits/new", visit_form(plan["prison"]))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wellbeing day" in page and "Draft" in page and "This visit has no sessions yet" in page
    visit_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = post(client, f"/visits/{visit_id}/sessions/new", {
        "label": "Cohort 1", "starts_at": "09:30", "ends_at": "12:00", "room": "Chapel",
        "capacity": "20"})
    assert response.status_code == 302
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "09:30–12:00" in page and "Chapel" in page


@pytest.mark.parametrize("changes,message", [
    ({"date": "2027-02-31"}, "Enter a real date"),
    ({"date": ""}, "Enter a real date"),
    ({"arrival_time": "25:61"}, "Enter a real time"),
    ({"title": ""}, "Enter a title"),
    ({"title": "t" * 121}, "Title must be 120 characters or fewer"),
    ({"prison_id": "0"}, "Choose a prison from the list"),
    ({"prison_id": "abc"}, "Choose a prison from the list"),
    ({"prison_id": "12345"}, "Choose a prison from the list"),
    ({"date": (date.today() - timedelta(days=1)).isoformat()}, "today or in the future"),
    ({"contact_email": "not-an-email"}, "Enter an email address"),
])
def test_bad_visit_input_is_shown_and_nothing_is_saved(app, client, login_as, plan, changes,
                                                       message):
    login_as("organiser")
    before = count(app, Visit)
    response = post(client, "/visits/new", visit_form(plan["prison"], **changes))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert message in text and "There is a problem" in text
    assert count(app, Visit) == before


@pytest.mark.parametrize("changes,message", [
    ({"ends_at": "09:00"}, "The end time must be after the start time"),
    ({"starts_at": "9.30am"}, "Enter a real time"),
    ({"capacity": "201"}, "Capacity must be between 1 and 200"),
    ({"capacity": "0"}, "Capacity must be between 1 and 200"),
    ({"room": "chapel", "label": "Other"}, "Cohort 1 uses Chapel from 09:30 to 12:00"),
    ({"room": ""}, "Enter the room"),
])
def test_bad_session_input_is_shown_and_nothing_is_saved(app, client, login_as, plan, changes,
                                                         message):
    login_as("organiser")
    data = {"label": "Cohort 2", "starts_at": "10:00", "ends_at": "11:00", "room": "Library",
            "capacity": "10", **changes}
    response = post(client, f"/visits/{plan['visit']}/sessions/new", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(app, VisitSession) == 1


def test_visit_page_shows_roster_clearance_and_the_pending_warning(client, login_as, plan):
    login_as("organiser")
    page = client.get(f"/visits/{plan['visit']}").get_data(as_text=True)
    assert "Ann Cleared" in page and "Confirmed" in page
    assert "Pending: Clearance for this prison not started" in page
    assert "1 rostered volunteer is not cleared for HMP Wormwood Scrubs" in page


def test_confirming_an_uncleared_volunteer_is_refused_with_the_reason(app, client, login_as,
                                                                      plan):
    login_as("organiser")
    path = f"/visits/{plan['visit']}/roster/{plan['bo_entry']}/confirm"
    response = post(client, path, {}, form_page=f"/visits/{plan['visit']}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bo Waiting cannot be confirmed: clearance for this prison not started" in page
    with app.app_context():
        assert not db.session.get(RosterEntry, plan["bo_entry"]).confirmed


def test_adding_the_same_volunteer_twice_is_refused_on_the_form(app, client, login_as, plan):
    login_as("organiser")
    path = f"/visits/{plan['visit']}/roster/add"
    response = post(client, path, {"volunteer_id": plan["ann"], "role_on_day": "Mentor"})
    assert "Ann Cleared is already on this visit" in response.get_data(as_text=True)
    assert count(app, RosterEntry) == 2


def test_a_post_about_another_visits_entry_is_a_404(app, client, login_as, plan):
    login_as("organiser")
    with app.app_context():
        other = planning.visit(plan["prison"], LATER + timedelta(days=7)).id
    path = f"/visits/{other}/roster/{plan['bo_entry']}/remove"
    assert post(client, path, {}, form_page="/visits/").status_code == 404
    assert count(app, RosterEntry) == 2


OBJECT_PAGES = ["/visits/{visit}", "/visits/{visit}/edit", "/visits/{visit}/sessions/new",
                "/visits/{visit}/sessions/{session}/edit", "/visits/{visit}/roster/add",
                "/visits/{visit}/roster/{bo_entry}/sessions"]
OBJECT_POSTS = ["/visits/{visit}/status", "/visits/{visit}/sessions/{session}/delete",
                "/visits/{visit}/roster/{bo_entry}/confirm",
                "/visits/{visit}/roster/{bo_entry}/remove"]


@pytest.mark.parametrize("role,reads,writes", [
    ("organiser", True, True), ("admin", True, True), ("auditor", True, False),
    ("volunteer", False, False)])
def test_object_pages_per_role(client, login_as, plan, role, reads, writes):
    login_as(role)
    for template in OBJECT_PAGES:
        status = client.get(template.format(**plan)).status_code
        may = writes or (reads and template == "/visits/{visit}")
        assert status == (200 if may else 403), (template, role)
    token = csrf_token(client, "/visits/")
    for template in OBJECT_POSTS:
        status = client.post(template.format(**plan), data={"csrf_token": token}).status_code
        assert (status == 302) if writes else (status == 403), (template, role)


def test_a_volunteer_sees_only_the_visits_they_are_rostered_on(app, client, make_user, plan):
    user_id = make_user("volunteer")
    with app.app_context():
        me = planning.volunteer("Val Me", user_id=user_id)
        begin_write()
        db.session.add(RosterEntry(visit_id=plan["visit"], volunteer_id=me.id,
                                   role_on_day="Mentor"))
        db.session.commit()
        elsewhere = planning.visit(plan["prison"], LATER + timedelta(days=3)).id
    log_in(client, "volunteer@test.example")
    listing = client.get("/visits/").get_data(as_text=True)
    assert f"/visits/{plan['visit']}\"" in listing and f"/visits/{elsewhere}\"" not in listing
    assert client.get(f"/visits/{plan['visit']}").status_code == 200
    assert client.get(f"/visits/{elsewhere}").status_code == 403
    assert client.get("/visits/999").status_code == 404
