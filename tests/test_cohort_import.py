"""Importing the prison's list: reading every kind of file a prison sends, the preview of each
row, confirming all or nothing, the signed file the preview carries, and who may do it."""

import csv
import io
import random
import re
import string
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from inreach.audit.models import AuditEvent
from inreach.cohorts import importing
from inreach.cohorts.models import CohortMember, KeepApart, Person
from inreach.cohorts.services import PersonDetails, add_to_cohort
from inreach.database import begin_write, db
from inreach.errors import DomainError

from . import planning
from .conftest import csrf_token, log_in

TODAY = date.today()
VISIT_DAY = TODAY + timedelta(days=30)
SOON = VISIT_DAY + timedelta(days=10)
HEADER = "prison_number,first_name,last_name,release_date"


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    """A CSV file from its header and lines."""
    return "\r\n".join([header, *lines]).encode(encoding)


def row(number: str, first: str = "Alan", last: str = "Fictional", release: date = SOON) -> str:
    """One line of a four-column list."""
    return f"{number},{first},{last},{release:%Y-%m-%d}"


def count(model) -> int:
    """How many rows a table has."""
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def visit(app_context):
    """A visit a month from now (release 0–90 days after it is eligible)."""
    return planning.visit(planning.prison().id, VISIT_DAY)


def check(visit, content: bytes) -> dict[int, importing.PreviewRow]:
    """The preview of a file, by line."""
    return {item.line: item for item in importing.preview(visit, importing.parse(content), TODAY)}


# Preview: every reason ---------------------------------------------------------------------

def test_every_reason_a_row_gets(visit):
    add_to_cohort(visit.id, PersonDetails("A1111AA", "On", "Already", SOON), None, TODAY)
    rows = check(visit, csv_bytes(
        row("A1234BC"),
        "A2222BB,No,Date,",
        row("A3333CC", release=TODAY - timedelta(days=1)),
        row("A4444DD", release=VISIT_DAY + timedelta(days=200)),
        row("12345"),
        "A5555EE,Bad,Date,31/02/2027",
        ",,,",
        "A6666FF,,Nameless,2027-01-01",
        row("A1234BC", first="Again"),
        row("a1111aa"),
        f"A7777GG,Odd,Type,{SOON},XYZ",
        header=HEADER + ",release_type"))
    assert {line: item.status for line, item in rows.items()} == {
        2: "eligible", 3: "ineligible", 4: "ineligible", 5: "ineligible", 6: "invalid",
        7: "invalid", 9: "invalid", 10: "duplicate", 11: "duplicate", 12: "invalid"}
    assert rows[2].reason == "Release 10 days after the visit"
    assert rows[3].reason == "No release date"
    assert rows[4].reason.startswith("Already released")
    assert rows[5].reason == "Release outside the window: 200 days after the visit"
    assert "prison number like A1234BC" in rows[6].reason
    assert rows[7].reason.startswith("release_date:") and "31/02/2027" in rows[7].reason
    assert rows[9].reason == "Enter the man's first name"
    assert rows[10].reason == "Also on line 2 of the file"
    assert rows[11].reason == "Already on this visit"
    assert rows[12].reason.startswith("release_type: “XYZ” is not one of CRD")


def test_unknown_release_type_and_bad_optional_values_are_named(visit):
    header = HEADER + ",release_type,date_of_birth,easy_read,interests"
    rows = check(visit, csv_bytes(
        row("A1234BC") + ",XYZ,,,", row("A2345BC") + ",crd,1990-13-01,,",
        row("A3456BC") + ",CRD,,maybe,", row("A4567BC") + ",CRD,,,knitting",
        row("A5678BC") + ",hdcad,31/01/1990,Yes,Employment| psychological support",
        header=header))
    assert rows[2].reason.startswith("release_type: “XYZ” is not one of CRD")
    assert rows[3].reason.startswith("date_of_birth:")
    assert rows[4].reason.startswith("easy_read:")
    assert rows[5].reason.startswith("interests: “knitting”")
    good = rows[6].details
    assert rows[6].status == "eligible"
    assert (good.release_type, good.date_of_birth, good.easy_read, good.interests) == (
        "HDCAD", date(1990, 1, 31), True, ["employment", "psychological_support"])


