"""A man's data rights: find him, download everything held about him, correct, restrict or
erase his details. Auditors and administrators find men and download their data; only
administrators change anything. Nothing personal goes in a URL: the search is a POST and his
pages use his opaque ``public_id``."""

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for

from ..accounts.access import allow
from ..accounts.roles import ADMIN, AUDITOR
from ..accounts.session import actor
from ..errors import DomainError
from ..fields import show_domain_error
from . import reasons, rights, subject_access, subject_access_export
from .request_forms import CorrectForm, EraseForm, LiftForm, RestrictForm, SearchForm

bp = Blueprint("data_requests", __name__, url_prefix="/privacy/people")


def _or_404(make, *args):
    """Run a service; an unknown man is a 404."""
    try:
        return make(*args)
    except DomainError as error:
        if error.code == "not_found":
            abort(404)
        raise


@bp.route("/", methods=["GET", "POST"])
@allow(ADMIN, AUDITOR)
def search():
    """Find a man by prison number or name; several matches are listed to choose from."""
    form, matches = SearchForm(), None
    if form.validate_on_submit():
        try:
            matches = subject_access.search(form.query.data, g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            if not matches:
                form.query.errors.append("No one matches. Check the spelling, or search by "
                                         "his prison number, like A1234BC")
    status = 400 if form.errors or form.form_errors else 200
    return render_template("privacy/person_search.html", form=form, matches=matches,
                           limit=subject_access.MATCHES_MAX), status


def _person_page(public_id: str, restrict_form=None, status: int = 200):
    """His data-rights page, with the restriction form as posted (and its errors)."""
    person = _or_404(subject_access.his_page, public_id, g.user.id)
    blank = LiftForm if person["restricted_at"] else RestrictForm
    return render_template("privacy/person.html", person=person,
                           restrict_form=restrict_form or blank(formdata=None),
                           reason_words=reasons.words, admin=g.user.role == ADMIN), status


@bp.route("/<public_id>")
@allow(ADMIN, AUDITOR)
def person(public_id: str):
    """What can be done for him: download his data; for administrators, correct, restrict,
    erase."""
    return _person_page(public_id)


@bp.route("/<public_id>/subject-access.<any(zip, pdf):what>")
@allow(ADMIN, AUDITOR)
def download(public_id: str, what: str):
    """Everything held about him, as a ZIP of JSON files with a readable PDF, or the PDF."""
    content = _or_404(subject_access_export.download, public_id, g.user.id, what)
    mimetype = "application/zip" if what == "zip" else "application/pdf"
    name = subject_access_export.filename(what)
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _change_page(public_id: str, form, template: str, change, done: str, then: str):
    """A page that changes his record (correct, erase): the form, then the change with its
    refusal shown on the field, then a message and the page at ``then``."""
    person = _or_404(subject_access.person_by_public_id, public_id)
    if form.validate_on_submit():
        try:
            change(form)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(done)
            return redirect(then)
    status = 400 if form.errors or form.form_errors else 200
    return render_template(template, person=person, form=form), status


@bp.route("/<public_id>/correct", methods=["GET", "POST"])
@allow(ADMIN)
def correct(public_id: str):
    """Correct one detail of his record, with the reason."""
    form = CorrectForm()
    return _change_page(
        public_id, form, "privacy/person_correct.html",
        lambda form: rights.rectify(public_id, form.field.data, form.value.data,
                                    form.reason.data, g.user.id),
        f"{rights.CORRECTABLE.get(form.field.data, 'The detail')} corrected.",
        url_for("data_requests.person", public_id=public_id))


@bp.route("/<public_id>/<any(restrict, lift):change>", methods=["POST"])
@allow(ADMIN)
def restriction(public_id: str, change: str):
    """Restrict processing of his data, or lift the restriction, with the reason."""
    form = RestrictForm() if change == "restrict" else LiftForm()
    if form.validate_on_submit():
        change_it = rights.restrict if change == "restrict" else rights.lift
        try:
            _or_404(change_it, public_id, form.reason.data, g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("He is restricted: print batches and sending leave him out."
                  if change == "restrict" else "The restriction is lifted.")
            return redirect(url_for("data_requests.person", public_id=public_id))
    return _person_page(public_id, form, 400)


@bp.route("/<public_id>/erase", methods=["GET", "POST"])
@allow(ADMIN)
def erase(public_id: str):
    """Confirm, then erase him now with the reason."""
    return _change_page(public_id, EraseForm(), "privacy/person_erase.html",
                        lambda form: rights.erase(public_id, form.reason.data, actor()),
                        "His details are erased.", url_for("data_requests.search"))
