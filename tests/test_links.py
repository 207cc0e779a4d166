"""The receiving team's link, on a real database: what the page shows (no name, no prison
number), answering in two taps, corrections for 7 days, links that do not work (expired,
replaced, tampered, closed referrals) with one page and nothing changed, a link reaching only
its own referral, rate limits, the audit rows and the token kept out of request logs."""

import logging
import re
from datetime import timedelta
from http.client import HTTPConnection

import pytest
from sqlalchemy import func, select

from inreach.accounts.models import User
from inreach.audit.models import AuditEvent
from inreach.database import begin_write, counting_statements, db, utcnow
from inreach.dates import today
from inreach.errors import DomainError
from inreach.followup import answers
from inreach.followup.links import issue_links, token_hash
from inreach.followup.models import LinkFailure, ReferralEvent, ReferralLink
from inreach.followup.rules import Change
from inreach.followup.services import By, change_status
from inreach.referrals import services as referral_services
from inreach.referrals.consent import current_wording
from inreach.referrals.models import Referral

from . import planning
from . import referral_builders as build
from .conftest import log_in

CLOSED = "This link does not work any more"
HOME = {"REMOTE_ADDR": "192.0.2.10"}
ELSEWHERE = {"REMOTE_ADDR": "198.51.100.20"}


@pytest.fixture
def sent(app, make_user):
    """A visit 30 days ago: John and Karl each referred to Talking Therapies (both sent by phone
    on the visit day); John did not agree to share with Housing advice (not shared), Karl did
    (still made). Every referral has a link. Returns ids, tokens and what the page shows."""
    organiser = make_user("organiser")
    with app.app_context():
        wsi = planning.prison()
        visit = planning.visit(wsi.id, today() - timedelta(days=30), status="completed")
        morning = planning.session(visit.id)
        men = {"john": build.man(visit.id, morning.id, "A1234BC"),
               "karl": build.man(visit.id, morning.id, "B2345CD", "Karl", "Madeup")}
        therapies, housing = build.service("Talking Therapies"), build.service("Housing advice")
        ids = {"therapies": therapies.id, "housing": housing.id}
        version = current_wording().version
        for name, member in men.items():
            saved, _ = referral_services.save(visit.id, morning.id, build.capture(
                member.public_id, consent_version=version, chosen=[therapies.id, housing.id],
                consent={therapies.id: True, housing.id: name == "karl"}),
                db.session.get(User, organiser))
            for referral in saved.referrals:
                key = "therapies" if referral.service_id == ids["therapies"] else "housing"
                ids[f"{name}_{key}"] = referral.id
        references = {name: member.form_reference for name, member in men.items()}
        change_status([ids["john_therapies"], ids["karl_therapies"]],
                      Change("sent", visit.date, sent_how="phone"), By(organiser))
        begin_write()
        tokens = issue_links([ids[key] for key in ("john_therapies", "karl_therapies",
                                                   "john_housing", "karl_housing")])
        db.session.commit()
        return {**ids, "visit_date": visit.date, "organiser": organiser,
                "references": references, "tokens": tokens,
                "a": ids["john_therapies"], "b": ids["karl_therapies"],
                "token_a": tokens[ids["john_therapies"]],
                "token_b": tokens[ids["karl_therapies"]]}


@pytest.fixture
def ctx(app_context, sent):
    """Service tests: the referrals, inside an app context."""
    return sent


def referral(referral_id: int) -> Referral:
    """A referral read fresh."""
    db.session.expire_all()
    return db.session.get(Referral, referral_id)


def link_of(token: str) -> ReferralLink:
    """The stored link for a token, read fresh."""
    db.session.expire_all()
    return db.session.scalar(select(ReferralLink).where(
        ReferralLink.token_hash == token_hash(token)))


def events(referral_id: int) -> list[tuple]:
    """A referral's history as (status, how, actor)."""
    rows = db.session.scalars(select(ReferralEvent).where(
        ReferralEvent.referral_id == referral_id).order_by(ReferralEvent.id))
    return [(row.status, row.how, row.actor_id) for row in rows]