def test_blank_lines_are_skipped_and_too_long_text_is_invalid(visit):
    rows = check(visit, csv_bytes(row("A1234BC"), "", ",,,", row("A2345BC", first="x" * 61)))
    assert list(rows) == [2, 5]
    assert rows[5].reason == "The first name must be 60 characters or fewer"


# Reading files ------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_utf8_with_or_without_bom_and_windows_text(visit, encoding):
    parsed = importing.parse(csv_bytes(row("A1234BC", first="José"), encoding=encoding))
    assert parsed.rows[0][1]["first_name"] == "José"
    assert parsed.rows[0][1]["prison_number"] == "A1234BC"
    assert bool(parsed.notices) == (encoding == "cp1252")
    if encoding == "cp1252":
        assert "cp1252" in parsed.notices[0]


def test_quoted_cells_with_commas_and_newlines(visit):
    content = csv_bytes('A1234BC,"Smith, Jr",Fictional,2027-01-01,"Line one,\nline two"',
                        row("A2345BC"), header=HEADER + ",notes")
    parsed = importing.parse(content)
    assert [line for line, _ in parsed.rows] == [2, 4]
    assert parsed.rows[0][1]["first_name"] == "Smith, Jr"
    assert parsed.rows[0][1]["notes"] == "Line one,\nline two"


def test_headers_in_any_case_and_spacing(visit):
    header = " Prison Number ,FIRST-NAME,Last  name,Release_Date,Keep Apart From,Shoe size"
    parsed = importing.parse(csv_bytes(row("A1234BC") + ",A2345BC,44", header=header))
    values = parsed.rows[0][1]
    assert (values["prison_number"], values["last_name"], values["keep_apart_from"]) == (
        "A1234BC", "Fictional", "A2345BC")
    assert parsed.notices == ["These columns were ignored: shoe_size"]


def test_both_date_formats(visit):
    rows = check(visit, csv_bytes(f"A1234BC,A,B,{SOON:%Y-%m-%d}", f"A2345BC,A,B,{SOON:%d/%m/%Y}"))
    assert rows[2].details.release_date == rows[3].details.release_date == SOON


@pytest.mark.parametrize("content,code,message", [
    (b"", "empty", "The file is empty"),
    (b"\xef\xbb\xbf \r\n", "empty", "The file is empty"),
    (HEADER.encode(), "empty", "The file has a header row but no men on it"),
    (b"%PDF-1.7\n1 0 obj <</Type /Catalog>>", "not_csv", "The file is not a CSV file"),
    (b"PK\x03\x04\x14\x00\x00\x00", "not_csv", "The file is not a CSV file"),
    (b"\x89PNG\r\n\x1a\n", "not_csv", "The file is not a CSV file"),
    (b"prison_number,first_name\r\nA1234BC,Al", "missing_columns",
     "Missing: last_name, release_date"),
])
def test_files_that_are_refused(app_context, content, code, message):
    with pytest.raises(DomainError) as refused:
        importing.parse(content)
    assert refused.value.code == code and message in refused.value.message
    assert refused.value.field == "file"


def test_a_file_too_big_is_refused(app_context):
    content = csv_bytes(row("A1234BC", first="x" * (importing.MAX_BYTES)))
    with pytest.raises(DomainError, match="smaller than 5 MB"):
        importing.parse(content)


def test_at_most_10000_rows(app_context):
    lines = [row(f"A{n % 10000:04d}BC") for n in range(importing.MAX_ROWS)]
    assert len(importing.parse(csv_bytes(*lines)).rows) == importing.MAX_ROWS
    with pytest.raises(DomainError, match="more than 10,000 rows"):
        importing.parse(csv_bytes(*lines, row("A1234BC")))


