"""Two-step login (a code from an authenticator app after the password), recovery codes, the
administrator's reset, the demo exemption, and the login findings: the generic message for a
disabled account and the per-client limit. Services and HTTP against a real database."""

import hashlib
import hmac
import logging
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from inreach import create_app, security
from inreach.accounts import services, two_factor
from inreach.accounts.models import LoginFailure, LoginSession, RecoveryCode, User
from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db
from inreach.errors import DomainError
from inreach.site.models import DEMO, SiteSetting

from .conftest import PASSWORD, csrf_token, log_in


@pytest.fixture
def app(make_app):
    """The app with two-step login required, as in production."""
    return make_app(TWO_FACTOR_REQUIRED=True)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def sessions_of(user_id: int) -> int:
    return db.session.scalar(select(func.count()).where(LoginSession.user_id == user_id))


def next_code(secret: str) -> str:
    """The code of the next 30-second step: good once, even if this step's code was used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


class Clock:
    """The login code's clock stopped in the middle of a 30-second step, so a test that needs
    "the same step" or "the next step" cannot cross a step boundary while it runs."""

    def __init__(self, monkeypatch):
        step = int(time.time()) // 30
        self.now = datetime.fromtimestamp(step * 30 + 15, UTC)
        monkeypatch.setattr(two_factor, "utcnow", lambda: self.now)

    def code(self, secret: str, steps: int = 0) -> str:
        """The app's code at this clock's time, or that many steps later."""
        return pyotp.TOTP(secret).at(self.now + timedelta(seconds=30 * steps))


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def enrolled(app, role: str, email: str | None = None) -> tuple[int, str, list[str]]:
    """A user of the role with two-step login set up: id, secret and recovery codes (set up
    with the code of the login code's clock: stopped by ``clock``, else the real one)."""
    with app.app_context():
        user = services.create_user(email or f"{role}@test.example", f"Test {role}", role,
                                    PASSWORD)
        secret = two_factor.new_secret()
        codes, _ = two_factor.enrol(user.id, secret, pyotp.TOTP(secret).at(two_factor.utcnow()))
        return user.id, secret, codes


def set_up_key(page: str) -> str:
    """The key shown for typing into the app, without its spaces."""
    return page.split('data-testid="set-up-key">', 1)[1].split("<", 1)[0].replace(" ", "")


def send_code(client, code: str, path: str = "/login/code"):
    """Submit a code on the code (or set-up) page like a person would."""
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, path)})


