"""Loading and sharing the directory: Open Referral UK JSON and flat CSV, in and out."""

from flask import Blueprint

bp = Blueprint("directory_exchange", __name__, url_prefix="/directory")
