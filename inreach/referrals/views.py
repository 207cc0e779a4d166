"""Recording self-referrals for a session: the list of men, one form per man (tablet, offline
tablet or paper typed in later), and "Enter paper forms" by the reference on the form.

The form posts as an ordinary HTML form. The offline outbox posts the same fields with an
``X-Outbox: 1`` header and gets JSON back instead of a redirect, so both take one path."""

import uuid

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for

from ..accounts.access import allow
from ..accounts.roles import PLANNERS, VOLUNTEER
from ..accounts.session import actor
from ..dates import local
from ..directory.services import known_areas, referable_services
from ..directory.vocabulary import PATHWAYS
from ..errors import DomainError
from ..fields import error_list, show_domain_error
from ..visits.services import get_visit
from . import services
from .consent import current_wording
from .forms import CaptureForm, capture_form
from .models import CHANNELS, ReferralSet

bp = Blueprint("referrals", __name__,
               url_prefix="/visits/<int:visit_id>/sessions/<int:session_id>/referrals")
RECORDERS = (*PLANNERS, VOLUNTEER)
bp.add_app_template_filter(lambda moment: local(moment).strftime("%d %B %Y %H:%M"),
                           "local_time")
bp.add_app_template_global(CHANNELS, "channels")


def _place(visit_id: int, session_id: int):
    """The visit and session, for someone who may record on it (else 404 or 403)."""
    try:
        visit = get_visit(visit_id)
        session = services.session_of(visit.id, session_id)
    except DomainError:
        abort(404)
    if not services.may_capture(g.user, visit.id):
        abort(403)
    return visit, session


@bp.route("/")
@allow(*RECORDERS)
def session(visit_id: int, session_id: int):
    """The session's men with quick search and each man's status."""
    visit, visit_session = _place(visit_id, session_id)
    rows = services.board(visit.id, visit_session.id)
    return render_template("referrals/session.html", visit=visit, session=visit_session,
                           rows=rows, status_text=services.STATUS_TEXT)


@bp.route("/paper", methods=["GET", "POST"])
@allow(*RECORDERS)
def paper(visit_id: int, session_id: int):
    """Find the man for a paper form by its reference, then open his form in paper mode."""
    visit, visit_session = _place(visit_id, session_id)
    error = None
    if request.method == "POST":
        try:
            member = services.member_by_reference(visit.id, visit_session.id,
                                                  request.form.get("reference", ""))
        except DomainError as refused:
            error = refused.message
        else:
            return redirect(url_for("referrals.form", visit_id=visit.id,
                                    session_id=visit_session.id, member=member.public_id,
                                    paper=1))
    rows = services.board(visit.id, visit_session.id)
    return render_template("referrals/paper.html", visit=visit, session=visit_session,
                           rows=rows, error=error)


@bp.route("/<member>", methods=["GET", "POST"])
@allow(*RECORDERS)
def form(visit_id: int, session_id: int, member: str):
    """One man's form: new, or his saved referrals to change."""
    refused = None
    if request.method == "POST":
        response, refused = _submit(visit_id, session_id, member)
        if response is not None:
            return response
    visit, visit_session = _place(visit_id, session_id)
    man = _member(visit.id, visit_session.id, member)
    existing = services.set_for(man.id)
    if existing is not None and request.method == "GET":
        # Audited first: the write ends the read, and what it loaded would be read again.
        services.record_view(existing, g.user.id)
    choices = referable_services()
    page_form = capture_form(choices, known_areas(), **_initial(man, existing, choices))
    if request.method == "POST":  # the posted answers, each message beside its field
        page_form.validate()
        if refused is not None:
            show_domain_error(page_form, refused)
    return render_template("referrals/form.html", visit=visit, session=visit_session,
                           man=man, form=page_form, services=_grouped(choices),
                           wording=current_wording(), existing=existing,
                           history=services.history(existing) if existing else [],
                           paper=request.args.get("paper") == "1" or _is_paper())


