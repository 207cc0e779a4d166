"""A man's data rights: the POST search, the subject access download (complete, and holding
nothing of a similar man), rectification, restriction (left out of batches and sending) and
erasure, each audited and refused plainly on bad input. All data fictional."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update

from inreach.audit.models import AuditEvent
from inreach.audit.services import record
from inreach.cohorts.models import CohortMember, KeepApart, Person
from inreach.database import begin_write, db, utcnow
from inreach.dates import today
from inreach.directory.models import Service
from inreach.errors import DomainError
from inreach.followup import handoff, sending
from inreach.followup.models import Dispatch, JobStart, ReferralEvent, ReferralLink
from inreach.packs import batches
from inreach.packs.content import PackOptions
from inreach.packs.models import PrintJob, PrintPart
from inreach.privacy import rights, subject_access_export
from inreach.referrals.models import Referral, SetChange, Submission

from . import handoff_builders as hand
from . import planning
from . import referral_builders as build
from .conftest import csrf_token, log_in

JOHN_PHONE, JACK_PHONE = "+44 7700 900123", "+44 7700 900456"


def _extras(his_set, referral_id: int, user_id: int, tag: str) -> None:
    """A row in every other table that can be about a man, for one man (``tag`` keeps the
    unique values apart)."""
    begin_write()
    db.session.add_all([
        Submission(client_id=f"client-{tag}", set_id=his_set.id, content_hash="c" * 64),
        SetChange(set_id=his_set.id, changed_by=user_id, changes='{"phone": ["", "x"]}'),
        ReferralEvent(referral_id=referral_id, status="sent", from_status="made",
                      on_date=today(), how="recorded", actor_id=user_id),
        ReferralLink(referral_id=referral_id, token_hash=f"{tag}-secret-hash".ljust(64, "0"),
                     expires_at=utcnow() + timedelta(days=5)),
        JobStart(referral_id=referral_id, started_on=today(), hours_per_week=20,
                 recorded_by=user_id)])
    db.session.commit()


def world(make_user) -> dict:
    """John and Jack Fictional (near prison numbers) on the same visit and session, kept apart,
    each with a referral set, referrals, a batch that printed both, an email that carried both
    and audit rows about each. Returns the ids."""
    users = {role: make_user(role) for role in ("admin", "auditor", "organiser")}
    visit_day = today() - timedelta(days=7)
    visit = planning.visit(planning.prison().id, visit_day, status="completed")
    session = planning.session(visit.id)
    therapies = hand.routed_service("Talking Therapies", "email", "phone", hand.THERAPIES_EMAIL)
    john = build.man(visit.id, session.id, "A1234BC", "John", "Fictional")
    jack = build.man(visit.id, session.id, "A1234BD", "Jack", "Fictional")
    sets = {name: hand.refer(member, session.id, users["organiser"], {therapies.id: True},
                             phone=phone, probation_name=f"{name.title()} Officerperson")
            for name, member, phone in (("john", john, JOHN_PHONE), ("jack", jack, JACK_PHONE))}
    referrals = {name: item.referrals[0].id for name, item in sets.items()}
    for name, item in sets.items():
        _extras(item, referrals[name], users["organiser"], name)
    begin_write()
    first, second = sorted([john.person_id, jack.person_id])
    db.session.add(KeepApart(visit_id=visit.id, first_id=first, second_id=second))
    job = PrintJob(session_id=session.id, kind="packs", total=2, started_by=users["organiser"],
                   members=json.dumps([jack.id, john.id]))
    db.session.add(job)
    db.session.add(Dispatch(key="k" * 64, visit_id=visit.id, service_id=therapies.id,
                            to_address=hand.THERAPIES_EMAIL, requested_by=users["organiser"],
                            referral_ids=json.dumps([referrals["jack"], referrals["john"]])))
    db.session.flush()
    db.session.add(PrintPart(job_id=job.id, number=0, pdf=b"%PDF-fake"))
    for member in (john, jack):
        record("person.viewed", users["organiser"], "person", member.person_id)
        record("cohort.moved", users["organiser"], "cohort_member", member.id)
    for referral_id in referrals.values():
        record("referral.status", users["organiser"], "referral", referral_id)
    record("print_batch.started", users["organiser"], "print_job", job.id)
    db.session.commit()
    return {"users": users, "visit": visit.id, "session": session.id,
            "therapies": therapies.id, "referrals": referrals, "job": job.id,
            "john": john.person.public_id, "jack": jack.person.public_id,
            "john_member": john.public_id, "jack_member": jack.public_id,
            "jack_set": sets["jack"].public_id, "john_person_id": john.person_id,
            "jack_person_id": jack.person_id}


def tables_about_a_man() -> set[str]:
    """Every table that refers to ``people``, directly or through tables that do (walked from
    the schema, so a table added later is found here without anyone listing it)."""
    found, grew = {"people"}, True
    while grew:
        grew = False
        for table in db.metadata.sorted_tables:
            if table.name not in found and any(
                    key.column.table.name in found for key in table.foreign_keys):
                found.add(table.name)
                grew = True
    return found


@pytest.fixture
def ctx(app, make_user):
    """The world, built in its own app context (the HTTP tests' requests need none open)."""
    with app.app_context():
        return world(make_user)


def _unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_export_holds_every_table_about_him_and_nothing_of_a_similar_man(ctx, app_context):
    begin_write()  # notes that start like a stored time stay free text
    db.session.execute(update(Person).where(Person.public_id == ctx["john"])
                       .values(notes="2026-03-01T09:30 phoned his sister"))
    db.session.commit()
    files = _unzip(subject_access_export.download(ctx["john"], ctx["users"]["auditor"], "zip"))
    tables = {name.removesuffix(".json"): json.loads(content)
              for name, content in files.items() if name.endswith(".json")}
    # completeness: every table that refers to a man, and what he heard and who looked
    about = tables_about_a_man()
    assert len(about) >= 10
    for name in about | {"consent_wordings", "print_jobs", "print_parts",
                         "referral_dispatches", "audit_events"}:
        assert tables.get(name), f"{name} is missing from the subject access export"
    assert tables["people"][0]["prison_number"] == "A1234BC"
    assert tables["people"][0]["notes"] == "2026-03-01T09:30 phoned his sister"
    assert tables["referral_sets"][0]["consent_wording_text"].startswith("We would like")
    assert "token_hash" not in tables["referral_links"][0]
    assert not {"members", "pdf"} & set(tables["print_jobs"][0])
    assert not {"first_id", "second_id"} & set(tables["keep_apart"][0])
    assert "referral_ids" not in tables["referral_dispatches"][0]
    assert tables["print_jobs"][0]["his_places"] == [2]
    assert tables["referral_dispatches"][0]["his_referral_ids"] == [ctx["referrals"]["john"]]
    assert "another man" in tables["keep_apart"][0]["other_man"]
    actions = {(row["action"], row["object_type"]) for row in tables["audit_events"]}
    assert {("person.viewed", "person"), ("cohort.moved", "cohort_member"),
            ("referral.status", "referral"), ("print_batch.started", "print_job")} <= actions
    # isolation: Jack's data appears nowhere, not even his ids in shared rows
    text = b"".join(content for name, content in files.items() if not name.endswith(".pdf"))
    for his in ("A1234BD", "Jack", JACK_PHONE, ctx["jack"], ctx["jack_member"],
                ctx["jack_set"], "jack-secret", "john-secret", "client-jack"):
        assert his.encode() not in text, his
    assert str(ctx["referrals"]["jack"]) not in {str(row["id"]) for row in tables["referrals"]}
    jacks = {("person", str(ctx["jack_person_id"])),
             ("cohort_member", str(_member_id(ctx["jack_member"]))),
             ("referral", str(ctx["referrals"]["jack"]))}
    assert not jacks & {(row["object_type"], row["object_id"]) for row in tables["audit_events"]}
    assert len(tables["audit_events"]) == len({row["id"] for row in tables["audit_events"]})
    # the readable PDF, read back as text
    pdf = " ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(files["subject-access.pdf"])).pages)
    pdf = " ".join(pdf.split())
    assert "A1234BC" in pdf and "Talking Therapies" in pdf
    assert "2026-03-01T09:30 phoned his sister" in pdf
    assert "We would like to send your name" in pdf and "Sent" in pdf
    assert "Test organiser looked at a man's record" in pdf
    assert "A1234BD" not in pdf and "Jack" not in pdf and JACK_PHONE not in pdf
    downloaded = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "data_request.downloaded"))
    assert (downloaded.object_type, downloaded.object_id, downloaded.detail) == (
        "person", str(ctx["john_person_id"]), "zip")


