"""The navigation for each role, in one place."""

from flask import g, request, url_for

from ..accounts.roles import ADMIN, AUDITOR, ORGANISER, VOLUNTEER

# (label, endpoint, roles that see it)
ITEMS = [
    ("Home", "site.home", {ADMIN, ORGANISER, VOLUNTEER, AUDITOR}),
    ("Users", "accounts.users", {ADMIN}),
    ("Audit trail", "audit.trail", {AUDITOR, ADMIN}),
]


def navigation() -> list[dict]:
    """The nav items the current user may see, marking the current one."""
    if g.get("user") is None:
        return []
    return [
        {"text": label, "href": url_for(endpoint), "current": request.endpoint == endpoint}
        for label, endpoint, roles in ITEMS
        if g.user.role in roles
    ]
