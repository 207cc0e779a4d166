"""The hand-off after a visit, on a real database: referrals grouped by receiving service, only
those with consent, and each service given exactly the details it asks for on the page, in the
PDF (read back) and in the CSV; downloads audited; statements flat as men grow; who may see it."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from inreach.audit.models import AuditEvent
from inreach.database import counting_statements, db
from inreach.followup import handoff
from inreach.followup.handoff_views import MarkSentForm

from . import handoff_builders, planning
from . import referral_builders as build
from .conftest import csrf_token, log_in
from .printing_helpers import pdf_reader, pdf_text

ROLES = ("organiser", "admin", "auditor", "volunteer")


@pytest.fixture
def day(app, make_user):
    """The hand-off day (tests/handoff_builders.py), with a user of each role. (Requests are
    made outside any app context: one held open would share ``g`` between them.)"""
    users = {role: make_user(role) for role in ROLES}
    with app.app_context():
        return handoff_builders.handoff_day(users)


def url(day, rest: str = "") -> str:
    return f"/visits/{day['visit']}/handoff{rest}"


def section(page: str, service_id: int) -> str:
    """The part of the page about one service."""
    match = re.search(rf'<section[^>]*data-service="{service_id}">(.*?)</section>', page, re.S)
    assert match, f"no section for service {service_id}"
    return match.group(1)


def test_referrals_are_grouped_by_service_with_only_those_he_agreed_to_share(day, app_context):
    found = handoff.handoff(day["visit"])
    assert [service.name for service in found.services] == [
        "Housing desk", "Talking Therapies", "Work coach"]
    by_name = {service.name: service for service in found.services}
    refs = day["references"]
    assert [r.reference for r in by_name["Talking Therapies"].referrals] == [
        refs["john"], refs["karl"]]  # not Lee, who said no; not Mo, from another visit
    assert [r.reference for r in by_name["Housing desk"].referrals] == [refs["john"]]
    assert [r.reference for r in by_name["Work coach"].referrals] == [refs["lee"]]
    assert all(r.status == "made" and r.sendable for service in found.services
               for r in service.referrals)


def test_each_service_gets_his_name_and_exactly_the_details_it_asks_for(day, app_context):
    by_name = {service.name: service for service in handoff.handoff(day["visit"]).services}
    john, karl = by_name["Talking Therapies"].referrals
    assert john.details == [("Name", "John Fictional"), ("Date of birth", "14 March 1990"),
                            ("Phone number", "+44 7700 900123 (safe to leave a message)")]
    assert karl.details == [("Name", "Karl Madeup"), ("Date of birth", "Not known"),
                            ("Phone number", "None given")]
    release = day["visit_date"] + timedelta(days=30)
    assert by_name["Housing desk"].referrals[0].details == [
        ("Name", "John Fictional"), ("Prison number", "A1234BC"),
        ("Release date", f"{release.day} {release:%B %Y}"),
        ("Address after release", "Approved premises, Camden")]
    assert by_name["Work coach"].referrals[0].details == [
        ("Name", "Lee Invented"), ("Probation practitioner", "Robin Officer")]


def test_each_referral_carries_the_consent_wording_version_and_the_day_he_consented(
        day, app_context):
    therapies = {service.name: service for service in
                 handoff.handoff(day["visit"]).services}["Talking Therapies"]
    john, karl = therapies.referrals
    assert (john.consent_version, john.consented_on) == (1, day["visit_date"])
    assert karl.consented_on == day["visit_date"] + timedelta(days=1)  # his paper form's date


def test_the_page_shows_each_service_its_route_and_only_its_details(app, day, client):
    log_in(client, "organiser@test.example")
    response = client.get(url(day))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    therapies = section(page, day["therapies"])
    assert "John Fictional" in therapies and "Karl Madeup" in therapies
    assert "Lee Invented" not in therapies and "A1234BC" not in therapies
    assert handoff_builders.THERAPIES_EMAIL in therapies
    assert "Send 2 by secure email" in therapies
    housing = section(page, day["housing"])
    assert "A1234BC" in housing and "Phone 0300 000 0000" in housing
    assert "by secure email" not in housing and "no secure email address" in housing
    work = section(page, day["work"])
    assert "Not given in the directory yet" in work and "Robin Officer" in work
    # John's probation officer: no service he agreed to share with asks for it.
    assert "Pat Probation" not in page and "Mo Pretend" not in page
    assert audited(app, "handoff.viewed") == [(str(day["visit"]), None)]


def audited(app, action: str) -> list[tuple[str, str | None]]:
    """The object id and detail of each audit row with this action (LIKE pattern)."""
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(AuditEvent.object_id, AuditEvent.detail)
            .where(AuditEvent.action.like(action)).order_by(AuditEvent.id))]


def test_the_page_says_emails_go_to_the_outbox_without_a_mail_server(day, client, make_app):
    log_in(client, "organiser@test.example")
    assert 'data-testid="outbox-notice"' in client.get(url(day)).get_data(as_text=True)
    with_server = make_app(create_tables=False, MAIL_SERVER="mail.inreach.test")
    other = with_server.test_client()
    log_in(other, "organiser@test.example")
    assert "outbox-notice" not in other.get(url(day)).get_data(as_text=True)


def test_the_referral_pdf_has_one_page_per_man_with_only_the_requested_details(app, day,
                                                                                 client):
    log_in(client, "organiser@test.example")
    response = client.get(url(day, f"/services/{day['therapies']}/referrals.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="referrals-visit-{day["visit"]}-service-{day["therapies"]}.pdf"')
    assert response.headers["Cache-Control"] == "no-store"
    pdf = response.data
    pages = [page.extract_text() for page in pdf_reader(pdf).pages]
    assert len(pages) == 2
    assert "John Fictional" in pages[0] and day["references"]["john"] in pages[0]
    assert "14 March 1990" in pages[0] and "+44 7700 900123" in pages[0]
    assert "Karl Madeup" in pages[1] and "Karl" not in pages[0]
    assert "consent wording version 1" in " ".join(pages[0].split())
    text = pdf_text(pdf)
    for absent in ("A1234BC", "Lee Invented", "Pat Probation", "Camden", "Mo Pretend"):
        assert absent not in text
    assert sorted(audited(app, "referral.downloaded_pdf")) == sorted([
        (str(day["referrals"]["john/therapies"]), None),
        (str(day["referrals"]["karl/therapies"]), None)])


def test_the_referral_csv_has_the_same_details_in_safe_cells(app, day, client):
    log_in(client, "organiser@test.example")
    response = client.get(url(day, f"/services/{day['therapies']}/referrals.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Form reference", "Name", "Date of birth", "Phone number",
                       "Consent wording version", "Consented on"]
    refs = day["references"]
    assert rows[1] == [refs["john"], "John Fictional", "14 March 1990",
                       "'+44 7700 900123 (safe to leave a message)", "1",
                       day["visit_date"].isoformat()]  # a leading + is not run as a formula
    assert [row[0] for row in rows[1:]] == [refs["john"], refs["karl"]]
    assert "A1234BC" not in response.data.decode() and "Lee" not in response.data.decode()
    assert audited(app, "handoff.downloaded") == [(str(day["therapies"]),
                                                   f"visit {day['visit']}, csv")]


def test_a_service_with_no_referral_from_the_visit_has_nothing_to_download(app, day, client):
    with app.app_context():
        other = build.service("Unchosen service").id
    log_in(client, "organiser@test.example")
    assert client.get(url(day, f"/services/{other}/referrals.pdf")).status_code == 404
    assert client.get("/visits/999/handoff").status_code == 404


def test_a_visit_with_no_consented_referral_says_there_is_nothing_to_send(app, day, client):
    log_in(client, "organiser@test.example")
    with app.app_context():
        empty = planning.visit(planning.prison("PVI", "HMP Pentonville").id,
                               status="completed").id
    page = client.get(f"/visits/{empty}/handoff").get_data(as_text=True)
    assert "nothing to send" in page


def _statements(app, client, path: str) -> int:
    with app.app_context(), counting_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def _many(app, day, count: int, letter: str) -> None:
    """More men on the visit, each referred to therapies and the housing desk."""
    with app.app_context():
        _add_men(day, count, letter)


def _add_men(day, count: int, letter: str) -> None:
    for number in range(count):
        member = build.man(day["visit"], day["session"], f"{letter}{number:04d}XY",
                           f"First{number}", f"Last{number}")
        handoff_builders.refer(member, day["session"], day["users"]["organiser"],
                               {day["therapies"]: True, day["housing"]: True},
                               phone=f"07700 9{number:05d}")


def test_the_page_costs_the_same_statements_for_5_and_for_50_men(app, day, client):
    log_in(client, "organiser@test.example")
    _many(app, day, 5, "E")
    few = _statements(app, client, url(day))
    _many(app, day, 45, "F")
    many = _statements(app, client, url(day))
    assert few == many, (few, many)
    pdf_few = _statements(app, client, url(day, f"/services/{day['therapies']}/referrals.csv"))
    _many(app, day, 10, "G")
    assert _statements(app, client, url(day, f"/services/{day['therapies']}/referrals.csv")) \
        == pdf_few


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_download_and_send(day, client, role):
    log_in(client, f"{role}@test.example")
    page = client.get(url(day))
    pdf = client.get(url(day, f"/services/{day['therapies']}/referrals.pdf"))
    token = csrf_token(client, "/account/password")
    send = client.post(url(day, f"/services/{day['therapies']}/send"),
                       data={"csrf_token": token, f"s{day['therapies']}-key": "k" * 32})
    mark = client.post(url(day, f"/services/{day['housing']}/mark-sent"),
                       data={"csrf_token": token})
    if role == "volunteer":  # volunteers see no follow-up at all
        assert [page.status_code, pdf.status_code, send.status_code, mark.status_code] == \
            [403] * 4
    elif role == "auditor":  # reads (audited), changes nothing
        assert (page.status_code, pdf.status_code) == (200, 200)
        assert (send.status_code, mark.status_code) == (403, 403)
        text = page.get_data(as_text=True)
        assert "John Fictional" in text and "by secure email" not in text
        assert "Mark as sent" not in text
    else:
        assert (page.status_code, pdf.status_code) == (200, 200)
        assert send.status_code == 302 and mark.status_code == 422  # let in, checked
        assert "Send 2 by secure email" in page.get_data(as_text=True)


def test_strangers_are_sent_to_log_in(day, client):
    response = client.get(url(day))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["organiser", "auditor"])
def test_the_visit_page_links_to_the_referrals_to_send(day, client, role):
    log_in(client, f"{role}@test.example")
    page = client.get(f"/visits/{day['visit']}").get_data(as_text=True)
    assert f'href="/visits/{day["visit"]}/handoff">Referrals to send' in page


def test_the_mark_sent_form_offers_only_ways_other_than_email(app):
    with app.test_request_context():
        form = MarkSentForm(formdata=None)
        assert [choice.value for choice in form.sent_how.choices] == ["phone", "portal", "post"]
