"""A visit's follow-up board: what it shows, its filters, the bulk update (all or nothing, the
filters kept, messages on the field), who may see and change it, and its audit."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.database import db
from inreach.followup.models import ReferralEvent

from . import chase_builders as build
from . import planning
from .conftest import csrf_token, log_in

VISIT_DAY = date(2025, 3, 3)
TODAY = date(2025, 4, 30)


@pytest.fixture
def day(app, make_user, monkeypatch):
    """Today is 30 April 2025. A visit on 3 March: John, Karl and Lee referred to Talking
    Therapies (sent by email on the 4th, unanswered and overdue); Karl also to the housing desk
    (accepted), Lee to the housing desk without sharing his details. A second visit with Mo's
    referral, sent."""
    build.move_today(monkeypatch, TODAY)
    users = {role: make_user(role) for role in ("organiser", "admin", "auditor", "volunteer")}
    with app.app_context():
        prison = planning.prison()
        visit = build.visit(VISIT_DAY, prison.id)
        other = build.visit(VISIT_DAY + timedelta(days=7), prison.id)
        therapies = build.service("Talking Therapies")
        housing = build.service("Housing desk", email=False)
        sent = {"sent_on": VISIT_DAY + timedelta(days=1), "sent_how": "email"}
        organiser = users["organiser"]
        men = {name: build.man(visit, number, organiser, first, last) for name, number, first,
               last in (("john", "A1234BC", "John", "Fictional"),
                        ("karl", "B2345CD", "Karl", "Madeup"),
                        ("lee", "C3456DE", "Lee", "Invented"))}
        ids = {f"{name}_therapies": build.referral(set_id, therapies, "sent", **sent)
               for name, set_id in men.items()}
        ids["karl_housing"] = build.referral(men["karl"], housing, "accepted",
                                             answered_on=date(2025, 3, 10), **sent)
        ids["lee_housing"] = build.referral(men["lee"], housing, "not_shared")
        ids["mo"] = build.referral(build.man(other, "D4567EF", organiser, "Mo", "Other"),
                                   therapies, "sent", **sent)
        return {"users": users, "visit": visit[0], "other": other[0], "therapies": therapies,
                "housing": housing, **ids}


def _log_in(client, role):
    assert log_in(client, f"{role}@test.example").status_code == 302


def _rows(page: str) -> set[int]:
    return {int(found) for found in re.findall(r'<tr class="nhsuk-table__row" '
                                               r'data-referral="(\d+)"', page)}


def _status(app, referral_id: int) -> str:
    with app.app_context():
        return build.stored(referral_id).status


def test_board_shows_men_referrals_and_what_is_overdue(app, client, day):
    _log_in(client, "organiser")
    page = client.get(f"/follow-up/visits/{day['visit']}").get_data(as_text=True)
    assert _rows(page) == {day[key] for key in ("john_therapies", "karl_therapies",
                                                "lee_therapies", "karl_housing", "lee_housing")}
    assert "3 men, 5 referrals" in page
    assert "John Fictional" in page and "Mo Other" not in page
    assert page.count("data-overdue") == 3  # the three unanswered past ten working days
    assert "Sent 4 Mar 2025 by secure email" in page and "Answered 10 Mar 2025" in page
    assert "Not shared: he contacts them himself" in page
    assert f'id="referral-{day["lee_housing"]}"' not in page  # never sent, never selectable
    assert '<caption class="nhsuk-table__caption">' in page
    assert "<span class=\"nhsuk-u-visually-hidden\">Karl Madeup: Housing desk</span>" in page
    assert "/people/" in page and "/timeline" in page
    assert f'/follow-up/referrals/{day["karl_housing"]}' in page
    assert page.count('<option value="no_contact"') == 2  # in the filter and in the update


def test_board_view_is_audited_with_ids_only(app, client, day):
    _log_in(client, "auditor")
    client.get(f"/follow-up/visits/{day['visit']}")
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "followup_board.viewed")).one()
        assert (event.object_type, event.object_id, event.detail) == (
            "visit", str(day["visit"]), None)


@pytest.mark.parametrize(("query", "expected"), [
    ("service={housing}", {"karl_housing", "lee_housing"}),
    ("status=sent", {"john_therapies", "karl_therapies", "lee_therapies"}),
    ("status=accepted&service={housing}", {"karl_housing"}),
    ("overdue=y", {"john_therapies", "karl_therapies", "lee_therapies"}),
    ("overdue=y&service={housing}", set()),
    ("service=nonsense&status=nonsense&overdue=maybe", {
        "john_therapies", "karl_therapies", "lee_therapies", "karl_housing", "lee_housing"}),
])
def test_filters(client, day, query, expected):
    _log_in(client, "organiser")
    response = client.get(f"/follow-up/visits/{day['visit']}?" + query.format(**day))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _rows(page) == {day[key] for key in expected}
    if not expected:
        assert "No referrals match these filters." in page


def test_filter_form_works_without_script(client, day):
    _log_in(client, "organiser")
    page = client.get(f"/follow-up/visits/{day['visit']}?status=sent").get_data(as_text=True)
    assert re.search(r'<form method="get" action="/follow-up/visits/\d+"', page)
    assert re.search(r'<option value="sent" selected\s*>Sent</option>', page)
    assert re.search(rf'<option value="{day["housing"]}"\s*>Housing desk</option>', page)
    assert ">Apply</button>" in page


def _update(client, day, query="", **values):
    """Post the bulk update as the board's form would, from the board with this query."""
    board = f"/follow-up/visits/{day['visit']}" + (f"?{query}" if query else "")
    data = {"csrf_token": csrf_token(client, board), **values}
    return client.post(f"/follow-up/visits/{day['visit']}/update"
                       + (f"?{query}" if query else ""), data=data)


