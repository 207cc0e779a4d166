"""What the offline outbox needs from the server: the service worker script, served from the
site root so it may look after every page, and a fresh CSRF token for sending what waited
(the token on a page cached before the wifi dropped may belong to a login that has ended)."""

from flask import Blueprint, current_app, jsonify, send_from_directory
from flask_wtf.csrf import generate_csrf

from ..accounts.access import public, signed_in

bp = Blueprint("outbox", __name__)


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker script (static/js/sw.js) at the root, so its scope is the whole site."""
    return send_from_directory(current_app.static_folder, "js/sw.js",
                               mimetype="text/javascript", max_age=0)


@bp.route("/outbox/token")
@signed_in
def token():
    """A CSRF token for the signed-in user, for sending submissions that waited offline."""
    return jsonify(csrf_token=generate_csrf())
