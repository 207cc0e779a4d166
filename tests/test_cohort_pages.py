"""The cohort page over HTTP: who may see and change it, the window form, adding one man, moving,
allocating, and the attendance registers read back as a person would."""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.cohorts.models import CohortMember, KeepApart, Person
from inreach.database import begin_write, db

from . import planning
from .conftest import csrf_token
from .printing_helpers import pdf_lines, pdf_text

VISIT_DAY = date.today() + timedelta(days=30)
ROLES = ["anonymous", "volunteer", "auditor", "organiser", "admin"]


def add_man(visit_id, number, session_id=None, first="Ann", last="Fictional", location="B wing",
            walk_in=False):
    """A man on the visit's cohort; returns his cohort member."""
    person = Person(prison_number=f"A{number:04d}BC", first_name=first, last_name=last,
                    release_date=VISIT_DAY + timedelta(days=20), location=location)
    member = CohortMember(visit_id=visit_id, person=person, session_id=session_id,
                          walk_in=walk_in)
    begin_write()
    db.session.add(member)
    db.session.commit()
    return member


@pytest.fixture
def plan(app):
    """A visit with two sessions of 2 places and three men: two in Cohort 1, one waiting."""
    with app.app_context():
        visit = planning.visit(planning.prison().id, VISIT_DAY)
        first = planning.session(visit.id, "Cohort 1", "09:30", "12:00", capacity=2)
        second = planning.session(visit.id, "Cohort 2", "13:30", "16:00", "Library", capacity=2)
        men = [add_man(visit.id, 1, first.id, "Bob", "Zed"),
               add_man(visit.id, 2, first.id, "=HYPERLINK(\"http://x\")", "Evil", "C wing"),
               add_man(visit.id, 3, None, "Cy", "Waiting"),
               add_man(visit.id, 4, first.id, "Dan", "Walkin", walk_in=True)]
        return {"visit": visit.id, "first": first.id, "second": second.id,
                "men": [man.public_id for man in men], "member_ids": [man.id for man in men]}


def as_role(login_as, role):
    """Log in with the role, unless anonymous."""
    if role != "anonymous":
        login_as(role)


def expect(response, role, allowed):
    """Allowed roles get through; strangers go to log in; other roles are refused."""
    if role in allowed:
        assert response.status_code in (200, 302), role
    elif role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403, role


def counts(app):
    """How many people and cohort members there are."""
    with app.app_context():
        return (db.session.scalar(select(func.count(Person.id))),
                db.session.scalar(select(func.count(CohortMember.id))))


@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_the_cohort_page(client, login_as, plan, role):
    as_role(login_as, role)
    response = client.get(f"/visits/{plan['visit']}/cohort/")
    expect(response, role, {"auditor", "organiser", "admin"})
    if response.status_code == 200:
        page = response.get_data(as_text=True)
        assert "Bob Zed" in page and "A0001BC" in page and "Cohort 2" in page
        planner = role in ("organiser", "admin")
        assert ("Allocate automatically" in page) == planner
        assert ("Move to" in page) == planner
        assert ("Change the window" in page) == planner
        assert response.headers["Cache-Control"] == "no-store"


def test_each_view_of_the_cohort_page_is_audited(app, client, login_as, plan):
    user_id = login_as("auditor")
    client.get(f"/visits/{plan['visit']}/cohort/")
    with app.app_context():
        [row] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cohort.viewed"))
        assert (row.actor_id, row.object_type, row.object_id) == (user_id, "visit",
                                                                  str(plan["visit"]))


@pytest.mark.parametrize("role", ROLES)
def test_only_planners_add_move_allocate_and_download(client, login_as, plan, role):
    as_role(login_as, role)
    base = f"/visits/{plan['visit']}/cohort"
    for path in (f"{base}/add", f"{base}/sessions/{plan['first']}/register.pdf",
                 f"{base}/sessions/{plan['first']}/register.csv"):
        expect(client.get(path), role, {"organiser", "admin"})
    token = csrf_token(client, "/login" if role == "anonymous" else "/account/password")
    for path in (f"{base}/move", f"{base}/allocate", f"{base}/window"):
        expect(client.post(path, data={"csrf_token": token}), role, {"organiser", "admin"})


def test_a_post_without_a_csrf_token_is_refused(client, login_as, plan):
    login_as("organiser")
    response = client.post(f"/visits/{plan['visit']}/cohort/allocate", data={})
    assert response.status_code == 400


def test_no_name_or_prison_number_in_any_link_or_form_address(client, login_as, plan):
    login_as("organiser")
    page = client.get(f"/visits/{plan['visit']}/cohort/").get_data(as_text=True)
    addresses = [part.split('"', 1)[0] for part in page.split('href="')[1:]]
    addresses += [part.split('"', 1)[0] for part in page.split('action="')[1:]]
    assert addresses
    for address in addresses:
        assert "A000" not in address and "Zed" not in address and "Bob" not in address


