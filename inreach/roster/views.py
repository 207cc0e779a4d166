"""The roster of a visit: who goes in, in which sessions, in which role."""

from flask import Blueprint

bp = Blueprint("roster", __name__)
