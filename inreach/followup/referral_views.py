"""One referral's follow-up page (status and IPS outcomes) and a man's timeline."""

from flask import Blueprint

bp = Blueprint("referral_followup", __name__)
