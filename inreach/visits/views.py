"""Visits and their sessions: list, plan, the visit's page, edit, status and sessions."""

from dataclasses import fields

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ..accounts.access import allow, signed_in
from ..accounts.roles import PLANNERS
from ..checkin.services import visit_hours
from ..cohorts.placement import session_counts
from ..database import db
from ..dates import today
from ..errors import DomainError
from ..fields import form_values, options, show_domain_error
from ..paging import requested_number
from ..prisons.services import active_prisons
from ..roster.services import roster_rows
from . import services
from .forms import SessionForm, StatusForm, VisitForm
from .models import STATUSES
from .warnings import visit_warnings

bp = Blueprint("visits", __name__, url_prefix="/visits")


def _visit_or_404(visit_id: int):
    """The visit if it exists and this user may see it."""
    visit = db.session.get(services.Visit, visit_id)
    if visit is None:
        abort(404)
    if not services.may_view(g.user, visit.id):
        abort(403)
    return visit


def _prison_choices(form: VisitForm, keep=None) -> None:
    """Offer the prisons not archived, and the visit's own prison even if archived since."""
    prisons = active_prisons()
    if keep is not None and keep not in prisons:
        prisons.append(keep)
    form.prison_id.choices = options(((prison.id, f"{prison.name} ({prison.code})")
                                      for prison in prisons), "Choose a prison")


def _details(form: VisitForm) -> services.VisitDetails:
    """The form's values as plain data for the service."""
    names = [field.name for field in fields(services.VisitDetails)]
    return services.VisitDetails(**form_values(form, names))


@bp.route("/")
@signed_in
def index():
    """The visits this user may see, newest first, a page at a time."""
    page = services.visible_visits(g.user, requested_number(request.args))
    return render_template("visits/index.html", page=page, statuses=STATUSES, today=today())


@bp.route("/new", methods=["GET", "POST"])
@allow(*PLANNERS)
def new():
    """Plan a visit."""
    form = VisitForm()
    _prison_choices(form)
    if form.validate_on_submit():
        try:
            visit = services.create_visit(_details(form), g.user.id, today())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Visit planned as a draft. Add its sessions next.")
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/form.html", form=form, visit=None)


@bp.route("/<int:visit_id>")
@signed_in
def show(visit_id: int):
    """Everything about the day at a glance."""
    visit = _visit_or_404(visit_id)
    day = {row.entry_id: row for row in visit_hours(visit.id).rows}
    return render_template("visits/show.html", visit=visit, roster=roster_rows(visit), day=day,
                           warnings=visit_warnings(visit, today()), statuses=STATUSES,
                           next_statuses=services.NEXT_STATUSES[visit.status],
                           status_form=StatusForm(), cohort=session_counts(visit))


@bp.route("/<int:visit_id>/edit", methods=["GET", "POST"])
@allow(*PLANNERS)
def edit(visit_id: int):
    """Change a visit's details."""
    visit = _visit_or_404(visit_id)
    form = VisitForm(obj=visit)
    _prison_choices(form, keep=visit.prison)
    if form.validate_on_submit():
        try:
            services.update_visit(visit.id, _details(form), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Visit updated.")
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/form.html", form=form, visit=visit)


@bp.route("/<int:visit_id>/status", methods=["POST"])
@allow(*PLANNERS)
def change_status(visit_id: int):
    """Confirm, complete, cancel or reopen a visit."""
    visit = _visit_or_404(visit_id)
    form = StatusForm()
    try:
        services.change_status(visit.id, form.status.data or "", g.user.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"The visit is now {STATUSES[visit.status].lower()}.")
    return redirect(url_for("visits.show", visit_id=visit.id))


@bp.route("/<int:visit_id>/sessions/new", methods=["GET", "POST"])
@allow(*PLANNERS)
def new_session(visit_id: int):
    """Add a session to a visit."""
    visit = _visit_or_404(visit_id)
    form = SessionForm()
    if form.validate_on_submit():
        try:
            services.add_session(visit.id, _session_details(form), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Session {form.label.data} added.")
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/session_form.html", form=form, visit=visit, session=None)


def _session_details(form: SessionForm) -> services.SessionDetails:
    """The form's values as plain data for the service."""
    names = [field.name for field in fields(services.SessionDetails)]
    return services.SessionDetails(**form_values(form, names))


def _session_of(visit, session_id: int):
    """A session of this visit, or 404."""
    session = db.session.get(services.VisitSession, session_id)
    if session is None or session.visit_id != visit.id:
        abort(404)
    return session


@bp.route("/<int:visit_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@allow(*PLANNERS)
def edit_session(visit_id: int, session_id: int):
    """Change a session."""
    visit = _visit_or_404(visit_id)
    session = _session_of(visit, session_id)
    form = SessionForm(obj=session)
    if form.validate_on_submit():
        try:
            services.update_session(session.id, _session_details(form), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Session {session.label} updated.")
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/session_form.html", form=form, visit=visit, session=session)


@bp.route("/<int:visit_id>/sessions/<int:session_id>/delete", methods=["POST"])
@allow(*PLANNERS)
def delete_session(visit_id: int, session_id: int):
    """Remove a session that nobody is placed in."""
    visit = _visit_or_404(visit_id)
    session = _session_of(visit, session_id)
    label = session.label
    try:
        services.delete_session(session.id, g.user.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"Session {label} removed.")
    return redirect(url_for("visits.show", visit_id=visit.id))
