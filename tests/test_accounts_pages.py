"""Account pages through HTTP: adding and disabling users, changing a password."""

from sqlalchemy import func, select

from inreach.accounts.models import User
from inreach.audit.models import AuditEvent
from inreach.database import db

from .conftest import PASSWORD, csrf_token, log_in

NEW_USER = {"email": "Vic@Test.example", "display_name": "Vic Volunteer", "role": "volunteer",
            "password": "a long first password"}


def users_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def post_new_user(client, **changes):
    data = {**NEW_USER, **changes, "csrf_token": csrf_token(client, "/users/new")}
    return client.post("/users/new", data=data)


def test_admin_adds_a_user_who_can_then_log_in(app, client, login_as):
    login_as("admin")
    response = post_new_user(client)
    assert response.status_code == 302
    listing = client.get("/users").get_data(as_text=True)
    assert "vic@test.example" in listing and "Vic Volunteer" in listing
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) \
            == "user.created"
    other = app.test_client()
    assert log_in(other, "vic@test.example", "a long first password").status_code == 302


def test_bad_new_user_input_is_shown_on_the_form_and_nothing_is_saved(app, client, login_as):
    login_as("admin")
    before = users_count(app)
    cases = [
        ({"email": ""}, "Enter an email address"),
        ({"email": "not-an-email"}, "Enter an email address in the correct format"),
        ({"email": "x" * 250 + "@t.example"}, "254 characters or fewer"),
        ({"display_name": ""}, "Enter the person&#39;s name"),
        ({"display_name": "n" * 101}, "100 characters or fewer"),
        ({"role": "superuser"}, "Not a valid choice"),
        ({"password": "short"}, "Password must be 12 to 128 characters"),
        ({"email": "admin@test.example"}, "A user with this email address already exists"),
    ]
    for changes, message in cases:
        response = post_new_user(client, **changes)
        text = response.get_data(as_text=True)
        assert response.status_code == 200, changes
        assert message in text, (changes, message)
        assert "There is a problem" in text
    assert users_count(app) == before


def test_markup_in_a_name_is_shown_as_text(app, client, login_as):
    login_as("admin")
    post_new_user(client, display_name="<script>alert(1)</script>")
    listing = client.get("/users").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing


def test_admin_disables_and_enables_a_user(app, client, login_as, make_user):
    login_as("admin")
    target = make_user("volunteer")
    token = csrf_token(client, "/users")
    client.post(f"/users/{target}/disable", data={"csrf_token": token})
    assert "Disabled" in client.get("/users").get_data(as_text=True)
    assert log_in(app.test_client(), "volunteer@test.example").status_code == 200
    client.post(f"/users/{target}/enable", data={"csrf_token": token})
    assert log_in(app.test_client(), "volunteer@test.example").status_code == 302


def test_admin_cannot_disable_themselves(client, login_as):
    admin_id = login_as("admin")
    token = csrf_token(client, "/users")
    response = client.post(f"/users/{admin_id}/disable", data={"csrf_token": token},
                           follow_redirects=True)
    assert "You cannot disable your own account" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_disabling_an_unknown_user_is_a_404(client, login_as):
    login_as("admin")
    token = csrf_token(client, "/users")
    assert client.post("/users/9999/disable", data={"csrf_token": token}).status_code == 404


def change_password(client, current, new, confirm=None):
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", data={
        "current": current, "password": new, "confirm": confirm or new, "csrf_token": token})


def test_user_changes_their_password(app, client, login_as):
    login_as("volunteer")
    response = change_password(client, PASSWORD, "a much better password")
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session carries on
    assert log_in(app.test_client(), "volunteer@test.example", PASSWORD).status_code == 200
    assert log_in(app.test_client(), "volunteer@test.example",
                  "a much better password").status_code == 302


def test_password_change_errors_are_shown_by_the_field(client, login_as):
    login_as("volunteer")
    cases = [
        (("wrong current pw", "a much better password", None), "current password is not correct"),
        ((PASSWORD, "short", None), "New password must be 12 to 128 characters"),
        ((PASSWORD, "a much better password", "something else!!"), "do not match"),
        ((PASSWORD, "volunteer@test.example", None), "must not be your email address"),
    ]
    for args, message in cases:
        response = change_password(client, *args)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), message