def test_preview_makes_one_query_whatever_the_size(visit):
    parsed = importing.parse(csv_bytes(*[row(f"A{n:04d}BC") for n in range(2000)]))
    assert visit.eligible_to_days == 90  # loaded before counting
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        rows = importing.preview(visit, parsed, TODAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(rows) == 2000
    assert len([text for text in statements if text.startswith("SELECT")]) == 1


# Keep apart ---------------------------------------------------------------------------------

def test_keep_apart_pairs_between_men_on_the_visit(visit):
    add_to_cohort(visit.id, PersonDetails("A9999ZZ", "On", "Already", SOON), None, TODAY)
    header = HEADER + ",keep_apart_from"
    content = csv_bytes(row("A1234BC") + ",A2345BC; A9999ZZ A1234BC",
                        row("A2345BC") + ",a1234bc", row("A3456BC") + ",B0000XX;A4567BC",
                        row("A4567BC", release=TODAY - timedelta(days=3)), header=header)
    rows = importing.preview(visit, importing.parse(content), TODAY)
    found = importing.keep_apart(rows, importing.members_on_visit(visit.id))
    assert found.pairs == [("A1234BC", "A2345BC"), ("A1234BC", "A9999ZZ")]
    assert found.unknown == ["A4567BC", "B0000XX"]


# Confirm ------------------------------------------------------------------------------------

def test_confirm_adds_every_eligible_man_with_keep_apart_pairs(visit):
    add_to_cohort(visit.id, PersonDetails("A9999ZZ", "On", "Already", SOON), None, TODAY)
    begin_write()
    db.session.add(Person(prison_number="A2345BC", first_name="Old", last_name="Name"))
    db.session.commit()
    header = HEADER + ",keep_apart_from,interests"
    content = csv_bytes(row("A1234BC") + ",A9999ZZ;A2345BC;A1234BC;C0000CC,",
                        row("A2345BC", first="New") + ",,housing",
                        row("12"), row("A3456BC", release=TODAY - timedelta(days=1)) + ",,",
                        header=header)
    tally = importing.confirm(visit.id, content, None, TODAY)
    assert tally == {"eligible": 2, "ineligible": 1, "invalid": 1, "duplicate": 0,
                     "keep_apart": 2}
    people = {p.prison_number: p for p in db.session.scalars(select(Person))}
    assert set(people) == {"A9999ZZ", "A1234BC", "A2345BC"}
    assert (people["A2345BC"].first_name, people["A2345BC"].interests) == ("New", "housing")
    assert count(CohortMember) == 3
    pairs = {(p.first_id, p.second_id) for p in db.session.scalars(select(KeepApart))}
    a, b, c = people["A1234BC"].id, people["A2345BC"].id, people["A9999ZZ"].id
    assert pairs == {tuple(sorted((a, b))), tuple(sorted((a, c)))}
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "cohort.imported")).one()
    assert audit.detail == "eligible=2 ineligible=1 invalid=1 duplicate=0 keep_apart=2"
    assert (audit.object_type, audit.object_id) == ("visit", str(visit.id))


def test_importing_again_adds_nobody_twice(visit):
    header = HEADER + ",keep_apart_from"
    content = csv_bytes(row("A1234BC") + ",A2345BC", row("A2345BC") + ",", header=header)
    importing.confirm(visit.id, content, None, TODAY)
    with pytest.raises(DomainError) as refused:
        importing.confirm(visit.id, content, None, TODAY)
    assert refused.value.code == "nothing_to_import"
    assert (count(CohortMember), count(KeepApart)) == (2, 1)


def test_a_failure_mid_way_writes_nothing(visit, monkeypatch):
    """The third man breaks a database rule (an unknown release type): nobody is added."""
    calls, save_person = [], importing.save_person

    def save_then_break(details):
        calls.append(details.prison_number)
        person = save_person(details)
        if len(calls) == 3:
            person.release_type = "BROKEN"
        return person

    monkeypatch.setattr(importing, "save_person", save_then_break)
    content = csv_bytes(*[row(f"A{n:04d}BC") for n in range(5)])
    with pytest.raises(DomainError) as refused:
        importing.confirm(visit.id, content, None, TODAY)
    assert refused.value.code == "import_failed"
    assert len(calls) == 5
    assert (count(Person), count(CohortMember), count(AuditEvent)) == (0, 0, 0)


def test_formula_cells_are_stored_as_text(visit):
    content = csv_bytes(row("A1234BC", first="=HYPERLINK(\"x\")", last="@SUM(A1)")
                        + ",+44 20,-1", header=HEADER + ",location,notes")
    importing.confirm(visit.id, content, None, TODAY)
    person = db.session.scalars(select(Person)).one()
    assert (person.first_name, person.last_name, person.location, person.notes) == (
        '=HYPERLINK("x")', "@SUM(A1)", "+44 20", "-1")


# The signed file ----------------------------------------------------------------------------

