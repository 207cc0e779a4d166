"""The gate list: what the prison's security team reads (PDF and CSV), who may download it, and
that nothing about the men in prison is ever on it."""

import csv
import io
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db
from inreach.errors import DomainError
from inreach.gate_list import services
from inreach.roster.models import RosterEntry

from . import planning
from .conftest import log_in
from .printing_helpers import counting_server, pdf_lines, pdf_reader, pdf_text

VISIT_DAY = date.today() + timedelta(days=30)
# On the visit (purpose, notes) and volunteers' contact details: never on a gate list.
NOT_FOR_THE_GATE = ["A1234BC", "John Prisoner", "Cell 4-12", "ann@example.org", "07700 900123",
                    "Pat Contact", "01234 567890"]
HEADER = ["Name", "Organisation", "Role on the day", "ID type", "Clearance", "Escorted",
          "Prison", "Prison code", "Visit date", "Arrival time"]
# What the gate sees for each rostered visitor, in the order of the list (by name).
VISITORS = [
    ["Ann Cleared", "North Thames NHS Trust", "IPS specialist", "Passport", "Cleared", "No"],
    ["bo Waiting", "Probation Service", "Probation officer", "Driving licence",
     "Not cleared: Clearance submitted, not cleared", "Yes"],
    ["Cy Lapsed", "North Thames NHS Trust", "Peer mentor", "Passport",
     f"Not cleared: Clearance expired on {VISIT_DAY - timedelta(days=1):%d %B %Y}", "Yes"],
    ["Di Elsewhere", "Shelter", "Housing adviser", "Not recorded",
     "Not cleared: Clearance for this prison not started", "No"],
]


def add(visit_id: int, volunteer_id: int, role: str, escorted: bool = False) -> None:
    """Put a volunteer on a visit's roster."""
    begin_write()
    db.session.add(RosterEntry(visit_id=visit_id, volunteer_id=volunteer_id, role_on_day=role,
                               escorted=escorted))
    db.session.commit()


def build_plan() -> dict:
    """A visit with four rostered volunteers in every clearance situation, and distractions: a
    man's details in the notes, contact details, another prison, another visit."""
    wsi, other = planning.prison(), planning.prison("BMI", "HMP Birmingham")
    visit = planning.visit(wsi.id, VISIT_DAY, status="confirmed")
    begin_write()
    visit.purpose = "Employment support for John Prisoner (A1234BC)"
    visit.notes = "Cell 4-12 asked for housing advice"
    visit.contact_name, visit.contact_phone = "Pat Contact", "01234 567890"
    planning.session(visit.id, "Cohort 2", "13:30", "15:00")
    planning.session(visit.id, "Cohort 1", "09:45", "12:00")
    ann = planning.volunteer("Ann Cleared")
    begin_write()
    ann.email, ann.phone = "ann@example.org", "07700 900123"
    bo = planning.volunteer("bo Waiting", "Probation Service")
    cy, di = planning.volunteer("Cy Lapsed"), planning.volunteer("Di Elsewhere", "Shelter")
    stay_home = planning.volunteer("Ed Not Rostered")
    planning.clear(ann.id, wsi.id)
    bo_clearance = planning.clear(bo.id, wsi.id, state="submitted")
    begin_write()
    bo_clearance.id_type = "driving_licence"
    planning.clear(cy.id, wsi.id, cleared_on=VISIT_DAY - timedelta(days=400),
                   expires_on=VISIT_DAY - timedelta(days=1))
    planning.clear(di.id, other.id)  # cleared, with ID seen, but at another prison
    planning.clear(stay_home.id, wsi.id)
    add(visit.id, di.id, "Housing adviser")
    add(visit.id, cy.id, "Peer mentor", escorted=True)
    add(visit.id, ann.id, "IPS specialist")
    add(visit.id, bo.id, "Probation officer", escorted=True)
    add(planning.visit(wsi.id, VISIT_DAY + timedelta(days=7)).id, stay_home.id, "Peer mentor")
    return {"visit": visit.id, "prison": wsi.id}


