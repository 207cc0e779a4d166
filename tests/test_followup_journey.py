"""Through the gate in a real browser (Debian's Chromium, a 768x1024 tablet): the organiser
sends a service's referrals by secure email to a real SMTP server on loopback; the receiving
team, with no login, answers three through the links in that email; weeks later the chase list
shows the one nobody answered; an IPS job start is recorded and shows on the man's timeline."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from inreach.cohorts.models import CohortMember
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.followup.links import issue_links, link_url
from inreach.followup.rules import Change
from inreach.followup.services import By, change_status
from inreach.referrals.models import Referral, ReferralSet

from . import chase_builders as build
from . import planning
from .conftest import tap_log_in
from .smtp_helpers import certificate_authority, mail_server, make_mail_server  # noqa: F401
from .test_browser import small_targets, violations

pytestmark = pytest.mark.browser
MEN = ("Adam", "Brian", "Colin", "Derek")
LINK = re.compile(r"^\s+(\w+): (http://\S+/answer/[\w-]+)", re.MULTILINE)


@pytest.fixture
def gate(make_app, make_user, serve, mail_server):  # noqa: F811
    """A visit three weeks ago: four men referred to Talking Therapies (secure email, 10
    working days to answer); Adam also to the IPS service. Served with the mail server."""
    app = make_app(**mail_server.config())
    organiser = make_user("organiser")
    visit_day = today() - timedelta(days=21)
    with app.app_context():
        visit_session = build.visit(visit_day, planning.prison().id)
        therapies = build.service("Talking Therapies")
        ips = build.service("IPS employment service", ips=True)
        sets = {first: build.man(visit_session, f"A{index}234BC", organiser, first=first,
                                 last="Fictional")
                for index, first in enumerate(MEN, start=1)}
        referrals = {first: build.referral(set_id, therapies) for first, set_id in sets.items()}
        referrals["ips"] = build.referral(sets["Adam"], ips)
        references = dict(db.session.execute(
            select(CohortMember.form_reference, ReferralSet.id)
            .join(ReferralSet, ReferralSet.member_id == CohortMember.id)).all())
    base = serve(app)
    app.config["PUBLIC_URL"] = base
    by_set = {set_id: first for first, set_id in sets.items()}
    return {"app": app, "base": base, "organiser": organiser, "visit_id": visit_session[0],
            "visit_day": visit_day,
            "referrals": referrals,
            "reference": {by_set[set_id]: reference for reference, set_id in references.items()}}


def statuses(gate) -> dict[str, str]:
    with gate["app"].app_context():
        return {first: db.session.get(Referral, gate["referrals"][first]).status
                for first in MEN}


def answer(new_page, url: str, choice: str, reason: str | None = None) -> None:
    """The receiving team on a phone-sized screen, not logged in: choose and save."""
    from playwright.sync_api import expect

    page = new_page({"viewport": {"width": 390, "height": 844}, "has_touch": True})
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Referral")
    page.get_by_label(choice).check()
    if reason:
        page.get_by_label(reason).check()
    page.get_by_role("button", name="Save answer").tap()
    expect(page.get_by_role("status").or_(page.locator(".nhsuk-panel, .nhsuk-inset-text"))
           .first).to_be_visible()
    page.context.close()


def test_referrals_go_through_the_gate(gate, tablet, new_page, mail_server, monkeypatch):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    base, page, problems = gate["base"], tablet, []
    tap_log_in(page, base, "organiser@test.example")

    # The organiser sends Talking Therapies its four referrals by secure email.
    page.goto(f"{base}/visits/{gate['visit_id']}")
    page.get_by_role("link", name="Referrals to send").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals to send")
    problems += violations(page, Axe()) + small_targets(page)
    therapies = page.locator("section").filter(has=page.get_by_role(
        "heading", name="Talking Therapies"))
    therapies.get_by_role("button", name=re.compile("Send 4 by secure email")).tap()
    expect(page.locator("body")).to_contain_text("Talking Therapies")
    assert set(statuses(gate).values()) == {"sent"}
    [received] = mail_server.received
    assert received.encrypted and received.login
    body = received.message.get_body(("plain",)).get_content()
    links = dict(LINK.findall(body))
    assert set(links) == set(gate["reference"].values())
    assert not any(first in body for first in MEN)  # names only in the attached PDF

    # The receiving team answers through the links: two accepted, one declined.
    link_of = {first: links[gate["reference"][first]] for first in MEN}
    answer(new_page, link_of["Adam"], "Accepted")
    answer(new_page, link_of["Brian"], "Accepted")
    answer(new_page, link_of["Colin"], "Declined", "Not eligible")
    assert statuses(gate) == {"Adam": "accepted", "Brian": "accepted", "Colin": "declined",
                              "Derek": "sent"}

    # Three weeks on, past the ten working days: Derek's referral is on the chase list.
    build.move_today(monkeypatch, today() + timedelta(days=21))
    page.get_by_role("link", name="Follow-up").first.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chase list")
    chase = page.get_by_test_id("chase-list")
    expect(chase).to_contain_text(gate["reference"]["Derek"])
    for first in ("Adam", "Brian", "Colin"):
        expect(chase).not_to_contain_text(gate["reference"][first])
    problems += violations(page, Axe()) + small_targets(page)

    # Adam started a job through IPS: 16 paid hours a week, a week ago.
    page.goto(f"{base}/follow-up/referrals/{gate['referrals']['ips']}")
    started = today() - timedelta(days=7)
    jobs = page.get_by_test_id("job-form")
    jobs.get_by_label("Start date").fill(started.isoformat())
    jobs.get_by_label("Paid hours a week").fill("16")
    jobs.get_by_role("button", name="Record job start").tap()
    expect(page.get_by_test_id("jobs")).to_contain_text("counts as a job start")
    problems += violations(page, Axe()) + small_targets(page)

    # His timeline shows the job start.
    page.get_by_role("link", name=re.compile("timeline", re.I)).first.tap()
    timeline = page.locator("main")
    entry = timeline.get_by_role("row").filter(has_text="Job started: 16 paid hours a week")
    expect(entry).to_contain_text(f"{started.day} {started:%b %Y}")
    expect(entry).to_contain_text("Counts as a job start")
    problems += violations(page, Axe()) + small_targets(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    assert not problems, "\n".join(problems)


def test_the_link_page_fits_a_phone_and_passes_axe(gate, new_page):
    """What the receiving team sees, on a phone: axe finds nothing serious, targets are big
    enough, nothing scrolls sideways, and no name is shown."""
    from axe_playwright_python.sync_playwright import Axe

    adam = gate["referrals"]["Adam"]
    with gate["app"].app_context():
        change_status([adam], Change("sent", gate["visit_day"], sent_how="phone"),
                      By(gate["organiser"]))
        begin_write()
        url = link_url(issue_links([adam])[adam])
        db.session.commit()
    page = new_page({"viewport": {"width": 390, "height": 844}, "has_touch": True})
    page.goto(url)
    assert "Adam" not in page.content() and "A1234BC" not in page.content()
    problems = violations(page, Axe()) + small_targets(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not problems, "\n".join(problems)
