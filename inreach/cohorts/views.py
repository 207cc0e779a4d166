"""The cohort of a visit: the prison's list, eligibility, sessions and attendance."""

from flask import Blueprint

bp = Blueprint("cohorts", __name__, url_prefix="/visits/<int:visit_id>/cohort")