def test_the_setting_is_on_unless_turned_off_and_off_warns(database_url, caplog):
    """Without TWO_FACTOR_REQUIRED in the config, administrators, organisers and auditors must
    set up two-step login and volunteers need not; turning it off is logged as a warning."""
    settings = {"TESTING": True, "SECRET_KEY": "test-secret-key", "DATABASE_URL": database_url,
                "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8192}
    caplog.set_level(logging.WARNING)
    app = create_app(settings)
    assert app.config["TWO_FACTOR_REQUIRED"] is True
    assert "TWO_FACTOR_REQUIRED is off" not in caplog.text
    try:
        with app.app_context():
            db.create_all()
            steps = {role: services.second_step(services.create_user(
                f"{role}@test.example", role, role, PASSWORD))
                for role in ("admin", "organiser", "auditor", "volunteer")}
            assert steps == {"admin": "enrol", "organiser": "enrol", "auditor": "enrol",
                             "volunteer": None}
            user, token = services.log_in("organiser@test.example", PASSWORD)
            assert token is None and sessions_of(user.id) == 0
            app.config["TWO_FACTOR_VOLUNTEERS"] = True
            volunteer = db.session.scalar(select(User).where(User.role == "volunteer"))
            assert services.second_step(volunteer) == "enrol"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    create_app({**settings, "TWO_FACTOR_REQUIRED": False})
    assert "TWO_FACTOR_REQUIRED is off" in caplog.text


def test_an_organiser_sets_up_two_step_login_before_anything_else(client, app):
    with app.app_context():
        user_id = services.create_user("organiser@test.example", "Olu", "organiser", PASSWORD).id
    response = log_in(client, "organiser@test.example", next_path="/visits/")
    assert response.headers["Location"] == "/login/set-up"
    assert client.get("/visits/").status_code == 302  # not signed in yet
    page = client.get("/login/set-up").get_data(as_text=True)
    assert "<svg" in page and 'aria-label="QR code for your authenticator app"' in page
    secret = set_up_key(page)
    assert set_up_key(client.get("/login/set-up").get_data(as_text=True)) == secret  # a reload

    wrong = send_code(client, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111",
                      "/login/set-up")
    assert wrong.status_code == 200
    assert "The code is not correct" in wrong.get_data(as_text=True)
    with app.app_context():
        assert sessions_of(user_id) == 0
        assert db.session.get(User, user_id).totp_secret is None

    done = send_code(client, pyotp.TOTP(secret).now(), "/login/set-up")
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "Save your recovery codes" in text
    assert text.count("<li><code>") == 10 and 'href="/visits/"' in text
    assert client.get("/visits/").status_code == 200
    with app.app_context():
        assert sessions_of(user_id) == 1
        assert db.session.get(User, user_id).totp_secret == secret
        assert audit_actions()[-4:] == ["login.password_accepted", "login.code_failed",
                                        "user.two_factor_enrolled", "login"]

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert log_in(client, "organiser@test.example").headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302
    signed_in = send_code(client, next_code(secret))
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
    assert client.get("/").status_code == 200

    later = app.test_client()  # a part-way login times out
    log_in(later, "organiser@test.example")
    with later.session_transaction() as session:
        assert "sid" not in session
        session["pending"] = {**session["pending"], "until": time.time() - 1}
    assert later.get("/login/code").headers["Location"] == "/login"
    assert "Log in again to carry on." in later.get("/login").get_data(as_text=True)


def test_wrong_codes_are_refused_on_the_field_and_throttled_with_wrong_passwords(client, app):
    """Wrong codes count towards the account's limit together with wrong passwords."""
    user_id, secret, _ = enrolled(app, "admin")
    for _ in range(5):
        log_in(client, "admin@test.example", "not the password!!")
    log_in(client, "admin@test.example")
    for _ in range(5):  # ten failures in all
        wrong = send_code(client, "12345x")
        assert wrong.status_code == 200
        assert 'id="code-error"' in wrong.get_data(as_text=True)
        assert two_factor.WRONG_CODE in wrong.get_data(as_text=True)
    throttled = send_code(client, next_code(secret))
    assert throttled.status_code == 429
    assert "Too many failed attempts" in throttled.get_data(as_text=True)
    with app.app_context():
        assert sessions_of(user_id) == 0
        actions = audit_actions()
        assert actions.count("login.code_failed") == 5 and actions[-1] == "login.throttled"


def test_a_code_and_a_recovery_code_each_log_in_once(app, clock):
    """An app's code is refused a second time (or after a later one); a recovery code signs in
    once; recovery codes are stored only as hashes."""
    user_id, secret, codes = enrolled(app, "organiser")
    with app.app_context():
        with pytest.raises(DomainError) as error:  # the code that set it up, a moment ago
            two_factor.verify_code(user_id, clock.code(secret))
        assert (error.value.code, error.value.field) == ("reused_code", "code")
        assert "already been used" in error.value.message
        code = clock.code(secret, steps=1)
        two_factor.verify_code(user_id, code)
        with pytest.raises(DomainError) as error:
            two_factor.verify_code(user_id, code)
        assert error.value.code == "reused_code"
        assert audit_actions().count("login.code_reused") == 2
        assert sessions_of(user_id) == 1

        assert len(set(codes)) == 10 and all(len(code) == 19 for code in codes)
        stored = list(db.session.scalars(select(RecoveryCode.code_hash)))
        assert len(stored) == 10
        assert not {code.replace("-", "") for code in codes} & set(stored)
        user, token = two_factor.verify_code(user_id, " " + codes[3].upper() + " ")
        assert token and audit_actions()[-2:] == ["user.recovery_code_used", "login"]
        assert db.session.scalar(select(AuditEvent.detail).order_by(AuditEvent.id.desc())
                                 ) == "second_factor=recovery_code"
        with pytest.raises(DomainError) as error:
            two_factor.verify_code(user_id, codes[3])
        assert error.value.code == "wrong_code"
        assert two_factor.recovery_codes_left(user_id) == 9


def test_an_administrator_resets_a_second_factor(client, app):
    admin_id, admin_secret, _ = enrolled(app, "admin")
    target_id, target_secret, _ = enrolled(app, "organiser")
    with app.app_context():
        two_factor.verify_code(target_id, next_code(target_secret))  # signed in somewhere
        with pytest.raises(DomainError) as error:
            two_factor.reset(admin_id, actor_id=admin_id)
        assert error.value.code == "self_reset"
    log_in(client, "admin@test.example")
    assert send_code(client, next_code(admin_secret)).status_code == 302
    listing = client.get("/users").get_data(as_text=True)
    assert "Reset two-step login" in listing
    token = csrf_token(client, "/users")
    response = client.post(f"/users/{target_id}/reset-two-step-login", data={"csrf_token": token})
    assert response.status_code == 302
    assert "has been reset" in client.get("/users").get_data(as_text=True)
    assert client.post("/users/9999/reset-two-step-login",
                       data={"csrf_token": token}).status_code == 404
    with app.app_context():
        user = db.session.get(User, target_id)
        assert user.totp_secret is None and user.totp_enrolled_at is None
        assert two_factor.recovery_codes_left(target_id) == 0
        assert sessions_of(target_id) == 0
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.actor_id, event.object_id) == (
            "user.two_factor_reset", admin_id, str(target_id))
    other = client.application.test_client()
    assert log_in(other, "organiser@test.example").headers["Location"] == "/login/set-up"

    # the only administrator, locked out, is reset from the command line
    result = app.test_cli_runner().invoke(args=["reset-two-step-login", "ADMIN@test.example"])
    assert result.exit_code == 0, result.output
    assert client.get("/users").status_code == 302  # their session ended
    with app.app_context():
        assert db.session.get(User, admin_id).totp_secret is None
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.actor_id, event.object_id) == (
            "user.two_factor_reset", None, str(admin_id))
    missing = app.test_cli_runner().invoke(args=["reset-two-step-login", "nobody@test.example"])
    assert missing.exit_code == 1 and "No user has that email address" in missing.output


