"""Prisons: the rules in prisons/services.py called directly, then the pages through HTTP."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db
from inreach.errors import DomainError
from inreach.prisons import services
from inreach.prisons.models import Prison
from inreach.prisons.services import PrisonDetails
from inreach.visits.models import Visit
from inreach.volunteers.models import Clearance, Organisation, Volunteer

from .conftest import csrf_token, log_in

ROLES = ["anonymous", "volunteer", "auditor", "organiser", "admin"]
PLANNERS = {"organiser", "admin"}
READERS = PLANNERS | {"auditor"}
FORM = {"name": "HMP Wormwood Scrubs", "code": "wsi", "address": "1 Demo Road, London",
        "phone": "020 7946 0101", "email": "wsi.visits@example.org",
        "visiting_notes": "Passport or driving licence. No phones."}


def details(**changes) -> PrisonDetails:
    """Prison details as a form would give them, with some changed."""
    return PrisonDetails(**{**FORM, **changes})


def add_prison(app, **changes) -> int:
    """A prison in the database; returns its id."""
    with app.app_context():
        return services.create_prison(details(**changes), actor_id=None).id


def prison_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Prison))


def add_clearance(prison_id: int) -> None:
    """A volunteer with a clearance at the prison (inside an app context)."""
    organisation = Organisation(name="Demo Trust", kind="nhs_trust")
    volunteer = Volunteer(name="Vee", organisation=organisation)
    begin_write()
    db.session.add(Clearance(volunteer=volunteer, prison_id=prison_id, state="submitted"))
    db.session.commit()


def add_visit(prison_id: int) -> None:
    """A visit at the prison (inside an app context)."""
    day = date.today() + timedelta(days=30)
    begin_write()
    db.session.add(Visit(prison_id=prison_id, date=day, title="Day", gate_list_deadline=day))
    db.session.commit()


# --- services ---------------------------------------------------------------------------------

@pytest.fixture
def actor(app_context, make_user) -> int:
    """The id of an organiser who makes the changes."""
    return make_user("organiser")


def test_create_prison_trims_capitalises_the_code_and_audits(actor):
    prison = services.create_prison(details(code=" wsi ", name=" HMP Wormwood Scrubs "), actor)
    assert (prison.code, prison.name, prison.archived) == ("WSI", "HMP Wormwood Scrubs", False)
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (event.action, event.actor_id, event.object_type, event.object_id) == \
        ("prison.created", actor, "prison", str(prison.id))


@pytest.mark.parametrize("changes,code,field", [
    ({"name": "  "}, "name_missing", "name"),
    ({"code": ""}, "bad_code", "code"),
    ({"code": "WS"}, "bad_code", "code"),
    ({"code": "WSIX"}, "bad_code", "code"),
    ({"code": "W5I"}, "bad_code", "code"),
    ({"code": "ŴSI"}, "bad_code", "code"),
    ({"name": "H" * 121}, "too_long", "name"),
    ({"phone": "0" * 31}, "too_long", "phone"),
    ({"email": "e" * 250 + "@x.org"}, "too_long", "email"),
    ({"visiting_notes": "n" * 2001}, "too_long", "visiting_notes"),
    ({"address": "a" * 2001}, "too_long", "address"),
])
def test_create_prison_refuses_bad_details_and_saves_nothing(app_context, changes, code, field):
    with pytest.raises(DomainError) as refused:
        services.create_prison(details(**changes), None)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert db.session.scalar(select(func.count()).select_from(Prison)) == 0


def test_codes_and_names_are_unique_whatever_the_case(app_context):
    services.create_prison(details(), None)
    with pytest.raises(DomainError) as refused:
        services.create_prison(details(name="Another prison", code="Wsi"), None)
    assert refused.value.code == "duplicate_code"
    with pytest.raises(DomainError) as refused:
        services.create_prison(details(name="hmp wormwood scrubs", code="PVI"), None)
    assert refused.value.code == "duplicate_name"


def test_update_keeps_its_own_code_but_not_another_prisons(actor):
    scrubs = services.create_prison(details(), None)
    services.create_prison(details(name="HMP Pentonville", code="PVI"), None)
    services.update_prison(scrubs.id, details(phone="020 7946 0999"), actor)
    assert scrubs.phone == "020 7946 0999"
    with pytest.raises(DomainError) as refused:
        services.update_prison(scrubs.id, details(code="PVI"), actor)
    assert refused.value.code == "duplicate_code"
    db.session.rollback()
    assert db.session.get(Prison, scrubs.id).code == "WSI"


def test_update_of_an_unknown_prison_is_not_found(actor):
    with pytest.raises(DomainError) as refused:
        services.update_prison(999, details(), actor)
    assert refused.value.code == "not_found"


def test_archived_prisons_are_not_offered_for_new_visits(actor):
    scrubs = services.create_prison(details(), None)
    brixton = services.create_prison(details(name="HMP Brixton", code="BXI"), None)
    services.set_archived(brixton.id, True, actor)
    assert services.active_prisons() == [scrubs]
    assert services.all_prisons() == [scrubs, brixton]
    services.set_archived(brixton.id, False, actor)
    assert services.active_prisons() == [brixton, scrubs]


def test_an_unused_prison_can_be_deleted(actor):
    prison = services.create_prison(details(), None)
    assert services.delete_prison(prison.id, actor) == "HMP Wormwood Scrubs"
    assert db.session.get(Prison, prison.id) is None
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == \
        "prison.deleted"


@pytest.mark.parametrize("use,words", [(add_visit, "1 visit"), (add_clearance, "1 clearance")])
def test_a_used_prison_cannot_be_deleted_and_archiving_is_offered(actor, use, words):
    prison = services.create_prison(details(), None)
    use(prison.id)
    with pytest.raises(DomainError) as refused:
        services.delete_prison(prison.id, actor)
    assert refused.value.code == "prison_in_use"
    assert words in refused.value.message and "Archive it instead" in refused.value.message
    assert db.session.get(Prison, prison.id) is not None


def test_usage_counts_visits_and_clearances(app_context):
    prison = services.create_prison(details(), None)
    add_visit(prison.id)
    add_visit(prison.id)
    add_clearance(prison.id)
    assert services.usage(prison.id) == (2, 1)


# --- pages ------------------------------------------------------------------------------------

def post_prison(client, path="/prisons/new", **changes):
    return client.post(path, data={**FORM, **changes, "csrf_token": csrf_token(client, path)})


def test_organiser_adds_a_prison_and_sees_it_listed(app, client, login_as):
    login_as("organiser")
    response = post_prison(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "HMP Wormwood Scrubs added." in page and "Prison WSI" in page
    assert "No phones." in page
    listing = client.get("/prisons/").get_data(as_text=True)
    assert "HMP Wormwood Scrubs" in listing and ">WSI<" in listing


@pytest.mark.parametrize("changes,message", [
    ({"name": ""}, "Enter the prison&#39;s name"),
    ({"name": "H" * 121}, "Name must be 120 characters or fewer"),
    ({"code": ""}, "Enter the prison&#39;s code: 3 letters, like WSI"),
    ({"code": "W1"}, "Enter the prison&#39;s code: 3 letters, like WSI"),
    ({"email": "not an email"}, "Enter an email address like name@example.org"),
    ({"phone": "0" * 31}, "Main phone must be 30 characters or fewer"),
    ({"visiting_notes": "n" * 2001}, "Visiting notes must be 2000 characters or fewer"),
])
def test_bad_prison_input_is_shown_on_the_form_and_nothing_is_saved(app, client, login_as,
                                                                    changes, message):
    login_as("organiser")
    response = post_prison(client, **changes)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in text and message in text
    assert prison_count(app) == 0


def test_a_duplicate_code_is_shown_on_the_form(app, client, login_as):
    add_prison(app)
    login_as("admin")
    text = post_prison(client, name="Somewhere else").get_data(as_text=True)
    assert "Another prison has the code WSI" in text and 'href="#code"' in text
    assert prison_count(app) == 1


def test_organiser_changes_a_prison(app, client, login_as):
    prison_id = add_prison(app)
    login_as("organiser")
    response = post_prison(client, f"/prisons/{prison_id}/edit", phone="020 7946 0777")
    assert response.status_code == 302
    assert "020 7946 0777" in client.get(f"/prisons/{prison_id}").get_data(as_text=True)


def test_the_edit_form_shows_the_current_details(app, client, login_as):
    prison_id = add_prison(app)
    login_as("organiser")
    page = client.get(f"/prisons/{prison_id}/edit").get_data(as_text=True)
    assert 'value="HMP Wormwood Scrubs"' in page and "No phones." in page


def test_archive_and_bring_back(app, client, login_as):
    prison_id = add_prison(app)
    login_as("organiser")
    token = csrf_token(client, f"/prisons/{prison_id}")
    response = client.post(f"/prisons/{prison_id}/archive", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get(f"/prisons/{prison_id}").get_data(as_text=True)
    assert "archived: it can no longer be chosen for new visits" in page
    with app.app_context():
        assert services.active_prisons() == []
    client.post(f"/prisons/{prison_id}/unarchive", data={"csrf_token": token})
    with app.app_context():
        assert [prison.id for prison in services.active_prisons()] == [prison_id]


def test_deleting_a_used_prison_explains_and_offers_archive(app, client, login_as):
    prison_id = add_prison(app)
    with app.app_context():
        add_clearance(prison_id)
    login_as("organiser")
    page = client.get(f"/prisons/{prison_id}").get_data(as_text=True)
    assert "Delete prison" not in page and "cannot be deleted" in page
    token = csrf_token(client, f"/prisons/{prison_id}")
    response = client.post(f"/prisons/{prison_id}/delete", data={"csrf_token": token},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "cannot be deleted because it is used by 1 clearance" in text
    assert "Archive prison" in text
    assert prison_count(app) == 1


def test_deleting_an_unused_prison(app, client, login_as):
    prison_id = add_prison(app)
    login_as("admin")
    token = csrf_token(client, f"/prisons/{prison_id}")
    response = client.post(f"/prisons/{prison_id}/delete", data={"csrf_token": token})
    assert response.headers["Location"] == "/prisons/"
    assert prison_count(app) == 0


@pytest.mark.parametrize("method,path", [
    ("get", "/prisons/999"), ("get", "/prisons/999/edit"), ("post", "/prisons/999/edit"),
    ("post", "/prisons/999/archive"), ("post", "/prisons/999/delete"),
])
def test_an_unknown_prison_is_not_found(client, login_as, method, path):
    login_as("organiser")
    token = csrf_token(client, "/prisons/new")
    response = getattr(client, method)(path, data={**FORM, "csrf_token": token})
    assert response.status_code == 404


def test_a_post_without_a_csrf_token_is_refused(app, client, login_as):
    login_as("organiser")
    assert client.post("/prisons/new", data=FORM).status_code == 400
    assert prison_count(app) == 0


def test_markup_is_shown_as_text(app, client, login_as):
    prison_id = add_prison(app, name="<b>HMP</b>", visiting_notes="<script>alert(1)</script>")
    login_as("auditor")
    listing = client.get("/prisons/").get_data(as_text=True)
    assert "<b>HMP</b>" not in listing and "&lt;b&gt;HMP&lt;/b&gt;" in listing
    page = client.get(f"/prisons/{prison_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_the_auditor_reads_but_sees_no_buttons_to_change(app, client, login_as):
    prison_id = add_prison(app)
    login_as("auditor")
    assert "Add a prison" not in client.get("/prisons/").get_data(as_text=True)
    page = client.get(f"/prisons/{prison_id}").get_data(as_text=True)
    assert "HMP Wormwood Scrubs" in page
    assert "Archive prison" not in page and "Change the prison" not in page


def log_in_as(client, make_user, role: str) -> str:
    """Log the client in with the role (or stay anonymous); a CSRF token to post with."""
    if role == "anonymous":
        return csrf_token(client, "/login")
    make_user(role)
    assert log_in(client, f"{role}@test.example").status_code == 302
    return csrf_token(client, "/")


def expected_status(role: str, allowed: set[str]) -> int:
    """What a role gets from an endpoint: the page (200/302), 403, or a redirect to log in."""
    if role == "anonymous":
        return 302
    return 403 if role not in allowed else 200


@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_and_change_a_prison(app, client, make_user, role):
    prison_id = add_prison(app)
    token = log_in_as(client, make_user, role)
    for path, allowed in [(f"/prisons/{prison_id}", READERS),
                          (f"/prisons/{prison_id}/edit", PLANNERS)]:
        response = client.get(path)
        assert response.status_code == expected_status(role, allowed), (path, role)
        if role == "anonymous":
            assert "/login?next=" in response.headers["Location"]
    posts = [f"/prisons/{prison_id}/edit", f"/prisons/{prison_id}/archive",
             f"/prisons/{prison_id}/unarchive", f"/prisons/{prison_id}/delete"]
    for path in posts:
        response = client.post(path, data={**FORM, "csrf_token": token})
        if role in PLANNERS:
            assert response.status_code == 302 and "/login" not in response.headers["Location"]
        else:
            assert response.status_code == expected_status(role, PLANNERS), (path, role)
    assert prison_count(app) == (0 if role in PLANNERS else 1)


@pytest.mark.parametrize("role,sees", [("volunteer", False), ("auditor", True),
                                       ("organiser", True), ("admin", True)])
def test_prisons_in_the_navigation_and_current_on_its_pages(app, client, login_as, role, sees):
    prison_id = add_prison(app)
    login_as(role)
    home = client.get("/").get_data(as_text=True)
    assert ('href="/prisons/"' in home) is sees
    if sees:
        page = client.get(f"/prisons/{prison_id}").get_data(as_text=True)
        assert 'href="/prisons/" aria-current="page"' in page