@pytest.fixture
def plan(app):
    """The visit and its roster, committed, as ids."""
    with app.app_context():
        return build_plan()


def csv_table(text: str) -> list[list[str]]:
    """The CSV as a spreadsheet would read it."""
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_the_gate_list_holds_plain_rows_sorted_by_name(app, plan):
    with app.app_context():
        data = services.gate_list(plan["visit"])
    assert set(data) == {"prison_name", "prison_code", "visit_date", "arrival_time",
                         "printed_at", "visitors"}
    assert (data["prison_name"], data["prison_code"]) == ("HMP Wormwood Scrubs", "WSI")
    assert data["visit_date"] == VISIT_DAY
    assert data["arrival_time"] == "09:15"  # 30 minutes before the earlier session
    assert [[row[key] for key in services.VISITOR_COLUMNS] for row in data["visitors"]] \
        == VISITORS
    assert [row["cleared"] for row in data["visitors"]] == [True, False, False, False]


def test_the_pdf_shows_the_gate_what_it_needs(app, plan):
    with app.app_context():
        pdf = services.gate_list_pdf(plan["visit"])
    lines = pdf_lines(pdf)
    assert "Prison HMP Wormwood Scrubs (WSI)" in lines
    assert f"Date of visit {VISIT_DAY:%A %d %B %Y}" in lines
    assert "Arrival at the gate 09:15" in lines
    assert "Visitors 4" in lines
    assert "Name Organisation Role on the day ID type Clearance Escorted" in lines
    rows = [line for line in lines if line.startswith(tuple(row[0] for row in VISITORS))]
    assert rows == [" ".join(row) for row in VISITORS]
    assert "Ed Not Rostered" not in pdf_text(pdf)
    assert pdf_reader(pdf).metadata.title == \
        f"Gate list: HMP Wormwood Scrubs, {VISIT_DAY:%d %B %Y}"


def test_the_csv_has_the_same_rows_as_the_pdf(app, plan):
    with app.app_context():
        table = csv_table(services.gate_list_csv(plan["visit"]))
    visit = ["HMP Wormwood Scrubs", "WSI", VISIT_DAY.isoformat(), "09:15"]
    assert table == [HEADER] + [row + visit for row in VISITORS]


def test_nothing_about_the_men_nor_anyone_s_contact_details_is_on_it(app, plan):
    with app.app_context():
        texts = [repr(services.gate_list(plan["visit"])), services.gate_list_csv(plan["visit"]),
                 pdf_text(services.gate_list_pdf(plan["visit"]))]
    for text in texts:
        for private in NOT_FOR_THE_GATE:
            assert private not in text


def test_spreadsheet_formulas_are_neutralised(app_context):
    prison = planning.prison()
    visit = planning.visit(prison.id, VISIT_DAY)
    for name, organisation, role in [('=HYPERLINK("http://x.invalid","Click")', "+Org", "-1+2"),
                                     ("@SUM(A1)", "Plain Org", "Peer mentor")]:
        add(visit.id, planning.volunteer(name, organisation).id, role)
    table = csv_table(services.gate_list_csv(visit.id))
    assert [row[:3] for row in table[1:]] == [
        ["'=HYPERLINK(\"http://x.invalid\",\"Click\")", "'+Org", "'-1+2"],
        ["'@SUM(A1)", "Plain Org", "Peer mentor"]]


@pytest.mark.parametrize("arrival,sessions,expected", [
    (time(8, 40), ["09:30"], "08:40"),
    (None, ["13:00", "09:30"], "09:00"),
    (None, ["00:10"], "00:00"),
    (None, [], ""),
])
def test_arrival_time(app_context, arrival, sessions, expected):
    visit = planning.visit(planning.prison().id, VISIT_DAY)
    begin_write()
    visit.arrival_time = arrival
    for number, starts in enumerate(sessions):
        planning.session(visit.id, f"Cohort {number}", starts, "15:00")
    db.session.refresh(visit)
    assert services.arrival_time(visit) == expected