def test_an_auditor_finds_and_downloads_him_then_an_admin_restricts_and_erases_him(
        app, client, ctx):
    log_in(client, "auditor@test.example")
    token = csrf_token(client, "/privacy/people/")
    page = client.post("/privacy/people/", data={"query": "fictional", "csrf_token": token})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2 men match" in html and "Choose the right man" in html
    assert html.count('data-testid="match"') == 2 and "A1234BD" in html
    assert (today() - timedelta(days=7)).strftime("%d %b %Y") in html
    page = client.post("/privacy/people/", data={"query": "a1234 bc", "csrf_token": token})
    assert f"/privacy/people/{ctx['john']}" in page.get_data(as_text=True)
    for query, message in (("Nobody Atall", "No one matches"),
                           ("", "Enter his prison number or name")):
        page = client.post("/privacy/people/", data={"query": query, "csrf_token": token})
        assert page.status_code == 400 and message in page.get_data(as_text=True)
    with app.app_context():
        searches = list(db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "data_request.searched")))
        assert searches == ["matches=2", "matches=1", "matches=0"]
        assert not db.session.scalar(select(func.count()).where(
            AuditEvent.detail.contains("ictional")))
    page = client.get(f"/privacy/people/{ctx['john']}")
    assert page.status_code == 200 and "Only an administrator can" in page.get_data(as_text=True)
    download = client.get(f"/privacy/people/{ctx['john']}/subject-access.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="subject-access-{today().isoformat()}.pdf"')
    assert download.headers["Cache-Control"] == "no-store"
    for path in ("correct", "erase"):
        assert client.get(f"/privacy/people/{ctx['john']}/{path}").status_code == 403
    assert client.post(f"/privacy/people/{ctx['john']}/restrict",
                       data={"reason": "disputes", "csrf_token": token}).status_code == 403
    assert client.get("/privacy/people/0123456789abcdef").status_code == 404
    _admin_restricts_and_erases_after_confirming_and_the_pages_say_so(app, ctx)


def _person(public_id: str) -> Person | None:
    """The man as stored now (read in a fresh session)."""
    db.session.remove()
    return db.session.scalar(select(Person).where(Person.public_id == public_id))


def _corrects_a_detail_with_a_reason_audited_without_the_values(ctx):
    admin = ctx["users"]["admin"]
    rights.rectify(ctx["john"], "release_date", "2027-05-01", "found_wrong", admin)
    assert _person(ctx["john"]).release_date == date(2027, 5, 1)
    rights.rectify(ctx["john"], "notes", "Two lines\nof notes", "he_asked", admin)
    events = db.session.scalars(select(AuditEvent.detail).where(
        AuditEvent.action == "person.rectified").order_by(AuditEvent.id)).all()
    assert events == ["field=release_date; reason=found_wrong", "field=notes; reason=he_asked"]
    for field, value, reason, message in (
            ("release_date", "2027-02-31", "he_asked", "real date"),
            ("release_date", "9999-12-01", "he_asked", "right year"),
            ("date_of_birth", "0990-03-14", "he_asked", "right year"),
            ("prison_number", "A1234BD", "he_asked", "Another man has this prison number"),
            ("prison_number", "12345", "he_asked", "like A1234BC"),
            ("first_name", "", "he_asked", "Enter the correct first name"),
            ("first_name", "Jo\thn", "he_asked", "control characters"),
            ("last_name", "Fict\nional", "he_asked", "control characters"),
            ("password_hash", "x", "he_asked", "Choose the detail"),
            ("first_name", "Johnny", "He showed his licence", "Choose the reason"),
            ("first_name", "Johnny", "", "Choose the reason")):
        with pytest.raises(DomainError, match=message):
            rights.rectify(ctx["john"], field, value, reason, admin)
    assert _person(ctx["john"]).first_name == "John"
    assert _person(ctx["john"]).prison_number == "A1234BC"


def test_an_admin_corrects_him_and_restricts_him_out_of_batches_and_sending_until_lifted(
        ctx, app_context, monkeypatch):
    _corrects_a_detail_with_a_reason_audited_without_the_values(ctx)
    admin, organiser = ctx["users"]["admin"], ctx["users"]["organiser"]
    begin_write()
    db.session.execute(Dispatch.__table__.delete())  # both men's referrals are sendable again
    db.session.commit()
    monkeypatch.setattr(batches, "ensure_reachable", lambda: None)
    monkeypatch.setattr(batches, "enqueue", lambda *args: None)
    # an email queued and a batch started before he is restricted
    queued = sending._create_dispatch(ctx["visit"], db.session.get(Service, ctx["therapies"]),
                                      "q" * 64, organiser).id
    earlier = batches.start(ctx["visit"], ctx["session"], "forms", PackOptions(), organiser)
    for reason in ("", "He contests his release date"):
        with pytest.raises(DomainError, match="Choose the reason"):
            rights.restrict(ctx["john"], reason, admin)
    rights.restrict(ctx["john"], "disputes", admin)
    with pytest.raises(DomainError, match="already restricted"):
        rights.restrict(ctx["john"], "disputes", admin)
    assert len(batches._htmls(earlier, json.loads(earlier.members))) == 1  # Jack's form only
    assert set(sending._dispatch_links(queued)) == {ctx["referrals"]["jack"]}
    sending._dispatch_sent(queued)
    db.session.remove()
    statuses = dict(db.session.execute(select(Referral.id, Referral.status)).all())
    assert statuses[ctx["referrals"]["john"]] == "made"
    assert statuses[ctx["referrals"]["jack"]] == "sent"
    job = batches.start(ctx["visit"], ctx["session"], "packs", PackOptions(), organiser)
    assert json.loads(db.session.get(PrintJob, job.id).members) == [
        _member_id(ctx["jack_member"])]
    sendable = set(db.session.scalars(sending._sendable(ctx["visit"], ctx["therapies"])))
    assert sendable == set()  # Jack's went; John's waits
    found = handoff.handoff(ctx["visit"])
    assert found.restricted_names == ["John Fictional"]
    assert [man.referral_id for man in found.services[0].referrals] == [ctx["referrals"]["jack"]]
    with pytest.raises(DomainError, match="restricted"):
        sending.chase_email(ctx["referrals"]["john"], organiser)
    assert _person(ctx["john"]).restricted_reason == "disputes"
    with pytest.raises(DomainError, match="Choose the reason"):
        rights.lift(ctx["john"], "disputes", admin)  # a restriction reason, not a lifting one
    rights.lift(ctx["john"], "checked", admin)
    with pytest.raises(DomainError, match="not restricted"):
        rights.lift(ctx["john"], "checked", admin)
    assert set(db.session.scalars(sending._sendable(ctx["visit"], ctx["therapies"]))) == {
        ctx["referrals"]["john"]}
    actions = list(db.session.scalars(select(AuditEvent.detail).where(
        AuditEvent.action.in_(("person.restricted", "person.restriction_lifted")))))
    assert actions == ["reason=disputes", "reason=checked"]


def _member_id(public_id: str) -> int:
    return db.session.scalar(select(CohortMember.id).where(CohortMember.public_id == public_id))


def _stored(app, public_id: str) -> dict | None:
    """His stored details, read in an app context of their own (outside any request)."""
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.public_id == public_id))
        return None if person is None else {
            "first_name": person.first_name, "prison_number": person.prison_number,
            "restricted": person.restricted_at is not None}


