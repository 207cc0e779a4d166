"""The home page and the health check."""

from flask import Blueprint, g, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.access import public, signed_in
from ..accounts.roles import FOLLOW_READERS
from ..database import db
from ..dates import today
from ..followup.chase import shown_items
from ..jobs.queue import health as queue_health
from ..visits.services import UPCOMING_SHOWN, upcoming_visits

bp = Blueprint("site", __name__)
CHASE_SHOWN = 10  # the most overdue items on the home page; the rest on the chase list


@bp.route("/")
@signed_in
def home():
    """What the signed-in user can do, by role, their upcoming visits and, for those who
    follow referrals up, the most overdue items to chase."""
    upcoming = upcoming_visits(g.user, today(), limit=UPCOMING_SHOWN + 1)
    chase = shown_items(g.user.id, today()) if g.user.role in FOLLOW_READERS else None
    return render_template("site/home.html", upcoming=upcoming[:UPCOMING_SHOWN],
                           more_upcoming=len(upcoming) > UPCOMING_SHOWN,
                           chase=chase[:CHASE_SHOWN] if chase else chase,
                           chase_total=len(chase or []))


@bp.route("/healthz")
@public
def healthz():
    """Whether the app is up and its database answers (for load balancers and monitoring), and
    whether the task queue answers with a worker seen lately ("ok", "no worker" or
    "unavailable"; never a reason for a 503)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "error", "database": "unavailable", "queue": queue_health()}, 503
    # The queue is reported, not judged: web servers stay in the pool while a worker is down.
    return {"status": "ok", "database": "ok", "queue": queue_health()}
