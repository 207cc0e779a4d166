"""The report pages and downloads: who may read them, the exact figures on the organiser's own
screen and the shared (suppressed) ones in every download, bad scopes shown on their field,
the PDF and CSV read back, IPS Grow's CSV, audit rows, the charts, and flat statement counts.

The figures come from the hand-made study in ``report_builders`` (61 men seen; 63 referrals
to talking therapies, 9 accepted; 3 released early and 2 transferred before visit A)."""

import csv
import io
import re

import pytest
from sqlalchemy import func, select, update

from inreach.audit.models import AuditEvent
from inreach.cohorts.models import Person
from inreach.database import begin_write, counting_statements, db
from inreach.reports import charts, ipsgrow

from . import report_builders
from .conftest import log_in
from .printing_helpers import pdf_text

READERS = ["organiser", "admin", "auditor"]


@pytest.fixture
def study(app, make_user):
    """The hand-made study, recorded by an organiser."""
    organiser = make_user("organiser", "recorder@test.example")
    with app.app_context():
        return report_builders.study(organiser)


def page_text(response) -> str:
    """The page's HTML with runs of white space made single."""
    assert response.status_code == 200, response.status_code
    return " ".join(response.get_data(as_text=True).split())


def row(html: str, label: str) -> list[str]:
    """The cells of the first table row headed ``label``."""
    match = re.search(rf'<tr[^>]*> ?<th scope="row">{re.escape(label)}</th>(.*?)</tr>', html)
    assert match, f"no row {label!r}"
    return [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", match.group(1))]


def csv_rows(response) -> list[list[str]]:
    """A CSV download read back as rows (its byte-order mark removed)."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


# --- who may read ---------------------------------------------------------------------------

def test_volunteers_are_refused_every_report_page_and_download(client, login_as, study):
    login_as("volunteer")
    for path in ("/reports/", f"/reports/visits/{study.visit_a}", "/reports/report.pdf",
                 "/reports/report.csv", f"/reports/visits/{study.visit_a}/report.csv",
                 "/reports/ips-grow.csv?year=2026&quarter=1"):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("role", READERS)
def test_organisers_admins_and_auditors_read_reports(client, login_as, study, role):
    login_as(role)
    html = page_text(client.get(f"/reports/visits/{study.visit_a}"))
    assert row(html, "Seen by a volunteer (engaged)")[0] == "61"
    assert client.get("/reports/").status_code == 200


def test_unknown_visit_is_not_found(client, login_as, study):
    login_as("organiser")
    assert client.get("/reports/visits/99999").status_code == 404
    assert client.get("/reports/visits/99999/report.pdf").status_code == 404


# --- exact on screen, shared in downloads ----------------------------------------------------

def test_organisers_screen_shows_exact_figures_and_says_which_view(client, login_as, study):
    login_as("organiser")
    html = page_text(client.get("/reports/"))
    assert "Exact figures: for your team only. Downloads hide numbers under 5." in html
    assert row(html, "Released early") == ["3"]
    assert row(html, "Transferred") == ["2"]
    therapies = row(html, "Talking therapies")
    assert therapies[1:3] == ["63", "9"]  # sent, accepted: the study's 63 -> 9
    assert therapies[6] == "14%"
    assert "nan%" not in html
    assert "Preview the shared view" in html


def test_shared_preview_hides_small_numbers(client, login_as, study):
    login_as("organiser")
    html = page_text(client.get("/reports/?view=shared"))
    assert "Shared view, as in the PDF and CSV downloads" in html
    assert row(html, "Released early") == ["fewer than 5"]
    assert row(html, "Seen by a volunteer (engaged)")[0] == "71"  # 61 at A, 10 at B
    assert "Show the exact figures" in html


def test_each_figure_has_its_definition_on_the_page(client, login_as, study):
    login_as("organiser")
    html = page_text(client.get(f"/reports/visits/{study.visit_a}"))
    for words in ("Men with a referral record saved at the visit",
                  "Men who started a job of", "Accepted referrals out of those sent",
                  "Men seen by a volunteer who chose no service"):
        assert words in html


def test_visit_report_pdf_is_shared_and_holds_figures_and_chart_text(client, login_as, study):
    login_as("organiser")
    response = client.get(f"/reports/visits/{study.visit_a}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = " ".join(pdf_text(response.get_data()).split())
    assert "Shared view" in text
    assert "Released early fewer than 5" in text
    assert "Talking therapies" in text
    assert "Bar chart of the funnel" in text  # the chart's description
    # The funnel chart's own labels are text in the PDF: each step's label is written by the
    # table, the chart, its description and the definitions, so at least four times.
    assert text.count("Eligible on the day") >= 4
    assert "nan%" not in text


def test_report_csv_is_shared(client, login_as, study):
    login_as("organiser")
    rows = csv_rows(client.get("/reports/report.csv"))
    assert rows[0] == ["Section", "Item", "Measure", "Value"]
    assert ["Funnel", "Seen by a volunteer (engaged)", "Men", "71"] in rows
    assert ["Not attended", "Released early", "Men", "fewer than 5"] in rows
    assert ["By service", "Talking therapies", "Sent", "63"] in rows
    assert ["By service", "Talking therapies", "Accepted", "9"] in rows
    assert not any(cell == "3" and item == "Released early" for _, item, _, cell in rows)


def test_visit_csv_names_no_one(client, login_as, study):
    login_as("organiser")
    response = client.get(f"/reports/visits/{study.visit_a}/report.csv")
    content = response.get_data(as_text=True)
    assert "First1" not in content and "A0001AA" not in content  # a man's name, his number
    assert "07700" not in content
    assert f"report-visit-{study.visit_a}.csv" in response.headers["Content-Disposition"]


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "message"), [
    ("start=2026-05-01&end=2026-01-01",
     "The end date must be the same as or after the start date"),
    ("start=1890-01-01", "Enter a date between"),
    ("end=3026-01-01", "Enter a date between"),
    ("start=2026-02-31", "Enter a real date"),
    ("prison=99999", "Choose a prison from the list"),
    ("organisation=99999", "Choose a receiving organisation from the list"),
])
def test_bad_scope_is_shown_on_its_field(client, login_as, study, query, message):
    login_as("organiser")
    response = client.get(f"/reports/?{query}")
    html = page_text(response)
    assert message in html
    assert "nhsuk-error-message" in html
    assert "Download the report" not in html  # no report for a scope that cannot be one
    assert client.get(f"/reports/report.pdf?{query}").status_code == 400


def test_empty_period_says_so_without_nan(client, login_as, study):
    login_as("organiser")
    html = page_text(client.get("/reports/?start=2020-01-01&end=2020-12-31"))
    assert "there is nothing to report" in html
    assert "nan%" not in html
    assert row(html, "Eligible on the day") == ["0", "–", row(html, "Eligible on the day")[2]]
    pdf = client.get("/reports/report.pdf?start=2020-01-01&end=2020-12-31")
    assert "nothing to report" in pdf_text(pdf.get_data())


# --- IPS Grow and audit ----------------------------------------------------------------------

def test_ips_grow_csv_download(app, client, login_as, study):
    login_as("organiser")
    rows = csv_rows(client.get("/reports/ips-grow.csv?year=2026&quarter=1"))
    with app.app_context():
        expected = ipsgrow.quarter_rows(2026, 1)
    assert rows == expected
    html = page_text(client.get("/reports/"))
    assert "Download IPS Grow CSV" in html


@pytest.mark.parametrize(("query", "message"), [
    ("year=2026&quarter=5", "Choose a quarter"),
    ("year=abc&quarter=1", "Enter the year as a number"),
    ("year=1066&quarter=1", "Enter a year from 2000"),
    ("year=2999&quarter=1", "Enter a year up to"),
])
def test_ips_grow_bad_quarter_is_shown_on_its_field(client, login_as, query, message):
    login_as("organiser")
    response = client.get(f"/reports/ips-grow.csv?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_downloads_are_audited_with_ids_only(app, client, login_as, study):
    user = login_as("auditor")
    client.get(f"/reports/visits/{study.visit_a}/report.pdf")
    client.get(f"/reports/report.csv?start=2026-01-01&prison={study.prison}")
    client.get("/reports/ips-grow.csv?year=2026&quarter=1")
    client.get("/reports/")  # reading the page is not a download
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action.like("report.%")).order_by(AuditEvent.id)).all()
        found = [(e.action, e.actor_id, e.object_type, e.object_id, e.detail) for e in events]
    assert found == [
        ("report.downloaded", user, "visit", str(study.visit_a), "pdf"),
        ("report.downloaded", user, "report", None,
         f"csv start=2026-01-01 prison={study.prison}"),
        ("report.ips_grow_downloaded", user, "quarter", "2026-Q1", None)]


# --- the charts ------------------------------------------------------------------------------

def test_a_hidden_count_draws_no_bar_and_text_stays_text():
    shown = charts.funnel_chart([("Seen <b>", charts.Count(61, "61")),
                                 ("Job start", charts.Count(None, "fewer than 5"))])
    assert "<text" in shown.svg and "fewer than 5" in shown.svg
    assert "Seen &lt;b&gt;" in shown.svg and "<b>" not in shown.svg
    assert "Seen <b>: 61, Job start: fewer than 5" in shown.description
    charts.safe_svg(shown.svg)


@pytest.mark.parametrize("markup", [
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(https://x.example/a)"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>',
])
def test_unsafe_svg_is_refused(markup):
    with pytest.raises(charts.UnsafeSVG):
        charts.safe_svg(markup)


def test_the_page_shows_charts_as_images_with_descriptions(client, login_as, study):
    login_as("organiser")
    html = page_text(client.get(f"/reports/visits/{study.visit_a}"))
    assert html.count('src="data:image/svg+xml;base64,') == 3
    assert 'aria-describedby="describe-funnel"' in html
    assert "<script" not in html.split("<main", 1)[1]


# --- statements ------------------------------------------------------------------------------

def statements_for(app, client, url: str) -> int:
    """How many SQL statements one GET of the page sends."""
    with app.app_context(), counting_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def _renumber_men() -> None:
    """Give the men built so far other prison numbers, so a second build can reuse theirs."""
    begin_write()
    db.session.execute(update(Person).values(
        prison_number=func.replace(Person.prison_number, "A", "Z")))
    db.session.commit()


def test_report_pages_send_the_same_statements_for_5_and_50_men(app, client, make_user):
    organiser = make_user("organiser")
    log_in(client, "organiser@test.example")
    with app.app_context():
        few = report_builders.plain(organiser, 5)
    pages = {"visit": f"/reports/visits/{few}", "all time": "/reports/",
             "shared": "/reports/?view=shared"}
    small = {name: statements_for(app, client, url) for name, url in pages.items()}
    with app.app_context():
        _renumber_men()  # the builder numbers men from A0001AA each time
        many = report_builders.plain(organiser, 50)
    pages["visit"] = f"/reports/visits/{many}"
    big = {name: statements_for(app, client, url) for name, url in pages.items()}
    assert small == big
