"""The attendance register of one session: the men expected (walk-ins last), with empty columns
to tick attendance and sign, as PDF and CSV. Rows are plain values built here, so the PDF and
the CSV show the same thing."""

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError
from ..printing.services import render_pdf
from ..printing.spreadsheet import csv_text
from ..visits.models import VisitSession
from .models import CohortMember, Person

TEMPLATE = "cohorts/register_pdf.html"
COLUMNS = ["Name", "Prison number", "Location", "Release date", "Walk-in", "Attended (tick)",
           "Signature"]


def session_of(visit_id: int, session_id: int) -> VisitSession:
    """A session of this visit, or not_found."""
    session = db.session.get(VisitSession, session_id)
    if session is None or session.visit_id != visit_id:
        raise DomainError("not_found", "That session does not exist")
    return session


def register_order(session_id: int) -> list[CohortMember]:
    """The men placed in a session as the register lists them: by name, walk-ins last (each
    with his details, in the same query)."""
    query = (select(CohortMember).join(Person).options(contains_eager(CohortMember.person))
             .where(CohortMember.session_id == session_id)
             .order_by(CohortMember.walk_in, Person.last_name, Person.first_name, Person.id))
    return list(db.session.scalars(query))


def register(visit_id: int, session_id: int) -> dict:
    """The register of a session as plain values: the session, and its men, walk-ins last."""
    session = session_of(visit_id, session_id)
    men = [{"name": f"{member.person.first_name} {member.person.last_name}",
            "prison_number": member.person.prison_number, "location": member.person.location,
            "release_date": member.person.release_date, "walk_in": member.walk_in}
           for member in register_order(session.id)]
    return {"session_label": session.label, "visit_date": session.visit.date,
            "prison_name": session.visit.prison.name, "room": session.room,
            "starts_at": session.starts_at, "ends_at": session.ends_at,
            "capacity": session.capacity, "men": men}


def title(data: dict) -> str:
    """The document title: the session and the date, no one's name."""
    return f"Attendance register: {data['session_label']}, {data['visit_date']:%d %B %Y}"


def csv_rows(data: dict) -> list[list[str]]:
    """The header and one row per man, tick and signature left empty."""
    return [COLUMNS, *([man["name"], man["prison_number"], man["location"],
                        man["release_date"].isoformat() if man["release_date"] else "",
                        "Yes" if man["walk_in"] else "No", "", ""] for man in data["men"])]


@writes
def _record_download(session_id: int, actor_id: int, file_format: str) -> None:
    """Audit and commit that this person downloaded the session's register."""
    record("register.downloaded", actor_id, "session", session_id, detail=file_format)
    db.session.commit()


def download_pdf(visit_id: int, session_id: int, actor_id: int) -> bytes:
    """The register PDF, audited; the audit commits before rendering so no lock is held."""
    data = register(visit_id, session_id)
    _record_download(session_id, actor_id, "pdf")
    return render_pdf(TEMPLATE, data, title=title(data))


def download_csv(visit_id: int, session_id: int, actor_id: int) -> str:
    """The register as CSV text, audited."""
    data = register(visit_id, session_id)
    _record_download(session_id, actor_id, "csv")
    return csv_text(csv_rows(data))
