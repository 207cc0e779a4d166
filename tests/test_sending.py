"""Sending referrals to their services, against a real SMTP server on loopback (aiosmtpd, with
STARTTLS or TLS and a login): what the email says and carries, exactly once, retries when the
server is down, failing at once when it refuses for good, services without an email route,
marking as sent another way, the .eml outbox without a mail server, and chasing."""

import os
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db, utcnow
from inreach.dates import today
from inreach.errors import DomainError
from inreach.followup import sending
from inreach.followup.links import token_hash
from inreach.followup.models import Dispatch, ReferralEvent, ReferralLink
from inreach.jobs.models import TaskFailure
from inreach.jobs.queue import QueueUnavailable, huey
from inreach.referrals.models import Referral

from . import handoff_builders
from .conftest import log_in
from .printing_helpers import pdf_text
from .queue_helpers import broker_config, empty_queue, run_queue, run_retries, waiting_tasks
from .smtp_helpers import USER, certificate_authority, mail_server, make_mail_server  # noqa: F401

ROLES = ("organiser", "admin", "auditor", "volunteer")
NAMES = ("John", "Fictional", "Karl", "Madeup", "A1234BC", "1990", "7700")
LINK = re.compile(r"^  ([A-Z0-9]{6}): (http://\S+/answer/(\S+))$", re.M)


@pytest.fixture
def day(app, make_user):
    """The hand-off day (tests/handoff_builders.py) with a user of each role; its ids."""
    users = {role: make_user(role) for role in ROLES}
    with app.app_context():
        return handoff_builders.handoff_day(users)


@pytest.fixture
def sender(make_app, day, mail_server):  # noqa: F811
    """The app sending through the STARTTLS server with the fictional login (tasks at once)."""
    empty_queue()
    yield make_app(create_tables=False, **mail_server.config())
    empty_queue()


def url(day, rest: str = "") -> str:
    return f"/visits/{day['visit']}/handoff{rest}"


def send_fields(client, day, service: str = "therapies") -> dict:
    """The send form's hidden fields as the page rendered them (the key made for it)."""
    page = client.get(url(day)).get_data(as_text=True)
    service_id = day[service]
    key = re.search(rf'name="s{service_id}-key" type="hidden" value="([^"]+)"', page)
    token = re.search(rf'name="s{service_id}-csrf_token" type="hidden" value="([^"]+)"', page)
    return {f"s{service_id}-key": key.group(1), f"s{service_id}-csrf_token": token.group(1)}


def mark_fields(client, day, service: str = "housing", **values) -> dict:
    """The mark-sent form's fields with the given values."""
    page = client.get(url(day)).get_data(as_text=True)
    service_id = day[service]
    token = re.search(rf'name="s{service_id}-csrf_token" type="hidden" value="([^"]+)"', page)
    return {f"s{service_id}-csrf_token": token.group(1),
            **{f"s{service_id}-{name}": value for name, value in values.items()}}


def referral(app, referral_id: int) -> Referral:
    with app.app_context():
        found = db.session.get(Referral, referral_id)
        db.session.expunge(found)
        return found


def body_of(message) -> str:
    """The plain-text body, with the wire's line ends made plain."""
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def send_as_organiser(app, day, organiser: int | None = None) -> Dispatch:
    """Queue the therapies email as the organiser, through the service."""
    with app.app_context():
        dispatch, repeat = sending.send_by_email(day["visit"], day["therapies"],
                                                 sending.new_key(),
                                                 organiser or day["users"]["organiser"])
        assert not repeat
        return dispatch.id


