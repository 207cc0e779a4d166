"""The retention purge: report figures identical before and after, nothing removed before its
time, a man with an open referral kept, a dry run changing nothing, bad periods refused on
their field, erasing one man audited with the reason, stored files deleted, and (SQLite) no
purged string left in the database file's bytes."""

import json
import sqlite3
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from inreach.accounts.services import Actor, create_user
from inreach.audit.models import AuditEvent
from inreach.cohorts.models import CohortMember, KeepApart, Person
from inreach.database import begin_write, db
from inreach.directory.models import DirectoryOrganisation, Service
from inreach.errors import DomainError
from inreach.followup.mail import outbox_dir
from inreach.followup.models import ReferralEvent
from inreach.packs.models import PrintJob, PrintPart
from inreach.prisons.models import Prison
from inreach.privacy import purge, retention
from inreach.privacy.purge import erase_person, placeholder_prison_number, run
from inreach.referrals.consent import wording_id_for
from inreach.referrals.models import Referral, ReferralSet, SetChange
from inreach.reports.figures import Scope, report
from inreach.visits.models import Visit, VisitSession

from . import report_builders as build
from .conftest import PASSWORD, csrf_token

RELEASED = date(2026, 2, 2)
VISIT = date(2026, 1, 15)
SECRETS = ("Zebediah", "Quxworthy", "Q9876ZZ", "07700 987654", "Probation Pemberton-Smythe",
           "Unforgettable note about Zebediah", "pemberton.smythe@probation.example",
           "Reason typed Xylophone", "Event reason Marmalade", "1931-07-19")


def scopes(study) -> list[Scope]:
    """Every kind of report scope over the study data."""
    return [Scope(), Scope(visit_id=study.visit_a), Scope(visit_id=study.visit_b),
            Scope(visit_id=study.visit_a, organisation_id=study.works),
            Scope(start=date(2026, 1, 1), end=date(2026, 6, 30), prison_id=study.prison),
            Scope(organisation_id=study.trust)]


class Men:
    """Makes men on one visit, each seen, in the open write transaction."""

    def __init__(self, recorded_by: int):
        self.recorded_by, self.count = recorded_by, 0
        prison = Prison(code="WSI", name="HMP Wormwood Scrubs")
        self.visit = Visit(prison=prison, date=VISIT, title="Employment day",
                           gate_list_deadline=VISIT, status="completed",
                           sessions=[VisitSession(label="Cohort 1", starts_at=time(9, 30),
                                                  ends_at=time(12), room="Chapel", capacity=50)])
        self.service = Service(organisation=DirectoryOrganisation(name="Fictional Works"),
                               name="Housing desk", referable=True,
                               next_steps="They will phone you")
        db.session.add_all([self.visit, self.service])
        db.session.flush()

    def man(self, release: date | None = RELEASED, status: str | None = None,
            closed_on: date | None = None, notes: str = "", **details) -> Person:
        """A seen man released on ``release``, with one referral at ``status`` if given."""
        self.count += 1
        values = {"prison_number": f"A{self.count:04d}BC", "first_name": f"First{self.count}",
                  "last_name": "Fictional", "release_date": release,
                  "date_of_birth": date(1990, 1, 1), "notes": notes, **details}
        person = Person(**values)
        member = CohortMember(visit=self.visit, person=person, session=self.visit.sessions[0],
                              attendance="attended")
        referral_set = ReferralSet(member=member, session_id=self.visit.sessions[0].id,
                                   recorded_by=self.recorded_by, phone="07700 900123",
                                   consent_wording_id=wording_id_for(1), notes=notes)
        db.session.add(referral_set)
        if status:
            sent = VISIT + timedelta(days=3) if status != "made" else None
            db.session.add(Referral(referral_set=referral_set, service=self.service,
                                    status=status, consent=True, sent_on=sent,
                                    closed_on=closed_on))
        db.session.flush()
        return person


@pytest.fixture
def admin(app, make_user):
    """An administrator's id."""
    return make_user("admin")


@pytest.fixture
def men(app_context, admin):
    """A maker of men (inside an app context and a write)."""
    begin_write()
    return Men(admin)


