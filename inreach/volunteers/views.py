"""Organisations, volunteers and their clearance per prison."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from ..accounts.access import allow
from ..accounts.roles import PLAN_READERS, PLANNERS
from ..dates import today
from ..errors import DomainError
from ..fields import form_values, options, show_domain_error
from ..prisons.services import get_prison
from . import services
from .forms import ClearanceForm, OrganisationForm, VolunteerForm
from .models import CLEARANCE_STATES, ID_TYPES, ORGANISATION_KINDS

bp = Blueprint("volunteers", __name__)


def _or_404(getter, object_id: int):
    """The object a service's getter finds, or 404."""
    try:
        return getter(object_id)
    except DomainError:
        abort(404)


@bp.route("/organisations/")
@allow(*PLAN_READERS)
def organisations():
    """Every organisation with how many volunteers it has."""
    return render_template("volunteers/organisations.html", kinds=ORGANISATION_KINDS,
                           organisations=services.all_organisations())


@bp.route("/organisations/new", methods=["GET", "POST"])
@allow(*PLANNERS)
def new_organisation():
    """Add an organisation."""
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(
                services.OrganisationDetails(**form_values(form, ["name", "kind"])), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"{organisation.name} added.")
            return redirect(url_for("volunteers.organisations"))
    return render_template("volunteers/organisation_form.html", form=form, organisation=None)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@allow(*PLANNERS)
def edit_organisation(organisation_id: int):
    """Change an organisation's name or kind."""
    organisation = _or_404(services.get_organisation, organisation_id)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            services.update_organisation(organisation.id, services.OrganisationDetails(
                **form_values(form, ["name", "kind"])), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"{organisation.name} updated.")
            return redirect(url_for("volunteers.organisations"))
    return render_template("volunteers/organisation_form.html", form=form,
                           organisation=organisation)


@bp.route("/organisations/<int:organisation_id>/delete", methods=["POST"])
@allow(*PLANNERS)
def delete_organisation(organisation_id: int):
    """Delete an organisation with no volunteers; otherwise explain why not."""
    organisation = _or_404(services.get_organisation, organisation_id)
    try:
        name = services.delete_organisation(organisation.id, g.user.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{name} deleted.")
    return redirect(url_for("volunteers.organisations"))


@bp.route("/volunteers/")
@allow(*PLAN_READERS)
def index():
    """Every volunteer with their organisation and where they are cleared today."""
    return render_template("volunteers/index.html", states=CLEARANCE_STATES,
                           volunteers=services.volunteer_summaries(today()))


def _volunteer_choices(form: VolunteerForm, volunteer_id: int | None) -> None:
    """Offer every organisation, and the volunteer logins nobody else is linked to."""
    form.organisation_id.choices = options(
        [(organisation.id, organisation.name) for organisation, _ in services.all_organisations()],
        "Choose an organisation")
    form.user_id.choices = options(
        [(user.id, f"{user.display_name} ({user.email})")
         for user in services.linkable_accounts(volunteer_id)], "No login")


def _volunteer_details(form: VolunteerForm) -> services.VolunteerDetails:
    """The form's values as plain data for the service."""
    names = ["name", "organisation_id", "job_title", "email", "phone", "user_id"]
    return services.VolunteerDetails(**form_values(form, names))


@bp.route("/volunteers/new", methods=["GET", "POST"])
@allow(*PLANNERS)
def new():
    """Add a volunteer."""
    form = VolunteerForm()
    _volunteer_choices(form, None)
    if form.validate_on_submit():
        try:
            volunteer = services.create_volunteer(_volunteer_details(form), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Volunteer added. Record their clearance at each prison they will visit.")
            return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))
    return render_template("volunteers/form.html", form=form, volunteer=None)


@bp.route("/volunteers/<int:volunteer_id>")
@allow(*PLAN_READERS)
def show(volunteer_id: int):
    """A volunteer's details and their clearance at each prison."""
    volunteer = _or_404(services.get_volunteer, volunteer_id)
    return render_template("volunteers/show.html", volunteer=volunteer, states=CLEARANCE_STATES,
                           id_types=ID_TYPES,
                           clearances=services.clearance_rows(volunteer, today(), True))


@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@allow(*PLANNERS)
def edit(volunteer_id: int):
    """Change a volunteer's details."""
    volunteer = _or_404(services.get_volunteer, volunteer_id)
    form = VolunteerForm(obj=volunteer)
    _volunteer_choices(form, volunteer.id)
    if form.validate_on_submit():
        try:
            services.update_volunteer(volunteer.id, _volunteer_details(form), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Volunteer's details updated.")
            return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))
    return render_template("volunteers/form.html", form=form, volunteer=volunteer)


@bp.route("/volunteers/<int:volunteer_id>/<any(archive, unarchive):change>", methods=["POST"])
@allow(*PLANNERS)
def archive(volunteer_id: int, change: str):
    """Archive a volunteer who no longer visits, or bring them back."""
    volunteer = _or_404(services.get_volunteer, volunteer_id)
    services.set_volunteer_archived(volunteer.id, change == "archive", g.user.id)
    flash("Volunteer archived: they can no longer be added to visits." if volunteer.archived
          else "Volunteer brought back: they can be added to visits again.")
    return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))


@bp.route("/volunteers/<int:volunteer_id>/clearances/<int:prison_id>", methods=["GET", "POST"])
@allow(*PLANNERS)
def clearance(volunteer_id: int, prison_id: int):
    """Record or update a volunteer's clearance at one prison."""
    volunteer = _or_404(services.get_volunteer, volunteer_id)
    prison = _or_404(get_prison, prison_id)
    form = ClearanceForm(obj=services.clearance_at(volunteer.id, prison.id))
    if form.validate_on_submit():
        names = ["state", "submitted_on", "cleared_on", "expires_on", "id_type"]
        try:
            services.record_clearance(volunteer.id, prison.id, services.ClearanceDetails(
                **{name: form[name].data for name in names}), g.user.id, today())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Clearance at {prison.name} saved.")
            return redirect(url_for("volunteers.show", volunteer_id=volunteer.id))
    return render_template("volunteers/clearance_form.html", form=form, volunteer=volunteer,
                           prison=prison)
