"""Prisons, their contacts and visiting notes."""

from flask import Blueprint

bp = Blueprint("prisons", __name__, url_prefix="/prisons")
