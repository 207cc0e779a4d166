"""The gate list for prison security, as PDF and CSV."""

from flask import Blueprint

bp = Blueprint("gate_list", __name__)
