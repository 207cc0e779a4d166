"""The report pages and downloads (organisers, admins and auditors; volunteers never).

The page shows the organiser's **exact** figures and says so, with a link to preview the
**shared** view that every download gets (small numbers hidden). The scope travels in the page
address (dates and ids, no personal data); a scope that cannot be reported on is shown on its
field, never a 500. Downloads are audited in ``downloads``.
"""

from flask import Blueprint, Response, abort, g, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from ..accounts.access import allow
from ..accounts.roles import FOLLOW_READERS
from ..database import db
from ..dates import today
from ..errors import DomainError
from ..printing.spreadsheet import csv_download
from ..visits.models import Visit
from . import downloads, presentation
from .figures import Scope, check_scope, report
from .forms import SCOPE_FIELDS, IpsGrowForm, scope_args, scope_form, scope_of

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _checked_scope(form) -> Scope | None:
    """The form's scope if it can be reported on; else None, with the reason on its field."""
    if not form.validate():
        return None
    scope = scope_of(form)
    try:
        check_scope(scope, today())
    except DomainError as error:
        field = form[SCOPE_FIELDS.get(error.field or "", "start")]
        field.errors = [*field.errors, error.message]
        return None
    return scope


def _visit_scope(visit_id: int) -> Scope:
    """One visit's scope; 404 for a visit that does not exist."""
    if db.session.get(Visit, visit_id) is None:
        abort(404)
    return Scope(visit_id=visit_id)


def _page(scope: Scope | None, args: dict, **context):
    """The report page of the scope (exact, or the shared preview when asked), or the form
    alone with its errors when there is no scope."""
    shared = request.args.get("view") == "shared"
    shown = presentation.page(report(scope), shared) if scope else None
    here = {**request.view_args, **args}
    return render_template(
        "reports/report.html", shown=shown, shared=shared, args=args,
        exact_url=url_for(request.endpoint, **here),
        shared_url=url_for(request.endpoint, **here, view="shared"),
        ips_form=_ips_form(), **context)


def _ips_form(args=None) -> IpsGrowForm:
    """IPS Grow's form, as asked for, or offering the quarter before this one."""
    if args is not None:
        return IpsGrowForm(args)
    this_quarter = (today().month - 1) // 3
    year = today().year if this_quarter else today().year - 1
    return IpsGrowForm(year=year, quarter=this_quarter or 4)


@bp.route("/")
@allow(*FOLLOW_READERS)
def index():
    """The report for a period, prison or receiving organisation (all time by default)."""
    form = scope_form(request.args)
    scope = _checked_scope(form)
    return _page(scope, scope_args(scope) if scope else {}, form=form, visit=None)


@bp.route("/visits/<int:visit_id>")
@allow(*FOLLOW_READERS)
def visit(visit_id: int):
    """One visit's report."""
    scope = _visit_scope(visit_id)
    return _page(scope, {}, form=None, visit=db.session.get(Visit, visit_id))


def _attachment(content: bytes, filename: str, mimetype: str) -> Response:
    """A download under a name with no one's name in it."""
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _period_scope() -> Scope:
    """The period's scope from the page address; a scope the form refuses is a 400 (the page
    itself never links to one)."""
    scope = _checked_scope(scope_form(request.args))
    if scope is None:
        abort(400)
    return scope


@bp.route("/report.pdf")
@allow(*FOLLOW_READERS)
def pdf():
    """The period's report as an A4 PDF (shared view)."""
    return _attachment(downloads.report_pdf(_period_scope(), g.user.id), "report.pdf",
                       "application/pdf")


@bp.route("/report.csv")
@allow(*FOLLOW_READERS)
def csv():
    """The period's report as CSV (shared view)."""
    content = csv_download(downloads.report_csv(_period_scope(), g.user.id))
    return _attachment(content, "report.csv", "text/csv")


@bp.route("/visits/<int:visit_id>/report.pdf")
@allow(*FOLLOW_READERS)
def visit_pdf(visit_id: int):
    """One visit's report as an A4 PDF (shared view)."""
    content = downloads.report_pdf(_visit_scope(visit_id), g.user.id)
    return _attachment(content, f"report-visit-{visit_id}.pdf", "application/pdf")


@bp.route("/visits/<int:visit_id>/report.csv")
@allow(*FOLLOW_READERS)
def visit_csv(visit_id: int):
    """One visit's report as CSV (shared view)."""
    content = csv_download(downloads.report_csv(_visit_scope(visit_id), g.user.id))
    return _attachment(content, f"report-visit-{visit_id}.csv", "text/csv")


@bp.route("/ips-grow.csv")
@allow(*FOLLOW_READERS)
def ips_grow():
    """IPS Grow's figures for one quarter as CSV; a wrong year or quarter is shown on the
    report page's form."""
    form = _ips_form(request.args)
    if not form.validate():
        return render_template("reports/report.html", shown=None, shared=False, args={},
                               form=scope_form(MultiDict()), visit=None, ips_form=form), 400
    content = csv_download(downloads.ips_grow_csv(form.year.data, form.quarter.data, g.user.id))
    return _attachment(content, f"ips-grow-{form.year.data}-q{form.quarter.data}.csv",
                       "text/csv")
