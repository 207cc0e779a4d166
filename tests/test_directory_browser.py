"""The service directory in a real browser on a tablet: an organiser filters by pathway and
area, corrects a phone number and marks the entry checked; axe finds nothing serious."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .test_browser import log_in, menu
from .test_volunteers_browser import checked

pytestmark = pytest.mark.browser


def test_organiser_filters_corrects_a_number_and_marks_the_entry_checked(live_server, tablet):
    page, axe = tablet, Axe()
    log_in(page, live_server, "organiser", tap=True)
    menu(page).get_by_role("link", name="Directory").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service directory")
    page.get_by_label("Pathway").select_option(label="Accommodation")
    page.get_by_label("Area", exact=True).select_option(label="Ealing")
    page.get_by_role("button", name="Show services").tap()
    cards = page.get_by_test_id("service-card")
    expect(cards.first).to_be_visible()
    for card in cards.all():  # each card is filed under accommodation, in Ealing or national
        expect(card).to_contain_text("Accommodation")
        expect(card).to_contain_text("Ealing" if "National" not in card.inner_text()
                                     else "National")
    problems = checked(page, axe)

    stale_card = cards.filter(has=page.get_by_test_id("needs-checking")).first
    name = stale_card.get_by_role("heading").inner_text()
    stale_card.get_by_role("link", name=name).tap()
    expect(page.get_by_test_id("stale-warning")).to_be_visible()
    page.get_by_role("link", name="Change this entry").tap()
    phone = page.locator("#phones-0-number")
    expect(phone).to_be_visible()
    problems += checked(page, axe)
    phone.fill("020 7946 0123 ext")
    page.get_by_role("button", name="Save service").tap()
    expect(page.get_by_role("alert")).to_contain_text("is not a phone number")
    problems += checked(page, axe)
    page.get_by_role("link", name="is not a phone number").tap()
    expect(phone).to_be_focused()
    phone.fill("020 7946 0123")
    page.get_by_role("button", name="Save service").tap()
    expect(page.get_by_role("status")).to_contain_text(f"{name} updated.")
    expect(page.get_by_text("020 7946 0123")).to_be_visible()
    expect(page.get_by_test_id("stale-warning")).to_be_visible()

    page.get_by_role("button", name="Mark as checked today").tap()
    expect(page.get_by_role("status")).to_contain_text("marked as checked today")
    expect(page.get_by_test_id("stale-warning")).to_have_count(0)
    expect(page.get_by_text("by organiser@example.org")).to_be_visible()
    problems += checked(page, axe)
    page.get_by_role("link", name="Service directory").tap()
    page.get_by_label("Words in the name or description").fill(name)
    page.get_by_role("button", name="Show services").tap()
    card = page.get_by_test_id("service-card").filter(has_text=name).first
    expect(card.get_by_test_id("needs-checking")).to_have_count(0)
    assert problems == []


@pytest.mark.parametrize("role", ["volunteer", "auditor"])
def test_readers_browse_the_directory_on_a_tablet(live_server, tablet, role):
    page = tablet
    log_in(page, live_server, role, tap=True)
    menu(page).get_by_role("link", name="Directory").tap()
    page.get_by_label("Pathway").select_option(label="Urgent help")
    page.get_by_role("button", name="Show services").tap()
    expect(page.get_by_test_id("service-card").filter(has_text="Samaritans")).to_contain_text(
        "116 123")
    expect(page.get_by_role("link", name="Add a service")).to_have_count(0)
    assert checked(page, Axe()) == []
