"""Two-step login: a time-based code from an authenticator app (TOTP, RFC 6238) after the
password, single-use recovery codes for a lost phone, and an administrator's reset."""

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, insert, or_, select, update

from ..audit.services import record
from ..database import db, utcnow, writes
from ..errors import DomainError
from ..packs.referral_form import qr_path
from .models import LoginSession, RecoveryCode, User
from .services import _account_key, _client_key, note_failure, open_session, refuse_if_throttled

ISSUER = "inreach"
RECOVERY_CODES = 10
# 16 characters from 31 (no i, l, o, 0 or 1 to misread): about 79 random bits each, so a plain
# SHA-256 of a code cannot be worked back by guessing.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 16
WRONG_CODE = ("The code is not correct. Enter the 6-digit code your authenticator app shows now, "
              "or one of your recovery codes")
WRONG_SETUP_CODE = ("The code is not correct. Enter the 6-digit code your authenticator app "
                    "shows now")
REUSED_CODE = ("That code has already been used. Wait for your authenticator app to show a new "
               "code and enter that")
START_AGAIN = "Log in again to carry on."


def new_secret() -> str:
    """A fresh shared secret for an authenticator app (160 random bits, base32)."""
    return pyotp.random_base32()


def set_up_page(secret: str, email: str) -> dict:
    """What the set-up page shows: the QR code of the app's link and the key grouped in fours
    for typing in by hand."""
    link = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
    key = " ".join(secret[start:start + 4] for start in range(0, len(secret), 4))
    return {"qr": qr_path(link), "key": key}


def _clean(code: str) -> str:
    """A typed code without spaces or dashes, in lower case."""
    return "".join(code.split()).replace("-", "").lower()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (30 s) whose code this is, allowing one step either side for a phone's
    clock; None when it matches none."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _hash_recovery(code: str) -> str:
    """The stored form of a recovery code."""
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def _new_recovery_codes(user_id: int) -> list[str]:
    """Replace the user's recovery codes with ten new ones; returns them, readable, to show once."""
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.execute(insert(RecoveryCode), [
        {"user_id": user_id, "code_hash": _hash_recovery(code)} for code in codes])
    return ["-".join(code[start:start + 4] for start in range(0, RECOVERY_LENGTH, 4))
            for code in codes]


def _take_step(user_id: int, step: int) -> bool:
    """Mark the time step used, unless it (or a later one) already was: a conditional UPDATE,
    so two requests with the same code cannot both succeed."""
    done = db.session.execute(
        update(User).where(User.id == user_id,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    return done.rowcount == 1


def _take_recovery_code(user_id: int, code: str, now: datetime) -> bool:
    """Use up one of the user's unused recovery codes, if the code is one."""
    done = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user_id,
                                   RecoveryCode.code_hash == _hash_recovery(code),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    return done.rowcount == 1


def pending_user(user_id: int) -> User | None:
    """The active user part-way through logging in, or None."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


@writes
def verify_code(user_id: int, code: str, client: str | None = None) -> tuple[User, str]:
    """The second step of logging in, for a user whose password was accepted: check a code
    from their authenticator app (good once) or a recovery code (good once), then open the
    login session. Wrong codes count towards the same limits as wrong passwords."""
    now = utcnow()
    user = pending_user(user_id)
    if user is None or user.totp_secret is None:
        raise DomainError("start_again", START_AGAIN)
    account, client_key = _account_key(user.email), _client_key(client)
    refuse_if_throttled(account, client_key, now)
    typed = _clean(code)
    step = _matching_step(user.totp_secret, typed, now) if len(typed) == 6 else None
    if step is not None and not _take_step(user.id, step):
        note_failure(account, client_key, now, "login.code_reused", user.id)
        raise DomainError("reused_code", REUSED_CODE, "code")
    how = "totp"
    if step is None:
        if len(typed) != RECOVERY_LENGTH or not _take_recovery_code(user.id, typed, now):
            note_failure(account, client_key, now, "login.code_failed", user.id)
            raise DomainError("wrong_code", WRONG_CODE, "code")
        how = "recovery_code"
        record("user.recovery_code_used", actor_id=user.id, object_type="user", object_id=user.id)
    token = open_session(user, now)
    record("login", actor_id=user.id, object_type="user", object_id=user.id,
           detail=f"second_factor={how}")
    db.session.commit()
    return user, token


@writes
def enrol(user_id: int, secret: str, code: str, client: str | None = None,
          logging_in: bool = False) -> tuple[list[str], str | None]:
    """Turn on two-step login with the secret the user was shown, once they type a code it
    gives. Returns the ten new recovery codes (shown once; only their hashes are kept) and, when
    this is part of logging in, the new login session's cookie token."""
    now = utcnow()
    user = pending_user(user_id)
    if user is None or (logging_in and user.totp_enrolled_at is not None):
        raise DomainError("start_again", START_AGAIN)
    if user.totp_enrolled_at is not None:
        raise DomainError("already_enrolled", "Two-step login is already set up for you")
    account, client_key = _account_key(user.email), _client_key(client)
    refuse_if_throttled(account, client_key, now)
    step = _matching_step(secret, _clean(code), now)
    if step is None:
        note_failure(account, client_key, now, "login.code_failed", user.id)
        raise DomainError("wrong_code", WRONG_SETUP_CODE, "code")
    user.totp_secret, user.totp_enrolled_at, user.totp_last_step = secret, now, step
    codes = _new_recovery_codes(user.id)
    record("user.two_factor_enrolled", actor_id=user.id, object_type="user", object_id=user.id)
    token = None
    if logging_in:
        token = open_session(user, now)
        record("login", actor_id=user.id, object_type="user", object_id=user.id,
               detail="second_factor=totp")
    db.session.commit()
    return codes, token


@writes
def reset(user_id: int, actor_id: int | None) -> User:
    """An administrator (or, with no actor, the command line) turns off a user's two-step login
    (a lost phone): the secret and recovery codes go, every login session of theirs ends, and
    they set it up again at their next login if their role needs it."""
    user = db.session.get(User, user_id)
    if user is None:
        raise DomainError("not_found", "That user does not exist")
    if user_id == actor_id:
        raise DomainError("self_reset", "You cannot reset your own two-step login. "
                                        "Ask another administrator.")
    user.totp_secret = user.totp_enrolled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    record("user.two_factor_reset", actor_id=actor_id, object_type="user", object_id=user.id)
    db.session.commit()
    return user


def recovery_codes_left(user_id: int) -> int:
    """How many of the user's recovery codes are still unused."""
    return db.session.scalar(select(func.count()).where(RecoveryCode.user_id == user_id,
                                                        RecoveryCode.used_at.is_(None)))