def test_demo_accounts_on_a_demo_database_log_in_with_the_password_alone(client, app):
    from inreach.demo.seed import demo_email

    with app.app_context():
        for role in ("admin", "organiser"):
            services.create_user(demo_email(role), f"Demo {role}", role, PASSWORD)
        services.create_user("real.organiser@test.example", "Real", "organiser", PASSWORD)
    assert log_in(client, demo_email("organiser")).headers["Location"] == "/login/set-up"
    assert "demo accounts log in with their password alone" not in client.get(
        "/login").get_data(as_text=True)
    with app.app_context():
        begin_write()
        db.session.add(SiteSetting(key=DEMO, value="yes"))
        db.session.commit()
    assert "demo accounts log in with their password alone" in client.get(
        "/login").get_data(as_text=True)
    assert log_in(client, demo_email("organiser")).headers["Location"] == "/"
    fresh = app.test_client()
    assert log_in(fresh, demo_email("admin")).headers["Location"] == "/"
    fresh = app.test_client()
    assert log_in(fresh, "real.organiser@test.example").headers["Location"] == "/login/set-up"


def test_a_volunteer_may_choose_two_step_login(client, app):
    with app.app_context():
        services.create_user("volunteer@test.example", "Val", "volunteer", PASSWORD)
    assert log_in(client, "volunteer@test.example").headers["Location"] == "/"
    secret = set_up_key(client.get("/account/two-step-login").get_data(as_text=True))
    done = send_code(client, pyotp.TOTP(secret).now(), "/account/two-step-login")
    assert "Save your recovery codes" in done.get_data(as_text=True)
    assert "10 unused recovery codes" in client.get("/account/two-step-login").get_data(
        as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert log_in(client, "volunteer@test.example").headers["Location"] == "/login/code"


def test_a_disabled_account_gets_the_generic_message(client, app):
    with app.app_context():
        admin = services.create_user("admin@test.example", "Ada", "admin", PASSWORD)
        user = services.create_user("volunteer@test.example", "Val", "volunteer", PASSWORD)
        services.set_active(user.id, False, actor_id=admin.id)
    disabled = log_in(client, "volunteer@test.example").get_data(as_text=True)
    wrong = log_in(client, "volunteer@test.example", "not the password!!").get_data(as_text=True)
    assert services.GENERIC_LOGIN_ERROR in disabled and services.GENERIC_LOGIN_ERROR in wrong
    assert "disabled" not in disabled.lower()
    with app.app_context():
        assert "login.refused_disabled" in audit_actions()


def test_one_client_cannot_try_many_accounts(make_app):
    app = make_app(TWO_FACTOR_REQUIRED=True, LOGIN_CLIENT_MAX_FAILURES=3)
    with app.app_context():
        services.create_user("volunteer@test.example", "Val", "volunteer", PASSWORD)
    client = app.test_client()
    for name in ("ann", "bob", "cat"):  # one failure on each of three accounts
        assert log_in(client, f"{name}@test.example").status_code == 200
    refused = log_in(client, "volunteer@test.example")
    assert refused.status_code == 429
    assert "Too many failed attempts to log in from this device" in refused.get_data(
        as_text=True)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert log_in(elsewhere, "volunteer@test.example").headers["Location"] == "/"
    with app.app_context():
        keys = list(db.session.scalars(select(LoginFailure.client_key)))
        assert len(keys) == 3 and len(set(keys)) == 1 and len(keys[0]) == 64
        assert "127.0.0.1" not in keys[0]
        assert audit_actions().count("login.client_throttled") == 1


def test_failure_keys_are_one_keyed_hash_unchanged_by_the_move(app):
    """Logins and answer links count failures by one keyed hash of the client's address, per
    purpose; the values are those stored before (so counts carry on across an upgrade)."""
    from inreach.followup import answers

    def old(message: str) -> str:
        return hmac.new(b"test-secret-key", message.encode(), hashlib.sha256).hexdigest()

    with app.test_request_context():
        assert app.config["SECRET_KEY"] == "test-secret-key"
        assert services._client_key("192.0.2.7") == old("client:192.0.2.7")
        assert services._client_key(None) is None
        assert services._account_key(" Ann@Test.example") == old("ann@test.example")
        assert answers.client_key("192.0.2.7") == old("referral-link:192.0.2.7")
        assert answers.client_key(None) == old("referral-link:unknown")
        assert security.client_key("client", "192.0.2.7") != answers.client_key("192.0.2.7")

