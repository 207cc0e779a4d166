"""A man's page: his details and his history across visits (every view is audited)."""

from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/people")
