"""The administrator's retention pages: how long personal data is kept and what the next purge
removes."""

from flask import Blueprint

bp = Blueprint("retention", __name__, url_prefix="/privacy/retention")