def test_the_sealed_file_comes_back_only_unchanged_and_for_its_visit(visit):
    content = csv_bytes(row("A1234BC"))
    token = importing.seal(visit.id, content)
    assert importing.unseal(visit.id, token) == content
    for bad_visit, bad_token in [(visit.id, token[:-2] + "xx"), (visit.id + 1, token),
                                 (visit.id, ""), (visit.id, "not a token")]:
        with pytest.raises(DomainError) as refused:
            importing.unseal(bad_visit, bad_token)
        assert refused.value.code == "bad_token"


# Pages --------------------------------------------------------------------------------------

@pytest.fixture
def visit_id(app):
    """A visit a month from now, by id, for HTTP tests."""
    with app.app_context():
        return planning.visit(planning.prison().id, VISIT_DAY).id


def upload(client, visit_id: int, content: bytes, filename: str = "list.csv"):
    """Submit the upload form with a file, as a browser would."""
    path = f"/visits/{visit_id}/cohort/import/"
    return client.post(path, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, path), "file": (io.BytesIO(content), filename)})


def sealed(page: str) -> str:
    """The signed file from the preview page's hidden field."""
    return re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)


def confirm(client, visit_id: int, token: str, page: str):
    """Press Confirm on a preview page."""
    form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(f"/visits/{visit_id}/cohort/import/confirm",
                       data={"csrf_token": form_token, "token": token})


def table_count(app, model) -> int:
    """How many rows a table has, from outside a request."""
    with app.app_context():
        return count(model)


def test_upload_preview_confirm(app, client, login_as, visit_id):
    login_as("organiser")
    content = csv_bytes(row("A1234BC", first="<script>x</script>", last="=1+1"),
                        row("A2345BC", release=TODAY - timedelta(days=1)),
                        row("A1234BC"))
    response = upload(client, visit_id, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    assert "=1+1" in page and "Also on line 2 of the file" in page
    assert re.search(r'data-status="eligible">1<', page)
    assert re.search(r'data-status="duplicate">1<', page)
    assert "Confirm and add 1 man<" in page
    assert table_count(app, Person) == 0
    with app.app_context():
        audit = db.session.scalars(select(AuditEvent)
                                   .where(AuditEvent.action == "cohort.import_previewed")).one()
        assert audit.detail == "eligible=1 ineligible=1 invalid=0 duplicate=1"
    response = confirm(client, visit_id, sealed(page), page)
    assert response.status_code == 302 and response.headers["Location"] == f"/visits/{visit_id}"
    assert "1 man added to the visit&#39;s cohort; 0 keep-apart pairs recorded." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert table_count(app, CohortMember) == 1
    with app.app_context():
        assert db.session.scalars(select(Person)).one().last_name == "=1+1"
        detail = db.session.scalar(select(AuditEvent.detail).where(
            AuditEvent.action == "cohort.imported"))
        assert "A1234BC" not in detail and "script" not in detail


def test_a_large_list_goes_round_trip(app, client, login_as, visit_id):
    """4,000 men with notes: the signed copy on the page is half a megabyte and comes back."""
    login_as("organiser")
    letters = random.Random(1)
    content = csv_bytes(*[row(f"A{n:04d}BC") + "," + "".join(
        letters.choice(string.ascii_letters) for _ in range(150)) for n in range(4000)],
        header=HEADER + ",notes")
    path = f"/visits/{visit_id}/cohort/import/"
    # Encoded here in memory: the test client would otherwise spool it to an unclosed file.
    boundary, body = encode_multipart({"csrf_token": csrf_token(client, path),
                                       "file": FileStorage(io.BytesIO(content), "list.csv")})
    page = client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
                       ).get_data(as_text=True)
    assert len(sealed(page)) > 500_000
    assert confirm(client, visit_id, sealed(page), page).status_code == 302
    assert table_count(app, CohortMember) == 4000


def test_confirm_checks_the_file_again(app, client, login_as, visit_id):
    """A man added between preview and confirm is not added twice."""
    login_as("organiser")
    page = upload(client, visit_id, csv_bytes(row("A1234BC"), row("A2345BC"))).get_data(
        as_text=True)
    with app.app_context():
        add_to_cohort(visit_id, PersonDetails("A1234BC", "Al", "Meanwhile", SOON), None, TODAY)
    assert confirm(client, visit_id, sealed(page), page).status_code == 302
    with app.app_context():
        assert count(CohortMember) == 2 and count(Person) == 2
        assert db.session.scalar(select(AuditEvent.detail).where(
            AuditEvent.action == "cohort.imported")).startswith("eligible=1 ")


