"""The security baseline seen through HTTP: headers, CSRF, sessions, redirects, error pages."""

import time

import pytest
from sqlalchemy import select, update

from inreach.accounts.models import LoginSession
from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db, utcnow

from .conftest import PASSWORD, csrf_token, log_in


def test_every_response_carries_the_security_headers(client, login_as):
    for response in (client.get("/login"), client.get("/nowhere"), client.get("/healthz")):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"


def test_logged_in_pages_are_not_stored(client, login_as):
    login_as("admin")
    for path in ("/", "/users", "/audit/", "/account/password"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_pages_have_no_inline_script(client, login_as):
    login_as("admin")
    for path in ("/login", "/", "/users", "/users/new", "/audit/"):
        page = client.get(path).get_data(as_text=True)
        for chunk in page.split("<script")[1:]:
            assert ' src="' in chunk.split(">")[0], f"inline script on {path}"


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, make_user, app):
    make_user("organiser")
    response = client.post("/login", data={"email": "organiser@test.example",
                                           "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not logged in


def test_logout_without_csrf_token_is_refused(client, login_as):
    login_as("volunteer")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in


def test_logout_is_a_post(client, login_as):
    login_as("volunteer")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_login_message_is_the_same_for_unknown_user_and_wrong_password(client, make_user):
    make_user("organiser")
    wrong = log_in(client, "organiser@test.example", "wrong password here")
    unknown = log_in(client, "nobody@test.example", "wrong password here")
    assert wrong.status_code == unknown.status_code == 200
    message = "Enter a correct email address and password."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_empty_and_over_long_login_fields_get_messages(client):
    token = csrf_token(client, "/login")
    page = client.post("/login", data={"email": "", "password": "", "csrf_token": token})
    text = page.get_data(as_text=True)
    assert "Enter your email address" in text and "Enter your password" in text
    assert "There is a problem" in text
    page = client.post("/login", data={"email": "a" * 300 + "@x.org", "password": "p" * 500,
                                       "csrf_token": token})
    assert "254 characters or fewer" in page.get_data(as_text=True)


def test_eleventh_attempt_gets_429_even_with_the_right_password(client, make_user):
    make_user("organiser")
    make_user("volunteer")
    for _ in range(10):
        assert log_in(client, "organiser@test.example", "wrong password here").status_code == 200
    locked = log_in(client, "organiser@test.example")
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    assert log_in(client, "volunteer@test.example").status_code == 302


def test_a_disabled_account_gets_the_same_message_as_a_wrong_password(client, make_user, app):
    make_user("admin")
    user_id = make_user("volunteer")
    with app.app_context():
        from inreach.accounts.services import set_active

        set_active(user_id, False, actor_id=1)
    page = log_in(client, "volunteer@test.example")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Enter a correct email address and password." in text
    assert "disabled" not in text.lower()


def session_cookie(client):
    return client.get_cookie("inreach_session")


def test_cookie_flags(client, make_user):
    make_user("organiser")
    response = log_in(client, "organiser@test.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here


def test_cookie_is_secure_over_https(app, make_user):
    make_user("organiser")
    client = app.test_client()
    response = log_in(client, "organiser@test.example")
    https = app.test_client()
    token = csrf_token(https, "https://localhost/login")
    response = https.post("https://localhost/login", data={
        "email": "organiser@test.example", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_session_is_renewed_at_login(client, make_user):
    make_user("organiser")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    log_in(client, "organiser@test.example")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["sid"]


def test_logout_invalidates_a_copied_cookie(app, client, login_as):
    login_as("organiser")
    stolen = session_cookie(client).value
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("inreach_session", stolen)
    assert thief.get("/").status_code == 302


def test_disabling_a_user_invalidates_their_cookie(app, client, login_as, make_user):
    user_id = login_as("volunteer")
    admin = app.test_client()
    make_user("admin")
    log_in(admin, "admin@test.example")
    token = csrf_token(admin, "/users")
    response = admin.post(f"/users/{user_id}/disable", data={"csrf_token": token})
    assert response.status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_idle_timeout_logs_out(client, login_as):
    login_as("organiser")
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60
    response = client.get("/")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were logged out" in page


def test_activity_keeps_the_session_alive(client, login_as):
    login_as("organiser")
    with client.session_transaction() as session:
        session["seen"] = time.time() - 29 * 60
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["seen"] < 60


def test_absolute_timeout_logs_out(app, client, login_as):
    login_as("organiser")
    with app.app_context():
        begin_write()
        db.session.execute(update(LoginSession).values(
            created_at=utcnow().replace(year=utcnow().year - 1)))
        db.session.commit()
    assert client.get("/").status_code == 302


def test_timeouts_are_configurable(make_app, make_user):
    app = make_app(create_tables=False, SESSION_IDLE_MINUTES=5)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    with app.app_context():
        from inreach.accounts.services import create_user

        create_user("o@test.example", "O", "organiser", PASSWORD)
    log_in(client, "o@test.example")
    with client.session_transaction() as session:
        session["seen"] = time.time() - 6 * 60
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target,expected", [
    ("/users", "/users"),
    ("/audit/?page=2", "/audit/?page=2"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_redirects_only_to_local_paths(client, make_user, target, expected):
    make_user("admin")
    response = log_in(client, "admin@test.example", next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/users")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/users"


def test_unknown_url_gets_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_wrong_role_gets_a_friendly_403(client, login_as):
    login_as("volunteer")
    response = client.get("/users")
    assert response.status_code == 403
    assert "You do not have access" in response.get_data(as_text=True)


def test_a_bug_gets_a_500_page_without_a_traceback(app):
    from inreach.accounts.access import public

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret detail A1234BC")

    app.config["TESTING"] = False  # let the error handler answer instead of re-raising
    response = app.test_client().get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in text
    assert "Traceback" not in text and "A1234BC" not in text


def test_logins_and_failures_are_audited_without_personal_data(app, client, make_user):
    make_user("organiser")
    log_in(client, "organiser@test.example", "wrong password here")
    log_in(client, "organiser@test.example")
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    actions = [row.action for row in rows]
    assert actions[-2:] == ["login.failed", "login"]
    for row in rows:
        assert "organiser@test.example" not in f"{row.object_id} {row.detail}"


def test_a_clash_caught_by_the_database_is_a_409_and_nothing_is_saved(app, client):
    from inreach.accounts.access import public
    from inreach.prisons.models import Prison

    @app.route("/race", methods=["POST"])
    @public
    def race():
        """What a request loses when another saved the same code a moment before."""
        begin_write()
        db.session.add(Prison(code="WSI", name="First"))
        db.session.add(Prison(code="WSI", name="Second"))
        db.session.commit()
        return "saved"

    app.config["TESTING"] = False
    token = csrf_token(client, "/login")
    response = client.post("/race", data={"csrf_token": token})
    assert response.status_code == 409
    assert "Someone else changed this at the same moment" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Prison.id)) is None
