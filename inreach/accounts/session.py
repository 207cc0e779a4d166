"""Connecting the browser's cookie to a login session, checked on every request."""

import time

from flask import flash, g, request, session

from .services import user_for_session


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
    session["seen"] = time.time()


def begin(token: str) -> None:
    """Start a fresh cookie for a new login (nothing from before login carries over)."""
    session.clear()
    session["sid"] = token
    session["seen"] = time.time()


def token() -> str:
    """This browser's login session token."""
    return session.get("sid", "")
