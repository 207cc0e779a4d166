"""The queue's page for administrators: is the broker up, is a worker alive, what waits, what
failed and when each schedule last ran."""

from flask import Blueprint, render_template

from ..accounts.access import allow
from ..accounts.roles import ADMIN
from ..dates import duration
from .failures import recent_failures
from .status import queue_status

bp = Blueprint("jobs", __name__, url_prefix="/admin")
bp.add_app_template_filter(duration, "duration")
FAILURES_SHOWN = 20


@bp.route("/queue")
@allow(ADMIN)
def queue():
    """The queue's state from the broker, and the latest failures from the database."""
    return render_template("jobs/queue.html", status=queue_status(),
                           failures=recent_failures(FAILURES_SHOWN), failures_shown=FAILURES_SHOWN)
