"""Volunteers and prisons in a real browser on a tablet: the organiser records a clearance by
tapping, every page has big enough targets, and axe finds nothing serious."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from inreach.dates import today

from .test_browser import log_in, menu, small_targets, violations

pytestmark = pytest.mark.browser


def checked(page, axe: Axe) -> list[str]:
    """Axe's serious problems and the too-small targets on the page as it is now."""
    return violations(page, axe) + small_targets(page)


def test_organiser_records_a_clearance_on_a_tablet(live_server, tablet):
    page, axe = tablet, Axe()
    log_in(page, live_server, "organiser", tap=True)
    menu(page).get_by_role("link", name="Volunteers").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteers")
    problems = checked(page, axe)

    page.get_by_role("link", name="Tom Adeyemi").tap()
    expect(menu(page).get_by_role("link", name="Volunteers")).to_have_attribute(
        "aria-current", "page")
    problems += checked(page, axe)
    page.get_by_role("link", name="Update clearance at HMP Wormwood Scrubs").tap()
    page.get_by_label("State").select_option("cleared")
    page.get_by_role("button", name="Save clearance").tap()
    expect(page.get_by_role("alert")).to_contain_text("Enter the date the volunteer was cleared")
    problems += checked(page, axe)

    page.get_by_role("link", name="Enter the date the volunteer was cleared").tap()
    expect(page.get_by_label("Date cleared")).to_be_focused()
    page.get_by_label("Date cleared").fill((today() - timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Save clearance").tap()
    expect(page.get_by_role("status")).to_contain_text("Clearance at HMP Wormwood Scrubs saved.")
    expect(page.get_by_role("row", name="HMP Wormwood Scrubs (WSI)")).to_contain_text("Cleared")
    assert problems == []


@pytest.mark.parametrize("path", ["/prisons/", "/prisons/new", "/organisations/",
                                  "/organisations/new", "/volunteers/new"])
def test_prison_and_organisation_pages_on_a_tablet(live_server, tablet, path):
    page = tablet
    log_in(page, live_server, "admin", tap=True)
    page.goto(f"{live_server}{path}")
    if path.endswith("/new"):
        page.get_by_role("button", name="Save").tap()
        expect(page.get_by_text("There is a problem")).to_be_visible()
    assert checked(page, Axe()) == []


def test_a_prison_page_on_a_tablet(live_server, tablet):
    page = tablet
    log_in(page, live_server, "organiser", tap=True)
    menu(page).get_by_role("link", name="Prisons").tap()
    page.get_by_role("link", name="HMP Wormwood Scrubs").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("HMP Wormwood Scrubs")
    expect(page.get_by_text("cannot be deleted")).to_be_visible()
    assert checked(page, Axe()) == []
