"""Attendance on a tablet in a real browser: a rostered volunteer finds men by typing, marks one
attended and one absent with a reason, and adds a walk-in; targets are big enough and axe finds
nothing serious."""


import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import TABLET, tap_log_in
from .test_attendance import day  # noqa: F401  (the fixture: a visit today with its cohort)
from .test_browser import small_targets, violations

pytestmark = pytest.mark.browser


@pytest.fixture
def served(app, serve, day):  # noqa: F811
    """The app with today's visit served over HTTP on loopback."""
    return serve(app), day


def log_in(page, base: str, email: str = "volunteer@test.example") -> None:
    """Log in (as the rostered volunteer unless told otherwise)."""
    tap_log_in(page, base, email)


def test_a_volunteer_takes_attendance_on_a_tablet(served, tablet):
    base, ids = served
    page = tablet
    log_in(page, base)
    page.goto(f"{base}/visits/{ids['visit']}/attendance/")
    axe = Axe()
    problems = violations(page, axe) + small_targets(page)
    page.get_by_role("link", name="Cohort 1").tap()
    expect(page.get_by_role("heading", level=2)).to_have_text(["John Fictional", "Karl Madeup"])
    problems += violations(page, axe) + small_targets(page)

    search = page.get_by_label("Find a man")
    search.fill("5cd")
    expect(page.get_by_role("heading", name="John Fictional")).to_be_hidden()
    expect(page.get_by_text("Showing 1 of 2")).to_be_visible()
    assert "5cd" not in page.url.lower()
    search.fill("")
    expect(page.get_by_role("heading", name="John Fictional")).to_be_visible()

    page.get_by_role("button", name="Attended John Fictional").tap()
    expect(page.get_by_role("status")).to_contain_text("Marked attended.")
    assert page.url.endswith(f"#member-{ids['john']}")

    page.get_by_label("Why Karl Madeup did not attend").select_option(label="In court")
    page.get_by_role("button", name="Did not attend Karl Madeup").tap()
    expect(page.get_by_role("status")).to_contain_text("Marked as did not attend.")
    expect(page.get_by_text("Did not attend: in court")).to_be_visible()
    expect(page.get_by_test_id("attendance-counts")).to_have_text(
        "2 men: 1 attended, 1 did not attend, 0 not marked yet.")
    problems += violations(page, axe) + small_targets(page)

    page.get_by_role("button", name="Add a walk-in").tap()
    page.get_by_role("button", name="Add and mark attended").tap()
    expect(page.get_by_role("alert")).to_contain_text("Enter the man's first name")
    problems += violations(page, axe) + small_targets(page)
    page.get_by_label("First name").fill("Mo")
    page.get_by_label("Last name").fill("Newman")
    page.get_by_label("Prison number").fill("D4567EF")
    page.get_by_role("button", name="Add and mark attended").tap()
    expect(page.get_by_role("status")).to_contain_text("Walk-in added to the cohort")
    expect(page.get_by_test_id("attendance-counts")).to_have_text(
        "3 men: 2 attended, 1 did not attend, 0 not marked yet.")
    assert "D4567EF" not in page.url and "Newman" not in page.url
    assert problems == []


def test_without_javascript_every_man_shows_and_the_search_box_is_hidden(served, new_page):
    base, ids = served
    page = new_page({**TABLET, "java_script_enabled": False})
    log_in(page, base)
    page.goto(f"{base}/visits/{ids['visit']}/attendance/sessions/{ids['morning']}")
    expect(page.get_by_role("heading", level=2)).to_have_text(["John Fictional", "Karl Madeup"])
    expect(page.get_by_label("Find a man")).to_be_hidden()


def test_an_organiser_opens_a_mans_page_from_the_sheet(served, tablet):
    base, ids = served
    page = tablet
    log_in(page, base, "organiser@test.example")
    page.goto(f"{base}/visits/{ids['visit']}/attendance/sessions/{ids['morning']}")
    axe = Axe()
    problems = violations(page, axe) + small_targets(page)
    page.get_by_role("link", name="Karl Madeup").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Karl Madeup")
    expect(page.get_by_test_id("history-row")).to_have_count(2)
    assert page.url == f"{base}/people/{ids['people']['karl']}"
    assert problems + violations(page, axe) + small_targets(page) == []
