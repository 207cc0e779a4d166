"""Planning a visit end to end in a real browser: an organiser plans a visit at a tablet's size,
adds two sessions and two volunteers, sees the warning for the uncleared one, records the
clearance, confirms them and downloads the gate list; the volunteer signs in and out on a tablet."""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from pypdf import PdfReader

from inreach.dates import today

from .conftest import TABLET
from .test_browser import log_in, small_targets, violations

pytestmark = pytest.mark.browser
VOLUNTEER = "Val Volunteer (demo)"  # the demo volunteer login's own volunteer record


def add_session(page, label: str, starts: str, ends: str, room: str) -> None:
    """Fill in and save the Add a session form."""
    page.get_by_role("link", name="Add a session").tap()
    page.get_by_label("Name", exact=True).fill(label)
    page.get_by_label("Start time").fill(starts)
    page.get_by_label("End time").fill(ends)
    page.get_by_label("Room or place in the prison").fill(room)
    page.get_by_label("Capacity (men)").fill("15")
    page.get_by_role("button", name="Save session").tap()
    expect(page.get_by_role("status")).to_contain_text(f"Session {label} added")


def add_volunteer(page, name: str, role: str, session: str) -> None:
    """Put a volunteer on the roster in one session."""
    page.get_by_role("link", name="Add a volunteer").tap()
    page.get_by_label("Volunteer", exact=True).select_option(label=f"{name} ({organisation(name)})")
    page.get_by_label("Role on the day").fill(role)
    page.get_by_label(session, exact=False).check()
    page.get_by_role("button", name="Add to roster").tap()
    expect(page.get_by_role("status")).to_contain_text(f"{name} added to the roster, pending")


def organisation(name: str) -> str:
    """The demo organisation of a demo volunteer."""
    return {VOLUNTEER: "North Thames NHS Trust (demo)",
            "Jo Lindqvist": "London Probation (demo)"}[name]


def plan_the_day(page, base: str) -> str:
    """Plan today's visit to Pentonville with two sessions; returns the visit page's URL."""
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Visits").tap()
    page.get_by_role("link", name="Plan a visit").tap()
    page.get_by_label("Prison", exact=True).select_option(label="HMP Pentonville (PVI)")
    page.get_by_label("Date of the visit").fill(today().isoformat())
    page.get_by_label("Title", exact=True).fill("Journey test day")
    page.get_by_role("button", name="Save visit").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Journey test day")
    add_session(page, "Cohort 1", "09:30", "12:00", "Chapel")
    add_session(page, "Cohort 2", "13:30", "16:00", "Education block")
    return page.url


def record_clearance(page, name: str) -> None:
    """From the roster, record that the volunteer is now cleared for the visit's prison."""
    page.get_by_role("link", name=f"Record clearance for {name}").tap()
    page.get_by_label("State", exact=True).select_option(label="Cleared")
    page.get_by_label("Date submitted").fill("2026-01-05")
    page.get_by_label("Date cleared").fill(today().isoformat())
    page.get_by_label("ID seen").select_option(label="Passport")
    page.get_by_role("button").filter(has_text="Save").tap()
    expect(page.get_by_role("status")).to_be_visible()


def test_organiser_plans_a_visit_and_the_volunteer_signs_in_and_out(new_page, live_server):
    base, axe = live_server, Axe()
    page = new_page(TABLET)
    log_in(page, base, "organiser", tap=True)
    visit_url = plan_the_day(page, base)
    add_volunteer(page, VOLUNTEER, "IPS specialist", "Cohort 1")
    add_volunteer(page, "Jo Lindqvist", "Probation officer", "Cohort 2")
    warning = page.get_by_test_id("visit-warnings")
    expect(warning).to_contain_text("2 rostered volunteers are not cleared for HMP Pentonville")
    problems = violations(page, axe) + small_targets(page)

    record_clearance(page, VOLUNTEER)
    page.goto(visit_url)
    page.get_by_role("button", name=f"Confirm {VOLUNTEER}").tap()
    expect(page.get_by_role("status")).to_contain_text(f"{VOLUNTEER} is confirmed")
    expect(warning).to_contain_text("1 rostered volunteer is not cleared")
    expect(warning).to_contain_text("Jo Lindqvist")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download gate list (PDF)").click()
    assert download.value.suggested_filename.startswith("gate-list-visit-")
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    for expected in (f"{VOLUNTEER} North Thames NHS Trust (demo) IPS specialist Passport Cleared",
                     "Jo Lindqvist London Probation (demo) Probation officer",
                     "Not cleared: Clearance for this prison not started", "HMP Pentonville"):
        assert expected in text

    volunteer = new_page(TABLET)
    log_in(volunteer, base, "volunteer", tap=True)
    volunteer.get_by_role("link", name="Journey test day", exact=False).tap()
    volunteer.get_by_role("link", name="Check-in on the day").tap()
    volunteer.get_by_role("button", name=f"Sign in {VOLUNTEER}").tap()
    expect(volunteer.get_by_role("status")).to_contain_text(f"{VOLUNTEER} signed in at")
    problems += violations(volunteer, axe) + small_targets(volunteer)
    volunteer.get_by_role("button", name=f"Sign out {VOLUNTEER}").tap()
    expect(volunteer.get_by_role("status")).to_contain_text("signed out")
    page.goto(visit_url)
    expect(page.locator(f"#entry-{volunteer_entry(page)}")).to_contain_text("Signed out at")
    assert problems == []


def volunteer_entry(page) -> str:
    """The roster entry id of the demo volunteer on the visit page."""
    row = page.locator("tr", has_text=VOLUNTEER)
    return row.get_attribute("id").removeprefix("entry-")
