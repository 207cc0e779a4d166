"""Self-referral pages through HTTP: who may open and post them, saving from the form in one
step, the outbox's JSON answers, replays after logout, tampering, and typing in a paper form
by its reference."""

import re
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.cohorts.models import CohortMember
from inreach.database import db
from inreach.dates import today
from inreach.directory.services import (
    OrganisationDetails,
    ServiceDetails,
    create_organisation,
    create_service,
)
from inreach.referrals.models import Referral, ReferralSet, Submission

from .conftest import csrf_token, log_in
from .test_attendance import day  # noqa: F401  (the fixture: a visit today with a roster)


@pytest.fixture
def place(app, day):  # noqa: F811
    """The attendance test's day plus two referable services; URLs for the morning session."""
    with app.app_context():
        org = create_organisation(OrganisationDetails(name="Fictional NHS Trust"), None)
        services = [create_service(ServiceDetails(
            name=name, organisation_id=org.id, pathways=[pathway], areas=["National"],
            referable=True, next_steps="Someone will contact you within two weeks."), None).id
            for name, pathway in (("IPS employment", "education_work"),
                                  ("Housing advice", "accommodation"))]
    base = f"/visits/{day['visit']}/sessions/{day['morning']}/referrals"
    return {**day, "services": services, "base": base, "john_url": f"{base}/{day['john']}"}


def as_user(client, email: str) -> None:
    """Log the client in."""
    assert log_in(client, email).status_code == 302


def answers(client, url: str, **changes) -> dict:
    """The form at url as a volunteer would fill it: the first service, shared."""
    page = client.get(url).get_data(as_text=True)
    client_id = re.search(r'name="client_id" type="hidden" value="([^"]+)"', page).group(1)
    service = re.search(r'name="chosen" type="checkbox" value="(\d+)"', page).group(1)
    data = {"csrf_token": csrf_token(client, url), "client_id": client_id,
            "consent_version": "1", "chosen": [service], f"consent_{service}": "yes",
            "housing": "no_fixed_abode", "consent_method": "verbal", "phone": "07700 900123",
            "safe_message": "yes", "contact_by": "phone"}
    data.update(changes)
    return data


def sets(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ReferralSet))


@pytest.mark.parametrize("who", ["volunteer@test.example", "organiser@test.example"])
def test_a_rostered_volunteer_or_organiser_saves_in_one_step(app, client, place, who):
    as_user(client, who)
    listing = client.get(place["base"] + "/").get_data(as_text=True)
    assert "John Fictional" in listing and "Not seen" in listing
    response = client.post(place["john_url"], data=answers(client, place["john_url"]))
    assert response.status_code == 302 and response.headers["Location"].endswith("/referrals/")
    listing = client.get(place["base"] + "/").get_data(as_text=True)
    assert "Referred" in listing and "Saved." in listing
    with app.app_context():
        saved = db.session.scalar(select(ReferralSet))
        assert (saved.channel, saved.housing, saved.safe_message) == ("tablet", "no_fixed_abode",
                                                                     True)
        assert [r.status for r in saved.referrals] == ["made"]


@pytest.mark.parametrize("who", ["stranger@test.example", "auditor@test.example"])
def test_others_cannot_see_or_write_the_session(app, client, place, who):
    as_user(client, who)
    token = csrf_token(client, "/")
    assert client.get(place["base"] + "/").status_code == 403
    for path in (place["john_url"], place["base"] + "/paper"):
        assert client.get(path).status_code == 403
        assert client.post(path, data={"csrf_token": token}).status_code == 403
    assert sets(app) == 0


def test_a_man_from_another_session_is_not_found(client, place):
    as_user(client, "volunteer@test.example")
    assert client.get(f"{place['base']}/{place['lee']}").status_code == 404  # afternoon


