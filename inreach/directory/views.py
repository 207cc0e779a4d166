"""The service directory: browse and search, a service's page, add and change entries, mark an
entry checked, and the organisations that run services. Everyone signed in may read it;
organisers and admins change it."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ..accounts.access import allow
from ..accounts.roles import ADMIN, AUDITOR, ORGANISER, PLANNERS, VOLUNTEER
from ..errors import DomainError
from ..fields import form_values, options, show_domain_error
from ..paging import requested_number
from . import services
from .forms import PHONE_ROWS, FilterForm, OrganisationForm, ServiceForm
from .vocabulary import NATIONAL, PATHWAYS, REFERRAL_DETAILS, REFERRAL_ROUTES, STATUSES

bp = Blueprint("directory", __name__, url_prefix="/directory")
READERS = (ADMIN, ORGANISER, VOLUNTEER, AUDITOR)
bp.add_app_template_filter(PATHWAYS.get, "pathway_label")
bp.add_app_template_filter(REFERRAL_DETAILS.get, "detail_label")
bp.add_app_template_global(STATUSES, "statuses")
bp.add_app_template_global(REFERRAL_ROUTES, "referral_routes")


def _service_or_404(oruk_id: str):
    """The service with this id, or 404."""
    try:
        return services.service_by_oruk_id(oruk_id)
    except DomainError:
        abort(404)


def _organisation_or_404(oruk_id: str):
    """The organisation with this id, or 404."""
    try:
        return services.organisation_by_oruk_id(oruk_id)
    except DomainError:
        abort(404)


@bp.route("/")
@allow(*READERS)
def index():
    """Services, filtered by pathway, area and words (inactive and closed ones when asked), a
    page at a time."""
    form = FilterForm(request.args)
    form.pathway.choices = options(PATHWAYS.items(), blank="All pathways")
    areas = services.known_areas()
    form.area.choices = options([(area, area) for area in areas], blank="All areas")
    found = None
    if form.validate():
        found = services.services_page(form.pathway.data, form.area.data, form.words.data,
                                       form.everything.data, requested_number(request.args),
                                       no_route=form.no_route.data)
    return render_template("directory/index.html", form=form, page=found,
                           filters=_filter_args(form), needs_checking=services.needs_checking,
                           lacks_route=services.missing_route,
                           without_route=services.count_missing_route()
                           if g.user.role in PLANNERS else 0)


def _filter_args(form: FilterForm) -> dict:
    """The filters chosen, as the query arguments that keep them on every page's link."""
    chosen = {"pathway": form.pathway.data, "area": form.area.data,
              "words": (form.words.data or "").strip(), "everything": "y" if form.everything.data
              else "", "no_route": "y" if form.no_route.data else ""}
    return {name: value for name, value in chosen.items() if value}


@bp.route("/services/<oruk_id>")
@allow(*READERS)
def show(oruk_id: str):
    """Everything about one service."""
    service = _service_or_404(oruk_id)
    return render_template("directory/show.html", service=service,
                           needs_checking=services.needs_checking(service),
                           missing_route=services.missing_route(service),
                           check_days=services.check_days(), national=NATIONAL)


def _service_form(service=None) -> ServiceForm:
    """The service form, filled from the entry when changing one, with its drop-downs."""
    form = ServiceForm(obj=service) if service and request.method == "GET" else ServiceForm()
    form.organisation_id.choices = options(
        [(str(item.id), item.name) for item in services.all_organisations()],
        blank="Choose an organisation")
    if service and request.method == "GET":
        _fill(form, service)
    while len(form.phones) < max(PHONE_ROWS, len(service.phones) + 1 if service else 0):
        form.phones.append_entry()
    return form


def _fill(form: ServiceForm, service) -> None:
    """Put a service's lists into the form's fields, which hold them differently."""
    form.organisation_id.data = str(service.organisation_id)
    form.pathways.data = service.pathway_codes
    form.national.data = NATIONAL in service.area_names
    form.areas.data = "\n".join(name for name in service.area_names if name != NATIONAL)
    form.referral_details.data = service.detail_codes
    while form.phones.entries:
        form.phones.pop_entry()
    for phone in service.phones:
        form.phones.append_entry({"number": phone.number, "description": phone.description})


