"""The audit trail page for auditors and administrators."""

from flask import Blueprint, render_template, request

from ..accounts.access import allow
from ..accounts.roles import ADMIN, AUDITOR
from ..paging import requested_key
from . import services

bp = Blueprint("audit", __name__, url_prefix="/audit")

# Who did it when no user did: the receiving service answers by its link without an account
# (a referral's status changes with no user only that way).
BY_LINK = "Receiving service, by link"
WITHOUT_USER = {"referral_link.opened": BY_LINK, "referral.status": BY_LINK,
                "referral_link.refused": "Someone with a link that does not work"}


@bp.route("/")
@allow(AUDITOR, ADMIN)
def trail():
    """The newest audit rows, a page at a time, older and newer by row id."""
    page = services.recent(older_than=requested_key(request.args, "older_than"),
                           newer_than=requested_key(request.args, "newer_than"))
    return render_template("audit/trail.html", page=page, without_user=WITHOUT_USER)
