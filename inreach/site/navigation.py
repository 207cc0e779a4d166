"""The navigation for each role, in one place."""

from flask import g, request, url_for

from ..accounts.roles import ADMIN, AUDITOR, FOLLOW_READERS, ORGANISER, PLAN_READERS, VOLUNTEER

# (label, endpoint, roles that see it)
ITEMS = [
    ("Home", "site.home", {ADMIN, ORGANISER, VOLUNTEER, AUDITOR}),
    ("Visits", "visits.index", {ADMIN, ORGANISER, VOLUNTEER, AUDITOR}),
    ("Follow-up", "followup.chase_list", set(FOLLOW_READERS)),
    ("Reports", "reports.index", set(FOLLOW_READERS)),
    ("Directory", "directory.index", {ADMIN, ORGANISER, VOLUNTEER, AUDITOR}),
    ("Volunteers", "volunteers.index", set(PLAN_READERS)),
    ("Prisons", "prisons.index", set(PLAN_READERS)),
    ("Users", "accounts.users", {ADMIN}),
    ("Personal data", "data_requests.search", {AUDITOR, ADMIN}),
    ("Audit trail", "audit.trail", {AUDITOR, ADMIN}),
    ("Task queue", "jobs.queue", {ADMIN}),
]


def navigation() -> list[dict]:
    """The nav items the current user may see, marking the current one."""
    if g.get("user") is None:
        return []
    return [
        {"text": label, "href": url_for(endpoint), "current": _is_current(endpoint)}
        for label, endpoint, roles in ITEMS
        if g.user.role in roles
    ]


def _is_current(endpoint: str) -> bool:
    """This page is the item's own, or a page of the same area (e.g. a visit's page)."""
    area = endpoint.split(".")[0]
    return request.endpoint == endpoint or (area != "site" and request.blueprint == area)
