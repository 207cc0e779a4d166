"""End-to-end journeys in a real browser (Debian's Chromium through Playwright): logging in
and out at desktop and tablet sizes, what each role sees, touch-target sizes and axe checks."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from inreach.demo.seed import DEFAULT_PASSWORD, DEMO_NAMES, demo_email

from .conftest import DESKTOP, TABLET

pytestmark = pytest.mark.browser

MIN_TARGET = 44  # CSS px, for thumbs on a tablet
NAV = {  # what each role sees in the navigation, in order
    "admin": ["Home", "Visits", "Follow-up", "Reports", "Directory", "Volunteers", "Prisons",
              "Users", "Personal data", "Audit trail", "Task queue"],
    "organiser": ["Home", "Visits", "Follow-up", "Reports", "Directory", "Volunteers", "Prisons"],
    "volunteer": ["Home", "Visits", "Directory"],
    "auditor": ["Home", "Visits", "Follow-up", "Reports", "Directory", "Volunteers", "Prisons",
                "Personal data", "Audit trail"],
}
# Links and buttons a person can use in the header (with its navigation) and the main content.
TARGETS = "header a, header button, main a, main button, main input[type=submit]"
# Violations at these levels fail the accessibility checks.
BLOCKING = {"serious", "critical"}


def menu(page):
    """The main navigation in the header."""
    return page.get_by_role("navigation", name="Menu")


def log_in(page, base_url: str, role: str, tap: bool = False):
    """Log in as the demo account for the role from the login page, clicking or tapping."""
    page.goto(f"{base_url}/login")
    email, password = page.get_by_label("Email address"), page.get_by_label("Password")
    if tap:
        email.tap()
    email.fill(demo_email(role))
    if tap:
        password.tap()
    password.fill(DEFAULT_PASSWORD)
    button = page.get_by_role("button", name="Log in")
    button.tap() if tap else button.click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {DEMO_NAMES[role]}")


def log_out(page, base_url: str, tap: bool = False):
    """Press the header's Log out button and check we are back at the login page, logged out."""
    button = page.get_by_role("banner").get_by_role("button", name="Log out")
    button.tap() if tap else button.click()
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to inreach")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(menu(page)).to_have_count(0)


