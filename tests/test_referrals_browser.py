"""Recording self-referrals on a tablet when the wifi comes and goes: the service worker keeps the
session's list and each unrecorded man's form, the outbox keeps what was submitted until the
server confirms it, exactly once, and nothing is lost to a dropped answer, an ended login or a
refusal. Logging out is held back while anything waits, and then clears the tablet."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import func, select

from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.demo.seed import DEFAULT_PASSWORD, DEMO_VISIT_TITLE, demo_email
from inreach.referrals.models import ReferralSet, Submission
from inreach.visits.models import Visit

from .conftest import DESKTOP
from .test_browser import log_in, small_targets, violations

pytestmark = pytest.mark.browser

SERVICE = "Individual Placement and Support (IPS) employment service"
SAVE = "Save and go back to the list"
# What the service worker has kept, as paths, from any page of the site.
KEPT = """async () => {
  const paths = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) {
      paths.push(new URL(request.url).pathname);
    }
  }
  return paths;
}"""
# What waits in the outbox on this tablet: each item's state and message.
OUTBOX = """() => new Promise((resolve, reject) => {
  const opening = indexedDB.open("inreach-outbox", 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore("items", {keyPath: "id"});
  opening.onerror = () => reject(opening.error);
  opening.onsuccess = () => {
    const reading = opening.result.transaction("items").objectStore("items").getAll();
    reading.onsuccess = () => {
      opening.result.close();
      resolve(reading.result.map((item) => ({state: item.state, message: item.message})));
    };
  };
})"""


def session_list(page, app, base: str) -> str:
    """Go from the demo visit's page to Cohort 1's capture list, wait until the service worker
    keeps every man's form there, and return the list's URL."""
    with app.app_context():
        visit_id = db.session.scalar(select(Visit.id).where(Visit.title == DEMO_VISIT_TITLE))
    page.goto(f"{base}/visits/{visit_id}")
    page.get_by_role("link", name="Record self-referrals: Cohort 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort 1: self-referrals")
    wait_until_kept(page)
    return page.url


def wait_until_kept(page) -> None:
    """Wait until the service worker controls the page and keeps the list and every unrecorded
    man's form (it fetches them when the list is opened online)."""
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    cards = page.locator("[data-filter-card]:not([data-saved]) a")
    wanted = {page.url.split("://", 1)[1].split("/", 1)[1]}
    wanted |= {href.split("://", 1)[1].split("/", 1)[1] for href in
               cards.evaluate_all("links => links.map(link => link.href)")}
    for _ in range(100):
        kept = {path.lstrip("/") for path in page.evaluate(KEPT)}
        if wanted <= kept:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"not kept: {sorted(wanted - kept)}")


def men(page) -> list[str]:
    """The names on the capture list, in order."""
    return page.locator("[data-filter-card] .nhsuk-card__link").all_inner_texts()


def fill(page, consent: bool = True) -> None:
    """Fill in a man's form: he wants the IPS service and (normally) agrees to share."""
    page.get_by_label(SERVICE, exact=True).check()
    if consent:
        page.get_by_role("group", name=f"Does he agree to share his details with {SERVICE}?") \
            .get_by_label("Yes").check()
    page.get_by_role("group", name="Where he will live after release") \
        .get_by_label("No fixed abode").check()
    page.get_by_label("Verbal, after it was read to him").check()


