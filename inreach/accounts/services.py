"""The rules for accounts: passwords, logging in and out, login sessions, and managing users."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import bindparam, delete, func, select

from ..audit.services import record
from ..database import db, utcnow, writes
from ..errors import DomainError
from ..security import client_key, keyed_hash
from .models import LoginFailure, LoginSession, User
from .roles import ROLES, VOLUNTEER

PASSWORD_MIN = 12
PASSWORD_MAX = 128
GENERIC_LOGIN_ERROR = "Enter a correct email address and password."
THROTTLED = (
    "Too many failed attempts to log in to this account. "
    "Wait 15 minutes and try again, or ask an administrator."
)
CLIENT_THROTTLED = (
    "Too many failed attempts to log in from this device or network. "
    "Wait 15 minutes and try again."
)
# The refusals that mean "wait", answered with 429 Too Many Requests.
THROTTLED_CODES = ("throttled", "client_throttled")

_DUMMY_PASSWORD = secrets.token_hex(16)
LOGIN_CLIENT = "client"  # the purpose of the client key that counts failed logins


@cache
def _hasher_for(time_cost: int, memory_kib: int) -> PasswordHasher:
    """An argon2id hasher; the cost comes from config (tests lower it, production must not)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def _hasher() -> PasswordHasher:
    """The hasher for this app's configured cost."""
    config = current_app.config
    return _hasher_for(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"])


@cache
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    """A hash to verify against when no account matches, so "unknown email" is as slow as
    "wrong password" and timing does not tell who has an account."""
    return _hasher_for(time_cost, memory_kib).hash(_DUMMY_PASSWORD)


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher().hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash, without raising."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_rules(password: str, email: str = "") -> None:
    """Refuse passwords that are too short, too long or the same as the email."""
    if len(password) < PASSWORD_MIN:
        raise DomainError("password_short", f"Password must be at least {PASSWORD_MIN} characters",
                          "password")
    if len(password) > PASSWORD_MAX:
        raise DomainError("password_long", f"Password must be {PASSWORD_MAX} characters or fewer",
                          "password")
    if email and password.strip().lower() == normalise_email(email):
        raise DomainError("password_is_email", "Password must not be your email address",
                          "password")


def _account_key(email: str) -> str:
    """A keyed hash of the email, so failed attempts are counted without storing addresses."""
    return keyed_hash(normalise_email(email))


def _client_key(client: str | None) -> str | None:
    """The keyed hash of the client's address (``security.client_key``) that counts its
    failures; None when there is no client (a command or a service test)."""
    return None if client is None else client_key(LOGIN_CLIENT, client)


def _recent_failures(account_key: str, now: datetime, column=LoginFailure.account_key) -> int:
    """How many failed logins this account (or, given the column, this client) had inside the
    throttle window."""
    since = now - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    query = select(func.count()).where(column == account_key, LoginFailure.attempted_at > since)
    return db.session.scalar(query)


def refuse_if_throttled(account_key: str, client_key: str | None, now: datetime) -> None:
    """Refuse (audited) a client with too many failures on any accounts, or an account with too
    many failures from anywhere, before any password or code is checked."""
    config = current_app.config
    if client_key is not None and _recent_failures(
            client_key, now, LoginFailure.client_key) >= config["LOGIN_CLIENT_MAX_FAILURES"]:
        record("login.client_throttled")
        db.session.commit()
        raise DomainError("client_throttled", CLIENT_THROTTLED)
    if _recent_failures(account_key, now) >= config["LOGIN_MAX_FAILURES"]:
        record("login.throttled")
        db.session.commit()
        raise DomainError("throttled", THROTTLED)


def note_failure(account_key: str, client_key: str | None, now: datetime, action: str,
                 user_id: int | None) -> None:
    """Count a failed password or code against the account and the client, audit it, and
    commit, so the refusal that follows cannot roll the count back."""
    db.session.add(LoginFailure(account_key=account_key, client_key=client_key, attempted_at=now))
    record(action, object_type="user", object_id=user_id)
    db.session.commit()


def two_factor_required(user: User) -> bool:
    """Whether this user must give a second factor: administrators, organisers and auditors
    when TWO_FACTOR_REQUIRED is on, volunteers too when TWO_FACTOR_VOLUNTEERS is on; never the
    demo accounts on a demo database (the quick start logs in with the password alone)."""
    config = current_app.config
    if not config["TWO_FACTOR_REQUIRED"]:
        return False
    if user.role == VOLUNTEER and not config["TWO_FACTOR_VOLUNTEERS"]:
        return False
    return not _demo_account(user)


def _demo_account(user: User) -> bool:
    """Whether the user is one of the demo logins on a database filled by seed-demo."""
    # imported here: the demo seed creates its users through this module
    from ..demo.seed import demo_email
    from ..site.models import is_demo

    return user.email in {demo_email(role) for role in ROLES} and is_demo()


def second_step(user: User) -> str | None:
    """What must follow the password: "code" for a user with an authenticator app set up,
    "enrol" for one whose role needs it but who has not set it up, else None."""
    if user.totp_enrolled_at is not None:
        return "code"
    return "enrol" if two_factor_required(user) else None


@writes
def log_in(email: str, password: str, client: str | None = None) -> tuple[User, str | None]:
    """Check the credentials and open a login session; returns the user and the cookie token,
    or None for the token when a second step must come first (``second_step`` says which).
    ``client`` is the client's address, for the per-client limit."""
    now = utcnow()
    key, client_key = _account_key(email), _client_key(client)
    refuse_if_throttled(key, client_key, now)
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    config = current_app.config
    stored = user.password_hash if user else _dummy_hash(config["ARGON2_TIME_COST"],
                                                          config["ARGON2_MEMORY_KIB"])
    if not password_matches(stored, password):
        note_failure(key, client_key, now, "login.failed", user.id if user else None)
        raise DomainError("invalid", GENERIC_LOGIN_ERROR)
    if not user.active:  # the generic message: the password must not reveal the account's state
        record("login.refused_disabled", object_type="user", object_id=user.id)
        db.session.commit()
        raise DomainError("disabled", GENERIC_LOGIN_ERROR)
    if second_step(user) is not None:
        record("login.password_accepted", actor_id=user.id, object_type="user", object_id=user.id)
        db.session.commit()
        return user, None
    token = open_session(user, now)
    record("login", actor_id=user.id, object_type="user", object_id=user.id)
    db.session.commit()
    return user, token


def open_session(user: User, now: datetime) -> str:
    """Create a login session row (and drop the user's expired ones); returns the token."""
    cutoff = now - timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    db.session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id,
                                   LoginSession.created_at < cutoff)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=_token_hash(token), user_id=user.id, created_at=now))
    return token


