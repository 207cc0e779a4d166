"""A man's page: his details and his history across visits (every view is audited)."""

from flask import Blueprint, abort, g, render_template

from ..accounts.access import allow
from ..accounts.roles import PLAN_READERS
from ..errors import DomainError
from . import services

bp = Blueprint("people", __name__, url_prefix="/people")


@bp.route("/<public_id>")
@allow(*PLAN_READERS)
def show(public_id: str):
    """His details and history. The one GET that writes: an audit row saying who viewed him."""
    try:
        page = services.person_page(public_id, g.user.id)
    except DomainError:
        abort(404)
    return render_template("people/show.html", person=page)