@pytest.mark.parametrize("values,message", [
    ({"eligible_from_days": "-1", "eligible_to_days": "90"},
     "The window must start on or after the visit day"),
    ({"eligible_from_days": "30", "eligible_to_days": "10"},
     "The window must end between its start and 730 days"),
    ({"eligible_from_days": "0", "eligible_to_days": "ninety"},
     "Enter a whole number of days, for example 90"),
    ({"eligible_from_days": "", "eligible_to_days": "90"},
     "Enter the first day of the window as a number of days, for example 0"),
])
def test_window_form_errors_change_nothing(app, client, login_as, plan, values, message):
    login_as("organiser")
    path = f"/visits/{plan['visit']}/cohort/"
    response = client.post(path + "window", data=values | {"csrf_token": csrf_token(client, path)})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    with app.app_context():
        visit = db.session.get(planning.Visit, plan["visit"])
        assert (visit.eligible_from_days, visit.eligible_to_days) == (0, 90)


def test_changing_the_window(app, client, login_as, plan):
    login_as("organiser")
    path = f"/visits/{plan['visit']}/cohort/"
    response = client.post(path + "window", data={
        "eligible_from_days": "7", "eligible_to_days": "60",
        "csrf_token": csrf_token(client, path)}, follow_redirects=True)
    assert "Eligibility window changed." in response.get_data(as_text=True)
    with app.app_context():
        visit = db.session.get(planning.Visit, plan["visit"])
        assert (visit.eligible_from_days, visit.eligible_to_days) == (7, 60)


GOOD_MAN = {"prison_number": "b7654cd", "first_name": "Eli", "last_name": "Added",
            "release_date": (VISIT_DAY + timedelta(days=40)).isoformat(),
            "release_type": "CRD", "location": "D wing", "interests": ["employment"]}


@pytest.mark.parametrize("changes,message", [
    ({"prison_number": "1234"}, "Enter a prison number like A1234BC"),
    ({"first_name": ""}, "Enter the man&#39;s first name"),
    ({"release_date": (VISIT_DAY + timedelta(days=200)).isoformat()},
     "Not eligible for this visit: Release outside the window"),
    ({"release_date": ""}, "Not eligible for this visit: No release date"),
    ({"prison_number": "A0001BC"}, "This man is already on this visit&#39;s cohort"),
    ({"release_date": "2027-02-31"}, "Enter a real date"),
])
def test_adding_one_man_refuses_bad_details_and_saves_nothing(app, client, login_as, plan,
                                                             changes, message):
    login_as("organiser")
    path = f"/visits/{plan['visit']}/cohort/add"
    before = counts(app)
    response = client.post(path, data=GOOD_MAN | changes | {"csrf_token": csrf_token(client, path)})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert counts(app) == before


def test_adding_one_man(app, client, login_as, plan):
    login_as("organiser")
    path = f"/visits/{plan['visit']}/cohort/add"
    response = client.post(path, data=GOOD_MAN | {"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/visits/{plan['visit']}/cohort/"
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.prison_number == "B7654CD"))
        assert (person.first_name, person.location, person.interests) == (
            "Eli", "D wing", "employment")
        assert db.session.scalar(select(CohortMember.visit_id).where(
            CohortMember.person_id == person.id)) == plan["visit"]


def move(client, plan, member, session_id):
    """Post the move form for one man."""
    path = f"/visits/{plan['visit']}/cohort/"
    return client.post(path + "move", data={"member": member, "session_id": session_id,
                                            "csrf_token": csrf_token(client, path)},
                       follow_redirects=True)


def test_moving_a_man_over_capacity_is_allowed_and_shown(app, client, login_as, plan):
    login_as("organiser")
    response = move(client, plan, plan["men"][2], str(plan["first"]))
    page = response.get_data(as_text=True)
    assert "Moved." in page
    assert "Cohort 1 has 4 men for 2 places." in page
    with app.app_context():
        assert db.session.get(CohortMember, plan["member_ids"][2]).session_id == plan["first"]
    visit_page = client.get(f"/visits/{plan['visit']}").get_data(as_text=True)
    assert "Cohort 1 has 4 men for 2 places." in visit_page
    assert "Cohort 1: 4 of 2 places" in visit_page


def test_moving_a_kept_apart_pair_together_is_shown_by_name_on_the_cohort_page(
        app, client, login_as, plan):
    with app.app_context():
        first, third = (db.session.get(CohortMember, plan["member_ids"][index]) for index in (0, 2))
        low, high = sorted((first.person_id, third.person_id))
        begin_write()
        db.session.add(KeepApart(visit_id=plan["visit"], first_id=low, second_id=high))
        db.session.commit()
    login_as("organiser")
    page = move(client, plan, plan["men"][2], str(plan["first"])).get_data(as_text=True)
    assert "Bob Zed and Cy Waiting must be kept apart but are both in Cohort 1." in page
    visit_page = client.get(f"/visits/{plan['visit']}").get_data(as_text=True)
    assert "Cohort 1 has 1 pair of men who must be kept apart" in visit_page
    assert "Cy Waiting" not in visit_page