def expect_login_page(page, base_url: str, next_path: str = "/"):
    """The login page, reached because a signed-in page was asked for."""
    expect(page).to_have_url(re.compile(re.escape(f"{base_url}/login?next={next_path}") + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to inreach")
    expect(page.get_by_label("Password")).to_be_visible()


# NHS.UK clickable cards stretch their link over the whole card with an absolutely positioned
# ::before, so a tap anywhere on the card follows the link: that overlay's size is what counts.
OVERLAY_SIZE = """element => {
  const block = getComputedStyle(element).position === "static" ? element.offsetParent : element;
  for (const pseudo of ["::before", "::after"]) {
    const style = getComputedStyle(element, pseudo);
    if (!block || style.content === "none" || style.position !== "absolute") continue;
    const outer = block.getBoundingClientRect(), px = value => parseFloat(value) || 0;
    return {width: outer.width - px(style.left) - px(style.right),
            height: outer.height - px(style.top) - px(style.bottom)};
  }
  return null;
}"""


def big_enough(box) -> bool:
    return box is not None and box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET


def small_targets(page) -> list[str]:
    """Visible links and buttons in the header and main content smaller than 44 by 44 CSS px."""
    found = []
    for element in page.locator(TARGETS).all():
        if not element.is_visible():
            continue
        box = element.bounding_box()
        if big_enough(box) or big_enough(element.evaluate(OVERLAY_SIZE)):
            continue
        name = " ".join(element.inner_text().split()) or element.get_attribute("aria-label")
        path = page.url.split("://", 1)[1].split("/", 1)[1]
        found.append(f"/{path}: {name!r} is {box['width']:.0f}x{box['height']:.0f}px, "
                     f"under {MIN_TARGET}x{MIN_TARGET}")
    return found


def test_organiser_logs_in_sees_their_navigation_and_logs_out(new_page, live_server):
    page = new_page(DESKTOP)
    page.goto(f"{live_server}/")
    expect_login_page(page, live_server)

    page.get_by_label("Email address").fill(demo_email("organiser"))
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Olu Organiser (demo)")
    expect(menu(page).get_by_role("link")).to_have_text(NAV["organiser"])
    expect(menu(page).get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    expect(page.get_by_role("link", name="Audit trail")).to_have_count(0)
    expect(page.get_by_role("banner")).to_contain_text("Olu Organiser (demo)")

    log_out(page, live_server)

    page.go_back()  # the browser's back button must not show the signed-in page again
    expect_login_page(page, live_server)
    page.goto(f"{live_server}/")
    expect_login_page(page, live_server)
    expect(page.get_by_text("Olu Organiser")).to_have_count(0)


def test_volunteer_on_a_tablet_taps_through_with_big_enough_targets(new_page, live_server):
    page = new_page(TABLET)
    page.goto(f"{live_server}/")
    expect_login_page(page, live_server)
    assert small_targets(page) == []

    log_in(page, live_server, "volunteer", tap=True)

    expect(menu(page)).to_be_visible()
    expect(menu(page).get_by_role("link")).to_have_text(NAV["volunteer"])
    expect(page.get_by_role("banner")).to_contain_text("Val Volunteer (demo)")
    expect(page.get_by_role("banner").get_by_role("button", name="Log out")).to_be_visible()
    targets = page.locator(TARGETS)
    expect(targets.first).to_be_visible()
    assert targets.count() >= 4  # service name, Home, Change password, Log out
    assert small_targets(page) == []

    log_out(page, live_server, tap=True)
    page.goto(f"{live_server}/")
    expect_login_page(page, live_server)


def test_admin_sees_the_demo_users(new_page, live_server):
    page = new_page(DESKTOP)
    log_in(page, live_server, "admin")
    expect(menu_links(page)).to_have_text(NAV["admin"])

    menu_link(page, "Users").click()

    expect(page).to_have_url(f"{live_server}/users")
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    expect(menu(page).get_by_role("link", name="Users")).to_have_attribute("aria-current", "page")
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(len(DEMO_NAMES))
    for role, name in DEMO_NAMES.items():
        row = rows.filter(has_text=demo_email(role))
        expect(row).to_contain_text(name)
        expect(row).to_contain_text(role)
        expect(row).to_contain_text("Active")
    expect(page.get_by_role("link", name="Add a user")).to_be_visible()


def test_auditor_sees_login_events_in_the_audit_trail(new_page, live_server):
    page = new_page(DESKTOP)
    log_in(page, live_server, "organiser")  # an event by someone else to look for
    log_out(page, live_server)
    log_in(page, live_server, "auditor")
    expect(menu_links(page)).to_have_text(NAV["auditor"])
    expect(page.get_by_role("link", name="Users")).to_have_count(0)

    menu_link(page, "Audit trail").click()

    expect(page).to_have_url(f"{live_server}/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    rows = page.get_by_role("table").locator("tbody tr")
    logins = rows.filter(has_text=" signed in")  # the trail in words, not action codes
    expect(logins.filter(has_text=demo_email("auditor"))).to_have_count(1)
    expect(logins.filter(has_text=demo_email("organiser"))).to_have_count(1)
    expect(rows.filter(has_text=" signed out")
           .filter(has_text=demo_email("organiser"))).to_have_count(1)
    # newest first: the auditor's own login heads the list
    expect(rows.first).to_contain_text(demo_email("auditor"))


def violations(page, axe: Axe) -> list[str]:
    """Axe's serious and critical violations on the page, readably, one entry per element."""
    results = axe.run(page).response
    path = page.url.split("://", 1)[1].split("/", 1)[1]
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            summary = " ".join(node["failureSummary"].split())
            found.append(f"/{path}: {violation['impact']} {violation['id']} ({violation['help']})\n"
                         f"    at {' '.join(map(str, node['target']))}: {node['html'][:120]}\n"
                         f"    {summary}\n    {violation['helpUrl']}")
    return found


def menu_links(page):
    """Every link of the menu, with "More" opened where the last items are folded in there."""
    more = menu(page).get_by_role("button", name="Browse More")
    if more.is_visible():
        more.click()
    return menu(page).get_by_role("link")


def menu_link(page, name: str):
    """A link of the menu, opening "More" first where it is folded in there (the admin's last
    items, on a tablet)."""
    link = menu(page).get_by_role("link", name=name)
    more = menu(page).get_by_role("button", name="Browse More")
    if not link.is_visible() and more.is_visible():
        more.click()
    return link


@pytest.mark.parametrize("size", [DESKTOP, TABLET], ids=["desktop", "tablet"])
def test_pages_have_no_serious_accessibility_violations(new_page, live_server, size):
    """Axe finds nothing serious on any page, in any state we show; on a tablet every page's
    links and buttons are also big enough to tap."""
    axe = Axe()
    found, checked = [], []

    def check(page):
        checked.append(page.url.removeprefix(live_server))
        found.extend(violations(page, axe))
        if size is TABLET:
            found.extend(small_targets(page))

    page = new_page(size)
    page.goto(f"{live_server}/login")
    check(page)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    expect(page.get_by_role("link", name="Enter your email address")).to_be_visible()
    check(page)

    for role in ["organiser", "volunteer", "auditor", "admin"]:
        log_in(page, live_server, role)
        check(page)
        if role == "auditor":
            menu_link(page, "Audit trail").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
            check(page)
        if role == "admin":
            menu_link(page, "Users").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Users")
            check(page)
            page.get_by_role("link", name="Add a user").click()
            page.get_by_role("button", name="Add user").click()
            expect(page.get_by_text("There is a problem")).to_be_visible()
            expect(page.get_by_role("link", name="Enter the person's name")).to_be_visible()
            check(page)
            menu_link(page, "Task queue").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Task queue")
            check(page)
        log_out(page, live_server)

    assert checked == ["/login", "/login", "/", "/", "/", "/audit/", "/", "/users", "/users/new",
                       "/admin/queue"]
    assert not found, f"{len(found)} problems:\n" + "\n".join(found)
