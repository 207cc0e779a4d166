"""Printing for a session: preview and download one man's pack or form, blank ones, and the
whole session's batch with its progress. Organisers and admins only: every PDF here but the
blank ones holds a man's details. Download names carry no name or prison number."""

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from ..accounts.access import allow
from ..accounts.roles import PLANNERS
from ..cohorts.register import session_of
from ..directory.services import known_areas
from ..errors import DomainError
from ..fields import options, show_domain_error
from ..privacy.restriction import refuse_if_restricted
from ..privacy.rights import restricted_in_session
from ..referrals.services import STATUS_TEXT, board, set_for
from ..visits.services import get_visit
from . import batches, content, documents
from .forms import BatchChoices, BlankPackChoices, PackChoices, variant_of
from .models import KINDS

bp = Blueprint("packs", __name__,
               url_prefix="/visits/<int:visit_id>/sessions/<int:session_id>/printing")


def _place(visit_id: int, session_id: int):
    """The visit and session, or 404."""
    try:
        visit = get_visit(visit_id)
        return visit, session_of(visit.id, session_id)
    except DomainError:
        abort(404)


def _man(visit_id: int, session_id: int, member: str):
    """The man placed in this session, or 404."""
    try:
        return documents.member(visit_id, session_id, member)
    except DomainError:
        abort(404)


def _restricted(visit, visit_session, man, what: str):
    """When his processing is restricted, the session's page with the reason nothing of his is
    printed (a redirect); None otherwise."""
    try:
        refuse_if_restricted(man.person, what)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".session", visit_id=visit.id, session_id=visit_session.id))
    return None


def _pdf(pdf: bytes, filename: str) -> Response:
    """A PDF download under a name with no one's name in it."""
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _unchecked_in_session(session_id: int) -> list[str]:
    """Entries that need checking in the directories of this session's men's areas."""
    names: set[str] = set()
    for area in content.release_areas(session_id):
        names.update(content.directory(area, False)["unchecked"])
    return sorted(names)


@bp.route("/")
@allow(*PLANNERS)
def session(visit_id: int, session_id: int):
    """Everything to print for the session: batches, each man's pack and form, blank ones."""
    visit, visit_session = _place(visit_id, session_id)
    return _session_page(visit, visit_session, BatchChoices(formdata=None))


def _session_page(visit, visit_session, batch_form, status: int = 200, blank=None):
    """The session's printing page, with the forms as given (and their errors)."""
    blank = blank or _blank_choices(formdata=None, data={"variant": "standard",
                                                         "unchecked": "leave_out"})
    return render_template(
        "packs/session.html", visit=visit, session=visit_session,
        rows=board(visit.id, visit_session.id), status_text=STATUS_TEXT,
        unchecked=_unchecked_in_session(visit_session.id), batch_form=batch_form,
        blank_form=blank, jobs=batches.recent_jobs(visit_session.id),
        kinds=KINDS, restricted=restricted_in_session(visit_session.id)), status


@bp.route("/men/<member>")
@allow(*PLANNERS)
def preview(visit_id: int, session_id: int, member: str):
    """His pack on screen, with the choices for printing it and any warning first."""
    visit, visit_session = _place(visit_id, session_id)
    man = _man(visit.id, visit_session.id, member)
    refused = _restricted(visit, visit_session, man, "his pack")
    if refused:
        return refused
    his_set = set_for(man.id)
    preferred = content.default_options(man, his_set)
    form = _pack_choices(preferred)
    chosen = form.pack_options() if form.validate() else preferred
    pack = content.pack(man, his_set, chosen)
    documents.audit_previewed(man, g.user.id)
    return render_template("packs/preview.html", visit=visit, session=visit_session, man=man,
                           form=form, pack=pack, unchecked=pack["directory"]["unchecked"])


def _pack_choices(preferred: content.PackOptions) -> PackChoices:
    """The choices from the query string, or his preferences when there are none yet."""
    if request.args:
        return PackChoices(formdata=request.args)
    return PackChoices(formdata=None, data={"variant": variant_of(preferred),
                                            "with_name": True, "unchecked": "leave_out"})


