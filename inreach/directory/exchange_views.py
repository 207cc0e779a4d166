"""Loading and sharing the directory: Open Referral UK JSON and flat CSV, in and out.

Organisers and admins import; auditors may also export. The directory holds services, not
men, so downloads are named by date only."""

from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)

from ..accounts.access import allow
from ..accounts.roles import PLAN_READERS, PLANNERS
from ..database import end_read
from ..dates import today
from . import flat_csv, importing, oruk, services
from .entries import MAX_SERVICES, ImportRefused
from .exchange_forms import DirectoryUploadForm

bp = Blueprint("directory_exchange", __name__, url_prefix="/directory")


def _download(content: Iterator[bytes], mimetype: str, extension: str) -> Response:
    """A file download named after today's date, streamed as it is written."""
    filename = f"directory-{today():%Y-%m-%d}.{extension}"
    return Response(stream_with_context(content), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _export_ids() -> list[int]:
    """Every service's id in export order; the read then ends, so the download that follows
    holds no connection while it is written (it reads a batch at a time, each read short)."""
    ids = services.export_ids()
    end_read()
    return ids


@bp.route("/export.json")
@allow(*PLAN_READERS)
def export_json():
    """Every service as Open Referral UK JSON."""
    ids = _export_ids()
    chunks = oruk.export_chunks(len(ids), services.services_in_batches(ids))
    return _download((chunk.encode("utf-8") for chunk in chunks), "application/json", "json")


@bp.route("/export.csv")
@allow(*PLAN_READERS)
def export_csv():
    """Every service as one CSV row."""
    ids = _export_ids()
    return _download(flat_csv.export_chunks(services.services_in_batches(ids)), "text/csv",
                     "csv")


@bp.route("/import", methods=["GET", "POST"])
@allow(*PLANNERS)
def upload():
    """Load a directory file: all of it, or nothing and every problem listed."""
    form = DirectoryUploadForm()
    if form.validate_on_submit():
        chosen = form.file.data
        try:
            counts = importing.import_file(chosen.read(), chosen.filename or "",
                                           form.remove_missing.data, g.user.id)
        except ImportRefused as refusal:
            _show_problems(form, refusal)
        else:
            flash(f"{counts}.")
            return redirect(url_for("directory.index"))
    return render_template("directory/import.html", form=form,
                           max_mb=importing.MAX_BYTES // 2**20, max_services=MAX_SERVICES)


def _show_problems(form: DirectoryUploadForm, refusal: ImportRefused) -> None:
    """Every problem at the top of the page; on the file field, the one or how many."""
    if len(refusal.problems) > 1:
        form.form_errors.extend(refusal.problems)
    form.file.errors = [refusal.message]