def _submit(visit_id: int, session_id: int, member: str):
    """Save a posted form against only what it needs (the service checks the rest). Returns
    the response, or no response and the refusal to show on the page with its errors."""
    outbox = request.headers.get("X-Outbox") == "1"
    # CSRFProtect has checked the token; the form need not make one for a page it never shows.
    form = CaptureForm(meta={"csrf": False})
    refused = None
    if form.validate():
        try:
            _, repeat = services.save(visit_id, session_id, _capture(form, member), actor())
        except DomainError as error:
            _abort_if_misplaced(error)
            refused = error
            show_domain_error(form, error)
        else:
            return _saved(outbox, visit_id, session_id, repeat), None
    if outbox:  # the outbox keeps the item and shows it as needing attention
        message = error_list(form)[0]["text"]
        return (jsonify(ok=False, message=message), 422), None
    return None, refused


def _abort_if_misplaced(error: DomainError) -> None:
    """A visit, session or man that is not there is a 404; a visit not his, a 403."""
    if error.code in ("not_found", "wrong_session"):
        abort(404)
    if error.code == "not_allowed":
        abort(403)


def _member(visit_id: int, session_id: int, public_id: str):
    """The man, who must be in this session (else 404)."""
    try:
        return services.member_in_session(visit_id, session_id, public_id)
    except DomainError:
        abort(404)


def _initial(man, existing: ReferralSet | None, choices) -> dict:
    """What the form shows before anything is typed: his saved answers, or a fresh form."""
    if request.method == "POST":
        return {}
    values = {"client_id": str(uuid.uuid4()), "consent_version": current_wording().version}
    if existing is None:
        person = man.person
        return {**values, "release_area": person.release_area, "easy_read": person.easy_read,
                "large_print": person.large_print, "language": person.interpreter_language}
    values.update({name: getattr(existing, name) for name in services.FIELDS})
    values["safe_message"] = {True: "yes", False: "no"}.get(existing.safe_message, "")
    values.update(set_id=existing.public_id, chosen=[r.service_id for r in existing.referrals])
    values.update({f"consent_{r.service_id}": "yes" if r.consent else "no"
                   for r in existing.referrals})
    return values


def _capture(form: CaptureForm, member: str) -> services.Capture:
    """The form's values as plain data for the service (a yes or no for each chosen service)."""
    chosen = form.chosen.data or []
    consent = {service_id: {"yes": True, "no": False}.get(
        request.form.get(f"consent_{service_id}")) for service_id in chosen}
    channel = request.form.get("channel")  # the outbox says "offline" if it had to wait
    channel = channel if channel in ("paper", "offline") else "tablet"
    return services.Capture(
        client_id=form.client_id.data or "", member=member, chosen=chosen,
        consent=consent, consent_version=form.consent_version.data,
        consent_method=form.consent_method.data, housing=form.housing.data,
        release_area=form.release_area.data or "", phone=form.phone.data or "",
        safe_message={"yes": True, "no": False}.get(form.safe_message.data),
        contact_by=form.contact_by.data or "", probation_name=form.probation_name.data or "",
        probation_contact=form.probation_contact.data or "", easy_read=form.easy_read.data,
        large_print=form.large_print.data, language=form.language.data or "",
        notes=form.notes.data or "", channel=channel, paper_date=form.paper_date.data,
        set_id=form.set_id.data or "")


def _is_paper() -> bool:
    """A paper form is one typed in with the date written on it."""
    return request.method == "POST" and request.form.get("channel") == "paper"


def _grouped(choices) -> list[tuple[str, list]]:
    """Referable services under their first pathway, pathways in their usual order."""
    groups = {code: [] for code in PATHWAYS}
    for service in choices:
        groups[service.pathway_codes[0]].append(service)
    return [(PATHWAYS[code], items) for code, items in groups.items() if items]


def _saved(outbox: bool, visit_id: int, session_id: int, repeat: bool):
    """Confirm the id to the outbox, or go back to the list in one step."""
    if outbox:
        # Only what the outbox needs: reading the saved row again would start a second
        # transaction (on SQLite, a second wait for the write lock).
        return jsonify(ok=True, repeat=repeat, client_id=request.form.get("client_id"))
    flash("Already saved: nothing was added twice." if repeat else "Saved.")
    return redirect(url_for("referrals.session", visit_id=visit_id, session_id=session_id))