def capture(page, list_url: str, name: str, consent: bool = True) -> None:
    """Open the man's form from the list, fill it in, save it and land back on the list."""
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    fill(page, consent)
    page.get_by_role("button", name=SAVE).click()
    expect(page).to_have_url(list_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort 1: self-referrals")


def banner(page):
    """The outbox's status line under the header."""
    return page.locator("[data-outbox-banner]")


def outbox(page) -> list[dict]:
    return page.evaluate(OUTBOX)


def wait_until_sent(page) -> None:
    """Wait until the outbox is empty: everything in it was confirmed by the server."""
    for _ in range(100):
        if not outbox(page):
            expect(banner(page)).to_be_hidden()
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still in the outbox: {outbox(page)}")


def recorded(app) -> dict:
    """Per man recorded on the upcoming demo visit (the past one has its own): how many sets,
    how many submissions and by which channel."""
    upcoming = ReferralSet.member.has(CohortMember.visit.has(title=DEMO_VISIT_TITLE))
    with app.app_context():
        rows = db.session.execute(
            select(ReferralSet.member_id, ReferralSet.channel, func.count(Submission.client_id))
            .join(Submission, Submission.set_id == ReferralSet.id).where(upcoming)
            .group_by(ReferralSet.id)).all()
        sets = db.session.scalar(select(func.count()).select_from(ReferralSet).where(upcoming))
    assert sets == len(rows) and len({row[0] for row in rows}) == sets, "a man has two sets"
    return {row[0]: (row[1], row[2]) for row in rows}


def test_capture_carries_on_offline_and_sends_once_when_the_wifi_is_back(tablet, live_app):
    app, base = live_app
    page = tablet
    log_in(page, base, "volunteer", tap=True)
    list_url = session_list(page, app, base)
    names = men(page)
    assert len(names) >= 8

    for name in names[:3]:
        capture(page, list_url, name)
    expect(banner(page)).to_be_hidden()
    assert sorted(channel for channel, _ in recorded(app).values()) == ["tablet"] * 3
    wait_until_kept(page)

    page.context.set_offline(True)
    for count, name in enumerate(names[3:8], start=1):
        capture(page, list_url, name)
        expect(banner(page)).to_contain_text(f"{count} waiting to send")
    page.reload()
    expect(banner(page)).to_contain_text("5 waiting to send")
    expect(page.locator("[data-filter-card]").filter(has_text="Waiting to send")) \
        .to_have_count(5)
    assert len(recorded(app)) == 3
    # A page the tablet did not keep (proof, too, that the service worker is offline: older
    # Playwright versions let its requests through set_offline).
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("No connection")
    page.goto(list_url)
    expect(banner(page)).to_contain_text("5 waiting to send")

    page.context.set_offline(False)
    expect(banner(page)).to_be_hidden()
    assert outbox(page) == []
    saved = recorded(app)
    assert len(saved) == 8
    assert sorted(saved.values()) == [("offline", 1)] * 5 + [("tablet", 1)] * 3
    page.reload()
    expect(page.locator("[data-filter-card]").filter(has_text="Referred")).to_have_count(8)


def test_an_answer_lost_after_the_server_saved_is_sent_again_and_saved_once(tablet, live_app):
    app, base = live_app
    page = tablet
    log_in(page, base, "volunteer", tap=True)
    list_url = session_list(page, app, base)
    name = men(page)[0]
    page.get_by_role("link", name=name, exact=True).click()
    posts = []

    def lose_the_first_answer(route):
        posts.append(route.request.post_data_json)
        if len(posts) == 1:
            route.fetch()  # the server saves it...
            route.abort("connectionreset")  # ...but the tablet never hears back
        else:
            route.continue_()

    page.route(page.url, lose_the_first_answer)
    fill(page)
    page.get_by_role("button", name=SAVE).click()

    expect(page).to_have_url(list_url)
    wait_until_sent(page)
    first, again = posts
    assert again["client_id"] == first["client_id"]
    assert "channel" not in first and again["channel"] == "offline"
    assert list(recorded(app).values()) == [("tablet", 1)]  # the first post's, kept once


def test_logging_out_waits_until_nothing_is_left_to_send_then_clears_the_tablet(tablet,
                                                                               live_app):
    app, base = live_app
    page = tablet
    log_in(page, base, "volunteer", tap=True)
    list_url = session_list(page, app, base)
    page.context.set_offline(True)
    capture(page, list_url, men(page)[0])
    log_out = page.get_by_role("banner").get_by_role("button", name="Log out")

    log_out.tap()
    expect(banner(page)).to_contain_text("1 referral is waiting to send. Connect to the wifi "
                                         "and wait until nothing is waiting before logging out.")
    expect(page).to_have_url(list_url)
    expect(log_out).to_be_visible()

    page.context.set_offline(False)
    expect(banner(page)).to_be_hidden()
    assert len(recorded(app)) == 1
    log_out.tap()
    expect(page).to_have_url(f"{base}/login")
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    assert page.evaluate(KEPT) == []
    assert page.evaluate("navigator.serviceWorker.getRegistrations()"
                         ".then(found => found.length)") == 0
    assert page.evaluate("indexedDB.databases().then(found => found.map(db => db.name))") == []


def test_after_the_login_ends_the_outbox_keeps_everything_until_logged_in_again(tablet,
                                                                               live_app):
    app, base = live_app
    page = tablet
    log_in(page, base, "volunteer", tap=True)
    list_url = session_list(page, app, base)
    page.context.set_offline(True)
    for name in men(page)[:2]:
        capture(page, list_url, name)

    page.context.clear_cookies()  # as when the login expires
    page.context.set_offline(False)
    expect(banner(page)).to_contain_text("Log in again to send 2 waiting")
    assert [item["state"] for item in outbox(page)] == ["login", "login"]
    assert recorded(app) == {}

    banner(page).get_by_role("link", name="Log in").tap()
    page.get_by_label("Email address").fill(demo_email("volunteer"))
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").tap()
    expect(page).to_have_url(list_url)
    wait_until_sent(page)
    assert sorted(recorded(app).values()) == [("offline", 1)] * 2


def test_a_refused_form_needs_attention_until_it_is_fixed_or_removed(tablet, live_app):
    app, base = live_app
    page = tablet
    log_in(page, base, "volunteer", tap=True)
    list_url = session_list(page, app, base)
    first, second = men(page)[:2]
    missing = f"Say whether he agrees to share his details with {SERVICE}"

    # Online: he wants a service but nobody asked him about sharing; the form says why.
    page.get_by_role("link", name=first, exact=True).click()
    form_url = page.url
    fill(page, consent=False)
    page.get_by_role("button", name=SAVE).click()
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text("This form could not be sent")
    expect(problem).to_contain_text(missing)
    expect(problem).to_be_focused()
    expect(page).to_have_url(form_url)
    page.get_by_role("link", name="Back to the list without saving").click()

    # Offline: the same slip waits, and is refused once the wifi is back. Neither is dropped.
    page.context.set_offline(True)
    capture(page, list_url, second, consent=False)
    expect(banner(page)).to_contain_text("1 waiting to send")
    page.context.set_offline(False)
    expect(banner(page)).to_contain_text("2 need attention")
    refused = page.locator("[data-outbox-status]")
    expect(refused).to_contain_text(missing)
    expect(page.locator("[data-filter-card]").filter(has_text="Needs attention")) \
        .to_have_count(2)
    assert [item["state"] for item in outbox(page)] == ["attention", "attention"]
    assert recorded(app) == {}
    page.goto(f"{base}/")  # every page says so, with the way back to them
    expect(banner(page)).to_contain_text("2 need attention")
    banner(page).get_by_role("link", name="Open the session's list to fix").tap()
    expect(page).to_have_url(list_url)

    # Reopened, his answers come back; answering the missing question sends it.
    refused.get_by_role("link", name=first, exact=True).tap()
    expect(page).to_have_url(form_url)
    expect(page.get_by_role("alert")).to_contain_text(missing)
    expect(page.get_by_label(SERVICE, exact=True)).to_be_checked()
    expect(page.get_by_label("No fixed abode")).to_be_checked()
    page.get_by_role("group", name=f"Does he agree to share his details with {SERVICE}?") \
        .get_by_label("Yes").check()
    page.get_by_role("button", name=SAVE).click()
    expect(page).to_have_url(list_url)
    expect(banner(page)).to_contain_text("1 needs attention")

    # The other was entered by mistake: removed, after a confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    refused.get_by_role("button", name=f"Remove {second}'s unsent form").tap()
    expect(refused).to_be_hidden()
    expect(banner(page)).to_be_hidden()
    assert outbox(page) == []
    assert list(recorded(app).values()) == [("tablet", 1)]


def test_capture_pages_pass_axe_with_big_enough_targets_on_a_tablet(tablet, live_app):
    app, base = live_app
    page = tablet
    axe = Axe()
    found = []

    def check():
        found.extend(violations(page, axe))
        found.extend(small_targets(page))

    log_in(page, base, "volunteer", tap=True)
    list_url = session_list(page, app, base)
    first, second = men(page)[:2]
    check()
    page.get_by_role("link", name=first, exact=True).click()
    check()
    fill(page, consent=False)
    page.get_by_role("button", name=SAVE).click()
    expect(page.get_by_role("alert")).to_contain_text("This form could not be sent")
    check()
    page.get_by_role("link", name="Back to the list without saving").click()
    page.context.set_offline(True)
    capture(page, list_url, second)
    expect(banner(page)).to_contain_text("1 waiting to send")
    expect(page.locator("[data-outbox-status]")).to_contain_text(first)
    check()
    page.context.set_offline(False)
    expect(banner(page)).not_to_contain_text("waiting")
    assert not found, f"{len(found)} problems:\n" + "\n".join(found)


def test_a_paper_form_is_typed_in_by_its_reference_with_the_keyboard(new_page, live_app):
    app, base = live_app
    page = new_page(DESKTOP)  # paper forms are typed in at a desk, after the day
    with app.app_context():  # the demo visit is upcoming; paper comes back on or after the day
        begin_write()
        visit = db.session.scalar(select(Visit).where(Visit.title == DEMO_VISIT_TITLE))
        visit.date = visit.gate_list_deadline = today()
        db.session.commit()
    log_in(page, base, "organiser")
    list_url = session_list(page, app, base)
    name = men(page)[0]
    with app.app_context():
        first, last = name.split(" ", 1)
        reference = db.session.scalar(select(CohortMember.form_reference).join(Person).where(
            Person.first_name == first, Person.last_name == last))
    page.get_by_role("link", name="Enter paper forms").click()
    page.get_by_label("Form reference").fill("ZZZ999")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("No man in this session has that")
    page.get_by_label("Form reference").fill(reference.lower())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_label("Date written on the paper form").fill(today().isoformat())
    fill(page)
    page.get_by_role("button", name=SAVE).press("Enter")
    expect(page).to_have_url(list_url)
    with app.app_context():
        saved = db.session.scalar(select(ReferralSet).order_by(ReferralSet.id.desc()).limit(1))
        assert (saved.channel, saved.paper_date) == ("paper", today())
    assert violations(page, Axe()) == []