def _details(form: ServiceForm) -> services.ServiceDetails:
    """The form's values as plain data for the service."""
    values = form_values(form, ["name", "status", "description", "eligibility",
                                "application_process", "fees", "opening_hours", "address",
                                "languages", "url", "email", "next_steps", "referral_contact",
                                "referral_email", "referral_instructions"])
    areas = (form.areas.data or "").splitlines() + ([NATIONAL] if form.national.data else [])
    return services.ServiceDetails(
        **values, organisation_id=int(form.organisation_id.data or 0), areas=areas,
        pathways=form.pathways.data or [], referable=form.referable.data,
        referral_details=form.referral_details.data or [],
        referral_route=form.referral_route.data or "", answer_days=form.answer_days.data,
        ips=form.ips.data,
        phones=[(entry.form.number.data or "", entry.form.description.data or "")
                for entry in form.phones])


@bp.route("/services/new", methods=["GET", "POST"])
@allow(*PLANNERS)
def new():
    """Add a service."""
    form = _service_form()
    if form.validate_on_submit():
        try:
            service = services.create_service(_details(form), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"{service.name} added to the directory.")
            return redirect(url_for("directory.show", oruk_id=service.oruk_id))
    return render_template("directory/form.html", form=form, service=None)


@bp.route("/services/<oruk_id>/edit", methods=["GET", "POST"])
@allow(*PLANNERS)
def edit(oruk_id: str):
    """Change a service's details."""
    service = _service_or_404(oruk_id)
    form = _service_form(service)
    if form.validate_on_submit():
        try:
            services.update_service(service.id, _details(form), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"{service.name} updated.")
            return redirect(url_for("directory.show", oruk_id=service.oruk_id))
    return render_template("directory/form.html", form=form, service=service)


@bp.route("/services/<oruk_id>/checked", methods=["POST"])
@allow(*PLANNERS)
def mark_checked(oruk_id: str):
    """Record that the organiser checked the entry today."""
    service = _service_or_404(oruk_id)
    services.mark_checked(service.id, g.user.email, g.user.id)
    flash(f"{service.name} marked as checked today.")
    return redirect(url_for("directory.show", oruk_id=service.oruk_id))


@bp.route("/services/<oruk_id>/delete", methods=["POST"])
@allow(*PLANNERS)
def delete(oruk_id: str):
    """Remove a service from the directory."""
    service = _service_or_404(oruk_id)
    try:
        name = services.delete_service(service.id, g.user.id)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("directory.show", oruk_id=service.oruk_id))
    flash(f"{name} removed from the directory.")
    return redirect(url_for("directory.index"))


@bp.route("/organisations/")
@allow(*READERS)
def organisations():
    """The organisations that run services."""
    return render_template("directory/organisations.html",
                           organisations=services.all_organisations())


@bp.route("/organisations/new", methods=["GET", "POST"])
@allow(*PLANNERS)
def new_organisation():
    """Add an organisation that runs services."""
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(_organisation_details(form), g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"{organisation.name} added. You can now add its services.")
            return redirect(url_for("directory.organisations"))
    return render_template("directory/organisation_form.html", form=form, organisation=None)


@bp.route("/organisations/<oruk_id>/edit", methods=["GET", "POST"])
@allow(*PLANNERS)
def edit_organisation(oruk_id: str):
    """Change an organisation's details."""
    organisation = _organisation_or_404(oruk_id)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            services.update_organisation(organisation.id, _organisation_details(form),
                                         g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"{organisation.name} updated.")
            return redirect(url_for("directory.organisations"))
    return render_template("directory/organisation_form.html", form=form,
                           organisation=organisation)


def _organisation_details(form: OrganisationForm) -> services.OrganisationDetails:
    """The organisation form's values as plain data."""
    return services.OrganisationDetails(
        **form_values(form, ["name", "description", "website", "email"]))