def test_the_email_reaches_the_service_over_starttls_with_a_login(sender, day, mail_server):  # noqa: F811
    client = sender.test_client()
    log_in(client, "organiser@test.example")
    response = client.post(url(day, f"/services/{day['therapies']}/send"),
                           data=send_fields(client, day))
    assert response.status_code == 302
    assert "2 referrals queued to be emailed" in client.get(url(day)).get_data(as_text=True)
    [received] = mail_server.received
    assert received.encrypted and received.login == USER
    assert received.rcpt_tos == [handoff_builders.THERAPIES_EMAIL]
    message = received.message
    visit_day = day["visit_date"]
    assert message["Subject"] == ("Referrals from inreach: HMP Wormwood Scrubs visit "
                                  f"{visit_day.day} {visit_day:%B %Y}")
    assert (message["From"], message["To"]) == ("inreach@inreach.test",
                                                handoff_builders.THERAPIES_EMAIL)
    body = body_of(message)
    for name in NAMES:
        assert name not in body and name not in message["Subject"]
    links = LINK.findall(body)
    refs = day["references"]
    assert [reference for reference, _, _ in links] == [refs["john"], refs["karl"]]
    assert all(address.startswith("http://127.0.0.1:5000/answer/") for _, address, _ in links)
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == f"referrals-{visit_day.isoformat()}.pdf"
    text = pdf_text(attachment.get_content())
    assert "John Fictional" in text and "Karl Madeup" in text and "Lee" not in text
    with sender.app_context():
        for (_, _, token), name in zip(links, ("john", "karl"), strict=True):
            link = db.session.scalar(select(ReferralLink).where(
                ReferralLink.token_hash == token_hash(token)))
            assert link.referral_id == day["referrals"][f"{name}/therapies"]
            sent = db.session.get(Referral, link.referral_id)
            assert (sent.status, sent.sent_how, sent.sent_on, sent.dispatch_id,
                    sent.send_problem) == ("sent", "email", today(), None, "")
        event = db.session.scalar(select(ReferralEvent).where(
            ReferralEvent.referral_id == day["referrals"]["john/therapies"]))
        assert (event.status, event.how, event.actor_id) == ("sent", "email",
                                                             day["users"]["organiser"])
        dispatch = db.session.scalar(select(Dispatch))
        assert (dispatch.state, dispatch.attempts) == ("sent", 1)
        assert db.session.get(Referral, day["referrals"]["lee/therapies"]).status == \
            "not_shared"  # he said no: never sent
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"dispatch.queued", "referral.send_queued", "dispatch.sent",
                "referral.status"} <= actions


def test_the_same_key_again_sends_nothing_new(sender, day, mail_server):  # noqa: F811
    client = sender.test_client()
    log_in(client, "organiser@test.example")
    fields = send_fields(client, day)
    path = url(day, f"/services/{day['therapies']}/send")
    assert client.post(path, data=fields).status_code == 302
    assert client.post(path, data=fields).status_code == 302
    page = client.get(url(day)).get_data(as_text=True)
    assert "already queued to be emailed: nothing new was sent" in page
    assert "Nothing left to send to Talking Therapies" in page
    assert len(mail_server.received) == 1
    with sender.app_context():
        assert db.session.scalar(select(func.count()).select_from(Dispatch)) == 1
        with pytest.raises(DomainError) as refused:  # a fresh key: nothing is left to send
            sending.send_by_email(day["visit"], day["therapies"], sending.new_key(),
                                  day["users"]["organiser"])
        assert refused.value.code == "nothing_to_send"


def test_a_key_made_for_another_service_is_refused(sender, day):
    dispatch_id = send_as_organiser(sender, day)
    with sender.app_context():
        key = db.session.get(Dispatch, dispatch_id).key
        with pytest.raises(DomainError, match="out of date"):
            sending.send_by_email(day["visit"], day["housing"], key, day["users"]["organiser"])


def test_the_email_can_go_over_tls_from_the_first_byte(make_app, day, make_mail_server):  # noqa: F811
    server = make_mail_server("tls")
    app = make_app(create_tables=False, **server.config())
    send_as_organiser(app, day)
    [received] = server.received
    assert received.encrypted and received.login == USER
    assert referral(app, day["referrals"]["karl/therapies"]).status == "sent"