def set_link(token: str, **values) -> None:
    """Change a stored link (to move it through time), in a write."""
    begin_write()
    link = db.session.scalar(select(ReferralLink).where(
        ReferralLink.token_hash == token_hash(token)))
    for name, value in values.items():
        setattr(link, name, value)
    db.session.commit()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def page(client, token: str, environ=None):
    """GET the link page; returns (status, html)."""
    response = client.get(f"/answer/{token}", environ_base=environ or HOME)
    return response.status_code, response.get_data(as_text=True)


def post(client, token: str, data: dict, environ=None):
    """Submit the page's form as a phone would: its CSRF token and prefilled date, and what was
    tapped (``data``)."""
    _, html = page(client, token, environ)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    prefilled = re.search(r'name="on" type="date" value="([^"]*)"', html)
    form = {"csrf_token": csrf.group(1) if csrf else "",
            "on": prefilled.group(1) if prefilled else ""}
    return client.post(f"/answer/{token}", data={**form, **data}, environ_base=environ or HOME)


# --- what the page shows -----------------------------------------------------------------------

def test_the_page_shows_only_the_reference_service_and_visit_date(app, client, sent):
    status, html = page(client, sent["token_a"])
    assert status == 200
    assert sent["references"]["john"] in html
    assert "Talking Therapies" in html
    assert sent["visit_date"].strftime("%-d %B %Y") in html
    assert "Not answered yet" in html
    for personal in ("John", "Fictional", "A1234BC", "B wing"):
        assert personal not in html
    # nothing of the other referral, and no way into the rest of the app
    assert sent["references"]["karl"] not in html
    assert 'href="/"' not in html and 'href="/visits' not in html and "Log in" not in html
    assert '<meta name="robots" content="noindex' in html


def test_the_page_is_private_uncached_and_sends_no_referrer(client, sent):
    response = client.get(f"/answer/{sent['token_a']}", environ_base=HOME)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_opening_a_link_describes_the_referral_and_what_it_may_still_take(ctx):
    shown = answers.open_link(ctx["token_a"], answers.client_key("192.0.2.10"))
    assert (shown.reference, shown.service, shown.visit_date, shown.status) == (
        ctx["references"]["john"], "Talking Therapies", ctx["visit_date"], "sent")
    assert shown.choices == ("accepted", "declined", "no_contact", "first_contact")
    assert shown.correct_until is None
    assert not hasattr(shown, "referral_id")


# --- answering -----------------------------------------------------------------------------

def test_two_taps_accept_the_referral_by_link(client, sent, app):
    response = post(client, sent["token_a"], {"status": "accepted"})
    assert response.status_code == 302
    status, html = page(client, sent["token_a"])
    assert "Thank you. Your answer is saved." in html
    assert "Accepted on " + today().strftime("%-d %B %Y") in html
    assert "You can correct your answer here until" in html
    with app.app_context():
        accepted = referral(sent["a"])
        assert (accepted.status, accepted.answered_on) == ("accepted", today())
        assert events(sent["a"])[-1] == ("accepted", "link", None)
        assert link_of(sent["token_a"]).first_answer_at is not None


def test_declined_with_a_reason(client, sent, app):
    assert post(client, sent["token_a"], {"status": "declined",
                                          "reason": "no_capacity"}).status_code == 302
    with app.app_context():
        declined = referral(sent["a"])
        assert (declined.status, declined.reason, declined.reason_other) == (
            "declined", "no_capacity", "")


def test_declined_for_another_reason_needs_the_words(client, sent, app):
    response = post(client, sent["token_a"], {"status": "declined", "reason": "other"})
    assert response.status_code == 200
    assert "Say what the other reason is" in response.get_data(as_text=True)
    with app.app_context():
        assert referral(sent["a"]).status == "sent"
    post(client, sent["token_a"], {"status": "declined", "reason": "other",
                                   "reason_other": "  Lives in another county  "})
    with app.app_context():
        assert (referral(sent["a"]).reason, referral(sent["a"]).reason_other) == (
            "other", "Lives in another county")


def test_declined_without_a_reason_is_refused_on_the_field(client, sent, app):
    html = post(client, sent["token_a"], {"status": "declined"}).get_data(as_text=True)
    assert "Choose why it was declined" in html and 'href="#reason"' in html
    with app.app_context():
        assert referral(sent["a"]).status == "sent"


