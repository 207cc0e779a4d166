"""Attendance on the day: who came to each session, who did not and why, and walk-ins."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from ..accounts.access import allow
from ..accounts.roles import PLAN_READERS, PLANNERS, VOLUNTEER
from ..dates import today
from ..errors import DomainError
from ..fields import form_values, show_domain_error
from ..visits.services import get_visit, may_view
from . import services
from .forms import AbsentForm, WalkInForm

bp = Blueprint("attendance", __name__, url_prefix="/visits/<int:visit_id>/attendance")

STATUS_OF_ERROR = {"not_found": 404, "not_allowed": 403}
MARKERS = (*PLANNERS, VOLUNTEER)


def _visit(visit_id: int):
    """The visit if it exists (else 404) and this user may see it (else 403)."""
    try:
        visit = get_visit(visit_id)
    except DomainError:
        abort(404)
    if not may_view(g.user, visit.id):
        abort(403)
    return visit


def _session(visit, session_id: int):
    """A session of this visit, else 404."""
    try:
        return services.session_of(visit.id, session_id)
    except DomainError:
        abort(404)


def _back(visit_id: int, session_id: int | None, public_id: str):
    """Back to the session's sheet at the man's card (or to the sessions if he has none)."""
    if session_id is None:
        return redirect(url_for("attendance.index", visit_id=visit_id))
    return redirect(url_for("attendance.session", visit_id=visit_id, session_id=session_id,
                            _anchor=f"member-{public_id}"))


def _tap(visit_id: int, public_id: str, action, done: str, *args):
    """Run one attendance service for a man; flash the outcome and go back to his card."""
    visit = _visit(visit_id)
    try:
        member = services.get_member(visit.id, public_id)
        member = action(visit.id, public_id, *args, g.user.id)
    except DomainError as error:
        if error.code in STATUS_OF_ERROR:
            abort(STATUS_OF_ERROR[error.code])
        flash(error.message, "error")
    else:
        flash(done)  # no name: flashes live in the (signed, not encrypted) session cookie
    return _back(visit.id, member.session_id, public_id)


@bp.route("/")
@allow(*PLAN_READERS, VOLUNTEER)
def index(visit_id: int):
    """Choose the session to take attendance for."""
    visit = _visit(visit_id)
    return render_template("attendance/index.html", visit=visit,
                           sheets={s.id: services.session_sheet(visit.id, s.id)
                                   for s in visit.sessions})


@bp.route("/sessions/<int:session_id>")
@allow(*PLAN_READERS, VOLUNTEER)
def session(visit_id: int, session_id: int):
    """The tablet page: a card per man with big Attended and Did not attend buttons."""
    visit = _visit(visit_id)
    chosen = _session(visit, session_id)
    return render_template("attendance/session.html", visit=visit, session=chosen,
                           sheet=services.session_sheet(visit.id, chosen.id),
                           reasons=AbsentForm().reason,
                           may_mark=services.may_mark(g.user, visit.id)
                           and visit.status != "cancelled",
                           sees_people=g.user.role in PLAN_READERS)


@bp.route("/members/<public_id>/attended", methods=["POST"])
@allow(*MARKERS)
def attended(visit_id: int, public_id: str):
    """Mark a man as attended, now."""
    return _tap(visit_id, public_id, services.mark_attended, "Marked attended.")


@bp.route("/members/<public_id>/absent", methods=["POST"])
@allow(*MARKERS)
def absent(visit_id: int, public_id: str):
    """Mark a man as not attended, with the reason chosen."""
    form = AbsentForm()
    reason = form.reason.data if form.validate_on_submit() else None
    return _tap(visit_id, public_id, services.mark_absent, "Marked as did not attend.", reason)


@bp.route("/members/<public_id>/clear", methods=["POST"])
@allow(*MARKERS)
def clear(visit_id: int, public_id: str):
    """Undo a mistaken tap: the man is not marked again."""
    return _tap(visit_id, public_id, services.clear, "Attendance cleared.")


@bp.route("/sessions/<int:session_id>/walk-in", methods=["GET", "POST"])
@allow(*MARKERS)
def walk_in(visit_id: int, session_id: int):
    """Add a man who walked in: on the cohort, in this session, attended."""
    visit = _visit(visit_id)
    chosen = _session(visit, session_id)
    form = WalkInForm()
    if form.validate_on_submit():
        values = form_values(form, ["first_name", "last_name", "prison_number", "release_date"])
        try:
            member = services.add_walk_in(
                visit.id, chosen.id, values["first_name"], values["last_name"],
                values["prison_number"], g.user.id, today(), values["release_date"])
        except DomainError as error:
            if error.code in STATUS_OF_ERROR:
                abort(STATUS_OF_ERROR[error.code])
            show_domain_error(form, error)
        else:
            flash("Walk-in added to the cohort and marked attended.")
            return _back(visit.id, chosen.id, member.public_id)
    return render_template("attendance/walk_in.html", visit=visit, session=chosen, form=form)