def _admin_restricts_and_erases_after_confirming_and_the_pages_say_so(app, ctx):
    client = app.test_client()
    log_in(client, "admin@test.example")
    base = f"/privacy/people/{ctx['john']}"
    token = csrf_token(client, base)
    for typed in ("", "Jack Smith told me"):
        page = client.post(f"{base}/restrict", data={"reason": typed, "csrf_token": token})
        assert page.status_code == 400 and "Choose the reason" in page.get_data(as_text=True)
    assert not _stored(app, ctx["john"])["restricted"]
    page = client.post(f"{base}/restrict", data={"reason": "disputes", "csrf_token": token})
    assert page.status_code == 302 and _stored(app, ctx["john"])["restricted"]
    page = client.get(base).get_data(as_text=True)
    assert 'data-testid="restricted"' in page and "He disputes the details" in page
    assert 'value="checked"' in page  # the lifting reasons are offered now
    assert 'data-testid="restricted"' in client.get(f"/people/{ctx['john']}").get_data(
        as_text=True)
    printing = client.get(f"/visits/{ctx['visit']}/sessions/{ctx['session']}/printing/")
    assert "John Fictional" in printing.get_data(as_text=True).split("restricted-men")[1]
    printing = f"/visits/{ctx['visit']}/sessions/{ctx['session']}/printing"
    for single in (f"/men/{ctx['john_member']}/form.pdf", f"/men/{ctx['john_member']}"):
        page = client.get(printing + single, follow_redirects=True)
        assert "his form cannot be printed" in page.get_data(as_text=True) or (
            "his pack cannot be printed" in page.get_data(as_text=True)), single
        assert not page.data.startswith(b"%PDF")
    sent = client.get(f"/visits/{ctx['visit']}/handoff")
    assert sent.status_code == 200 and 'data-testid="restricted-men"' in sent.get_data(
        as_text=True)
    page = client.post(f"{base}/correct", data={"field": "first_name", "value": "Jon",
                                                 "reason": "", "csrf_token": token})
    assert page.status_code == 400 and _stored(app, ctx["john"])["first_name"] == "John"
    page = client.post(f"{base}/erase", data={"reason": "he_asked", "csrf_token": token})
    assert page.status_code == 400 and "Confirm that you understand" in page.get_data(
        as_text=True)
    assert _stored(app, ctx["john"])["prison_number"] == "A1234BC"
    page = client.post(f"{base}/erase", data={"reason": "he_asked", "confirm": "y",
                                              "csrf_token": token})
    assert page.status_code == 302, page.get_data(as_text=True)
    erased = _stored(app, ctx["john"])
    assert erased["prison_number"].startswith("~") and erased["first_name"] == ""
    assert _stored(app, ctx["jack"])["prison_number"] == "A1234BD"
    page = client.post(f"{base}/correct", data={"field": "first_name", "value": "John",
                                                 "reason": "he_asked", "csrf_token": token})
    assert page.status_code == 400 and "were erased" in page.get_data(as_text=True)
    assert _stored(app, ctx["john"])["first_name"] == ""
    with app.app_context():
        for change in (rights.restrict, rights.lift):
            with pytest.raises(DomainError, match="were erased"):
                change(ctx["john"], "court_order", ctx["users"]["admin"])
        details = list(db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "person.erased")))
        assert not db.session.scalar(select(func.count()).where(
            AuditEvent.detail.contains("Smith")))
    assert details == ["reason=he_asked"]