def test_a_mail_server_that_is_down_is_retried_and_the_referral_stays_made(
        make_app, day, make_mail_server, tmp_path):  # noqa: F811
    server = make_mail_server(started=False)
    app = make_app(create_tables=False, **broker_config(tmp_path), **server.config())
    empty_queue()
    dispatch_id = send_as_organiser(app, day)
    assert waiting_tasks() == [("send_dispatch", (dispatch_id,))]
    with app.app_context():
        assert run_queue() == ["send_dispatch"]
    john = referral(app, day["referrals"]["john/therapies"])
    assert (john.status, john.sent_on, john.dispatch_id) == ("made", None, dispatch_id)
    assert john.send_problem == "sending failed: the mail server could not be reached"
    [retry] = huey.scheduled()
    assert retry.retries == sending.RETRIES - 1
    client = app.test_client()
    log_in(client, "organiser@test.example")
    page = client.get(url(day)).get_data(as_text=True)
    assert "sending failed: the mail server could not be reached" in page
    assert "Email queued" in page
    server.start()  # the server is back: the retry sends it
    with app.app_context():
        assert [name for name, _ in run_retries()] == ["send_dispatch"]
        dispatch = db.session.get(Dispatch, dispatch_id)
        assert (dispatch.state, dispatch.attempts) == ("sent", 2)
    assert len(server.received) == 1
    john = referral(app, day["referrals"]["john/therapies"])
    assert (john.status, john.send_problem) == ("sent", "")
    empty_queue()


def test_after_the_last_retry_the_dispatch_fails_and_the_referrals_can_be_sent_again(
        make_app, day, make_mail_server, tmp_path):  # noqa: F811
    server = make_mail_server(started=False)
    app = make_app(create_tables=False, **broker_config(tmp_path), **server.config())
    empty_queue()
    dispatch_id = send_as_organiser(app, day)
    with app.app_context():
        run_queue()
        waits = []  # minutes until each retry, from when the try before it failed
        for _ in range(sending.RETRIES):
            [retry] = huey.scheduled()
            waits.append(round((retry.eta - utcnow().replace(tzinfo=None)).total_seconds() / 60))
            run_retries()
        assert waits == [1, 3, 9, 27, 81]
        assert huey.scheduled() == []
        dispatch = db.session.get(Dispatch, dispatch_id)
        assert (dispatch.state, dispatch.attempts) == ("failed", sending.RETRIES + 1)
        assert dispatch.reason == "sending failed: the mail server could not be reached"
        assert db.session.scalar(select(TaskFailure.reason)) == dispatch.reason
    john = referral(app, day["referrals"]["john/therapies"])
    assert (john.status, john.dispatch_id) == ("made", None)  # free to be sent again
    assert john.send_problem == "sending failed: the mail server could not be reached"
    client = app.test_client()
    log_in(client, "organiser@test.example")
    page = client.get(url(day)).get_data(as_text=True)
    assert "Send 2 by secure email" in page and "sending failed" in page
    assert server.received == []
    empty_queue()


def test_a_dispatch_whose_worker_stopped_fails_so_it_can_be_sent_again(make_app, day, tmp_path):
    app = make_app(create_tables=False, **broker_config(tmp_path))
    empty_queue()
    dispatch_id = send_as_organiser(app, day)
    empty_queue()  # the task is lost (a worker killed, a broker without persistence)
    with app.app_context():
        assert sending.fail_stalled() == 0  # within its retries it is left alone
        begin_write()
        db.session.get(Dispatch, dispatch_id).requested_at -= timedelta(
            hours=sending.STALLED_HOURS, minutes=1)
        db.session.commit()
        assert sending.fail_stalled() == 1
        dispatch = db.session.get(Dispatch, dispatch_id)
        assert (dispatch.state, dispatch.reason) == ("failed", f"sending failed: {sending.STOPPED}")
    john = referral(app, day["referrals"]["john/therapies"])
    assert (john.status, john.dispatch_id) == ("made", None)
    assert john.send_problem == f"sending failed: {sending.STOPPED}"


@pytest.mark.parametrize(("problem", "reason"), [
    ("refused", "the mail server refused the service's address (550)"),
    ("wrong password", "the mail server refused inreach's login (535)"),
    ("untrusted certificate", "the mail server's certificate could not be checked"),
])
def test_a_refusal_for_good_fails_at_once_without_retrying(make_app, day, mail_server,  # noqa: F811
                                                            problem, reason):
    settings = mail_server.config()
    if problem == "refused":
        mail_server.handler.refusal = "550 5.1.1 Mailbox unavailable"
    elif problem == "wrong password":
        settings["MAIL_PASSWORD"] = "not the password"
    else:
        settings["MAIL_CA_FILE"] = None  # the system's CAs do not know the test CA
    app = make_app(create_tables=False, **settings)
    empty_queue()
    dispatch_id = send_as_organiser(app, day)
    assert huey.scheduled() == []  # no retry waits
    with app.app_context():
        dispatch = db.session.get(Dispatch, dispatch_id)
        assert (dispatch.state, dispatch.attempts) == ("failed", 1)
        assert dispatch.reason == f"sending failed: {reason}"
    karl = referral(app, day["referrals"]["karl/therapies"])
    assert (karl.status, karl.dispatch_id, karl.send_problem) == ("made", None,
                                                                  f"sending failed: {reason}")
    assert mail_server.received == []


