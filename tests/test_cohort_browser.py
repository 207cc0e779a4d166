"""The cohort page on a tablet in a real browser: an organiser allocates the waiting man, moves
one by hand and sees the clash; targets are big enough and axe finds nothing serious."""


import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import tap_log_in
from .test_browser import small_targets, violations
from .test_cohort_pages import plan  # noqa: F401  (the fixture: a visit with its cohort)

pytestmark = pytest.mark.browser


@pytest.fixture
def served(app, serve, make_user, plan):  # noqa: F811
    """The app with the planned visit served over HTTP on loopback, and an organiser."""
    make_user("organiser")
    return serve(app), plan


def test_an_organiser_allocates_and_moves_men_on_a_tablet(served, tablet):
    base, ids = served
    page = tablet
    tap_log_in(page, base, "organiser@test.example")
    page.goto(f"{base}/visits/{ids['visit']}/cohort/")
    axe = Axe()
    problems = violations(page, axe) + small_targets(page)
    expect(page.get_by_text("Cohort 1 has 3 men for 2 places.")).to_be_visible()

    page.get_by_label("Keep men from the same wing together").check()
    page.get_by_role("button", name="Allocate automatically").tap()
    expect(page.get_by_text("Allocation done. Every man has a session.")).to_be_visible()
    expect(page.get_by_test_id(f"session-count-{ids['second']}")).to_have_text(
        "1 of 2 places taken.")

    page.get_by_label("Move to (for Cy Waiting)").select_option(label="Cohort 1")
    page.get_by_role("button", name="Move Cy Waiting").tap()
    expect(page.get_by_text("Cohort 1 has 4 men for 2 places.")).to_be_visible()
    problems += violations(page, axe) + small_targets(page)
    assert ids["men"][2] not in page.url and "Waiting" not in page.url

    page.get_by_role("link", name="Add one man").tap()
    page.get_by_role("button", name="Add to the cohort").tap()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    problems += violations(page, axe) + small_targets(page)
    assert problems == []
