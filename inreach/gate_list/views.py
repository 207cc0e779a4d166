"""The gate list for prison security, as PDF and CSV.

Who may download it: organisers and admins. Sending the gate list to a prison is a planning
action, so auditors, who may read the plans, do not download it (the audit trail shows who
did); volunteers never do.
"""

from flask import Blueprint, Response, abort, g

from ..accounts.access import allow
from ..accounts.roles import PLANNERS
from ..errors import DomainError
from ..printing.spreadsheet import csv_download
from . import services

bp = Blueprint("gate_list", __name__)


def _attachment(visit_id: int, make, extension: str, mimetype: str) -> Response:
    """Run the download service; send its file under a name with no one's name in it."""
    try:
        content = make(visit_id, g.user.id)
    except DomainError as error:
        if error.code == "not_found":
            abort(404)
        raise
    filename = f"gate-list-visit-{visit_id}.{extension}"
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/visits/<int:visit_id>/gate-list.pdf")
@allow(*PLANNERS)
def pdf(visit_id: int):
    """Download the visit's gate list as a PDF to print or send to the prison."""
    return _attachment(visit_id, services.download_pdf, "pdf", "application/pdf")


@bp.route("/visits/<int:visit_id>/gate-list.csv")
@allow(*PLANNERS)
def csv(visit_id: int):
    """Download the visit's gate list as CSV for the prison's own systems."""
    return _attachment(visit_id, _csv_file, "csv", "text/csv")


def _csv_file(visit_id: int, actor_id: int) -> bytes:
    """The CSV as a spreadsheet-friendly download."""
    return csv_download(services.download_csv(visit_id, actor_id))