def test_the_outbox_gets_json_and_a_repeat_is_stored_once(app, client, place):
    as_user(client, "volunteer@test.example")
    data = answers(client, place["john_url"], channel="offline")
    first = client.post(place["john_url"], data=data, headers={"X-Outbox": "1"})
    again = client.post(place["john_url"], data=data, headers={"X-Outbox": "1"})
    assert first.json["ok"] and not first.json["repeat"]
    assert again.json == {**first.json, "repeat": True}
    with app.app_context():
        assert db.session.scalar(select(ReferralSet.channel)) == "offline"
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 1


def test_the_same_id_with_other_details_is_refused_with_a_message(app, client, place):
    as_user(client, "volunteer@test.example")
    data = answers(client, place["john_url"])
    client.post(place["john_url"], data=data, headers={"X-Outbox": "1"})
    refused = client.post(place["john_url"], data={**data, "notes": "Different"},
                          headers={"X-Outbox": "1"})
    assert refused.status_code == 422
    assert "already used for different details" in refused.json["message"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"consent_version": "99"}, "consent wording on this form is not one we know"),
    ({"consent_1": ""}, "Say whether he agrees to share his details with"),
    ({"chosen": ["424242"]}, "no longer takes referrals"),
    ({"notes": "x" * 501}, "Notes must be 500 characters or fewer"),
    ({"client_id": "short"}, "missing its submission id"),
    ({"housing": "castle"}, "Choose"),
    ({"phone": "call the wing"}, "is not a phone number"),
])
def test_bad_or_tampered_input_gets_a_message_and_saves_nothing(app, client, place, changes,
                                                                message):
    as_user(client, "volunteer@test.example")
    data = answers(client, place["john_url"])
    data.update({key: value for key, value in changes.items()})
    if "consent_1" in changes:  # blank the answer for whichever service was chosen
        data[f"consent_{data['chosen'][0]}"] = ""
    page = client.post(place["john_url"], data=data)
    assert page.status_code == 200
    assert message in page.get_data(as_text=True).replace("&#39;", "'")
    outbox = client.post(place["john_url"], data=data, headers={"X-Outbox": "1"})
    assert outbox.status_code == 422 and message in outbox.json["message"]
    assert sets(app) == 0


def test_a_replay_after_logout_is_sent_to_login_and_saves_nothing(app, client, place):
    as_user(client, "volunteer@test.example")
    data = answers(client, place["john_url"])
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    # The form's CSRF token died with the login, so the replay is refused before anything else.
    response = client.post(place["john_url"], data=data, headers={"X-Outbox": "1"})
    assert response.status_code == 400
    del data["csrf_token"]
    response = client.post(place["john_url"], data=data, headers={"X-Outbox": "1"})
    assert response.status_code == 400
    assert sets(app) == 0


def test_changing_a_saved_record_keeps_history_and_audits_each_view(app, client, place):
    as_user(client, "organiser@test.example")
    client.post(place["john_url"], data=answers(client, place["john_url"]))
    page = client.get(place["john_url"]).get_data(as_text=True)
    assert "Saved before" in page
    set_id = re.search(r'name="set_id" type="hidden" value="([^"]+)"', page).group(1)
    change = answers(client, place["john_url"], set_id=set_id, chosen=[], notes="Changed mind")
    assert client.post(place["john_url"], data=change).status_code == 302
    with app.app_context():
        saved = db.session.scalar(select(ReferralSet))
        assert saved.declined_everything and saved.notes == "Changed mind"
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert actions.count("referral_set.viewed") >= 2
        assert {"referral_set.changed", "referral.withdrawn"} <= set(actions)
    assert "Declined everything" in client.get(place["base"] + "/").get_data(as_text=True)
    page = client.get(place["john_url"]).get_data(as_text=True)
    assert re.search(r"Test organiser changed notes, services", page)


