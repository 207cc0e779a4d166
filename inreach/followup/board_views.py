"""The chase list and each visit's follow-up board (organisers; auditors read)."""

from flask import Blueprint

bp = Blueprint("followup", __name__, url_prefix="/follow-up")
