"""Cohorts end to end in a real browser: the organiser downloads the template, uploads the
prison's list (good, ineligible, invalid, duplicate and keep-apart rows), reads the preview,
confirms, allocates, moves a man by hand and prints the register; a volunteer on a tablet marks
attendance and adds a walk-in."""

import io
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from pypdf import PdfReader

from inreach.dates import today

from .conftest import TABLET
from .test_browser import log_in, small_targets, violations
from .test_visit_journey import add_session

pytestmark = pytest.mark.browser
VOLUNTEER = "Val Volunteer (demo)"  # cleared for Wormwood Scrubs in the demo data


def prison_list(visit_day) -> bytes:
    """The list the prison sends, with one row of each kind the preview must explain."""
    def due(days):
        return (visit_day + timedelta(days=days)).strftime("%d/%m/%Y")
    rows = [
        "Prison Number, First Name ,LAST_NAME,Release Date,Location,Keep apart from",
        f"A1111AA,Adam,Goodwin,{due(30)},A wing,A2222BB",
        f"A2222BB,Ben,Goodwin,{due(40)},A wing,",
        f"a3333cc,Carl,Hughes,{due(50)},B wing,",
        f"A4444DD,Dan,Lately,{due(200)},B wing,",
        f"BAD1,Eve,Wrong,{due(10)},C wing,",
        f"A3333CC,Carl,Again,{due(50)},B wing,",
        f'A5555EE,Fred,"=HYPERLINK(""http://example.org"")",{due(20)},C wing,',
    ]
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode()


def text_of(pdf: bytes) -> str:
    """What a person reads in a PDF, white space folded."""
    return " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(pdf)).pages)


def import_the_list(page, visit_day, axe) -> list[str]:
    """Download the template, upload the prison's list, check the preview, confirm; returns the
    accessibility problems found on the upload and preview pages."""
    page.get_by_role("link", name="Import the prison's list").tap()
    with page.expect_download() as template:
        page.get_by_role("link", name="Download a template CSV with every column").click()
    assert template.value.path().read_text(encoding="utf-8-sig").startswith("prison_number,")
    problems = violations(page, axe) + small_targets(page)
    page.locator("input[type=file]").set_input_files(files=[{
        "name": "list.csv", "mimeType": "text/csv", "buffer": prison_list(visit_day)}])
    page.get_by_role("button", name="Check the list").tap()
    rows = page.get_by_test_id("import-rows")
    expect(rows).to_contain_text("Release outside the window: 200 days after the visit")
    expect(rows).to_contain_text("Enter a prison number like A1234BC")
    expect(rows).to_contain_text("Also on line 4 of the file")
    expect(rows).to_contain_text('=HYPERLINK("http://example.org")')
    expect(page.get_by_text("Keep apart", exact=True)).to_be_visible()
    problems += violations(page, axe) + small_targets(page)
    page.get_by_role("button", name="Confirm and add 4 men").tap()
    expect(page.get_by_role("status")).to_be_visible()
    return problems


def test_organiser_imports_allocates_and_prints_and_a_volunteer_takes_attendance(
        new_page, live_server):
    base, axe = live_server, Axe()
    page = new_page(TABLET)
    log_in(page, base, "organiser", tap=True)
    visit_day = today() + timedelta(days=14)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Visits").tap()
    page.get_by_role("link", name="Plan a visit").tap()
    page.get_by_label("Prison", exact=True).select_option(label="HMP Wormwood Scrubs (WSI)")
    page.get_by_label("Date of the visit").fill(visit_day.isoformat())
    page.get_by_label("Title", exact=True).fill("Cohort journey day")
    page.get_by_role("button", name="Save visit").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort journey day")
    visit_url = page.url
    add_session(page, "Cohort 1", "09:30", "12:00", "Chapel")
    add_session(page, "Cohort 2", "13:30", "16:00", "Education block")
    add_volunteer_confirmed(page)

    problems = import_the_list(page, visit_day, axe)
    problems += violations(page, axe) + small_targets(page)
    page.goto(visit_url)
    page.get_by_role("link", name="See and change the cohort").tap()
    page.get_by_role("button", name="Allocate automatically").tap()
    expect(page.get_by_text("Every man has a session")).to_be_visible()
    page.get_by_label("Move to (for Carl Hughes)").select_option(label="Cohort 1")
    page.get_by_role("button", name="Move Carl Hughes").tap()
    expect(page.get_by_role("status")).to_be_visible()
    problems += violations(page, axe) + small_targets(page)
    with page.expect_download() as register:
        page.get_by_role("link", name="Download register (PDF) for Cohort 1").click()
    printed = text_of(register.value.path().read_bytes())
    assert "Name Prison number Location Release date Attended (tick) Signature" in printed
    assert "Carl Hughes A3333CC B wing" in printed and "Ben Goodwin" not in printed

    volunteer = new_page(TABLET)
    log_in(volunteer, base, "volunteer", tap=True)
    volunteer.goto(visit_url)
    volunteer.get_by_role("link", name="Attendance on the day").tap()
    volunteer.get_by_role("link", name="Cohort 1").tap()
    volunteer.get_by_role("button", name="Attended Carl Hughes").tap()
    expect(volunteer.get_by_role("status")).to_contain_text("Marked attended.")
    volunteer.get_by_role("button", name="Add a walk-in").tap()
    volunteer.get_by_label("First name").fill("Mo")
    volunteer.get_by_label("Last name").fill("Newcombe")
    volunteer.get_by_label("Prison number").fill("D4567EF")
    volunteer.get_by_role("button", name="Add and mark attended").tap()
    expect(volunteer.get_by_role("status")).to_contain_text("Walk-in added to the cohort")
    problems += violations(volunteer, axe) + small_targets(volunteer)
    for url in (page.url, volunteer.url):
        assert "Hughes" not in url and "A3333CC" not in url and "D4567EF" not in url
    assert problems == [], "\n".join(problems)


def add_volunteer_confirmed(page) -> None:
    """Put the demo volunteer (cleared for this prison) on the roster: confirmed at once."""
    page.get_by_role("link", name="Add a volunteer").tap()
    page.get_by_label("Volunteer", exact=True).select_option(
        label=f"{VOLUNTEER} (North Thames NHS Trust (demo))")
    page.get_by_label("Role on the day").fill("IPS specialist")
    page.get_by_role("button", name="Add to roster").tap()
    expect(page.get_by_role("status")).to_contain_text(f"{VOLUNTEER} added to the roster, "
                                                       "confirmed")