def test_an_empty_roster_prints_a_plain_message(app_context):
    visit = planning.visit(planning.prison().id, VISIT_DAY)
    lines = pdf_lines(services.gate_list_pdf(visit.id))
    assert "No one is on the roster for this visit yet." in lines
    assert csv_table(services.gate_list_csv(visit.id)) == [HEADER]


def test_an_unknown_visit_is_not_found(app_context):
    with pytest.raises(DomainError) as raised:
        services.gate_list(404)
    assert raised.value.code == "not_found"


def test_markup_in_a_name_is_printed_as_text_and_fetches_nothing(app_context):
    visit = planning.visit(planning.prison().id, VISIT_DAY)
    with counting_server() as server:
        name = f'<img src="http://127.0.0.1:{server.server_port}/x">'
        add(visit.id, planning.volunteer(name).id, "Peer mentor")
        text = pdf_text(services.gate_list_pdf(visit.id))
    assert server.requests == []
    assert "".join(name.split()) in "".join(text.split())  # as text (a narrow column wraps it)


def audit_rows(app) -> list[tuple]:
    with app.app_context():
        return [(row.action, row.actor_id, row.object_type, row.object_id, row.detail)
                for row in db.session.scalars(select(AuditEvent).where(
                    AuditEvent.action == "gate_list.downloaded"))]


@pytest.mark.parametrize("extension,mimetype", [("pdf", "application/pdf"),
                                                ("csv", "text/csv; charset=utf-8")])
@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_planners_download_it_and_each_download_is_audited(app, client, login_as, plan, role,
                                                           extension, mimetype):
    user_id = login_as(role)
    response = client.get(f"/visits/{plan['visit']}/gate-list.{extension}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == mimetype
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="gate-list-visit-{plan["visit"]}.{extension}"'
    assert response.headers["Cache-Control"] == "no-store"
    if extension == "pdf":
        assert "Ann Cleared" in pdf_text(response.data)
    else:
        assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheets look for
        assert csv_table(response.data.decode("utf-8"))[1][0] == "Ann Cleared"
    assert audit_rows(app) == [("gate_list.downloaded", user_id, "visit", str(plan["visit"]),
                                extension)]


@pytest.mark.parametrize("extension", ["pdf", "csv"])
@pytest.mark.parametrize("role", ["volunteer", "auditor"])
def test_volunteers_and_auditors_may_not_download_it(app, client, login_as, plan, role,
                                                     extension):
    login_as(role)
    response = client.get(f"/visits/{plan['visit']}/gate-list.{extension}")
    assert response.status_code == 403
    assert b"Ann Cleared" not in response.data
    assert audit_rows(app) == []


@pytest.mark.parametrize("extension", ["pdf", "csv"])
def test_strangers_are_sent_to_log_in(app, client, plan, extension):
    path = f"/visits/{plan['visit']}/gate-list.{extension}"
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert audit_rows(app) == []


@pytest.mark.parametrize("extension", ["pdf", "csv"])
def test_an_unknown_visit_is_404(app, client, login_as, extension):
    login_as("organiser")
    assert client.get(f"/visits/999/gate-list.{extension}").status_code == 404
    assert audit_rows(app) == []


def test_a_volunteer_on_the_roster_still_may_not_download_it(app, client, make_user, plan):
    user_id = make_user("volunteer")
    with app.app_context():
        add(plan["visit"], planning.volunteer("Vi Rostered", user_id=user_id).id, "Peer mentor")
    log_in(client, "volunteer@test.example")
    assert client.get(f"/visits/{plan['visit']}/gate-list.pdf").status_code == 403
