"""Organisations, volunteers and clearance per prison: the rules in volunteers/services.py
called directly, the pages through HTTP, and the demo data built on them."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.database import db
from inreach.dates import today
from inreach.demo.seed import DEFAULT_PASSWORD, DEMO_VOLUNTEERS, seed
from inreach.errors import DomainError
from inreach.prisons.services import PrisonDetails, create_prison, set_archived
from inreach.volunteers import services
from inreach.volunteers.models import Clearance, Organisation, Volunteer
from inreach.volunteers.services import (
    ClearanceDetails,
    OrganisationDetails,
    VolunteerDetails,
    clearance_on,
)

from .conftest import csrf_token, log_in

ROLES = ["anonymous", "volunteer", "auditor", "organiser", "admin"]
PLANNERS = {"organiser", "admin"}
READERS = PLANNERS | {"auditor"}
DAY = date(2026, 11, 24)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def last_event() -> AuditEvent:
    return db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))


@pytest.fixture
def actor(app_context, make_user) -> int:
    """The id of an organiser who makes the changes."""
    return make_user("organiser")


@pytest.fixture
def trust(app_context) -> Organisation:
    """An organisation to put volunteers in."""
    return services.create_organisation(OrganisationDetails("North Thames NHS Trust", "nhs_trust"),
                                        None)


@pytest.fixture
def scrubs(app_context):
    """A prison to be cleared for."""
    return create_prison(PrisonDetails("HMP Wormwood Scrubs", "WSI"), None)


@pytest.fixture
def volunteer(trust) -> Volunteer:
    """A volunteer in the trust."""
    return services.create_volunteer(VolunteerDetails("Sam Okafor", trust.id, "IPS specialist",
                                                      "sam@example.org", "020 7946 0612"), None)


def cleared(**changes) -> ClearanceDetails:
    """A clearance granted a while before DAY, with some values changed."""
    values = {"state": "cleared", "submitted_on": DAY - timedelta(days=60),
              "cleared_on": DAY - timedelta(days=30), "expires_on": DAY + timedelta(days=365),
              "id_type": "passport"}
    return ClearanceDetails(**{**values, **changes})


# --- organisations ----------------------------------------------------------------------------

def test_create_organisation_trims_and_audits(actor):
    organisation = services.create_organisation(
        OrganisationDetails("  Second Chance Mentors ", "charity"), actor)
    assert (organisation.name, organisation.kind) == ("Second Chance Mentors", "charity")
    event = last_event()
    assert (event.action, event.actor_id, event.object_id) == \
        ("organisation.created", actor, str(organisation.id))


@pytest.mark.parametrize("name,kind,code,field", [
    ("", "charity", "name_missing", "name"),
    ("O" * 121, "charity", "too_long", "name"),
    ("Mentors", "", "unknown_kind", "kind"),
    ("Mentors", "cult", "unknown_kind", "kind"),
    ("north thames nhs trust", "charity", "duplicate_name", "name"),
])
def test_bad_organisations_are_refused(trust, name, kind, code, field):
    with pytest.raises(DomainError) as refused:
        services.create_organisation(OrganisationDetails(name, kind), None)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1


def test_update_organisation_keeps_its_own_name(trust, actor):
    services.update_organisation(trust.id, OrganisationDetails("North Thames NHS Trust",
                                                               "other"), actor)
    assert trust.kind == "other"
    with pytest.raises(DomainError) as refused:
        services.update_organisation(999, OrganisationDetails("X", "other"), actor)
    assert refused.value.code == "not_found"


def test_an_organisation_with_volunteers_cannot_be_deleted(volunteer, actor):
    with pytest.raises(DomainError) as refused:
        services.delete_organisation(volunteer.organisation_id, actor)
    assert refused.value.code == "organisation_in_use"
    assert "1 volunteer belong to it" in refused.value.message.replace("belongs", "belong")
    assert db.session.get(Organisation, volunteer.organisation_id) is not None


def test_an_organisation_without_volunteers_can_be_deleted(trust, actor):
    assert services.delete_organisation(trust.id, actor) == "North Thames NHS Trust"
    assert db.session.get(Organisation, trust.id) is None


def test_all_organisations_counts_their_volunteers(volunteer, trust):
    services.create_organisation(OrganisationDetails("Alpha Mentors", "charity"), None)
    assert [(organisation.name, members) for organisation, members in
            services.all_organisations()] == [("Alpha Mentors", 0),
                                              ("North Thames NHS Trust", 1)]


# --- volunteers -------------------------------------------------------------------------------

def test_create_volunteer_audits_ids_and_no_personal_data(trust, actor):
    volunteer = services.create_volunteer(
        VolunteerDetails(" Sam Okafor ", trust.id, email="sam@example.org"), actor)
    assert volunteer.name == "Sam Okafor" and volunteer.organisation is trust
    event = last_event()
    assert (event.action, event.object_type, event.object_id) == \
        ("volunteer.created", "volunteer", str(volunteer.id))
    assert "Sam" not in (event.detail or "") and "sam@" not in (event.detail or "")


@pytest.mark.parametrize("changes,code,field", [
    ({"name": " "}, "name_missing", "name"),
    ({"name": "N" * 101}, "too_long", "name"),
    ({"job_title": "J" * 101}, "too_long", "job_title"),
    ({"email": "e" * 250 + "@x.org"}, "too_long", "email"),
    ({"phone": "0" * 31}, "too_long", "phone"),
    ({"organisation_id": None}, "unknown_organisation", "organisation_id"),
    ({"organisation_id": 999}, "unknown_organisation", "organisation_id"),
    ({"user_id": 999}, "not_a_volunteer_account", "user_id"),
])
def test_bad_volunteers_are_refused_and_nothing_is_saved(trust, changes, code, field):
    values = {"name": "Sam", "organisation_id": trust.id, **changes}
    with pytest.raises(DomainError) as refused:
        services.create_volunteer(VolunteerDetails(**values), None)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 0


def test_a_volunteer_login_links_to_one_volunteer_only(trust, make_user, actor):
    login = make_user("volunteer")
    first = services.create_volunteer(VolunteerDetails("Val", trust.id, user_id=login), None)
    services.update_volunteer(first.id, VolunteerDetails("Val V", trust.id, user_id=login), actor)
    with pytest.raises(DomainError) as refused:
        services.create_volunteer(VolunteerDetails("Other", trust.id, user_id=login), None)
    assert refused.value.code == "account_taken"
    with pytest.raises(DomainError) as refused:
        services.create_volunteer(VolunteerDetails("Other", trust.id, user_id=actor), None)
    assert refused.value.code == "not_a_volunteer_account"
    assert services.linkable_accounts() == []
    assert [user.id for user in services.linkable_accounts(first.id)] == [login]


def test_update_volunteer(volunteer, actor):
    services.update_volunteer(volunteer.id, VolunteerDetails(
        "Sam Okafor", volunteer.organisation_id, "Peer mentor"), actor)
    assert volunteer.job_title == "Peer mentor" and volunteer.email == ""
    assert last_event().action == "volunteer.updated"
    with pytest.raises(DomainError) as refused:
        services.update_volunteer(999, VolunteerDetails("X", volunteer.organisation_id), actor)
    assert refused.value.code == "not_found"


def test_archived_volunteers_are_not_offered_for_the_roster(volunteer, trust, actor):
    other = services.create_volunteer(VolunteerDetails("Ada Adeyemi", trust.id), None)
    assert services.volunteers_for_roster() == [other, volunteer]
    services.set_volunteer_archived(volunteer.id, True, actor)
    assert last_event().action == "volunteer.archived"
    roster = services.volunteers_for_roster()
    assert roster == [other] and roster[0].organisation.name == "North Thames NHS Trust"
    services.set_volunteer_archived(volunteer.id, False, actor)
    assert len(services.volunteers_for_roster()) == 2


# --- clearance --------------------------------------------------------------------------------

def test_record_then_update_a_clearance(volunteer, scrubs, actor):
    clearance = services.record_clearance(volunteer.id, scrubs.id, cleared(), actor, DAY)
    assert clearance_on(volunteer.id, scrubs.id, DAY).cleared
    event = last_event()
    assert (event.action, event.object_id, event.detail) == \
        ("clearance.recorded", str(clearance.id), f"volunteer={volunteer.id} prison={scrubs.id}")
    services.record_clearance(volunteer.id, scrubs.id, ClearanceDetails("refused"), actor, DAY)
    assert db.session.scalar(select(func.count()).select_from(Clearance)) == 1
    assert clearance.state == "refused" and clearance.cleared_on is None
    assert not clearance_on(volunteer.id, scrubs.id, DAY).cleared


@pytest.mark.parametrize("details,code,field", [
    (cleared(state="approved"), "unknown_state", "state"),
    (cleared(id_type="library card"), "unknown_id_type", "id_type"),
    (cleared(cleared_on=None), "cleared_date_missing", "cleared_on"),
    (cleared(cleared_on=DAY + timedelta(days=1)), "cleared_on_future", "cleared_on"),
    (cleared(submitted_on=DAY + timedelta(days=1)), "submitted_on_future", "submitted_on"),
    (cleared(cleared_on=date(1999, 1, 1)), "cleared_on_too_early", "cleared_on"),
    (cleared(submitted_on=date(2016, 11, 23)), "submitted_on_too_early", "submitted_on"),
    (cleared(submitted_on=DAY - timedelta(days=10)), "submitted_after_cleared", "submitted_on"),
    (cleared(expires_on=DAY - timedelta(days=31)), "expires_before_cleared", "expires_on"),
    (cleared(expires_on=date(2037, 1, 1)), "expires_on_out_of_range", "expires_on"),
    (ClearanceDetails("submitted", submitted_on=date(3026, 1, 1)), "submitted_on_future",
     "submitted_on"),
])
def test_bad_clearances_are_refused_and_nothing_is_saved(volunteer, scrubs, details, code,
                                                         field):
    with pytest.raises(DomainError) as refused:
        services.record_clearance(volunteer.id, scrubs.id, details, None, DAY)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert db.session.scalar(select(func.count()).select_from(Clearance)) == 0


def test_the_edges_of_the_date_rules_are_allowed(volunteer, scrubs):
    details = cleared(submitted_on=DAY, cleared_on=DAY, expires_on=DAY)
    assert services.record_clearance(volunteer.id, scrubs.id, details, None, DAY).state == \
        "cleared"
    services.record_clearance(volunteer.id, scrubs.id, cleared(
        submitted_on=date(2016, 11, 24), expires_on=date(2036, 11, 24)), None, DAY)


def test_an_expired_clearance_may_be_recorded_with_a_past_expiry(volunteer, scrubs):
    details = cleared(cleared_on=DAY - timedelta(days=800), submitted_on=None,
                      expires_on=DAY - timedelta(days=70))
    services.record_clearance(volunteer.id, scrubs.id, details, None, DAY)
    check = clearance_on(volunteer.id, scrubs.id, DAY)
    assert (check.cleared, check.state) == (False, "expired")


def test_an_unknown_volunteer_or_prison_is_refused(volunteer, scrubs):
    with pytest.raises(DomainError) as refused:
        services.record_clearance(999, scrubs.id, cleared(), None, DAY)
    assert refused.value.code == "not_found"
    with pytest.raises(DomainError) as refused:
        services.record_clearance(volunteer.id, 999, cleared(), None, DAY)
    assert (refused.value.code, refused.value.field) == ("unknown_prison", "prison_id")


def test_no_new_clearance_at_an_archived_prison_but_an_old_one_may_change(volunteer, scrubs,
                                                                         trust, actor):
    services.record_clearance(volunteer.id, scrubs.id, cleared(), actor, DAY)
    set_archived(scrubs.id, True, actor)
    newcomer = services.create_volunteer(VolunteerDetails("New", trust.id), None)
    with pytest.raises(DomainError) as refused:
        services.record_clearance(newcomer.id, scrubs.id, cleared(), actor, DAY)
    assert refused.value.code == "prison_archived"
    services.record_clearance(volunteer.id, scrubs.id, cleared(state="expired"), actor, DAY)
    assert clearance_on(volunteer.id, scrubs.id, DAY).state == "expired"


def test_clearance_rows_per_prison(volunteer, scrubs):
    brixton = create_prison(PrisonDetails("HMP Brixton", "BXI"), None)
    closed = create_prison(PrisonDetails("HMP Closed", "CLO"), None)
    set_archived(closed.id, True, None)
    services.record_clearance(volunteer.id, scrubs.id, cleared(), None, DAY)
    rows = services.clearance_rows(volunteer, DAY)
    assert [(row.prison_code, row.check.cleared) for row in rows] == [("WSI", True)]
    every = services.clearance_rows(volunteer, DAY, every_prison=True)
    assert [(row.prison_code, row.check.state, row.clearance is None) for row in every] == \
        [("BXI", "not_started", True), ("WSI", "cleared", False)]
    assert brixton.id == every[0].prison_id


# --- pages ------------------------------------------------------------------------------------

def make_volunteer(app, **changes) -> tuple[int, int]:
    """A trust, a volunteer in it and a prison WSI; returns (volunteer id, prison id)."""
    with app.app_context():
        trust = services.create_organisation(OrganisationDetails("Demo Trust", "nhs_trust"), None)
        details = {"name": "Sam Okafor", "organisation_id": trust.id, **changes}
        volunteer = services.create_volunteer(VolunteerDetails(**details), None)
        prison = create_prison(PrisonDetails("HMP Wormwood Scrubs", "WSI"), None)
        return volunteer.id, prison.id


def post(client, path, data):
    """Submit a form on a page like a browser (with the page's CSRF token)."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def test_organiser_adds_an_organisation_and_a_volunteer(app, client, login_as):
    login_as("organiser")
    response = post(client, "/organisations/new", {"name": "Demo Trust", "kind": "nhs_trust"})
    assert response.headers["Location"] == "/organisations/"
    listing = client.get("/organisations/").get_data(as_text=True)
    assert "Demo Trust" in listing and "NHS trust" in listing
    with app.app_context():
        trust_id = db.session.scalar(select(Organisation.id))
    response = post(client, "/volunteers/new", {"name": "Sam Okafor", "organisation_id": trust_id,
                                                "job_title": "Peer mentor", "user_id": ""})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sam Okafor" in page and "Peer mentor" in page and "Record" in page
    assert "Sam" not in response.headers["Location"]
    listing = client.get("/volunteers/").get_data(as_text=True)
    assert "Sam Okafor" in listing and "Demo Trust" in listing and "None recorded" in listing


@pytest.mark.parametrize("data,message", [
    ({"name": "", "kind": "charity"}, "Enter the organisation&#39;s name"),
    ({"name": "O" * 121, "kind": "charity"}, "Name must be 120 characters or fewer"),
    ({"name": "Mentors", "kind": ""}, "Choose the kind of organisation from the list"),
    ({"name": "Mentors", "kind": "cult"}, "Choose the kind of organisation from the list"),
    ({"name": "demo trust", "kind": "charity"}, "Another organisation has this name"),
])
def test_bad_organisation_input_is_shown_on_the_form(app, client, login_as, data, message):
    make_volunteer(app)
    login_as("organiser")
    text = post(client, "/organisations/new", data).get_data(as_text=True)
    assert "There is a problem" in text and message in text
    assert count(app, Organisation) == 1


def test_organisation_edit_and_delete(app, client, login_as):
    make_volunteer(app)
    with app.app_context():
        empty = services.create_organisation(OrganisationDetails("Empty", "other"), None).id
    login_as("admin")
    response = post(client, f"/organisations/{empty}/edit", {"name": "Emptier", "kind": "other"})
    assert response.status_code == 302
    assert "Emptier" in client.get("/organisations/").get_data(as_text=True)
    token = csrf_token(client, "/organisations/")
    response = client.post("/organisations/1/delete", data={"csrf_token": token},
                           follow_redirects=True)
    assert "Demo Trust cannot be deleted because 1 volunteer" in response.get_data(as_text=True)
    client.post(f"/organisations/{empty}/delete", data={"csrf_token": token})
    assert count(app, Organisation) == 1


@pytest.mark.parametrize("changes,message", [
    ({"name": ""}, "Enter the volunteer&#39;s full name"),
    ({"name": "N" * 101}, "Full name must be 100 characters or fewer"),
    ({"organisation_id": ""}, "Choose an organisation from the list"),
    ({"organisation_id": "999"}, "Choose an organisation from the list"),
    ({"organisation_id": "abc"}, "Choose an organisation from the list"),
    ({"email": "not an email"}, "Enter an email address like name@example.org"),
    ({"phone": "0" * 31}, "Phone must be 30 characters or fewer"),
    ({"user_id": "1"}, "Choose a login from the list"),
])
def test_bad_volunteer_input_is_shown_on_the_form(app, client, login_as, changes, message):
    make_volunteer(app)
    login_as("organiser")
    data = {"name": "Jo", "organisation_id": "1", "user_id": "", **changes}
    text = post(client, "/volunteers/new", data).get_data(as_text=True)
    assert "There is a problem" in text and message in text, text
    assert count(app, Volunteer) == 1


def test_a_volunteer_is_linked_to_a_login_and_changed(app, client, login_as, make_user):
    volunteer_id, _ = make_volunteer(app)
    login = make_user("volunteer", email="val@test.example")
    login_as("organiser")
    form = client.get(f"/volunteers/{volunteer_id}/edit").get_data(as_text=True)
    assert "val@test.example" in form and "organiser@test.example" not in form
    response = post(client, f"/volunteers/{volunteer_id}/edit", {
        "name": "Sam Okafor", "organisation_id": "1", "job_title": "Mentor", "user_id": login})
    assert response.status_code == 302
    page = client.get(f"/volunteers/{volunteer_id}").get_data(as_text=True)
    assert "Mentor" in page and "Linked" in page
    with app.app_context():
        assert db.session.get(Volunteer, volunteer_id).user_id == login


def test_archive_and_bring_back_a_volunteer(app, client, login_as):
    volunteer_id, _ = make_volunteer(app)
    login_as("organiser")
    token = csrf_token(client, f"/volunteers/{volunteer_id}")
    client.post(f"/volunteers/{volunteer_id}/archive", data={"csrf_token": token})
    assert "Archived" in client.get("/volunteers/").get_data(as_text=True)
    with app.app_context():
        assert services.volunteers_for_roster() == []
    client.post(f"/volunteers/{volunteer_id}/unarchive", data={"csrf_token": token})
    with app.app_context():
        assert len(services.volunteers_for_roster()) == 1


def clearance_form(**changes) -> dict:
    """A clearance form filled in as a browser sends it, with some fields changed."""
    day = today()
    values = {"state": "cleared", "submitted_on": (day - timedelta(days=40)).isoformat(),
              "cleared_on": (day - timedelta(days=20)).isoformat(),
              "expires_on": (day + timedelta(days=300)).isoformat(), "id_type": "passport"}
    return {**values, **changes}


def test_organiser_records_a_clearance_and_sees_it_per_prison(app, client, login_as):
    volunteer_id, prison_id = make_volunteer(app)
    login_as("organiser")
    page = client.get(f"/volunteers/{volunteer_id}").get_data(as_text=True)
    assert "HMP Wormwood Scrubs (WSI)" in page and "Not started" in page
    path = f"/volunteers/{volunteer_id}/clearances/{prison_id}"
    response = post(client, path, clearance_form())
    assert response.headers["Location"] == f"/volunteers/{volunteer_id}"
    page = client.get(f"/volunteers/{volunteer_id}").get_data(as_text=True)
    assert "Clearance at HMP Wormwood Scrubs saved." in page and "Passport" in page
    assert "WSI: Cleared" in client.get("/volunteers/").get_data(as_text=True)
    assert 'selected' in client.get(path).get_data(as_text=True)
    with app.app_context():
        assert clearance_on(volunteer_id, prison_id, today()).cleared


@pytest.mark.parametrize("changes,message", [
    ({"cleared_on": "2026-02-31"}, "Enter a real date"),
    ({"submitted_on": "31/02/2026"}, "Enter a real date"),
    ({"cleared_on": ""}, "Enter the date the volunteer was cleared"),
    ({"cleared_on": (date.today() + timedelta(days=400)).isoformat()},
     "The date cleared must be today or in the past"),
    ({"expires_on": (date.today() - timedelta(days=100)).isoformat()},
     "The expiry date must be on or after the date cleared"),
    ({"submitted_on": (date.today() - timedelta(days=5)).isoformat()},
     "The date submitted must be on or before the date cleared"),
    ({"state": "approved"}, "Choose the state of the clearance"),
    ({"state": ""}, "Choose the state of the clearance"),
    ({"id_type": "library_card"}, "Choose the type of ID seen from the list"),
])
def test_bad_clearance_input_is_shown_and_nothing_is_saved(app, client, login_as, changes,
                                                           message):
    volunteer_id, prison_id = make_volunteer(app)
    login_as("organiser")
    response = post(client, f"/volunteers/{volunteer_id}/clearances/{prison_id}",
                    clearance_form(**changes))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in text and message in text
    assert count(app, Clearance) == 0


def test_a_new_clearance_at_an_archived_prison_is_explained(app, client, login_as):
    volunteer_id, prison_id = make_volunteer(app)
    with app.app_context():
        set_archived(prison_id, True, None)
    login_as("organiser")
    text = post(client, f"/volunteers/{volunteer_id}/clearances/{prison_id}",
                clearance_form()).get_data(as_text=True)
    assert "HMP Wormwood Scrubs is archived" in text
    assert count(app, Clearance) == 0


@pytest.mark.parametrize("method,path", [
    ("get", "/volunteers/999"), ("get", "/volunteers/999/edit"),
    ("post", "/volunteers/999/edit"), ("post", "/volunteers/999/archive"),
    ("get", "/volunteers/999/clearances/1"), ("post", "/volunteers/999/clearances/1"),
    ("get", "/volunteers/1/clearances/999"), ("post", "/volunteers/1/clearances/999"),
    ("get", "/organisations/999/edit"), ("post", "/organisations/999/edit"),
    ("post", "/organisations/999/delete"),
])
def test_an_unknown_id_is_not_found(app, client, login_as, method, path):
    make_volunteer(app)
    login_as("organiser")
    token = csrf_token(client, "/volunteers/new")
    response = getattr(client, method)(path, data={**clearance_form(), "csrf_token": token})
    assert response.status_code == 404


def test_markup_in_a_volunteer_is_shown_as_text(app, client, login_as):
    volunteer_id, _ = make_volunteer(app, name="<script>alert(1)</script>",
                                     job_title="<b>boss</b>")
    login_as("auditor")
    for path in ("/volunteers/", f"/volunteers/{volunteer_id}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
        assert "<b>boss</b>" not in page


def test_the_auditor_reads_but_sees_nothing_to_change(app, client, login_as):
    volunteer_id, _ = make_volunteer(app)
    login_as("auditor")
    listing = client.get("/volunteers/").get_data(as_text=True)
    assert "Sam Okafor" in listing and "Add a volunteer" not in listing
    page = client.get(f"/volunteers/{volunteer_id}").get_data(as_text=True)
    assert "Sam Okafor" in page
    assert "Archive volunteer" not in page and "clearances/" not in page
    assert "Add an organisation" not in client.get("/organisations/").get_data(as_text=True)


def log_in_as(client, make_user, role: str) -> str:
    """Log the client in with the role (or stay anonymous); a CSRF token to post with."""
    if role == "anonymous":
        return csrf_token(client, "/login")
    make_user(role, email=f"{role}@test.example")
    assert log_in(client, f"{role}@test.example").status_code == 302
    return csrf_token(client, "/")


def refused(response, role: str) -> bool:
    """Whether the role was turned away: sent to log in, or 403."""
    if role == "anonymous":
        return response.status_code == 302 and "/login?next=" in response.headers["Location"]
    return response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_and_change_volunteers(app, client, make_user, role):
    volunteer_id, prison_id = make_volunteer(app)
    with app.app_context():
        empty = services.create_organisation(OrganisationDetails("Empty", "other"), None).id
    token = log_in_as(client, make_user, role)
    gets = [(f"/volunteers/{volunteer_id}", READERS),
            (f"/volunteers/{volunteer_id}/edit", PLANNERS),
            (f"/volunteers/{volunteer_id}/clearances/{prison_id}", PLANNERS),
            (f"/organisations/{empty}/edit", PLANNERS)]
    for path, allowed in gets:
        response = client.get(path)
        assert response.status_code == 200 if role in allowed else refused(response, role), path
    posts = [(f"/volunteers/{volunteer_id}/edit", {"name": "New name", "organisation_id": "1"}),
             (f"/volunteers/{volunteer_id}/archive", {}),
             (f"/volunteers/{volunteer_id}/clearances/{prison_id}", clearance_form()),
             (f"/organisations/{empty}/edit", {"name": "Renamed", "kind": "other"}),
             (f"/organisations/{empty}/delete", {})]
    for path, data in posts:
        response = client.post(path, data={**data, "csrf_token": token})
        if role in PLANNERS:
            assert response.status_code == 302 and "/login" not in response.headers["Location"]
        else:
            assert refused(response, role), path
    with app.app_context():
        volunteer = db.session.get(Volunteer, volunteer_id)
        renamed, archived = volunteer.name == "New name", volunteer.archived
    changed = (renamed, archived, count(app, Clearance) == 1, count(app, Organisation) == 1)
    assert changed == ((True,) * 4 if role in PLANNERS else (False,) * 4)


@pytest.mark.parametrize("role,sees", [("volunteer", False), ("auditor", True),
                                       ("organiser", True), ("admin", True)])
def test_volunteers_in_the_navigation_and_current_on_organisations(client, login_as, role,
                                                                   sees):
    login_as(role)
    assert ('href="/volunteers/"' in client.get("/").get_data(as_text=True)) is sees
    if sees:
        page = client.get("/organisations/").get_data(as_text=True)
        assert 'href="/volunteers/" aria-current="page"' in page


# --- demo data --------------------------------------------------------------------------------

def test_demo_data_has_prisons_organisations_and_volunteers_cleared_at_wsi(app_context):
    seed(DEFAULT_PASSWORD)
    seed(DEFAULT_PASSWORD)  # a second run adds nothing
    from inreach.prisons.services import all_prisons

    prisons = {prison.code: prison for prison in all_prisons()}
    assert set(prisons) == {"WSI", "PVI", "WWI", "BAI", "BXI"}
    assert all(prison.email.endswith("@example.org") for prison in prisons.values())
    assert all(prison.phone.startswith("020 7946 0") for prison in prisons.values())
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 3
    volunteers = services.volunteers_for_roster()
    assert len(volunteers) == len(DEMO_VOLUNTEERS) == 6
    assert sum(volunteer.user_id is not None for volunteer in volunteers) == 1
    soon = today() + timedelta(days=90)
    states = [clearance_on(volunteer.id, prisons["WSI"].id, soon).state
              for volunteer in volunteers]
    assert sorted(states) == ["cleared"] * 4 + ["not_started", "submitted"]