def test_moving_out_of_every_session_and_bad_choices(app, client, login_as, plan):
    login_as("organiser")
    assert "Moved." in move(client, plan, plan["men"][0], "").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CohortMember, plan["member_ids"][0]).session_id is None
    page = move(client, plan, plan["men"][1], "99999").get_data(as_text=True)
    assert "Choose a session from the list." in page
    page = move(client, plan, "0123456789abcdef", str(plan["second"])).get_data(as_text=True)
    assert "That man is not on this visit&#39;s cohort" in page


def test_allocating_automatically(app, client, login_as, plan):
    login_as("organiser")
    path = f"/visits/{plan['visit']}/cohort/"
    page = client.get(path).get_data(as_text=True)
    assert "Not allocated yet" in page
    response = client.post(path + "allocate", data={
        "keep_wing_together": "y", "csrf_token": csrf_token(client, path)},
        follow_redirects=True)
    assert "Allocation done. Every man has a session." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CohortMember, plan["member_ids"][2]).session_id == plan["second"]
        [row] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "cohort.allocated"))
        assert row.detail == "placed=1 unplaced=0 wings_together=yes"


def test_a_man_who_cannot_be_placed_is_listed_with_the_reason(app, client, login_as, plan):
    with app.app_context():
        add_man(plan["visit"], 5, plan["second"], "Fay", "Full")
        add_man(plan["visit"], 6, plan["second"], "Gus", "Full")
    login_as("organiser")
    page = client.get(f"/visits/{plan['visit']}/cohort/").get_data(as_text=True)
    assert "All sessions full" in page


def test_the_register_pdf_lists_the_session_walk_ins_last(app, client, login_as, plan):
    login_as("organiser")
    response = client.get(f"/visits/{plan['visit']}/cohort/sessions/{plan['first']}/register.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="register-visit-{plan["visit"]}-session-{plan["first"]}.pdf"')
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response.data)
    lines = pdf_lines(response.data)
    assert f"Attendance register: Cohort 1, {VISIT_DAY:%d %B %Y}" in text
    for column in ("Name", "Prison number", "Location", "Release date", "Attended (tick)",
                   "Signature"):
        assert column in text
    bob = next(index for index, line in enumerate(lines) if "Bob Zed" in line)
    dan = next(index for index, line in enumerate(lines) if "Dan Walkin (walk-in)" in line)
    assert bob < dan
    assert "A0001BC" in lines[bob] and "B wing" in lines[bob]
    assert "Cy Waiting" not in text and "A0003BC" not in text
    assert "Write in any man who walks in on an empty row" in text
    empty = client.get(f"/visits/{plan['visit']}/cohort/sessions/{plan['second']}/register.pdf")
    assert "Men expected 0 (capacity 2)" in pdf_lines(empty.data)
    with app.app_context():
        row = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "register.downloaded").order_by(AuditEvent.id)).first()
        assert (row.object_type, row.object_id, row.detail) == ("session", str(plan["first"]),
                                                                "pdf")


def test_the_register_csv_is_formula_safe(app, client, login_as, plan):
    login_as("admin")
    response = client.get(f"/visits/{plan['visit']}/cohort/sessions/{plan['first']}/register.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(
        f'filename="register-visit-{plan["visit"]}-session-{plan["first"]}.csv"')
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Prison number", "Location", "Release date", "Walk-in",
                       "Attended (tick)", "Signature"]
    assert [row[0] for row in rows[1:]] == [
        "'=HYPERLINK(\"http://x\") Evil", "Bob Zed", "Dan Walkin"]
    assert rows[-1][4:] == ["Yes", "", ""]


def test_a_session_of_another_visit_has_no_register_here(app, client, login_as, plan):
    with app.app_context():
        other = planning.visit(planning.prison("BAI", "HMP Belmarsh").id, VISIT_DAY)
        elsewhere = planning.session(other.id).id
    login_as("organiser")
    assert client.get(
        f"/visits/{plan['visit']}/cohort/sessions/{elsewhere}/register.pdf").status_code == 404
    assert client.get("/visits/9999/cohort/").status_code == 404


def test_the_visit_page_sums_up_the_cohort(client, login_as, plan):
    login_as("auditor")
    page = client.get(f"/visits/{plan['visit']}").get_data(as_text=True)
    assert "4 men on the cohort." in page
    assert "Cohort 1: 3 of 2 places" in page and "Cohort 2: 0 of 2 places" in page
    assert f'href="/visits/{plan["visit"]}/cohort/"' in page
