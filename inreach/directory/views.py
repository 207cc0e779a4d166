"""The service directory: browse and search, a service's page, add and change entries."""

from flask import Blueprint

bp = Blueprint("directory", __name__, url_prefix="/directory")
