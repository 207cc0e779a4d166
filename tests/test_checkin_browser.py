"""Check-in on a tablet in a real browser: a volunteer taps themselves in and out with big
enough targets, and axe finds nothing serious on the page."""


import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import tap_log_in
from .test_browser import small_targets, violations
from .test_checkin import day  # noqa: F401  (the fixture: a visit today with its roster)

pytestmark = pytest.mark.browser


@pytest.fixture
def served(app, serve, day):  # noqa: F811
    """The app with today's visit served over HTTP on loopback."""
    return serve(app), day


def test_a_volunteer_taps_in_and_out_on_a_tablet(served, tablet):
    base, ids = served
    page = tablet
    tap_log_in(page, base, "volunteer@test.example")
    page.goto(f"{base}/visits/{ids['visit']}/check-in")
    expect(page.get_by_role("heading", level=2)).to_have_text(["Ada Fictional"])
    axe = Axe()
    problems = violations(page, axe) + small_targets(page)
    page.get_by_role("button", name="Sign in Ada Fictional").tap()
    expect(page.get_by_role("status")).to_contain_text("Ada Fictional signed in at")
    assert page.url.endswith(f"/check-in#entry-{ids['ada']}")
    expect(page.get_by_text("Signed in at", exact=False).first).to_be_visible()
    problems += violations(page, axe) + small_targets(page)
    page.get_by_role("button", name="Sign out Ada Fictional").tap()
    expect(page.get_by_role("status")).to_contain_text("after 0.00 hours")
    expect(page.get_by_role("button", name="Sign out Ada Fictional")).to_have_count(0)
    assert problems == []


def test_the_organiser_page_is_accessible_and_tappable_on_a_tablet(served, tablet):
    base, ids = served
    page = tablet
    tap_log_in(page, base, "organiser@test.example")
    page.goto(f"{base}/visits/{ids['visit']}/check-in")
    page.get_by_role("button", name="Sign in Ben Fictional").tap()
    expect(page.get_by_role("button", name="Undo sign in for Ben Fictional")).to_be_visible()
    expect(page.get_by_role("link", name="Download volunteer hours (CSV)")).to_be_visible()
    assert violations(page, Axe()) + small_targets(page) == []