def test_bulk_update_applies_to_every_ticked_referral_and_keeps_the_filters(app, client, day):
    _log_in(client, "organiser")
    ticked = [day["john_therapies"], day["karl_therapies"]]
    query = f"service={day['therapies']}&status=sent"
    response = _update(client, day, query, referrals=ticked, status="accepted",
                       on="2025-04-28")
    assert response.status_code == 302
    assert response.headers["Location"] == (f"/follow-up/visits/{day['visit']}?"
                                            f"service={day['therapies']}&status=sent")
    assert [_status(app, referral) for referral in ticked] == ["accepted", "accepted"]
    assert _status(app, day["lee_therapies"]) == "sent"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 referrals now accepted." in page
    assert _rows(page) == {day["lee_therapies"]}
    with app.app_context():
        events = db.session.scalars(select(ReferralEvent)).all()
        assert {(event.referral_id, event.status, event.on_date, event.how) for event in events} \
            == {(referral, "accepted", date(2025, 4, 28), "recorded") for referral in ticked}


def test_bulk_decline_with_reason(app, client, day):
    _log_in(client, "organiser")
    response = _update(client, day, referrals=[day["john_therapies"]], status="declined",
                       on="2025-04-29", decline_reason="other", reason_other="Full until June")
    assert response.status_code == 302
    with app.app_context():
        referral = build.stored(day["john_therapies"])
        assert (referral.status, referral.reason, referral.reason_other) == (
            "declined", "other", "Full until June")


def test_one_bad_referral_changes_none(app, client, day):
    _log_in(client, "organiser")
    with app.app_context():
        reference = build.stored(day["karl_housing"]).referral_set.member.form_reference
    ticked = [day["john_therapies"], day["karl_therapies"], day["karl_housing"]]
    response = _update(client, day, referrals=ticked, status="accepted", on="2025-04-28")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{reference}: a referral that is accepted cannot become accepted" in page
    assert "There is a problem" in page
    assert [_status(app, referral) for referral in ticked] == ["sent", "sent", "accepted"]
    for referral in ticked:  # the ticks survive the refusal
        assert f'value="{referral}" checked' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferralEvent)) == 0


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"on": "2025-05-02"}, "on", "The date cannot be in the future"),
    ({"on": "2025-02-31"}, "on", "Enter a real date, for example 2027-03-14"),
    ({"on": "2025-03-01"}, "on", "The date cannot be before the visit (3 March 2025)"),
    ({"on": ""}, "on", "Enter the date it happened"),
    ({"on": "2025-04-28", "status": "declined"}, "decline_reason", "Choose why it was declined"),
    ({"on": "2025-04-28", "status": "nonsense"}, "status", "Choose what happened"),
])
def test_bad_input_is_shown_on_its_field_and_nothing_changes(app, client, day, values, field,
                                                             message):
    _log_in(client, "organiser")
    response = _update(client, day, referrals=[day["john_therapies"]],
                       **{"status": "accepted", **values})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert re.search(rf'id="{field}"', page)
    assert f'href="#{field}"' in page  # the error summary links to the field
    assert _status(app, day["john_therapies"]) == "sent"


