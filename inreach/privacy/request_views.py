"""A man's data rights: find him, download everything held about him, correct, restrict or
erase his details."""

from flask import Blueprint

bp = Blueprint("data_requests", __name__, url_prefix="/privacy/people")
