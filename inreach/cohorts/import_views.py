"""Importing the prison's list of men due for release onto a visit: template, preview, confirm.

Organisers and admins only. Uploading shows a preview and writes nothing but an audit row
(counts only); the preview page carries the file back signed, and confirm checks it again.
"""

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for

from ..accounts.access import allow
from ..accounts.roles import PLANNERS
from ..dates import today
from ..demo.prison_list import prison_list_csv
from ..errors import DomainError
from ..fields import show_domain_error
from ..printing.spreadsheet import csv_download, csv_text
from ..site.models import is_demo
from ..visits.services import get_visit
from . import importing
from .import_forms import ConfirmForm, UploadForm

bp = Blueprint("cohort_import", __name__, url_prefix="/visits/<int:visit_id>/cohort/import")

# Fictional men, so the template shows every column filled in without anyone's real details.
TEMPLATE_ROWS = [
    ["Z9999AA", "Example", "Fictional", "2027-03-14", "CRD", "yes", "1990-01-31", "B wing",
     "Hammersmith and Fulham", "employment; housing", "no", "no", "", "Fictional example",
     "Z9999AB"],
    ["Z9999AB", "Sample", "Madeup", "21/03/2027", "HDCAD", "no", "", "C wing", "Ealing",
     "psychological_support", "yes", "yes", "Polish", "", ""],
]


def _visit(visit_id: int):
    """The visit, or 404."""
    try:
        return get_visit(visit_id)
    except DomainError:
        abort(404)


@bp.route("/template.csv")
@allow(*PLANNERS)
def template(visit_id: int):
    """A CSV with the header row and two fictional rows, to send to the prison."""
    _visit(visit_id)
    content = csv_download(csv_text([list(importing.COLUMNS), *TEMPLATE_ROWS]))
    return Response(content, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="prison-list-template.csv"'})


@bp.route("/demo-list.csv")
@allow(*PLANNERS)
def demo_list(visit_id: int):
    """On a demo database only: the fictional prison list for this visit, to try the preview."""
    visit = _visit(visit_id)
    if not is_demo():
        abort(404)
    return Response(prison_list_csv(visit.date), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="demo-prison-list.csv"'})


@bp.route("/", methods=["GET", "POST"])
@allow(*PLANNERS)
def upload(visit_id: int):
    """Upload the prison's list, then see what importing it would do before anything is saved."""
    visit = _visit(visit_id)
    form = UploadForm()
    if form.validate_on_submit():
        content = form.file.data.read()
        try:
            parsed = importing.parse(content)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            return _preview(visit, parsed, content)
    return render_template("cohorts/import_upload.html", visit=visit, form=form,
                           max_mb=importing.MAX_BYTES // 2**20, max_rows=importing.MAX_ROWS)


def _preview(visit, parsed, content: bytes):
    """The preview page for a parsed file (its viewing audited, counts only)."""
    on_visit = importing.members_on_visit(visit.id)
    rows = importing.preview(visit, parsed, today(), on_visit)
    importing.record_preview(visit.id, g.user.id, rows)
    form = ConfirmForm(token=importing.seal(visit.id, content))
    return render_template("cohorts/import_preview.html", visit=visit, form=form, rows=rows,
                           counts=importing.counts(rows), notices=parsed.notices,
                           keep_apart=importing.keep_apart(rows, on_visit))


@bp.route("/confirm", methods=["POST"])
@allow(*PLANNERS)
def confirm(visit_id: int):
    """Import every eligible man from the previewed file, all or nothing."""
    visit = _visit(visit_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        content = importing.unseal(visit.id, form.token.data)
        tally = importing.confirm(visit.id, content, g.user.id, today())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("cohort_import.upload", visit_id=visit.id))
    added, pairs = tally["eligible"], tally["keep_apart"]
    flash(f"{added} {'man' if added == 1 else 'men'} added to the visit's cohort; "
          f"{pairs} keep-apart {'pair' if pairs == 1 else 'pairs'} recorded.")
    return redirect(url_for("visits.show", visit_id=visit.id))
