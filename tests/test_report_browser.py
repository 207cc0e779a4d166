"""The organiser's journey to the demo's past visit's report in a real browser, at tablet size:
the funnel chart and its table, the PDF and CSV downloads read back, axe and tap targets."""

import csv
import io
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from inreach.demo.seed import DEFAULT_PASSWORD, demo_email

from .conftest import tap_log_in
from .printing_helpers import pdf_text
from .test_browser import small_targets, violations

pytestmark = pytest.mark.browser
PAST_VISIT = "Through-the-gate day (demo, past)"


def download(page, link_name: str) -> bytes:
    """Tap a download link and return the file's bytes."""
    with page.expect_download() as started:
        page.get_by_role("link", name=link_name).tap()
    return Path(started.value.path()).read_bytes()


def test_organiser_reads_the_past_visits_report_and_downloads_it(live_server, tablet):
    page = tablet
    tap_log_in(page, live_server, demo_email("organiser"), DEFAULT_PASSWORD)
    page.get_by_role("link", name="Visits", exact=True).first.tap()
    page.get_by_role("link", name=PAST_VISIT).first.tap()
    page.get_by_role("link", name="This visit's report").tap()

    expect(page.get_by_role("heading", name="This visit's report")).to_be_visible()
    expect(page.get_by_test_id("report-view")).to_contain_text("Exact figures: for your team")
    chart = page.get_by_test_id("chart-funnel").get_by_role("img")
    expect(chart).to_be_visible()
    assert page.evaluate("el => el.naturalWidth", chart.element_handle()) > 0  # the SVG drew
    funnel = page.get_by_test_id("funnel-table")
    expect(funnel.get_by_role("rowheader", name="Seen by a volunteer (engaged)")).to_be_visible()
    expect(funnel.locator("caption")).to_contain_text("The funnel")

    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    problems = violations(page, Axe()) + small_targets(page)
    assert not problems, "\n".join(problems)

    pdf = " ".join(pdf_text(download(page, "Download the report (PDF)")).split())
    assert "Shared view" in pdf
    assert "Seen by a volunteer (engaged)" in pdf
    assert "Bar chart of the funnel" in pdf
    assert pdf.count("Eligible on the day") >= 4  # table, chart, description, definitions
    rows = list(csv.reader(io.StringIO(
        download(page, "Download the figures (CSV)").decode("utf-8-sig"))))
    assert rows[0] == ["Section", "Item", "Measure", "Value"]
    assert any(row[:3] == ["Funnel", "Seen by a volunteer (engaged)", "Men"] for row in rows)
