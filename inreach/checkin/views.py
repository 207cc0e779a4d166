"""Signing volunteers in and out on the day, and their hours."""

from flask import Blueprint

bp = Blueprint("checkin", __name__)
