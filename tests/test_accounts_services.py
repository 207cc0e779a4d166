"""Account rules, called directly against a real database."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inreach.accounts import services
from inreach.accounts.models import LoginFailure, LoginSession, User
from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db, utcnow
from inreach.errors import DomainError

from .conftest import PASSWORD


@pytest.fixture
def organiser(app_context):
    return services.create_user("Olu@Example.org ", "Olu", "organiser", PASSWORD)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_password_is_stored_as_argon2id(organiser):
    assert organiser.password_hash.startswith("$argon2id$")
    assert PASSWORD not in organiser.password_hash


def test_email_is_normalised_and_login_opens_a_session(organiser):
    assert organiser.email == "olu@example.org"
    user, token = services.log_in("  OLU@example.org", PASSWORD)
    assert user.id == organiser.id
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1
    assert services.user_for_session(token, utcnow().timestamp()).id == organiser.id
    assert audit_actions()[-1] == "login"


def test_wrong_password_and_unknown_email_get_the_same_error(organiser):
    with pytest.raises(DomainError) as wrong:
        services.log_in("olu@example.org", "not the password")
    with pytest.raises(DomainError) as unknown:
        services.log_in("nobody@example.org", PASSWORD)
    assert wrong.value.code == unknown.value.code == "invalid"
    assert wrong.value.message == unknown.value.message
    assert audit_actions()[-2:] == ["login.failed", "login.failed"]


def test_ten_failures_lock_the_account_even_for_the_right_password(organiser):
    for _ in range(10):
        with pytest.raises(DomainError):
            services.log_in("olu@example.org", "wrong password!!")
    with pytest.raises(DomainError) as error:
        services.log_in("olu@example.org", PASSWORD)
    assert error.value.code == "throttled"
    assert "login.throttled" in audit_actions()


def test_nine_failures_do_not_lock(organiser):
    for _ in range(9):
        with pytest.raises(DomainError):
            services.log_in("olu@example.org", "wrong password!!")
    user, _ = services.log_in("olu@example.org", PASSWORD)
    assert user.id == organiser.id


def test_lock_does_not_affect_other_accounts(organiser):
    services.create_user("other@example.org", "Other", "volunteer", PASSWORD)
    for _ in range(10):
        with pytest.raises(DomainError):
            services.log_in("olu@example.org", "wrong password!!")
    user, _ = services.log_in("other@example.org", PASSWORD)
    assert user.email == "other@example.org"


def test_failures_older_than_the_window_do_not_count(organiser):
    for _ in range(10):
        with pytest.raises(DomainError):
            services.log_in("olu@example.org", "wrong password!!")
    begin_write()
    for failure in db.session.scalars(select(LoginFailure)):
        failure.attempted_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    user, _ = services.log_in("olu@example.org", PASSWORD)
    assert user.id == organiser.id


def test_failed_logins_store_no_email(organiser):
    with pytest.raises(DomainError):
        services.log_in("olu@example.org", "wrong password!!")
    key = db.session.scalar(select(LoginFailure.account_key))
    assert "olu" not in key and len(key) == 64


def test_disabled_account_cannot_log_in(organiser):
    admin = services.create_user("admin@example.org", "Ada", "admin", PASSWORD)
    services.set_active(organiser.id, False, actor_id=admin.id)
    with pytest.raises(DomainError) as error:
        services.log_in("olu@example.org", PASSWORD)
    assert error.value.code == "disabled"


def test_disabling_ends_every_session_of_that_user(organiser):
    admin = services.create_user("admin@example.org", "Ada", "admin", PASSWORD)
    _, token = services.log_in("olu@example.org", PASSWORD)
    services.set_active(organiser.id, False, actor_id=admin.id)
    assert services.user_for_session(token, utcnow().timestamp()) is None
    assert audit_actions()[-1] == "user.disabled"


def test_admin_cannot_disable_themselves(app_context):
    admin = services.create_user("admin@example.org", "Ada", "admin", PASSWORD)
    with pytest.raises(DomainError) as error:
        services.set_active(admin.id, False, actor_id=admin.id)
    assert error.value.code == "self_disable"
    assert db.session.get(User, admin.id).active


def test_idle_and_absolute_timeouts(organiser, app):
    _, token = services.log_in("olu@example.org", PASSWORD)
    now = utcnow().timestamp()
    assert services.user_for_session(token, now - 29 * 60) is not None
    assert services.user_for_session(token, now - 31 * 60) is None
    begin_write()
    login = db.session.scalar(select(LoginSession))
    login.created_at = utcnow() - timedelta(hours=12, minutes=1)
    db.session.commit()
    assert services.user_for_session(token, now) is None


def test_logout_ends_the_session(organiser):
    _, token = services.log_in("olu@example.org", PASSWORD)
    services.log_out(token, organiser.id)
    assert services.user_for_session(token, utcnow().timestamp()) is None


def test_change_password_checks_current_and_keeps_only_this_session(organiser):
    _, here = services.log_in("olu@example.org", PASSWORD)
    _, elsewhere = services.log_in("olu@example.org", PASSWORD)
    with pytest.raises(DomainError) as error:
        services.change_password(organiser, "not it", "a brand new password", here)
    assert error.value.field == "current"
    services.change_password(organiser, PASSWORD, "a brand new password", here)
    now = utcnow().timestamp()
    assert services.user_for_session(here, now) is not None
    assert services.user_for_session(elsewhere, now) is None
    with pytest.raises(DomainError):
        services.log_in("olu@example.org", PASSWORD)
    assert services.log_in("olu@example.org", "a brand new password")[0].id == organiser.id


@pytest.mark.parametrize("email,role,password,code", [
    ("olu@example.org", "organiser", PASSWORD, "duplicate_email"),
    ("OLU@EXAMPLE.ORG", "organiser", PASSWORD, "duplicate_email"),
    ("new@example.org", "superuser", PASSWORD, "unknown_role"),
    ("new@example.org", "volunteer", "short", "password_short"),
    ("new@example.org", "volunteer", "x" * 129, "password_long"),
    ("new.person@example.org", "volunteer", "New.Person@example.org", "password_is_email"),
])
def test_create_user_refuses_bad_input_and_writes_nothing(organiser, email, role, password, code):
    before = db.session.scalar(select(func.count()).select_from(User))
    with pytest.raises(DomainError) as error:
        services.create_user(email, "New", role, password)
    assert error.value.code == code
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_production_hash_cost_is_at_least_owasp_level():
    from inreach import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    with app.app_context():
        stored = services.hash_password(PASSWORD)
    # OWASP asks for argon2id with at least 19 MiB and 2 iterations; we use 64 MiB and 3.
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,")