def test_a_tampered_file_is_refused(app, client, login_as, visit_id):
    login_as("organiser")
    page = upload(client, visit_id, csv_bytes(row("A1234BC"))).get_data(as_text=True)
    forged = importing.URLSafeSerializer("guessed-key", salt="cohort-import").dumps(
        {"visit": visit_id, "file": ""})
    response = confirm(client, visit_id, forged, page)
    assert response.headers["Location"] == f"/visits/{visit_id}/cohort/import/"
    assert "The preview could not be checked" in client.get(
        f"/visits/{visit_id}/cohort/import/").get_data(as_text=True)
    assert table_count(app, Person) == 0


@pytest.mark.parametrize("content,filename,message", [
    (b"", "list.csv", "The file is empty"),
    (b"", "", "Choose the CSV file of the prison&#39;s list"),
    (b"%PDF-1.4 renamed", "list.csv", "The file is not a CSV file"),
    (b"name\r\nAl", "list.csv", "Missing: prison_number, first_name, last_name, release_date"),
])
def test_a_refused_file_is_shown_on_the_form(client, login_as, visit_id, content, filename,
                                             message):
    login_as("organiser")
    page = upload(client, visit_id, content, filename).get_data(as_text=True)
    assert "There is a problem" in page and message in page


def test_the_template_reads_back_as_two_fictional_men(client, login_as, visit_id):
    login_as("admin")
    response = client.get(f"/visits/{visit_id}/cohort/import/template.csv")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="prison-list-template.csv"')
    parsed = importing.parse(response.data)
    assert [values["prison_number"] for _, values in parsed.rows] == ["Z9999AA", "Z9999AB"]
    assert next(csv.reader(io.StringIO(response.data.decode("utf-8-sig")))) == list(
        importing.COLUMNS)


def test_an_unknown_visit_is_not_found(client, login_as, visit_id):
    login_as("organiser")
    assert client.get(f"/visits/{visit_id + 1}/cohort/import/").status_code == 404
    assert client.get(f"/visits/{visit_id + 1}/cohort/import/template.csv").status_code == 404


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "auditor", "organiser", "admin"])
def test_who_may_import(app, client, make_user, visit_id, role):
    planner = role in ("organiser", "admin")
    if role != "anonymous":
        make_user(role)
        log_in(client, f"{role}@test.example")
    base = f"/visits/{visit_id}/cohort/import"
    token = csrf_token(client, "/login" if role == "anonymous" else "/account/password")
    with app.test_request_context():
        sealed_file = importing.seal(visit_id, csv_bytes(row("A1234BC")))
    answers = [client.get(f"{base}/template.csv"), client.get(f"{base}/"),
               client.post(f"{base}/", content_type="multipart/form-data", data={
                   "csrf_token": token, "file": (io.BytesIO(csv_bytes(row("A1234BC"))), "a.csv")}),
               client.post(f"{base}/confirm", data={"csrf_token": token, "token": sealed_file})]
    if role == "anonymous":
        assert all(a.status_code == 302 and "/login" in a.headers["Location"] for a in answers)
    else:
        expected = [200, 200, 200, 302] if planner else [403] * 4
        assert [a.status_code for a in answers] == expected
    assert table_count(app, CohortMember) == (1 if planner else 0)


def test_the_fictional_demo_list_is_offered_on_a_demo_database_only(app, client, login_as):
    from inreach.site.models import DEMO, SiteSetting

    login_as("organiser")
    with app.app_context():
        visit_id = planning.visit(planning.prison().id).id
    path = f"/visits/{visit_id}/cohort/import/demo-list.csv"
    page = f"/visits/{visit_id}/cohort/import/"
    assert client.get(path).status_code == 404
    assert "fictional demo list" not in client.get(page).get_data(as_text=True)
    with app.app_context():
        begin_write()
        db.session.add(SiteSetting(key=DEMO, value="yes"))
        db.session.commit()
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("prison_number,first_name")
    assert "Download the fictional demo list" in client.get(page).get_data(as_text=True)
