"""The gate list: who will arrive at the prison gate for a visit, for the prison's security team.

It holds the visiting volunteers only: never anything about the men in prison (cohorts,
referrals, nor the visit's purpose and notes, which may mention them), and no volunteer contact
details. Every row is built here as plain values, so the PDF and CSV show the same thing.
"""

from datetime import datetime, time, timedelta

from sqlalchemy import and_, select

from ..audit.services import record
from ..database import db, utcnow, writes
from ..dates import local
from ..printing.services import render_pdf
from ..printing.spreadsheet import csv_text
from ..roster.models import RosterEntry
from ..visits.models import Visit
from ..visits.services import get_visit
from ..volunteers.models import ID_TYPES, Clearance, Organisation, Volunteer
from ..volunteers.services import verdict

TEMPLATE = "gate_list/gate_list_pdf.html"
ARRIVE_BEFORE_FIRST_SESSION = timedelta(minutes=30)
VISITOR_COLUMNS = {"name": "Name", "organisation": "Organisation",
                   "role_on_day": "Role on the day", "id_type": "ID type",
                   "clearance": "Clearance", "escorted": "Escorted"}
VISIT_COLUMNS = {"prison_name": "Prison", "prison_code": "Prison code",
                 "visit_date": "Visit date", "arrival_time": "Arrival time"}
# Cells starting with these are formulas to a spreadsheet (OWASP "CSV injection").


def gate_list(visit_id: int) -> dict:
    """The gate list of a visit as plain values; DomainError not_found for an unknown visit."""
    visit = get_visit(visit_id)
    return {"prison_name": visit.prison.name, "prison_code": visit.prison.code,
            "visit_date": visit.date, "arrival_time": arrival_time(visit),
            "printed_at": local(utcnow()), "visitors": visitors(visit)}


def arrival_time(visit: Visit) -> str:
    """Gate arrival (HH:MM): as set, else 30 minutes before the first session, else blank."""
    if visit.arrival_time:
        return f"{visit.arrival_time:%H:%M}"
    if not visit.sessions:
        return ""
    first = datetime.combine(visit.date, visit.sessions[0].starts_at)
    midnight = datetime.combine(visit.date, time.min)
    return f"{max(first - ARRIVE_BEFORE_FIRST_SESSION, midnight):%H:%M}"


def visitors(visit: Visit) -> list[dict]:
    """Each rostered volunteer with organisation, role, ID seen and clearance, by name (one
    query, each clearance judged by the one rule, ``verdict``)."""
    query = (select(Volunteer.id, Volunteer.name, Organisation.name, RosterEntry.role_on_day,
                    RosterEntry.escorted, Clearance)
             .join(Volunteer, Volunteer.id == RosterEntry.volunteer_id)
             .join(Organisation, Organisation.id == Volunteer.organisation_id)
             .outerjoin(Clearance, and_(Clearance.volunteer_id == Volunteer.id,
                                        Clearance.prison_id == visit.prison_id))
             .where(RosterEntry.visit_id == visit.id))
    rows = sorted(db.session.execute(query), key=lambda row: (row[1].casefold(), row[0]))
    return [_visitor(visit, *row[1:]) for row in rows]


def _visitor(visit: Visit, name: str, organisation: str, role: str, escorted: bool,
             clearance: Clearance | None) -> dict:
    """One visitor's row."""
    check = verdict(clearance, visit.date)
    id_type = clearance.id_type if clearance else ""
    return {"name": name, "organisation": organisation, "role_on_day": role,
            "id_type": ID_TYPES.get(id_type or "", "Not recorded"),
            "cleared": check.cleared,
            "clearance": "Cleared" if check.cleared else f"Not cleared: {check.reason}",
            "escorted": "Yes" if escorted else "No"}


def title(data: dict) -> str:
    """The document title: the prison and the date, no one's name."""
    return f"Gate list: {data['prison_name']}, {data['visit_date']:%d %B %Y}"


def gate_list_pdf(visit_id: int) -> bytes:
    """The gate list of a visit as an A4 PDF."""
    data = gate_list(visit_id)
    return render_pdf(TEMPLATE, data, title=title(data))


def csv_rows(data: dict) -> list[list[str]]:
    """The header and one row per visitor, each with the visit's prison, date and arrival."""
    visit = [data["prison_name"], data["prison_code"], data["visit_date"].isoformat(),
             data["arrival_time"]]
    rows = [[visitor[key] for key in VISITOR_COLUMNS] + visit for visitor in data["visitors"]]
    return [[*VISITOR_COLUMNS.values(), *VISIT_COLUMNS.values()], *rows]


def gate_list_csv(visit_id: int) -> str:
    """The gate list of a visit as CSV text."""
    return csv_text(csv_rows(gate_list(visit_id)))


@writes
def _record_download(visit_id: int, actor_id: int, file_format: str) -> None:
    """Audit and commit that this person downloaded the visit's gate list."""
    record("gate_list.downloaded", actor_id, "visit", visit_id, detail=file_format)
    db.session.commit()


def download_pdf(visit_id: int, actor_id: int) -> bytes:
    """The gate list PDF for someone to download, with an audit row saying who did.

    The audit row is committed before rendering, so no database lock is held while WeasyPrint
    works (on SQLite every transaction holds the write lock)."""
    data = gate_list(visit_id)
    _record_download(visit_id, actor_id, "pdf")
    return render_pdf(TEMPLATE, data, title=title(data))


def download_csv(visit_id: int, actor_id: int) -> str:
    """The gate list CSV for someone to download, with an audit row saying who did."""
    text = gate_list_csv(visit_id)
    _record_download(visit_id, actor_id, "csv")
    return text