def test_report_figures_are_the_same_before_and_after_a_purge(app, make_user):
    organiser = make_user("organiser")
    with app.app_context():
        study = build.study(organiser)
        before = [report(scope) for scope in scopes(study)]
        done = run(dry_run=False, today=date(2030, 1, 1))
        assert done.men > 10 and done.kept_open > 10  # some purged, open referrals kept
        kept = list(db.session.scalars(select(Person.id).where(Person.purged_at.is_(None))))
        erase_person(kept.pop(), "he_asked", Actor(organiser, "admin"))
        purge._de_identify(kept, organiser, "person.erased")  # the rest, as one batch
        assert db.session.scalar(select(func.count()).where(Person.first_name != "")) == 0
        assert [report(scope) for scope in scopes(study)] == before


def test_nothing_is_purged_before_its_time_and_an_open_referral_keeps_him(men):
    early = men.man(notes="Prefers mornings")  # released RELEASED, no referral
    no_release = men.man(release=None)  # counts from the visit
    later = men.man(status="closed", closed_on=date(2026, 6, 1))  # counts from the closing
    open_one = men.man(status="sent", release=date(2020, 1, 1))  # open: kept however old
    men.man(release=date(9999, 12, 1))  # a typing mistake: never due, and no crash
    men.man(release=date(9999, 12, 31), status="sent")
    db.session.commit()
    due = {day: purge.plan(day) for day in (date(2026, 5, 1), date(2026, 5, 2),
                                            date(2027, 1, 14), date(2027, 1, 15),
                                            date(2027, 2, 1), date(2027, 2, 2),
                                            date(2027, 6, 1))}
    assert due[date(2026, 5, 1)].clear_notes_ids == []
    assert due[date(2026, 5, 1)].de_identify_ids == []
    assert due[date(2026, 5, 2)].clear_notes_ids == [early.id]  # 3 months after release
    assert due[date(2027, 1, 14)].de_identify_ids == []
    assert due[date(2027, 1, 15)].de_identify_ids == [no_release.id]  # 12 months after the visit
    assert due[date(2027, 2, 1)].de_identify_ids == [no_release.id]
    assert due[date(2027, 2, 2)].de_identify_ids == [early.id, no_release.id]
    assert due[date(2027, 6, 1)].de_identify_ids == [early.id, no_release.id, later.id]
    run(dry_run=False, today=date(2026, 5, 2))
    kept = db.session.get(Person, early.id)
    assert (kept.notes, kept.first_name, kept.purged_at) == ("", "First1", None)
    counts = run(dry_run=False, today=date(2035, 1, 1))
    assert (counts.men, counts.kept_open) == (3, 1)
    assert db.session.get(Person, open_one.id).first_name == "First4"
    assert db.session.get(Person, later.id).purged_at is not None


def _snapshot() -> list:
    """Every row of the tables the purge touches, and the audit trail."""
    return [db.session.execute(select(table)).all() for table in (
        Person.__table__, ReferralSet.__table__, Referral.__table__, SetChange.__table__,
        KeepApart.__table__, PrintJob.__table__, PrintPart.__table__, AuditEvent.__table__)]


def test_a_dry_run_counts_and_changes_nothing(app, men, runner):
    long_ago = date(2024, 1, 1)  # the command purges as of today
    first = men.man(release=long_ago, notes="Likes football")
    second = men.man(release=long_ago, status="closed", closed_on=long_ago)
    men.man(release=long_ago, status="made")
    db.session.add(KeepApart(visit_id=men.visit.id, first_id=first.id, second_id=second.id))
    db.session.commit()
    before = _snapshot()
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "men de-identified:          2" in result.output
    assert "Kept because a referral is still open: 1" in result.output
    db.session.rollback()
    assert _snapshot() == before
    result = runner.invoke(args=["purge", "--run"])
    assert "men de-identified:          2" in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(KeepApart)) == 0
    run_row = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "retention.purge_run")).one()
    assert run_row.detail.startswith("men de-identified 2, notes cleared 0")
    assert runner.invoke(args=["purge"]).exit_code != 0


BAD_PERIODS = [
    ("0", "3", "identity_months", "out_of_range"),
    ("-1", "3", "identity_months", "not_a_number"),
    ("121", "3", "identity_months", "out_of_range"),
    ("twelve", "3", "identity_months", "not_a_number"),
    ("", "3", "identity_months", "required"),
    ("12", "0", "notes_months", "out_of_range"),
    ("12", "13", "notes_months", "notes_longer"),
    ("12", "99999999999999999999", "notes_months", "not_a_number"),
]


