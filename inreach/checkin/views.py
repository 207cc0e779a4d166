"""Signing volunteers in and out on the day, and their hours."""

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for

from ..accounts.access import allow, signed_in
from ..accounts.roles import PLAN_READERS, PLANNERS, VOLUNTEER
from ..errors import DomainError
from ..printing.spreadsheet import csv_download
from ..roster.services import get_entry
from ..visits.services import get_visit, may_view
from . import services

bp = Blueprint("checkin", __name__)

STATUS_OF_ERROR = {"not_found": 404, "not_allowed": 403}


def _visit(visit_id: int):
    """The visit if it exists (else 404) and this user may see its check-in list (else 403)."""
    try:
        visit = get_visit(visit_id)
    except DomainError:
        abort(404)
    if not may_view(g.user, visit.id):
        abort(403)
    return visit


def _entry(visit_id: int, entry_id: int):
    """An entry of this visit (else 404) that this user may sign in or out (else 403)."""
    try:
        entry = get_entry(visit_id, entry_id)
    except DomainError:
        abort(404)
    if not services.may_sign(g.user, entry):
        abort(403)
    return entry


def _back(visit_id: int, entry_id: int):
    """Back to the check-in list, at the volunteer's row."""
    return redirect(url_for("checkin.show", visit_id=visit_id, _anchor=f"entry-{entry_id}"))


def _tap(visit_id: int, entry_id: int, action, done: str):
    """Run one sign-in/out/undo service for an entry; flash the outcome and go back."""
    entry = _entry(visit_id, entry_id)
    try:
        action(entry.id, g.user.id)
    except DomainError as error:
        if error.code in STATUS_OF_ERROR:
            abort(STATUS_OF_ERROR[error.code])
        flash(error.message, "error")
    else:
        row = services.visit_hours(visit_id, entry.volunteer_id).rows[0]
        flash(done.format(row=row))
    return _back(visit_id, entry.id)


@bp.route("/visits/<int:visit_id>/check-in")
@signed_in
def show(visit_id: int):
    """The visit's rostered volunteers with a big sign in / sign out button each."""
    visit = _visit(visit_id)
    own = services.own_volunteer_id(g.user) if g.user.role == VOLUNTEER else None
    closed = services.sign_in_closed(visit)
    return render_template("checkin/show.html", visit=visit,
                           hours=services.visit_hours(visit.id, own),
                           closed=closed.message if closed else None,
                           may_act=g.user.role in (*PLANNERS, VOLUNTEER),
                           planner=g.user.role in PLANNERS,
                           sees_everyone=g.user.role in PLAN_READERS)


@bp.route("/visits/<int:visit_id>/check-in/<int:entry_id>/sign-in", methods=["POST"])
@allow(*PLANNERS, VOLUNTEER)
def sign_in(visit_id: int, entry_id: int):
    """Sign a volunteer in, now."""
    return _tap(visit_id, entry_id, services.sign_in,
                "{row.name} signed in at {row.signed_in_at:%H:%M}.")


@bp.route("/visits/<int:visit_id>/check-in/<int:entry_id>/sign-out", methods=["POST"])
@allow(*PLANNERS, VOLUNTEER)
def sign_out(visit_id: int, entry_id: int):
    """Sign a volunteer out, now."""
    return _tap(visit_id, entry_id, services.sign_out,
                "{row.name} signed out at {row.signed_out_at:%H:%M} after {row.hours:.2f} hours.")


@bp.route("/visits/<int:visit_id>/check-in/<int:entry_id>/undo", methods=["POST"])
@allow(*PLANNERS)
def undo(visit_id: int, entry_id: int):
    """Take back a mistaken sign-in or sign-out."""
    return _tap(visit_id, entry_id, services.undo, "Undone. {row.name}: {row.state_text}.")


@bp.route("/visits/<int:visit_id>/hours.csv")
@allow(*PLANNERS)
def hours_csv(visit_id: int):
    """Download the volunteers' hours as CSV (the filename carries no names)."""
    visit = _visit(visit_id)
    text = services.hours_csv(visit.id, g.user.id)
    # A byte-order mark so spreadsheet programs read names with accents correctly.
    return Response(csv_download(text), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=volunteer-hours-visit-{visit.id}.csv"})
