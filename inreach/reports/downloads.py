"""The report's downloads: the A4 PDF for commissioners, the CSV, and IPS Grow's quarterly CSV.

Every download is the **shared** view (small numbers hidden; see ``presentation``) and leaves an
audit row saying who downloaded what: the report's scope as ids and dates, never a name. The
figures are read first, the audit row committed in its own short write, and only then is the
PDF laid out, so no connection or lock is held while WeasyPrint works.
"""

from ..audit.services import record
from ..database import db, end_read, writes
from ..printing.services import render_pdf
from ..printing.spreadsheet import csv_text
from . import ipsgrow, presentation
from .figures import Scope, report

TEMPLATE = "reports/report_pdf.html"


def scope_detail(scope: Scope, file_format: str) -> str:
    """What was downloaded, for the audit trail: the format and the scope's ids and dates."""
    parts = [file_format] + [f"{name}={value}" for name, value in (
        ("start", scope.start), ("end", scope.end), ("prison", scope.prison_id),
        ("organisation", scope.organisation_id)) if value is not None]
    return " ".join(str(part) for part in parts)


@writes
def record_download(actor_id: int, scope: Scope, file_format: str) -> None:
    """Audit and commit that this person downloaded this report."""
    object_type, object_id = ("visit", scope.visit_id) if scope.visit_id else ("report", None)
    record("report.downloaded", actor_id, object_type, object_id,
           detail=scope_detail(scope, file_format))
    db.session.commit()


def shared_page(scope: Scope) -> dict:
    """The shared view of the report with its charts, read and finished with the database."""
    figures = report(scope)
    end_read()
    return presentation.page(figures, shared=True)


def report_pdf(scope: Scope, actor_id: int) -> bytes:
    """The shared report as an A4 PDF, audited."""
    shown = shared_page(scope)
    record_download(actor_id, scope, "pdf")
    return render_pdf(TEMPLATE, {"shown": shown}, title=shown["title"])


def report_csv(scope: Scope, actor_id: int) -> str:
    """The shared report as CSV, audited."""
    figures = report(scope)
    end_read()
    shown = presentation.figures(figures, shared=True)
    record_download(actor_id, scope, "csv")
    return csv_text(presentation.csv_rows(shown))


@writes
def _record_ips_grow(actor_id: int, year: int, quarter: int) -> None:
    """Audit and commit that this person downloaded IPS Grow's figures for the quarter."""
    record("report.ips_grow_downloaded", actor_id, "quarter", f"{year}-Q{quarter}")
    db.session.commit()


def ips_grow_csv(year: int, quarter: int, actor_id: int) -> str:
    """IPS Grow's quarterly figures as CSV, audited."""
    rows = ipsgrow.quarter_rows(year, quarter)
    end_read()
    _record_ips_grow(actor_id, year, quarter)
    return csv_text(rows)