def test_bad_periods_are_refused_and_the_admin_page_shows_counts(app, client, login_as):
    admin = login_as("admin")
    with app.app_context():
        for identity, notes, field, code in BAD_PERIODS:
            with pytest.raises(DomainError) as error:
                retention.set_periods(identity, notes, Actor(admin, "admin"))
            assert (error.value.field, error.value.code) == (field, code)
        assert retention.periods() == retention.Periods(12, 3)
        begin_write()
        maker = Men(admin)
        maker.man()
        maker.man(status="sent", release=date(2020, 1, 1))
        maker.man(release=date(9999, 12, 31))  # a far-future mistake does not break the page
        db.session.commit()
    page = client.get("/privacy/retention/").get_data(as_text=True)
    assert "First1" not in page and "A0001BC" not in page
    assert 'id="kept-open">1 man is' in page
    token = csrf_token(client, "/privacy/retention/")
    refused = client.post("/privacy/retention/", data={
        "identity_months": "0", "notes_months": "3", "csrf_token": token})
    assert refused.status_code == 200
    assert "enter a number of months from 1 to 120" in refused.get_data(as_text=True)
    saved = client.post("/privacy/retention/", data={
        "identity_months": "1", "notes_months": "1", "csrf_token": token})
    assert saved.status_code == 302
    with app.app_context():
        assert retention.periods() == retention.Periods(1, 1)
        due = purge.plan(date(2026, 3, 2))
        assert len(due.de_identify_ids) == 1
    page = client.get("/privacy/retention/").get_data(as_text=True)
    assert 'id="count-men">1<' in page
    assert app.view_functions["retention.index"].access == {"admin"}  # admins only


def test_erase_person_is_audited_with_the_reason(men, admin):
    person, other = men.man(status="sent"), men.man()
    db.session.commit()
    actor = Actor(admin, "admin")
    for typed in ("  ", "He asked by letter", None):  # only a code from the list
        with pytest.raises(DomainError) as error:
            erase_person(person.id, typed, actor)
        assert (error.value.field, error.value.code) == ("reason", "bad_reason")
    counts = erase_person(person.id, "he_asked", actor)
    assert counts.men == 1
    assert purge._de_identify([person.id], admin, "person.erased") is None  # checked in the write
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.erased")).one()
    assert (row.actor_id, row.object_type, row.object_id, row.detail) == (
        admin, "person", str(person.id), "reason=he_asked")
    erased, kept = db.session.get(Person, person.id), db.session.get(Person, other.id)
    assert erased.prison_number == placeholder_prison_number(person.id)
    assert (erased.first_name, erased.date_of_birth) == ("", None)
    assert kept.first_name == "First2"
    with pytest.raises(DomainError) as error:
        erase_person(person.id, "he_asked", actor)
    assert error.value.code == "already_erased"
    with pytest.raises(DomainError) as error:
        erase_person(10**6, "he_asked", actor)
    assert error.value.code == "not_found"


def test_placeholder_prison_numbers_are_unique_and_never_real():
    numbers = {placeholder_prison_number(value) for value in (1, 35, 36, 10**6, 2**31 - 1)}
    assert len(numbers) == 5
    assert all(len(number) == 7 and number.startswith("~") for number in numbers)


def _batch(member_ids: list[int], session_id: int, started_by: int) -> PrintJob:
    """A finished print batch of these members, its PDF still held."""
    job = PrintJob(session_id=session_id, kind="packs", state="done", done=1, total=1,
                   members=json.dumps(member_ids), started_by=started_by, pdf=b"%PDF-1.7 x")
    db.session.add(job)
    return job


