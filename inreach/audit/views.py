"""The audit trail page for auditors and administrators."""

from flask import Blueprint, render_template, request

from ..accounts.access import allow
from ..accounts.roles import ADMIN, AUDITOR
from . import services

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 100


@bp.route("/")
@allow(AUDITOR, ADMIN)
def trail():
    """The newest audit rows, a page at a time."""
    page = max(request.args.get("page", 1, type=int), 1)
    events = services.recent(limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template("audit/trail.html", events=events[:PAGE_SIZE], page=page,
                           has_more=len(events) > PAGE_SIZE)
