"""Organisations, volunteers and their clearance per prison."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__)