@dataclass(frozen=True)
class Actor:
    """Who is acting, as plain values, for a service that writes. Its write begins by ending the
    request's read, which expires the signed-in ``User``: these values, read before, need no
    second query for the same row."""

    id: int
    role: str


def _token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


# Every request runs this, so it is one query, built once (on SQLite, building a statement
# costs more than running it): the user and when the login session began.
SIGNED_IN = (select(User, LoginSession.created_at)
             .join(LoginSession, LoginSession.user_id == User.id)
             .where(LoginSession.token_hash == bindparam("token_hash")))


def user_for_session(token: str, last_seen: float | None) -> User | None:
    """The active user a session cookie belongs to, or None if it ended, idled or expired."""
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    if last_seen is None or now.timestamp() - last_seen > idle.total_seconds():
        return None
    found = db.session.execute(SIGNED_IN, {"token_hash": _token_hash(token)}).first()
    if found is None:
        return None
    user, started = found
    if now - started > timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]):
        return None
    return user if user.active else None


@writes
def log_out(token: str, user_id: int) -> None:
    """End this login session so its cookie no longer works anywhere."""
    db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
    record("logout", actor_id=user_id, object_type="user", object_id=user_id)
    db.session.commit()


@writes
def change_password(user: User, current: str, new: str, keep_token: str) -> None:
    """Change a user's own password and end their other login sessions."""
    if not password_matches(user.password_hash, current):
        raise DomainError("wrong_password", "Your current password is not correct", "current")
    check_password_rules(new, user.email)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.token_hash != _token_hash(keep_token)
        )
    )
    record("user.password_changed", actor_id=user.id, object_type="user", object_id=user.id)
    db.session.commit()


@writes
def create_user(email: str, display_name: str, role: str, password: str,
                actor_id: int | None = None) -> User:
    """Add a user; refuses a duplicate email, an unknown role or a weak password."""
    email = normalise_email(email)
    if role not in ROLES:
        raise DomainError("unknown_role", "Choose a role from the list", "role")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError("duplicate_email", "A user with this email address already exists",
                          "email")
    check_password_rules(password, email)
    user = User(email=email, display_name=display_name.strip(), role=role,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    record("user.created", actor_id=actor_id, object_type="user", object_id=user.id,
           detail=f"role={role}")
    db.session.commit()
    return user


@writes
def set_active(user_id: int, active: bool, actor_id: int) -> User:
    """Enable or disable a user; disabling ends all their login sessions at once."""
    user = db.session.get(User, user_id)
    if user is None:
        raise DomainError("not_found", "That user does not exist")
    if user_id == actor_id and not active:
        raise DomainError("self_disable", "You cannot disable your own account")
    user.active = active
    if not active:
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    record("user.enabled" if active else "user.disabled", actor_id=actor_id,
           object_type="user", object_id=user.id)
    db.session.commit()
    return user


def user_id_for_email(email: str) -> int | None:
    """The id of the user with this email, or None."""
    return db.session.scalar(select(User.id).where(User.email == normalise_email(email)))


def all_users() -> list[User]:
    """Every user, by email."""
    return list(db.session.scalars(select(User).order_by(User.email)))
