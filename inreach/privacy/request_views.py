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
from . import requests, requests_export, rights
from .requests_forms import CorrectForm, EraseForm, ReasonForm, SearchForm

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
            matches = requests.search(form.query.data, g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            if not matches:
                form.query.errors.append("No one matches. Check the spelling, or search by "
                                         "his prison number, like A1234BC")
    status = 400 if form.errors or form.form_errors else 200
    return render_template("privacy/requests_search.html", form=form, matches=matches,
                           limit=requests.MATCHES_MAX), status


def _person_page(public_id: str, restrict_form=None, status: int = 200):
    """His data-rights page, with the restriction form as posted (and its errors)."""
    person = _or_404(requests.his_page, public_id, g.user.id)
    return render_template("privacy/person.html", person=person,
                           restrict_form=restrict_form or ReasonForm(formdata=None),
                           admin=g.user.role == ADMIN), status


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
    content = _or_404(requests_export.download, public_id, g.user.id, what)
    mimetype = "application/zip" if what == "zip" else "application/pdf"
    name = requests_export.filename(what)
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<public_id>/correct", methods=["GET", "POST"])
@allow(ADMIN)
def correct(public_id: str):
    """Correct one detail of his record, with the reason."""
    person = _or_404(requests.person_by_public_id, public_id)
    form = CorrectForm()
    if form.validate_on_submit():
        try:
            rights.rectify(public_id, form.field.data, form.value.data, form.reason.data,
                           g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"{rights.CORRECTABLE[form.field.data]} corrected.")
            return redirect(url_for("data_requests.person", public_id=public_id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("privacy/person_correct.html", person=person, form=form), status


@bp.route("/<public_id>/<any(restrict, lift):change>", methods=["POST"])
@allow(ADMIN)
def restriction(public_id: str, change: str):
    """Restrict processing of his data, or lift the restriction, with the reason."""
    form = ReasonForm()
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
    person = _or_404(requests.person_by_public_id, public_id)
    form = EraseForm()
    if form.validate_on_submit():
        try:
            rights.erase(public_id, form.reason.data, actor())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("His details are erased.")
            return redirect(url_for("data_requests.search"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("privacy/person_erase.html", person=person, form=form), status