def test_nothing_ticked_or_another_visits_referral(app, client, day):
    _log_in(client, "organiser")
    page = _update(client, day, status="accepted", on="2025-04-28").get_data(as_text=True)
    assert "Select the referrals to update" in page and 'href="#referrals"' in page
    for wrong in (day["mo"], day["lee_housing"], "abc"):
        page = _update(client, day, referrals=[day["john_therapies"], wrong], status="accepted",
                       on="2025-04-28").get_data(as_text=True)
        assert "Select referrals from this board" in page
    assert _status(app, day["mo"]) == "sent"
    assert _status(app, day["john_therapies"]) == "sent"


def test_bulk_update_needs_the_csrf_token(app, client, day):
    _log_in(client, "organiser")
    response = client.post(f"/follow-up/visits/{day['visit']}/update", data={
        "referrals": [day["john_therapies"]], "status": "accepted", "on": "2025-04-28"})
    assert response.status_code == 400
    assert _status(app, day["john_therapies"]) == "sent"


def test_auditor_reads_the_board_without_forms(app, client, day):
    _log_in(client, "auditor")
    page = client.get(f"/follow-up/visits/{day['visit']}").get_data(as_text=True)
    assert "John Fictional" in page
    assert 'name="referrals"' not in page and "Update the selected referrals" not in page
    token = csrf_token(client, "/visits/")
    response = client.post(f"/follow-up/visits/{day['visit']}/update", data={
        "csrf_token": token, "referrals": [day["john_therapies"]], "status": "accepted",
        "on": "2025-04-28"})
    assert response.status_code == 403
    assert _status(app, day["john_therapies"]) == "sent"


def test_volunteer_is_refused(app, client, day):
    _log_in(client, "volunteer")
    assert client.get(f"/follow-up/visits/{day['visit']}").status_code == 403
    token = csrf_token(client, "/")
    response = client.post(f"/follow-up/visits/{day['visit']}/update", data={
        "csrf_token": token, "referrals": [day["john_therapies"]], "status": "accepted",
        "on": "2025-04-28"})
    assert response.status_code == 403
    assert _status(app, day["john_therapies"]) == "sent"


def test_unknown_visit(client, day):
    _log_in(client, "organiser")
    assert client.get("/follow-up/visits/99999").status_code == 404


@pytest.mark.browser
def test_bulk_update_with_the_keyboard_on_a_tablet(app, day, serve, tablet):
    """On a 768px tablet the board fits the screen, passes axe with big enough targets, and a
    bulk update can be made with the keyboard alone (tick with Space, submit with Enter)."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    from .conftest import tap_log_in
    from .test_browser import small_targets, violations

    base, page = serve(app), tablet
    tap_log_in(page, base, "organiser@test.example")
    page.goto(f"{base}/follow-up/visits/{day['visit']}")
    page.get_by_label("Status", exact=True).select_option("sent")
    page.get_by_role("button", name="Apply").press("Enter")
    expect(page.get_by_test_id("board-count")).to_contain_text("3 men, 3 referrals")
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    problems = violations(page, Axe()) + small_targets(page)
    assert not problems, "\n".join(problems)
    for name in ("John Fictional", "Karl Madeup"):
        page.get_by_label(f"{name}: Talking Therapies").focus()
        page.keyboard.press("Space")
    page.get_by_label("What happened").select_option("accepted")
    page.get_by_label("Date it happened").fill("2025-04-28")
    page.get_by_role("button", name="Update the selected referrals").press("Enter")
    expect(page.get_by_text("2 referrals now accepted.")).to_be_visible()
    expect(page.get_by_test_id("board-count")).to_contain_text("1 man, 1 referral")
    assert [_status(app, day[f"{name}_therapies"]) for name in ("john", "karl", "lee")] == [
        "accepted", "accepted", "sent"]