def test_could_not_contact(client, sent, app):
    assert post(client, sent["token_a"], {"status": "no_contact"}).status_code == 302
    with app.app_context():
        assert referral(sent["a"]).status == "no_contact"


def test_nothing_chosen_or_an_answer_the_link_does_not_offer_is_refused(client, sent, app):
    for data in ({}, {"status": "closed", "reason": "completed"}, {"status": "sent"}):
        html = post(client, sent["token_a"], data).get_data(as_text=True)
        assert "Choose what happened" in html
    with app.app_context():
        assert referral(sent["a"]).status == "sent"
        assert events(sent["a"]) == [("sent", "phone", sent["organiser"])]


def test_accepted_then_first_contact_on_its_date(client, sent, app):
    post(client, sent["token_a"], {"status": "accepted"})
    met = today() - timedelta(days=2)
    assert post(client, sent["token_a"], {"status": "first_contact",
                                          "on": met.isoformat()}).status_code == 302
    status, html = page(client, sent["token_a"])
    assert "First contact is recorded, so the answer cannot be changed here" in html
    assert 'name="status"' not in html
    with app.app_context():
        done = referral(sent["a"])
        assert (done.status, done.first_contact_on, done.answered_on) == (
            "first_contact", met, today())


def test_after_first_contact_a_correction_is_refused_with_a_clear_message(client, sent, app):
    post(client, sent["token_a"], {"status": "first_contact"})
    response = client.post(f"/answer/{sent['token_a']}", environ_base=HOME, data={
        "csrf_token": _csrf_from_any_page(client), "status": "declined",
        "reason": "not_eligible", "on": today().isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "a referral that is first contact cannot become declined" in html
    with app.app_context():
        assert referral(sent["a"]).status == "first_contact"


@pytest.mark.parametrize("offset, message", [
    (1, "The date cannot be in the future"),
    (-31, "The date cannot be before the visit"),
])
def test_bad_dates_are_refused_on_the_field_and_nothing_changes(client, sent, app, offset,
                                                                 message):
    day = today() + timedelta(days=offset)
    response = post(client, sent["token_a"], {"status": "accepted", "on": day.isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and 'href="#on"' in html and "nhsuk-form-group--error" in html
    with app.app_context():
        assert referral(sent["a"]).status == "sent"
        assert len(events(sent["a"])) == 1
        assert link_of(sent["token_a"]).first_answer_at is None


def test_an_impossible_date_is_refused_on_the_field(client, sent, app):
    html = post(client, sent["token_a"], {"status": "accepted",
                                          "on": "2027-02-31"}).get_data(as_text=True)
    assert "Enter a real date" in html
    with app.app_context():
        assert referral(sent["a"]).status == "sent"


def test_a_post_without_its_csrf_token_is_refused(client, sent, app):
    response = client.post(f"/answer/{sent['token_a']}", environ_base=HOME,
                           data={"status": "accepted", "on": today().isoformat()})
    assert response.status_code == 400
    with app.app_context():
        assert referral(sent["a"]).status == "sent"


# --- corrections -----------------------------------------------------------------------------

def test_an_answer_can_be_corrected_within_seven_days(client, sent, app):
    post(client, sent["token_a"], {"status": "accepted"})
    with app.app_context():
        set_link(sent["token_a"], first_answer_at=utcnow() - timedelta(days=6, hours=23))
    assert post(client, sent["token_a"], {"status": "declined",
                                          "reason": "out_of_area"}).status_code == 302
    with app.app_context():
        assert referral(sent["a"]).status == "declined"
        assert [row[0] for row in events(sent["a"])] == ["sent", "accepted", "declined"]


def test_seven_days_after_the_first_answer_the_link_closes(client, sent, app):
    post(client, sent["token_a"], {"status": "accepted"})
    with app.app_context():
        set_link(sent["token_a"], first_answer_at=utcnow() - timedelta(days=7, minutes=1))
    status, html = page(client, sent["token_a"])
    assert (status, CLOSED in html) == (404, True)
    with app.app_context():
        token = _csrf_from_any_page(client)
    response = client.post(f"/answer/{sent['token_a']}", environ_base=HOME, data={
        "csrf_token": token, "status": "declined", "reason": "not_eligible",
        "on": today().isoformat()})
    assert response.status_code == 404 and CLOSED in response.get_data(as_text=True)
    with app.app_context():
        assert referral(sent["a"]).status == "accepted"


def _csrf_from_any_page(client) -> str:
    """A valid CSRF token for this client's session (the login form has one)."""
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_the_first_answer_alone_starts_the_correction_time(ctx):
    client = answers.client_key("192.0.2.10")
    answers.answer(ctx["token_a"], client, "accepted", today())
    first = link_of(ctx["token_a"]).first_answer_at
    answers.answer(ctx["token_a"], client, "no_contact", today())
    assert link_of(ctx["token_a"]).first_answer_at == first
    shown = answers.open_link(ctx["token_a"], client)
    assert shown.correct_until is not None
    assert shown.choices == ("accepted", "declined", "first_contact")


def test_a_declined_referral_must_be_accepted_before_first_contact(ctx):
    client = answers.client_key("192.0.2.10")
    answers.answer(ctx["token_a"], client, "declined", today(), "not_eligible")
    assert answers.open_link(ctx["token_a"], client).choices == ("accepted", "no_contact")
    with pytest.raises(DomainError) as refused:
        answers.answer(ctx["token_a"], client, "first_contact", today())
    assert (refused.value.code, refused.value.field) == ("bad_move", "status")


# --- links that do not work -----------------------------------------------------------------

def refused_everywhere(client, app, token: str, referral_id: int, status: str) -> None:
    """The link gets the same page as a made-up one, on GET and POST, and the referral stays as
    it was."""
    code, html = page(client, token)
    assert (code, CLOSED in html) == (404, True)
    assert html == page(client, "made-up-token")[1]  # one page, whatever the reason
    response = client.post(f"/answer/{token}", environ_base=HOME, data={
        "csrf_token": _csrf_from_any_page(client), "status": "accepted",
        "on": today().isoformat()})
    assert response.status_code == 404
    with app.app_context():
        assert referral(referral_id).status == status


def test_an_expired_link_does_not_work(client, sent, app):
    with app.app_context():
        set_link(sent["token_a"], expires_at=utcnow() - timedelta(seconds=1))
    refused_everywhere(client, app, sent["token_a"], sent["a"], "sent")


def test_a_link_replaced_by_a_new_one_does_not_work_and_the_new_one_does(client, sent, app):
    with app.app_context():
        begin_write()
        new = issue_links([sent["a"]])[sent["a"]]
        db.session.commit()
    refused_everywhere(client, app, sent["token_a"], sent["a"], "sent")
    assert page(client, new)[0] == 200


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
    lambda token: token[:-4],
    lambda token: token + "x",
    lambda token: token.upper(),
    lambda token: "not-a-token",
], ids=["one-character", "shortened", "lengthened", "case", "made-up"])
def test_a_tampered_or_made_up_link_does_not_work(client, sent, app, tamper):
    refused_everywhere(client, app, tamper(sent["token_a"]), sent["a"], "sent")


@pytest.mark.parametrize("key, status", [("karl_housing", "made"),
                                         ("john_housing", "not_shared")])
def test_a_referral_not_sent_cannot_be_answered(client, sent, app, key, status):
    refused_everywhere(client, app, sent["tokens"][sent[key]], sent[key], status)


def test_a_closed_referral_cannot_be_answered(client, sent, app):
    with app.app_context():
        change_status([sent["a"]], Change("closed", today(), "completed"), By(sent["organiser"]))
    refused_everywhere(client, app, sent["token_a"], sent["a"], "closed")


def test_a_link_changes_only_its_own_referral(client, sent, app):
    post(client, sent["token_a"], {"status": "declined", "reason": "not_eligible"})
    _, html = page(client, sent["token_b"])
    assert sent["references"]["karl"] in html and sent["references"]["john"] not in html
    with app.app_context():
        assert referral(sent["a"]).status == "declined"
        untouched = referral(sent["b"])
        assert (untouched.status, untouched.answered_on) == ("sent", None)
        assert len(events(sent["b"])) == 1
        assert link_of(sent["token_b"]).first_answer_at is None


# --- rate limits ------------------------------------------------------------------------------

def test_too_many_bad_links_from_one_address_are_refused_without_looking(client, sent, app):
    app.config["LINK_MAX_FAILURES"] = 3
    for attempt in range(3):
        assert page(client, f"guess-{attempt}")[0] == 404
    with app.app_context():
        opened = count(AuditEvent)
    with app.app_context(), counting_statements() as statements:
        status, html = page(client, sent["token_a"])
    assert status == 429 and "Too many tries" in html
    assert not any("referral_links" in statement for statement in statements)
    response = client.post(f"/answer/{sent['token_a']}", environ_base=HOME, data={
        "csrf_token": _csrf_from_any_page(client), "status": "accepted",
        "on": today().isoformat()})
    assert response.status_code == 429
    # another address is not held back
    assert page(client, sent["token_a"], ELSEWHERE)[0] == 200
    assert post(client, sent["token_a"], {"status": "accepted"}, ELSEWHERE).status_code == 302
    with app.app_context():
        assert referral(sent["a"]).status == "accepted"
        assert count(AuditEvent) > opened


def test_failures_are_kept_by_a_keyed_hash_and_old_ones_pruned(ctx):
    client = answers.client_key("192.0.2.10")
    assert client == answers.client_key("192.0.2.10") != answers.client_key("192.0.2.11")
    assert "192.0.2.10" not in client
    begin_write()
    db.session.add(LinkFailure(client_key=client, attempted_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        answers.open_link("wrong", client)
    assert refused.value.code == "link_closed"
    kept = db.session.scalars(select(LinkFailure)).all()
    assert [(row.client_key, row.attempted_at > utcnow() - timedelta(minutes=1))
            for row in kept] == [(client, True)]


def test_a_link_takes_a_bounded_number_of_answers_a_day(ctx, monkeypatch):
    monkeypatch.setattr(answers, "MAX_CHANGES_PER_DAY", 3)
    client = answers.client_key("192.0.2.10")
    for status in ("accepted", "no_contact", "accepted"):
        answers.answer(ctx["token_a"], client, status, today())
    with pytest.raises(DomainError) as refused:
        answers.answer(ctx["token_a"], client, "no_contact", today())
    assert refused.value.code == "too_many_changes"
    assert referral(ctx["a"]).status == "accepted"


# --- audit and logs -----------------------------------------------------------------------------

def test_each_use_is_audited_as_the_receiving_service_by_link(client, sent, app, make_user):
    page(client, sent["token_a"])
    post(client, sent["token_a"], {"status": "accepted"})
    page(client, "not-a-token")
    with app.app_context():
        rows = db.session.execute(select(
            AuditEvent.action, AuditEvent.actor_id, AuditEvent.object_type,
            AuditEvent.object_id, AuditEvent.detail).where(
            AuditEvent.action.like("referral%")).order_by(AuditEvent.id)).all()
    link_rows = [tuple(row) for row in rows if row.action != "referral.status"
                 or row.actor_id is None]
    assert ("referral_link.opened", None, "referral", str(sent["a"]), None) in link_rows
    assert ("referral.status", None, "referral", str(sent["a"]), None) in link_rows
    assert link_rows[-1] == ("referral_link.refused", None, None, None, "unknown")
    make_user("auditor")
    log_in(client, "auditor@test.example")
    trail = client.get("/audit/").get_data(as_text=True)
    assert trail.count("Receiving service, by link") >= 3
    assert "Someone with a link that does not work" in trail


def test_the_token_stays_out_of_the_request_log(sent, app, serve, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    host, port = serve(app).removeprefix("http://").split(":")
    statuses = []
    for path in (f"/answer/{sent['token_a']}", f"/answer/{sent['token_b']}x?y=1"):
        connection = HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", path)
        statuses.append(connection.getresponse().status)
        connection.close()
    assert statuses == [200, 404]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged.count("GET /answer/") == 2
    assert sent["token_a"] not in logged and sent["token_b"] not in logged


def test_the_token_stays_out_of_the_log_of_an_unexpected_error(client, sent, app, caplog,
                                                                monkeypatch):
    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(answers, "open_link", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: log it, show the 500 page
    response = client.get(f"/answer/{sent['token_a']}", environ_base=HOME)
    assert response.status_code == 500
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Exception on /answer/" in logged and sent["token_a"] not in logged
