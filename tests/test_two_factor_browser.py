"""Two-step login in a real browser on a tablet: an organiser on a database that is not a demo
sets up an authenticator app at first login (typing the key, as a person without a camera
would), sees the recovery codes, logs out and logs in again with a code (the server's login
code clock stopped mid-step, so the codes typed are never a step out). Axe finds nothing
serious on the set-up and code pages, and their targets are big enough to tap."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from inreach.accounts.services import create_user

from .conftest import PASSWORD
from .test_browser import small_targets, violations
from .test_two_factor import Clock

pytestmark = pytest.mark.browser


@pytest.fixture
def served(make_app, serve):
    """The app with two-step login required and one organiser, served on loopback."""
    app = make_app(TWO_FACTOR_REQUIRED=True)
    with app.app_context():
        create_user("organiser@test.example", "Olu Organiser", "organiser", PASSWORD)
    return serve(app)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The login code's clock, stopped mid-step (the server runs in this process)."""
    return Clock(monkeypatch)


def enter_password(page, base: str) -> None:
    """The first step: email and password on the login page."""
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill("organiser@test.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").tap()


def test_an_organiser_sets_up_two_step_login_and_logs_in_with_a_code(served, tablet, clock):
    base, page, axe = served, tablet, Axe()
    enter_password(page, base)
    expect(page).to_have_url(f"{base}/login/set-up")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step login")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    problems = violations(page, axe) + small_targets(page)

    secret = page.get_by_test_id("set-up-key").inner_text().replace(" ", "")
    page.get_by_label("Code", exact=True).fill(clock.code(secret))
    page.get_by_role("button", name="Continue").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    expect(page.get_by_test_id("recovery-codes").get_by_role("listitem")).to_have_count(10)
    page.get_by_role("link", name="I have saved my codes").tap()
    expect(page).to_have_url(f"{base}/")

    page.get_by_role("banner").get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(f"{base}/login")
    enter_password(page, base)
    expect(page).to_have_url(f"{base}/login/code")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    problems += violations(page, axe) + small_targets(page)
    # the next step's code: the one that set the app up may not be used twice
    page.get_by_label("Code", exact=True).fill(clock.code(secret, steps=1))
    page.get_by_role("button", name="Log in").tap()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Olu Organiser")
    assert problems == []