def _email(folder: Path, name: str, references: list[str]) -> Path:
    """An .eml like the referral emails, listing these form references."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = "\n".join(f"  {reference}: https://example.org/r/x" for reference in references)
    path = folder / name
    path.write_text(f"To: team@example.org\nSubject: Referrals\n\nHello\n\n{lines}\n")
    return path


def test_stored_files_about_him_are_deleted(men, admin, monkeypatch, caplog):
    him, other = men.man(), men.man(release=date(2026, 12, 1))
    members = {person.id: db.session.scalar(select(CohortMember).where(
        CohortMember.person_id == person.id)) for person in (him, other)}
    session_id = men.visit.sessions[0].id
    his_batch = _batch([members[him.id].id, members[other.id].id], session_id, admin)
    db.session.flush()
    db.session.add(PrintPart(job_id=his_batch.id, number=0, pdf=b"%PDF part"))
    other_batch = _batch([members[other.id].id], session_id, admin)
    db.session.commit()
    folder = outbox_dir()
    his_email = _email(folder, "one.eml", [members[him.id].form_reference])
    other_email = _email(folder, "two.eml", [members[other.id].form_reference])
    chase = folder / "three.eml"
    chase.write_text(f"To: team@example.org\nSubject: Still waiting for an answer: referral "
                     f"{members[him.id].form_reference}\n\nHello\n")
    assert purge.plan(date(2027, 3, 1)).counts().files == 3
    unlink = Path.unlink

    def refuse_the_chase(path, *args, **kwargs):
        if path == chase:
            raise PermissionError(13, "Permission denied")
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", refuse_the_chase)
    counts = run(dry_run=False, today=date(2027, 3, 1))  # goes on past a file it cannot delete
    assert (counts.men, counts.batch_pdfs, counts.emails) == (1, 1, 1)
    assert not his_email.exists() and chase.exists() and other_email.exists()
    assert "could not be deleted" in caplog.text
    assert members[him.id].form_reference not in caplog.text and "three" not in caplog.text
    monkeypatch.setattr(Path, "unlink", unlink)
    assert run(dry_run=False, today=date(2027, 3, 2)).emails == 1  # the next run retries
    assert not chase.exists() and other_email.exists()
    db.session.rollback()
    assert db.session.get(PrintJob, his_batch.id).pdf is None
    assert db.session.get(PrintJob, other_batch.id).pdf is not None
    assert db.session.scalar(select(func.count()).select_from(PrintPart)) == 0


def _file_bytes(app) -> bytes:
    """The SQLite database file and its -wal file, after a checkpoint."""
    db.session.commit()
    path = Path(db.engine.url.database)
    connection = sqlite3.connect(path, isolation_level=None)
    assert connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # not busy
    connection.close()
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
def sqlite_men(make_app, tmp_path):
    """A maker of men on SQLite whatever the suite's database: the check is about its file."""
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'purge.sqlite'}")
    with app.app_context():
        admin = create_user("admin@test.example", "Test admin", "admin", PASSWORD).id
        begin_write()
        yield app, Men(admin), admin


def test_no_purged_string_is_left_in_the_database_file(sqlite_men):
    app, men, admin = sqlite_men
    assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1
    person = men.man(notes=SECRETS[5], prison_number=SECRETS[2], first_name=SECRETS[0],
                     last_name=SECRETS[1], status="closed", closed_on=date(2026, 3, 1),
                     date_of_birth=date.fromisoformat(SECRETS[9]))
    referral = db.session.scalars(select(Referral)).one()
    referral.reason_other = SECRETS[7]
    db.session.add(ReferralEvent(referral_id=referral.id, status="closed", from_status="sent",
                                 on_date=date(2026, 3, 1), how="recorded",
                                 reason_other=SECRETS[8]))
    set_row = db.session.scalar(select(ReferralSet))
    set_row.phone, set_row.probation_name = SECRETS[3], SECRETS[4]
    set_row.probation_contact = SECRETS[6]
    db.session.add(SetChange(set_id=set_row.id, changed_by=admin,
                             changes=json.dumps({"phone": [SECRETS[3], ""]})))
    for number in range(40):  # other men, so his rows share pages with rows that stay
        men.man(release=date(2026, 12, 1), notes=f"Other note {number}")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ReferralEvent).where(
        ReferralEvent.reason_other == SECRETS[8])) == 1
    assert db.session.scalar(select(func.count()).select_from(Referral).where(
        Referral.reason_other == SECRETS[7])) == 1
    before = _file_bytes(app)
    assert [secret for secret in SECRETS if secret.encode() not in before] == []
    erase_person(person.id, "court_order", Actor(admin, "admin"))
    after = _file_bytes(app)
    assert [secret for secret in SECRETS if secret.encode() in after] == []
    assert b"Other note 39" in after


def test_the_nightly_schedule_purges_men_past_their_time(men):
    from inreach.jobs import schedules

    gone = men.man(release=date(2020, 1, 1))
    young = men.man(release=date.today() + timedelta(days=30))
    db.session.commit()
    schedules.purge_personal_data.call_local()
    db.session.rollback()
    assert db.session.get(Person, gone.id).purged_at is not None
    assert db.session.get(Person, young.id).first_name == "First2"
    assert schedules.last_run("purge_personal_data") is not None