def test_a_paper_form_is_typed_in_by_its_reference(app, client, place):
    as_user(client, "volunteer@test.example")
    with app.app_context():
        reference = db.session.scalar(select(CohortMember.form_reference).where(
            CohortMember.public_id == place["karl"]))
    token = csrf_token(client, place["base"] + "/paper")
    wrong = client.post(place["base"] + "/paper", data={"csrf_token": token,
                                                         "reference": "ZZZZZZ"})
    assert "No man in this session has that form reference" in wrong.get_data(as_text=True)
    found = client.post(place["base"] + "/paper", data={
        "csrf_token": token, "reference": f" {reference.lower()[:3]} {reference.lower()[3:]}"})
    form_url = found.headers["Location"]
    assert place["karl"] in form_url and "paper=1" in form_url
    page = client.get(form_url).get_data(as_text=True)
    assert "Date written on the paper form" in page
    data = answers(client, form_url, channel="paper")
    missing = client.post(form_url, data=data).get_data(as_text=True)
    assert "Enter the date on the paper form" in missing
    data["paper_date"] = today().isoformat()
    assert client.post(form_url, data=data).status_code == 302
    with app.app_context():
        saved = db.session.scalar(select(ReferralSet))
        assert (saved.channel, saved.paper_date) == ("paper", today())


def test_declining_everything_is_a_recorded_outcome(app, client, place):
    as_user(client, "volunteer@test.example")
    data = answers(client, place["john_url"], chosen=[], client_id=str(uuid.uuid4()))
    assert client.post(place["john_url"], data=data).status_code == 302
    assert "Declined everything" in client.get(place["base"] + "/").get_data(as_text=True)


def test_a_new_consent_wording_is_used_from_then_on_and_records_keep_theirs(app, client, place):
    as_user(client, "organiser@test.example")
    client.post(place["john_url"], data=answers(client, place["john_url"]))
    token = csrf_token(client, "/consent/")
    short = client.post("/consent/new", data={"csrf_token": token, "text": "Too short"})
    assert "Write the full wording read to men" in short.get_data(as_text=True)
    wording = "We will send your details only to the services you say yes to. " * 2
    assert client.post("/consent/new", data={"csrf_token": token, "text": wording}
                       ).status_code == 302
    karl = f"{place['base']}/{place['karl']}"
    page = client.get(karl).get_data(as_text=True)
    assert 'name="consent_version" value="2"' in page and "version 2" in page
    assert client.post(karl, data=answers(client, karl, consent_version="2")).status_code == 302
    with app.app_context():
        versions = {row.member.public_id: row.consent_wording.version
                    for row in db.session.scalars(select(ReferralSet))}
    assert versions == {place["john"]: 1, place["karl"]: 2}


def test_volunteers_read_the_wording_but_cannot_publish(client, place):
    as_user(client, "volunteer@test.example")
    assert "Version 1 (in use)" in client.get("/consent/").get_data(as_text=True)
    token = csrf_token(client, "/")
    assert client.post("/consent/new", data={"csrf_token": token, "text": "x" * 80}
                       ).status_code == 403


def test_a_long_read_elsewhere_does_not_hold_up_a_save(app, client, place):
    """Another request reading (an export, a PDF) holds a read transaction open; a tablet's
    save goes through at once, not after the reader ends (15 s of lock wait before)."""
    as_user(client, "volunteer@test.example")
    data = answers(client, place["john_url"], channel="offline")
    reading, done = threading.Event(), threading.Event()

    def long_read() -> None:
        with app.app_context():
            db.session.scalar(select(func.count()).select_from(ReferralSet))
            reading.set()
            done.wait(30)
            db.session.remove()

    reader = threading.Thread(target=long_read)
    reader.start()
    try:
        assert reading.wait(10)
        started = time.monotonic()
        response = client.post(place["john_url"], data=data, headers={"X-Outbox": "1"})
        took = time.monotonic() - started
    finally:
        done.set()
        reader.join()
    assert response.json["ok"] and sets(app) == 1
    assert took < 5, f"the save waited {took:.1f} s for a reader"
