"""The organiser's printing journey in a real browser on a tablet: preview a man's pack,
download it, start the session's batch, see it wait for a print worker, watch it progress as
the queue is worked and download it; every page passes axe with big enough targets."""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from inreach.demo.seed import DEFAULT_PASSWORD, seed

from .printing_helpers import pdf_reader, pdf_text
from .queue_helpers import broker_config, empty_queue, run_next
from .test_browser import log_in, small_targets, violations

pytestmark = pytest.mark.browser


def checked(page, axe: Axe, found: list[str]) -> None:
    """Add the page's axe violations and small targets to what was found."""
    found += violations(page, axe) + small_targets(page)


@pytest.fixture
def queued_app(make_app, serve, tmp_path):
    """The demo app on a real, empty queue that no worker takes from (the test works it)."""
    app = make_app(**broker_config(tmp_path))
    with app.app_context():
        seed(DEFAULT_PASSWORD)
    empty_queue()
    yield app, serve(app)
    empty_queue()


def test_an_organiser_previews_downloads_and_prints_a_session_batch(tablet, queued_app):
    app, base = queued_app
    page, axe, found = tablet, Axe(), []
    log_in(page, base, "organiser", tap=True)
    page.get_by_role("link", name="Visits").first.tap()
    page.get_by_role("link", name="Employment and wellbeing day").first.tap()
    page.get_by_role("link", name="Print packs and forms: Cohort 1").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort 1: packs and forms")
    expect(page.get_by_text("entries need checking")).to_be_visible()  # demo: unchecked
    checked(page, axe, found)

    first = page.get_by_role("link", name="Preview pack").first
    name = first.locator(".nhsuk-u-visually-hidden").inner_text().removeprefix(" for ")
    first.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Pack for {name}")
    expect(page.locator(".inreach-pack-preview")).to_contain_text("Your plan for release")
    page.get_by_role("radio", name="Large print (18pt and up)").check()
    page.get_by_role("button", name="Update the preview").tap()
    expect(page.get_by_text("What the printed pack says, page by page (large print)")) \
        .to_be_visible()
    checked(page, axe, found)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download pack (PDF)").tap()
    pack = Path(download.value.path()).read_bytes()
    first_name = name.split()[0]
    assert f"For {first_name}" in pdf_text(pack)
    assert first_name not in download.value.suggested_filename

    page.get_by_role("link", name="Back to packs and forms").tap()
    page.get_by_role("group", name="Entries that need checking, in every pack") \
        .get_by_label("Leave them out of the pack").check()
    page.get_by_role("button", name="Print all packs").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Resource packs")
    expect(page.get_by_text("Waiting for a print worker")).to_be_visible()  # none runs yet
    expect(page.locator("progress")).to_be_visible()
    checked(page, axe, found)
    page.evaluate("window.stillThisPage = true")
    run_next()  # a worker takes the first chunk: the bar moves, the waiting message goes
    expect(page.get_by_text("Waiting for a print worker")).to_be_hidden()
    expect(page.locator("progress")).not_to_have_attribute("value", "0")
    while run_next():  # the other chunks, then the join
        pass
    expect(page.get_by_text("Ready:")).to_be_visible()
    assert page.evaluate("window.stillThisPage")  # updated in place, not reloaded
    checked(page, axe, found)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the batch (PDF)").tap()
    batch = Path(download.value.path()).read_bytes()
    men = int(page.get_by_text("Ready:").inner_text().split()[1])
    assert pdf_text(batch).count("Your plan for release\n") == men
    assert len(pdf_reader(batch).pages) >= 4 * men
    assert not found, "\n".join(found)