@bp.route("/men/<member>/pack.pdf")
@allow(*PLANNERS)
def pack_pdf(visit_id: int, session_id: int, member: str):
    """His pack as a PDF, printed with the choices made on the preview."""
    visit, visit_session = _place(visit_id, session_id)
    man = _man(visit.id, visit_session.id, member)
    refused = _restricted(visit, visit_session, man, "his pack")
    if refused:
        return refused
    form = PackChoices(formdata=request.args)
    if not request.args or not form.validate():
        flash("Choose how to print his pack, then download it.", "error")
        return redirect(url_for(".preview", visit_id=visit.id, session_id=visit_session.id,
                                member=man.public_id))
    pdf = documents.pack_pdf(man, form.pack_options(), g.user.id)
    return _pdf(pdf, f"pack-{man.public_id}.pdf")


@bp.route("/men/<member>/form.pdf")
@allow(*PLANNERS)
def form_pdf(visit_id: int, session_id: int, member: str):
    """His pre-filled self-referral form as a PDF."""
    visit, visit_session = _place(visit_id, session_id)
    man = _man(visit.id, visit_session.id, member)
    return _restricted(visit, visit_session, man, "his form") or _pdf(
        documents.form_pdf(man, g.user.id), f"self-referral-form-{man.form_reference}.pdf")


@bp.route("/blank-form.pdf")
@allow(*PLANNERS)
def blank_form_pdf(visit_id: int, session_id: int):
    """A blank self-referral form, for a man not on the list."""
    _place(visit_id, session_id)
    return _pdf(documents.form_pdf(None), "self-referral-form-blank.pdf")


@bp.route("/blank-pack.pdf")
@allow(*PLANNERS)
def blank_pack_pdf(visit_id: int, session_id: int):
    """A pack without name or plan for an area, for men who were not seen."""
    visit, visit_session = _place(visit_id, session_id)
    form = _blank_choices(formdata=request.args)
    if not form.validate():
        return _session_page(visit, visit_session, BatchChoices(formdata=None), 422, form)
    return _pdf(documents.blank_pack_pdf(form.area.data or "", form.pack_options()),
                "pack-blank.pdf")


def _blank_choices(**kwargs) -> BlankPackChoices:
    """The blank pack's choices, the areas the directory knows to choose from."""
    form = BlankPackChoices(prefix="blank", **kwargs)
    form.area.choices = options([(area, area) for area in known_areas()],
                                blank="Not known: national services only")
    return form


@bp.route("/batches", methods=["POST"])
@allow(*PLANNERS)
def start_batch(visit_id: int, session_id: int):
    """Start printing the whole session's packs or forms in the background."""
    visit, visit_session = _place(visit_id, session_id)
    form = BatchChoices()
    unchecked = _unchecked_in_session(visit_session.id)
    if form.validate():
        if form.kind.data == "packs" and unchecked and not form.unchecked.data:
            form.unchecked.errors.append("Choose whether to include the entries that need "
                                         "checking")
        else:
            choices = content.PackOptions(with_name=form.with_name.data,
                                          include_unchecked=form.unchecked.data == "include")
            try:
                job = batches.start(visit.id, visit_session.id, form.kind.data, choices,
                                    g.user.id)
            except DomainError as error:
                show_domain_error(form, error)
            else:
                return redirect(url_for(".batch", visit_id=visit.id,
                                        session_id=visit_session.id, job=job.public_id))
    return _session_page(visit, visit_session, form, 422)


@bp.route("/batches/<job>")
@allow(*PLANNERS)
def batch(visit_id: int, session_id: int, job: str):
    """A batch's progress (the page refreshes itself while it runs), then its download."""
    visit, visit_session = _place(visit_id, session_id)
    found = _job(visit_session.id, job)
    return render_template("packs/batch.html", visit=visit, session=visit_session, job=found,
                           kinds=KINDS, waited=batches.waiting_seconds(found),
                           expired=batches.expired(found))


def _job(session_id: int, public_id: str):
    """The session's batch, or 404."""
    try:
        return batches.get_job(session_id, public_id)
    except DomainError:
        abort(404)


@bp.route("/batches/<job>/pdf")
@allow(*PLANNERS)
def batch_pdf(visit_id: int, session_id: int, job: str):
    """The finished batch as one PDF."""
    visit, visit_session = _place(visit_id, session_id)
    found = _job(visit_session.id, job)
    try:
        pdf = batches.download(found, g.user.id)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".batch", visit_id=visit.id, session_id=visit_session.id,
                                job=found.public_id))
    return _pdf(pdf, f"{found.kind}-session-{visit_session.id}.pdf")
