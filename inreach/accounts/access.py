"""Who may use each endpoint. Every view declares it; anything undeclared is refused."""


from flask import abort, current_app, g, redirect, request, url_for

from .roles import ROLES

PUBLIC = frozenset({"anonymous"})
ANY_USER = frozenset(ROLES)


def allow(*roles: str):
    """Let signed-in users with one of these roles use the view."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def declare(view):
        view.access = frozenset(roles)
        return view

    return declare


def public(view):
    """Let anyone, signed in or not, use the view."""
    view.access = PUBLIC
    return view


def signed_in(view):
    """Let any signed-in user use the view."""
    view.access = ANY_USER
    return view


def access_of(endpoint: str | None):
    """The declaration of an endpoint, or None when it has none (or does not exist)."""
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "access", None) if view else None


def enforce_access():
    """Before each request: refuse undeclared endpoints, send strangers to log in, check roles."""
    if request.endpoint is None:  # no route matched: let Flask answer 404/405
        return None
    access = access_of(request.endpoint)
    if access is None:
        abort(403)
    if access is PUBLIC:
        return None
    if g.user is None:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if g.user.role not in access:
        abort(403)
    return None