def test_a_service_without_an_email_route_cannot_be_emailed(sender, day):
    with sender.app_context():
        for service in ("housing", "work"):
            with pytest.raises(DomainError) as refused:
                sending.send_by_email(day["visit"], day[service], sending.new_key(),
                                      day["users"]["organiser"])
            assert refused.value.code == "no_email_route"
        assert db.session.scalar(select(func.count()).select_from(Dispatch)) == 0
    client = sender.test_client()
    log_in(client, "organiser@test.example")
    fields = mark_fields(client, day, "housing", key=sending.new_key())
    response = client.post(url(day, f"/services/{day['housing']}/send"), data=fields)
    assert response.status_code == 422
    assert "Housing desk has no secure email address" in response.get_data(as_text=True)


def test_a_queue_that_does_not_answer_sends_nothing_and_says_so(make_app, day):
    app = make_app(create_tables=False, QUEUE_IMMEDIATE=False,
                   REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context(), pytest.raises(QueueUnavailable):
        sending.send_by_email(day["visit"], day["therapies"], sending.new_key(),
                              day["users"]["organiser"])
    client = app.test_client()
    log_in(client, "organiser@test.example")
    response = client.post(url(day, f"/services/{day['therapies']}/send"),
                           data=send_fields(client, day))
    assert response.status_code == 422
    assert "task queue cannot be reached" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Dispatch)) == 0
        assert referral(app, day["referrals"]["john/therapies"]).dispatch_id is None


def test_referrals_can_be_marked_as_sent_another_way(sender, day):
    client = sender.test_client()
    log_in(client, "organiser@test.example")
    yesterday = today() - timedelta(days=1)
    response = client.post(url(day, f"/services/{day['housing']}/mark-sent"), data=mark_fields(
        client, day, "housing", sent_how="phone", on=yesterday.isoformat()))
    assert response.status_code == 302
    page = client.get(url(day)).get_data(as_text=True)
    assert "1 referral marked as sent." in page and f"Phone, {yesterday:%d %B %Y}" in page
    john = referral(sender, day["referrals"]["john/housing"])
    assert (john.status, john.sent_how, john.sent_on) == ("sent", "phone", yesterday)
    with sender.app_context():
        event = db.session.scalar(select(ReferralEvent))
        assert (event.how, event.actor_id) == ("phone", day["users"]["organiser"])


@pytest.mark.parametrize(("on", "message"), [
    ("", "Enter the date it happened"),
    ("tomorrow", "The date cannot be in the future"),
    ("before", "The date cannot be before the visit"),
    ("2026-02-31", "Enter a real date"),
])
def test_a_bad_date_is_refused_on_the_field_and_nothing_changes(sender, day, on, message):
    day_given = {"tomorrow": (today() + timedelta(days=1)).isoformat(),
                 "before": (day["visit_date"] - timedelta(days=1)).isoformat()}.get(on, on)
    client = sender.test_client()
    log_in(client, "organiser@test.example")
    response = client.post(url(day, f"/services/{day['housing']}/mark-sent"), data=mark_fields(
        client, day, "housing", sent_how="portal", on=day_given))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and f'href="#s{day["housing"]}-on"' in page  # linked to its field
    assert referral(sender, day["referrals"]["john/housing"]).status == "made"
    with sender.app_context():
        assert db.session.scalar(select(ReferralEvent)) is None


def test_marking_sent_needs_a_way_other_than_email(sender, day):
    with sender.app_context(), pytest.raises(DomainError) as refused:
        sending.mark_sent(day["visit"], day["housing"], "email", today(),
                          day["users"]["organiser"])
    assert refused.value.field == "sent_how"


