"""The roster of a visit: who goes in, in which sessions, in which role."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from ..accounts.access import allow
from ..accounts.roles import PLANNERS
from ..errors import DomainError
from ..fields import options, show_domain_error
from ..visits.services import get_visit
from ..volunteers.services import volunteers_for_roster
from . import services
from .forms import RosterForm, SessionsForm

bp = Blueprint("roster", __name__, url_prefix="/visits/<int:visit_id>/roster")


def _visit(visit_id: int):
    """The visit, or 404."""
    try:
        return get_visit(visit_id)
    except DomainError:
        abort(404)


def _entry(visit_id: int, entry_id: int):
    """A roster entry of the visit, or 404."""
    try:
        return services.get_entry(visit_id, entry_id)
    except DomainError:
        abort(404)


def _session_choices(form: SessionsForm, visit) -> None:
    """The visit's sessions as checkboxes."""
    form.session_ids.choices = [
        (session.id, f"{session.label}, {session.starts_at:%H:%M}–{session.ends_at:%H:%M}, "
                     f"{session.room}") for session in visit.sessions]


def _back(visit_id: int, entry_id: int | None = None):
    """Back to the visit's roster."""
    anchor = f"entry-{entry_id}" if entry_id else "roster"
    return redirect(url_for("visits.show", visit_id=visit_id, _anchor=anchor))


@bp.route("/add", methods=["GET", "POST"])
@allow(*PLANNERS)
def add(visit_id: int):
    """Put a volunteer on the visit."""
    visit = _visit(visit_id)
    form = RosterForm()
    form.volunteer_id.choices = options(
        ((volunteer.id, f"{volunteer.name} ({volunteer.organisation.name})")
         for volunteer in volunteers_for_roster()), "Choose a volunteer")
    _session_choices(form, visit)
    if form.validate_on_submit():
        try:
            entry = services.add_to_roster(visit.id, form.volunteer_id.data,
                                           form.role_on_day.data.strip(), form.escorted.data,
                                           form.session_ids.data or [], g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            state = "confirmed" if entry.confirmed else "pending until their clearance is recorded"
            flash(f"{entry.volunteer.name} added to the roster, {state}.")
            return _back(visit.id, entry.id)
    return render_template("roster/add.html", form=form, visit=visit)


@bp.route("/<int:entry_id>/sessions", methods=["GET", "POST"])
@allow(*PLANNERS)
def sessions(visit_id: int, entry_id: int):
    """Choose which sessions a rostered volunteer is in."""
    entry = _entry(visit_id, entry_id)
    form = SessionsForm(data={"session_ids": [placed.session_id for placed in entry.sessions]})
    _session_choices(form, entry.visit)
    if form.validate_on_submit():
        try:
            services.set_sessions(visit_id, entry.id, form.session_ids.data or [], g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Sessions for {entry.volunteer.name} saved.")
            return _back(visit_id, entry.id)
    return render_template("roster/sessions.html", form=form, visit=entry.visit, entry=entry)


@bp.route("/<int:entry_id>/confirm", methods=["POST"])
@allow(*PLANNERS)
def confirm(visit_id: int, entry_id: int):
    """Confirm a pending volunteer (refused unless cleared)."""
    entry = _entry(visit_id, entry_id)
    try:
        services.confirm(visit_id, entry.id, g.user.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{entry.volunteer.name} is confirmed.")
    return _back(visit_id, entry.id)


@bp.route("/<int:entry_id>/remove", methods=["POST"])
@allow(*PLANNERS)
def remove(visit_id: int, entry_id: int):
    """Take a volunteer off the visit."""
    entry = _entry(visit_id, entry_id)
    name = entry.volunteer.name
    try:
        services.remove_from_roster(visit_id, entry.id, g.user.id)
    except DomainError as error:
        flash(error.message, "error")
        return _back(visit_id, entry.id)
    flash(f"{name} taken off the roster.")
    return _back(visit_id)
