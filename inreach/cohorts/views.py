"""The cohort page of a visit: the eligibility window, each session's men, moving a man, the
automatic split, adding one man by hand, and the attendance registers.

Men are named in forms and URLs by ``CohortMember.public_id`` only. Planners change; auditors
read the page; volunteers never see it (attendance on the day has its own pages)."""

from dataclasses import fields

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for

from ..accounts.access import allow
from ..accounts.roles import PLAN_READERS, PLANNERS
from ..database import db
from ..dates import today
from ..errors import DomainError
from ..fields import form_values, options, show_domain_error
from ..printing.spreadsheet import csv_download
from ..visits.models import Visit
from ..visits.services import may_view
from . import placement, register
from .forms import AllocateForm, MoveForm, PersonForm, WindowForm
from .services import PersonDetails, add_to_cohort, cohort, set_window

bp = Blueprint("cohorts", __name__, url_prefix="/visits/<int:visit_id>/cohort")


def _visit_or_404(visit_id: int) -> Visit:
    """The visit if it exists and this user may see it."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        abort(404)
    if not may_view(g.user, visit.id):
        abort(403)
    return visit


def _move_form(visit: Visit) -> MoveForm:
    """The move form, offering the visit's sessions or no session."""
    form = MoveForm()
    form.session_id.choices = options(
        [(session.id, session.label) for session in visit.sessions], "Not in a session")
    return form


def _page(visit: Visit, window_form: WindowForm | None = None):
    """The cohort page, with the window form as submitted when it has errors."""
    members = cohort(visit.id)
    window_form = window_form or WindowForm(
        eligible_from_days=visit.eligible_from_days, eligible_to_days=visit.eligible_to_days)
    return render_template(
        "cohorts/show.html", visit=visit, members=members,
        planner=g.user.role in PLANNERS, waiting=placement.waiting_reasons(visit),
        clashes=placement.clashes(visit.id), window_form=window_form,
        move_form=_move_form(visit), allocate_form=AllocateForm())


@bp.route("/")
@allow(*PLAN_READERS)
def show(visit_id: int):
    """Who is on the cohort, in which session, and what needs fixing (the view is audited)."""
    visit = _visit_or_404(visit_id)
    placement.record_viewed(visit.id, g.user.id)
    return _page(visit)


@bp.route("/window", methods=["POST"])
@allow(*PLANNERS)
def window(visit_id: int):
    """Change the eligibility window."""
    visit = _visit_or_404(visit_id)
    form = WindowForm()
    if form.validate_on_submit():
        try:
            set_window(visit.id, form.eligible_from_days.data, form.eligible_to_days.data,
                       g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Eligibility window changed.")
            return redirect(url_for("cohorts.show", visit_id=visit.id))
    return _page(visit, form)


@bp.route("/add", methods=["GET", "POST"])
@allow(*PLANNERS)
def add(visit_id: int):
    """Add one man to the cohort by hand."""
    visit = _visit_or_404(visit_id)
    form = PersonForm()
    if form.validate_on_submit():
        names = [field.name for field in fields(PersonDetails)]
        try:
            add_to_cohort(visit.id, PersonDetails(**form_values(form, names)), g.user.id, today())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Man added to the cohort.")
            return redirect(url_for("cohorts.show", visit_id=visit.id))
    return render_template("cohorts/add.html", visit=visit, form=form)


@bp.route("/move", methods=["POST"])
@allow(*PLANNERS)
def move(visit_id: int):
    """Move one man to another session by hand (clashes are shown on the page, not refused)."""
    visit = _visit_or_404(visit_id)
    form = _move_form(visit)
    if not form.validate_on_submit():
        flash("Choose a session from the list.", "error")
        return redirect(url_for("cohorts.show", visit_id=visit.id))
    try:
        placement.move(visit.id, form.member.data, form.session_id.data, g.user.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Moved.")
    return redirect(url_for("cohorts.show", visit_id=visit.id))


@bp.route("/allocate", methods=["POST"])
@allow(*PLANNERS)
def allocate(visit_id: int):
    """Place every man without a session automatically."""
    visit = _visit_or_404(visit_id)
    form = AllocateForm()
    if form.validate_on_submit():
        result = placement.run_allocation(visit.id, form.keep_wing_together.data, g.user.id)
        flash(f"Allocation done. {len(result.unplaced)} men could not be placed."
              if result.unplaced else "Allocation done. Every man has a session.")
    return redirect(url_for("cohorts.show", visit_id=visit.id))


def _attachment(visit_id: int, session_id: int, make, extension: str, mimetype: str):
    """Run the register download; send it under a name with no one's name in it."""
    visit = _visit_or_404(visit_id)
    try:
        content = make(visit.id, session_id, g.user.id)
    except DomainError as error:
        if error.code == "not_found":
            abort(404)
        raise
    filename = f"register-visit-{visit.id}-session-{session_id}.{extension}"
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/sessions/<int:session_id>/register.pdf")
@allow(*PLANNERS)
def register_pdf(visit_id: int, session_id: int):
    """Download a session's attendance register to print."""
    return _attachment(visit_id, session_id, register.download_pdf, "pdf", "application/pdf")


@bp.route("/sessions/<int:session_id>/register.csv")
@allow(*PLANNERS)
def register_csv(visit_id: int, session_id: int):
    """Download a session's attendance register as CSV."""
    return _attachment(visit_id, session_id, _csv_file, "csv", "text/csv")


def _csv_file(visit_id: int, session_id: int, actor_id: int) -> bytes:
    """The register CSV as a spreadsheet-friendly download."""
    return csv_download(register.download_csv(visit_id, session_id, actor_id))
