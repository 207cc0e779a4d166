"""The rules for accounts: passwords, logging in and out, login sessions, and managing users."""

import hashlib
import hmac
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
from .models import LoginFailure, LoginSession, User
from .roles import ROLES

PASSWORD_MIN = 12
PASSWORD_MAX = 128
GENERIC_LOGIN_ERROR = "Enter a correct email address and password."
THROTTLED = (
    "Too many failed attempts to log in to this account. "
    "Wait 15 minutes and try again, or ask an administrator."
)

_DUMMY_PASSWORD = secrets.token_hex(16)


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
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()


def _recent_failures(account_key: str, now: datetime) -> int:
    """How many failed logins this account had inside the throttle window."""
    since = now - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    query = select(func.count()).where(
        LoginFailure.account_key == account_key, LoginFailure.attempted_at > since
    )
    return db.session.scalar(query)


@writes
def log_in(email: str, password: str) -> tuple[User, str]:
    """Check the credentials and open a login session; returns the user and the cookie token."""
    now = utcnow()
    key = _account_key(email)
    if _recent_failures(key, now) >= current_app.config["LOGIN_MAX_FAILURES"]:
        record("login.throttled")
        db.session.commit()
        raise DomainError("throttled", THROTTLED)
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    config = current_app.config
    stored = user.password_hash if user else _dummy_hash(config["ARGON2_TIME_COST"],
                                                          config["ARGON2_MEMORY_KIB"])
    if not password_matches(stored, password):
        db.session.add(LoginFailure(account_key=key, attempted_at=now))
        record("login.failed", object_type="user", object_id=user.id if user else None)
        db.session.commit()
        raise DomainError("invalid", GENERIC_LOGIN_ERROR)
    if not user.active:
        record("login.refused_disabled", object_type="user", object_id=user.id)
        db.session.commit()
        raise DomainError("disabled", "This account has been disabled. Ask an administrator.")
    token = _open_session(user, now)
    record("login", actor_id=user.id, object_type="user", object_id=user.id)
    db.session.commit()
    return user, token


def _open_session(user: User, now: datetime) -> str:
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


def all_users() -> list[User]:
    """Every user, by email."""
    return list(db.session.scalars(select(User).order_by(User.email)))
