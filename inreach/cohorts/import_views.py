"""Importing the prison's list of men due for release onto a visit: template, preview, confirm."""

from flask import Blueprint

bp = Blueprint("cohort_import", __name__, url_prefix="/visits/<int:visit_id>/cohort/import")
