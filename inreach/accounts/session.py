"""Connecting the browser's cookie to a login session, checked on every request."""

import time

from flask import flash, g, request, session

from .services import Actor, user_for_session

# The idle timeout counts from the last request, noted in the cookie at most this often: a
# cookie re-signed and re-sent on every request (a tablet's outbox sends many) costs for nothing.
SEEN_EVERY_SECONDS = 60


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
