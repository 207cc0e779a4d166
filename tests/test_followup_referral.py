"""A referral's follow-up page through the test client: what it shows, "Record what happened"
with each refusal on its field and nothing saved, who may read and write, a referral he did not
agree to share, and the audit of each view."""

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.database import db
from inreach.followup.models import ReferralEvent
from inreach.followup.rules import Change
from inreach.followup.services import By, change_status

from . import followup_world as fw
from .conftest import csrf_token, log_in


@pytest.fixture
def ctx(app, make_user):
    """A visit 30 days ago: John referred to housing (shared) and IPS (not shared)."""
    with app.app_context():
        ctx = fw.world(make_user)
        refs = fw.refer(ctx, "john", {ctx["housing"]: True, ctx["ips"]: False})
        ctx.update(ref=refs[ctx["housing"]], unshared=refs[ctx["ips"]])
    return ctx


def as_role(client, role: str) -> None:
    """Log the client in as the world's user with this role."""
    assert log_in(client, f"{role}@test.example").status_code == 302


def path(referral_id: int) -> str:
    """A referral's page."""
    return f"/follow-up/referrals/{referral_id}"


def record(client, referral_id: int, **data):
    """Submit "Record what happened" with the page's CSRF token."""
    data["csrf_token"] = csrf_token(client, path(referral_id))
    return client.post(path(referral_id), data=data)


def events(app) -> int:
    """How many status events are stored."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ReferralEvent))


def test_the_page_shows_the_man_the_service_the_visit_and_where_it_stands(app, client, ctx):
    as_role(client, "organiser")
    html = client.get(path(ctx["ref"])).get_data(as_text=True)
    assert "John Fictional" in html and "Housing advice" in html
    assert f"/people/{ctx['john_person']}/timeline" in html
    assert f"{ctx['visit_date']:%-d %B %Y}" in html
    assert 'data-fact="Status">Made<' in html
    assert 'data-testid="status-form"' in html
    options = html.split('id="status"')[1].split("</select>")[0]
    assert "Sent" in options and "Closed" in options and "Accepted" not in options


def test_recording_what_happened_moves_it_on_and_keeps_the_history(app, client, ctx):
    as_role(client, "organiser")
    response = record(client, ctx["ref"], status="sent", on=fw.ago(20).isoformat(),
                      sent_how="post")
    assert response.status_code == 302
    record(client, ctx["ref"], status="declined", on=fw.ago(10).isoformat(),
           decline_reason="other", reason_other="Not taking referrals this month")
    with app.app_context():
        change_status([ctx["ref"]], Change("accepted", fw.ago(5)), By(None, "link"))
    html = client.get(path(ctx["ref"])).get_data(as_text=True)
    assert 'data-fact="Status">Accepted<' in html
    history = html.split('data-testid="referral-history"')[1]
    rows = history.split('data-testid="history-row"')[1:]
    assert len(rows) == 3
    assert "Accepted" in rows[0] and "Receiving service, by link" in rows[0]
    assert "Declined: Other: Not taking referrals this month" in rows[1]
    assert "Test organiser" in rows[1]
    assert "Sent" in rows[2] and "Post" in rows[2]


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"status": "accepted", "on": "today"}, "status", "Choose what happened"),
    ({"status": "sent", "on": ""}, "on", "Enter the date it happened"),
    ({"status": "sent", "on": "2027-02-31"}, "on", "Enter a real date"),
    ({"status": "sent", "on": "future"}, "on", "cannot be in the future"),
    ({"status": "sent", "on": "before"}, "on", "cannot be before the visit"),
    ({"status": "sent", "on": "today"}, "sent_how", "Say how the referral was sent"),
    ({"status": "closed", "on": "today"}, "close_reason", "Choose why it was closed"),
    ({"status": "closed", "on": "today", "close_reason": "other"}, "reason_other",
     "Say what the other reason is"),
    ({"status": "closed", "on": "today", "close_reason": "other", "reason_other": "x" * 201},
     "reason_other", "200 characters or fewer"),
])
def test_each_refusal_shows_on_its_field_and_saves_nothing(app, client, ctx, data, field,
                                                           message):
    as_role(client, "organiser")
    days = {"today": 0, "future": -1, "before": 31}
    if data["on"] in days:
        data["on"] = fw.ago(days[data["on"]]).isoformat()
    response = record(client, ctx["ref"], **data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html and message in html, html
    assert f'href="#{field}"' in html
    assert events(app) == 0
    with app.app_context():
        assert fw.fresh(ctx["ref"]).status == "made"


def test_a_referral_he_did_not_share_offers_nothing_to_record(app, client, ctx):
    as_role(client, "organiser")
    html = client.get(path(ctx["unshared"])).get_data(as_text=True)
    assert 'data-testid="not-shared"' in html and "nothing can be sent" in html
    assert 'data-testid="status-form"' not in html and 'action="/follow-up' not in html
    response = record(client, ctx["unshared"], status="sent", on=fw.ago(0).isoformat(),
                      sent_how="post")
    assert "did not agree to share" in response.get_data(as_text=True)
    assert events(app) == 0


def test_auditors_read_without_forms_and_may_not_post(app, client, ctx):
    with app.app_context():
        fw.sent(ctx, ctx["ref"])
    as_role(client, "auditor")
    html = client.get(path(ctx["ref"])).get_data(as_text=True)
    assert "Housing advice" in html and 'data-fact="Status">Sent<' in html
    assert 'data-testid="status-form"' not in html and 'action="/follow-up' not in html
    token = csrf_token(client, "/account/password")
    response = client.post(path(ctx["ref"]), data={"csrf_token": token, "status": "accepted",
                                                   "on": fw.ago(0).isoformat()})
    assert response.status_code == 403
    for tail in ("/jobs", "/profile_started_on"):
        assert client.post(path(ctx["ref"]) + tail,
                           data={"csrf_token": token}).status_code == 403
    assert events(app) == 1


def test_volunteers_see_nothing_and_strangers_log_in(client, ctx):
    assert client.get(path(ctx["ref"])).status_code == 302
    as_role(client, "volunteer")
    assert client.get(path(ctx["ref"])).status_code == 403
    assert client.get(f"/people/{ctx['john_person']}/timeline").status_code == 403


def test_an_unknown_referral_is_not_found(client, ctx):
    as_role(client, "admin")
    assert client.get(path(999_999)).status_code == 404


def test_a_post_without_its_csrf_token_is_refused(app, client, ctx):
    as_role(client, "organiser")
    response = client.post(path(ctx["ref"]), data={"status": "sent", "sent_how": "post",
                                                   "on": fw.ago(0).isoformat()})
    assert response.status_code == 400
    assert events(app) == 0


def test_each_view_is_audited_by_ids_only(app, client, ctx):
    as_role(client, "admin")
    client.get(path(ctx["ref"]))
    with app.app_context():
        row = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "referral.viewed")).one()
        assert (row.actor_id, row.object_type, row.object_id, row.detail) == (
            ctx["users"]["admin"], "referral", str(ctx["ref"]), None)
