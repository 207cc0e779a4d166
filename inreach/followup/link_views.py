"""The receiving team's page, reached by the link in the referral email (no login)."""

from flask import Blueprint

bp = Blueprint("referral_link", __name__, url_prefix="/answer")