@pytest.mark.parametrize("where", ["MAIL_OUTBOX_DIR", "instance"])
def test_without_a_mail_server_the_email_is_written_to_the_outbox(make_app, day, tmp_path,
                                                                  where):
    if where == "MAIL_OUTBOX_DIR":
        app = make_app(create_tables=False, MAIL_OUTBOX_DIR=str(tmp_path / "mail"))
        folder = tmp_path / "mail"
    else:
        app = make_app(create_tables=False)
        app.instance_path = str(tmp_path / "instance")
        folder = tmp_path / "instance" / "outbox"
    send_as_organiser(app, day)
    [written] = list(folder.glob("*.eml"))
    assert os.stat(written).st_mode & 0o777 == 0o600  # it carries personal details
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["To"] == handoff_builders.THERAPIES_EMAIL
    assert [ref for ref, _, _ in LINK.findall(body_of(message))] == [
        day["references"]["john"], day["references"]["karl"]]
    [attachment] = message.iter_attachments()
    assert "John Fictional" in pdf_text(attachment.get_content())
    assert referral(app, day["referrals"]["john/therapies"]).status == "sent"


def test_a_chase_sends_the_reference_and_a_fresh_link_only(sender, day, mail_server):  # noqa: F811
    send_as_organiser(sender, day)
    first_token = LINK.findall(body_of(mail_server.received[0].message))[0][2]
    john = day["referrals"]["john/therapies"]
    with sender.app_context():
        sending.chase_email(john, day["users"]["organiser"])
    chase = mail_server.received[1].message
    reference = day["references"]["john"]
    assert chase["Subject"] == f"Still waiting for an answer: referral {reference}"
    assert chase["To"] == handoff_builders.THERAPIES_EMAIL
    body = body_of(chase)
    assert f"still waiting for an answer on referral {reference}" in body
    assert list(chase.iter_attachments()) == []
    for name in NAMES:
        assert name not in body
    token = re.search(r"/answer/(\S+)", body).group(1)
    with sender.app_context():
        links = {link.token_hash: link for link in db.session.scalars(
            select(ReferralLink).where(ReferralLink.referral_id == john))}
        assert links[token_hash(token)].replaced_at is None
        assert links[token_hash(first_token)].replaced_at is not None  # the old one closes
        chased = db.session.get(Referral, john)
        assert (chased.chased_on, chased.status) == (today(), "sent")
        assert db.session.scalar(select(AuditEvent.object_id).where(
            AuditEvent.action == "referral.chased")) == str(john)


def test_a_chase_is_refused_without_an_email_route_or_with_nothing_to_chase(sender, day):
    with sender.app_context():
        sending.mark_sent(day["visit"], day["housing"], "post", today(),
                          day["users"]["organiser"])
        with pytest.raises(DomainError) as refused:
            sending.chase_email(day["referrals"]["john/housing"], day["users"]["organiser"])
        assert refused.value.code == "no_email_route"
        with pytest.raises(DomainError) as refused:  # made, never sent
            sending.chase_email(day["referrals"]["karl/therapies"], day["users"]["organiser"])
        assert refused.value.code == "not_waiting"
        with pytest.raises(DomainError) as refused:  # he did not agree to share
            sending.chase_email(day["referrals"]["lee/therapies"], day["users"]["organiser"])
        assert refused.value.code == "not_waiting"
        assert db.session.get(Referral, day["referrals"]["karl/therapies"]).chased_on is None


def test_a_chase_the_server_does_not_take_says_so_and_is_retried(make_app, day,
                                                                 make_mail_server):  # noqa: F811
    server = make_mail_server()
    app = make_app(create_tables=False, **server.config())
    empty_queue()
    send_as_organiser(app, day)
    server.stop()
    john = day["referrals"]["john/therapies"]
    with app.app_context():
        sending.chase_email(john, day["users"]["organiser"])
    assert [task.name for task in huey.scheduled()] == ["send_chase"]
    chased = referral(app, john)
    assert chased.send_problem == "sending failed: the mail server could not be reached"
    assert (chased.status, chased.chased_on) == ("sent", today())
    empty_queue()
