"""Hand-off after a visit: the referrals to send, by receiving service (organisers)."""

from flask import Blueprint

bp = Blueprint("handoff", __name__, url_prefix="/visits/<int:visit_id>/handoff")
