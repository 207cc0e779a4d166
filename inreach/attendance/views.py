"""Attendance on the day: who came to each session, who did not and why, and walk-ins."""

from flask import Blueprint

bp = Blueprint("attendance", __name__, url_prefix="/visits/<int:visit_id>/attendance")
