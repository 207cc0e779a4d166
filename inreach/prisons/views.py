"""Prisons, their contacts and visiting notes: list, add, the prison's page, change, archive."""

from dataclasses import fields

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from ..accounts.access import allow
from ..accounts.roles import PLAN_READERS, PLANNERS
from ..errors import DomainError
from ..fields import form_values, show_domain_error
from . import services
from .forms import PrisonForm

bp = Blueprint("prisons", __name__, url_prefix="/prisons")


def _prison_or_404(prison_id: int):
    """The prison, or 404."""
    try:
        return services.get_prison(prison_id)
    except DomainError:
        abort(404)


def _details(form: PrisonForm) -> services.PrisonDetails:
    """The form's values as plain data for the service."""
    names = [field.name for field in fields(services.PrisonDetails)]
    return services.PrisonDetails(**form_values(form, names))


@bp.route("/")
@allow(*PLAN_READERS)
def index():
    """Every prison, archived ones last."""
    return render_template("prisons/index.html", prisons=services.all_prisons())


@bp.route("/new", methods=["GET", "POST"])
@allow(*PLANNERS)
def new():
    """Add a prison."""
    form = PrisonForm()
    if form.validate_on_submit():
        try:
            prison = services.create_prison(_details(form), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"{prison.name} added.")
            return redirect(url_for("prisons.show", prison_id=prison.id))
    return render_template("prisons/form.html", form=form, prison=None)


@bp.route("/<int:prison_id>")
@allow(*PLAN_READERS)
def show(prison_id: int):
    """A prison's contacts, visiting notes and what uses it."""
    prison = _prison_or_404(prison_id)
    visits, clearances = services.usage(prison.id)
    return render_template("prisons/show.html", prison=prison, visits=visits,
                           clearances=clearances)


@bp.route("/<int:prison_id>/edit", methods=["GET", "POST"])
@allow(*PLANNERS)
def edit(prison_id: int):
    """Change a prison's details."""
    prison = _prison_or_404(prison_id)
    form = PrisonForm(obj=prison)
    if form.validate_on_submit():
        try:
            services.update_prison(prison.id, _details(form), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"{prison.name} updated.")
            return redirect(url_for("prisons.show", prison_id=prison.id))
    return render_template("prisons/form.html", form=form, prison=prison)


@bp.route("/<int:prison_id>/<any(archive, unarchive):change>", methods=["POST"])
@allow(*PLANNERS)
def archive(prison_id: int, change: str):
    """Archive a prison, or bring an archived one back."""
    prison = _prison_or_404(prison_id)
    services.set_archived(prison.id, change == "archive", g.user.id)
    flash(f"{prison.name} archived: it can no longer be chosen for new visits."
          if prison.archived else f"{prison.name} can be chosen for visits again.")
    return redirect(url_for("prisons.show", prison_id=prison.id))


@bp.route("/<int:prison_id>/delete", methods=["POST"])
@allow(*PLANNERS)
def delete(prison_id: int):
    """Delete a prison nothing uses; otherwise explain and offer archiving."""
    prison = _prison_or_404(prison_id)
    try:
        name = services.delete_prison(prison.id, g.user.id)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("prisons.show", prison_id=prison.id))
    flash(f"{name} deleted.")
    return redirect(url_for("prisons.index"))
