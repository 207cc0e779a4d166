"""Connecting the browser's cookie to a login session, checked on every request."""

import time

from flask import flash, g, request, session

from .services import Actor, user_for_session

# The idle timeout counts from the last request, noted in the cookie at most this often: a
# cookie re-signed and re-sent on every request (a tablet's outbox sends many) costs for nothing.
SEEN_EVERY_SECONDS = 60
# Between an accepted password and the second step (a code, or setting up the app) the cookie
# holds only who is part-way through and until when; no login session exists yet.
PENDING_MINUTES = 10


def load_user() -> None:
    """Set g.user from the cookie, dropping a cookie whose session has ended or idled out."""
    g.user = None
    if request.endpoint == "static":
        return
    token = session.get("sid")
    if not token:
        return
    g.user = user_for_session(token, session.get("seen"))
    if g.user is None:
        session.clear()
        flash("You were logged out. Log in again to carry on.")
        return
    now = time.time()
    if now - session["seen"] >= SEEN_EVERY_SECONDS:
        session["seen"] = now


def actor() -> Actor:
    """The signed-in user as plain values, for a service that writes."""
    return Actor(g.user.id, g.user.role)


def begin(token: str) -> None:
    """Start a fresh cookie for a new login (nothing from before login carries over)."""
    session.clear()
    session["sid"] = token
    session["seen"] = time.time()


def token() -> str:
    """This browser's login session token."""
    return session.get("sid", "")


def begin_pending(user_id: int, step: str, next_path: str | None) -> None:
    """Note in a fresh cookie that this user's password was accepted and ``step`` ("code" or
    "enrol") must follow within PENDING_MINUTES; they are not signed in until it does."""
    session.clear()
    session["pending"] = {"user": user_id, "step": step, "next": next_path,
                          "until": time.time() + PENDING_MINUTES * 60}


def pending(step: str) -> dict | None:
    """The part-way login waiting for this step, or None when there is none or it timed out."""
    found = session.get("pending")
    if not found or found.get("step") != step:
        return None
    if time.time() > found["until"]:
        session.pop("pending")
        return None
    return found


def enrolment_secret(state: dict) -> str:
    """The authenticator secret being set up, kept in the signed cookie (in ``state``, the
    part-way login, or the signed-in session) so a reload shows the same QR code."""
    from .two_factor import new_secret

    if "secret" not in state:
        state["secret"] = new_secret()
        session.modified = True
    return state["secret"]
