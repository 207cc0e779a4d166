"""Backups and restores on a real database (SQLite or PostgreSQL): a backup taken while ten
tablets save referrals restores intact with every save acknowledged before it began; a restore
keeps the erasures made since its backup; refused restores change nothing; owner-only files
named by time; an unwritable folder; retention."""

import sqlite3
import stat
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, make_url, select, text

from inreach.accounts.models import User
from inreach.accounts.services import Actor, create_user
from inreach.audit.models import AuditEvent
from inreach.backups import postgres, services
from inreach.backups import sqlite as sqlite_backups
from inreach.cohorts.models import CohortMember, Person
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.errors import DomainError
from inreach.jobs import schedules
from inreach.privacy.purge import erase_person, placeholder_prison_number
from inreach.referrals import services as referrals
from inreach.referrals.consent import current_wording
from inreach.referrals.models import Referral, ReferralSet, Submission

from . import planning
from . import referral_builders as build
from .conftest import PASSWORD

TABLETS = 10
MEN_EACH = 30


@pytest.fixture
def folder(tmp_path):
    """Where this test's backups go (not there yet: the backup creates it)."""
    return tmp_path / "backups"


@pytest.fixture
def migrated_app(make_app, folder):
    """An app whose schema was built by the migrations (a restore checks the schema version)."""
    app = make_app(create_tables=False, BACKUP_DIR=str(folder))
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def plain_app(make_app, folder):
    """An app on tables made by create_all, for what needs no schema version."""
    return make_app(BACKUP_DIR=str(folder))


def day_of_referrals(app) -> dict:
    """A visit today with one session of TABLETS * MEN_EACH men, two referable services and an
    organiser; returns the ids and each tablet's men (public ids)."""
    with app.app_context():
        organiser = create_user("organiser@test.example", "Test organiser", "organiser",
                                PASSWORD).id
        visit = planning.visit(planning.prison().id, today(), status="confirmed")
        session = planning.session(visit.id)
        housing, work = build.service("Housing advice").id, build.service("Work coach").id
        men = placed_men(visit.id, session.id, TABLETS * MEN_EACH)
        return {"organiser": organiser, "visit": visit.id, "session": session.id,
                "housing": housing, "work": work, "wording": current_wording().version,
                "tablets": [men[n::TABLETS] for n in range(TABLETS)]}


def placed_men(visit_id: int, session_id: int, number: int) -> list[str]:
    """Men on the visit's cohort, placed in the session, in one transaction (as
    referral_builders.man, faster); returns their public ids."""
    begin_write()
    members = [CohortMember(visit_id=visit_id, session_id=session_id, person=Person(
        prison_number=f"A{n:04d}BC", first_name="John", last_name="Fictional",
        location="B wing", release_date=today() + timedelta(days=20), release_type="CRD"))
        for n in range(number)]
    db.session.add_all(members)
    db.session.commit()
    return [member.public_id for member in members]


def save_until_stopped(app, day: dict, men: list[str], acknowledged: list, stop: threading.Event,
                       lock: threading.Lock, errors: list) -> None:
    """A tablet saving each man's referrals through the real service, noting each save once it
    returns; after `stop` it saves one more man, then ends."""
    chosen = [day["housing"], day["work"]]
    with app.app_context():
        user = db.session.get(User, day["organiser"])
        db.session.rollback()
        try:
            for member in men:
                stopping = stop.is_set()
                referrals.save(day["visit"], day["session"], build.capture(
                    member, chosen=chosen, consent={day["housing"]: True, day["work"]: False},
                    consent_version=day["wording"]), user)
                with lock:
                    acknowledged.append(member)
                if stopping:
                    break
        except Exception as error:  # noqa: BLE001  reported by the test
            errors.append(error)
        finally:
            db.session.remove()


def backup_while_saving(app, day: dict) -> tuple:
    """Take a backup once 20 saves are in, while ten tablets keep saving (they stop soon after
    it); returns the backup's path, the saves acknowledged before it began and all saves."""
    acknowledged, errors = [], []
    stop, lock = threading.Event(), threading.Lock()
    tablets = [threading.Thread(target=save_until_stopped, args=(
        app, day, men, acknowledged, stop, lock, errors)) for men in day["tablets"]]
    for tablet in tablets:
        tablet.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 20 and time.monotonic() < deadline and not errors:
        time.sleep(0.002)
    with lock:
        before = set(acknowledged)
    with app.app_context():
        path = services.backup()
    stop.set()
    for tablet in tablets:
        tablet.join(timeout=120)
    assert errors == [] and len(before) >= 20
    return path, before, set(acknowledged)


def foreign_keys() -> int:
    """How many foreign keys the database's tables have (PostgreSQL: enforced constraints)."""
    if db.engine.dialect.name == "postgresql":
        return db.session.scalar(text("SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                                      "AND connamespace = 'public'::regnamespace"))
    return db.session.scalar(text("SELECT count(*) FROM sqlite_master AS t, "
                                  "pragma_foreign_key_list(t.name) WHERE t.type = 'table'"))


def count(model) -> int:
    """Rows in a table."""
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_backup_taken_while_ten_tablets_save_restores_every_save_acknowledged_before_it(
        migrated_app, folder):
    day = day_of_referrals(migrated_app)
    with migrated_app.app_context():
        constraints = foreign_keys()
    path, before, everything = backup_while_saving(migrated_app, day)
    result = migrated_app.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"Restored {path}" in result.output
    with migrated_app.app_context():
        restored = set(db.session.scalars(select(CohortMember.public_id).join(
            ReferralSet, ReferralSet.member_id == CohortMember.id)))
        assert before <= restored  # every save acknowledged before the backup began
        # Not those after it: the tablets were saving while it ran, and the restore put the
        # database back to that moment.
        assert restored < everything
        # One consistent moment: each set whole, with its submission and audit row.
        sets = count(ReferralSet)
        assert sets == len(restored) == count(Submission)
        assert count(Referral) == 2 * sets
        assert db.session.scalar(select(func.count()).where(
            AuditEvent.action == "referral_set.created")) == sets
        orphans = db.session.execute(text(
            "SELECT (SELECT count(*) FROM referrals r LEFT JOIN referral_sets s "
            "ON s.id = r.set_id WHERE s.id IS NULL), (SELECT count(*) FROM referral_sets s "
            "LEFT JOIN cohort_members m ON m.id = s.member_id WHERE m.id IS NULL)")).one()
        assert tuple(orphans) == (0, 0)
        assert foreign_keys() == constraints  # all back, so each row's references hold
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        restored_row = db.session.execute(select(AuditEvent.object_id, AuditEvent.detail).where(
            AuditEvent.action == "backup.restored")).one()
    saved_first = (set(folder.iterdir()) - {path}).pop()  # what the restore replaced
    assert tuple(restored_row) == (path.name, f"saved first as {saved_first.name}; men erased "
                                   "since it was taken, erased again: 0")
    assert len(list(folder.iterdir())) == 2


def fictional_men(number: int) -> list[tuple[int, str]]:
    """Men on no visit yet (so today's purge leaves them), in one transaction; their ids and
    public ids."""
    begin_write()
    men = [Person(prison_number=f"A{n:04d}BC", first_name="John", last_name=f"Fictional{n}",
                  location="B wing", release_type="CRD") for n in range(number)]
    db.session.add_all(men)
    db.session.commit()
    return [(man.id, man.public_id) for man in men]


def details(person: Person) -> tuple:
    """What the purge blanks of a man, and whether it marked him purged."""
    return (person.first_name, person.last_name, person.prison_number, person.location,
            person.purged_at is not None)


def test_a_restore_keeps_the_erasures_made_since_its_backup(migrated_app, folder):
    with migrated_app.app_context():
        actor = Actor(create_user("admin@test.example", "Test admin", "admin", PASSWORD).id,
                      "admin")
        (before, _), (after, _), (_, untouched) = ids = fictional_men(3)
        men = dict(zip(("before", "after", "untouched"), (man[1] for man in ids), strict=True))
        erase_person(before, "he_asked", actor)
        as_backed_up = details(db.session.scalars(select(Person).where(
            Person.public_id == untouched)).one())
        path = services.backup()
        erase_person(after, "he_asked", actor)  # a promise made since the backup
        begin_write()
        db.session.execute(text("UPDATE people SET location = 'C wing' WHERE public_id = :id"),
                           {"id": untouched})
        db.session.commit()
        [(later, men["later"])] = fictional_men(1)  # after the backup: not in it at all
        erase_person(later, "he_asked", actor)
    result = migrated_app.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "1 man erased since that backup was taken was erased again." in result.output
    assert "Retention purge for today: men de-identified 0" in result.output
    with migrated_app.app_context():
        people = {person.public_id: person for person in db.session.scalars(select(Person))}
        assert men["later"] not in people
        for name in ("before", "after"):  # still erased: no name, no prison number
            person = people[men[name]]
            assert details(person) == ("", "", placeholder_prison_number(person.id), "", True)
        assert details(people[men["untouched"]]) == as_backed_up  # back as in the backup
        assert as_backed_up == ("John", "Fictional2", "A0002BC", "B wing", False)
        trail = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id,
                                          AuditEvent.object_id, AuditEvent.detail)
                                   .order_by(AuditEvent.id)).all()
    restored = [row for row in trail if row.action == "backup.restored"]
    assert [row.detail.endswith("erased again: 1") for row in restored] == [True]
    assert [(row.actor_id, row.object_id, services.ERASE_AGAIN_REASON in row.detail)
            for row in trail[trail.index(restored[0]):] if row.action == "person.erased"] == [
        (None, str(after), True)]
    assert trail[-1].action == "retention.purge_run"


def test_restore_refuses_what_it_cannot_restore_and_changes_nothing(migrated_app, folder,
                                                                    tmp_path):
    runner = migrated_app.test_cli_runner()
    with migrated_app.app_context():
        good = services.backup()
        create_user("later@test.example", "Later", "volunteer", PASSWORD)
        begin_write()  # a backup from a newer schema than this code knows
        db.session.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        db.session.commit()
        newer = services.backup()
        head = services._script().get_heads()[0]
        begin_write()
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"),
                           {"head": head})
        db.session.commit()
    notes = tmp_path / "notes.sqlite"
    notes.write_text("Not a backup at all")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:  # a database, but not inreach's
        connection.execute("CREATE TABLE t (x)")
    files = sorted(folder.iterdir())
    with migrated_app.app_context():
        audit_rows = count(AuditEvent)
    cases = [([str(notes), "--yes"], "That file is not an inreach backup"),
             ([str(other), "--yes"], "That file is not an inreach backup"),
             ([str(tmp_path / "gone.sqlite"), "--yes"], "There is no backup file"),
             ([str(newer), "--yes"], "newer than this version of inreach knows"),
             ([str(good)], "Aborted")]  # answered no
    for arguments, message in cases:
        result = runner.invoke(args=["restore", *arguments], input="n\n")
        assert result.exit_code == 1 and message in result.output, (arguments, result.output)
    with migrated_app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:  # pg_restore would leave a table the backup lacks in place
            begin_write()
            db.session.execute(text("CREATE TABLE added_later (id integer)"))
            db.session.commit()
    if postgresql:
        result = runner.invoke(args=["restore", str(good), "--yes"])
        assert result.exit_code == 1
        assert "lacks tables the database has (added_later)" in result.output
    assert sorted(folder.iterdir()) == files  # not even the backup taken before a restore
    with migrated_app.app_context():
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
        assert count(User) == 1
        assert count(AuditEvent) == audit_rows  # no restore recorded
        if postgresql:
            assert db.session.scalar(text("SELECT count(*) FROM added_later")) == 0


def test_backup_writes_an_owner_only_file_named_by_time_or_refuses_leaving_nothing_behind(
        plain_app, folder, tmp_path, monkeypatch):
    result = plain_app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    path = folder / result.output.strip().removeprefix("Backup written: ").split("/")[-1]
    assert result.output.strip() == f"Backup written: {path}"
    assert services.NAME.fullmatch(path.name)
    assert abs(services.taken_at(path.name) - datetime.now(UTC)) < timedelta(minutes=1)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with plain_app.app_context():
        if db.engine.dialect.name == "sqlite":
            with sqlite3.connect(path) as copy:
                assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        else:
            assert path.read_bytes().startswith(postgres.MAGIC)
        assert db.session.execute(select(AuditEvent.action, AuditEvent.object_id)).all() == [
            ("backup.written", path.name)]
        moment = datetime(2026, 11, 30, 2, 15, tzinfo=UTC)
        names = [services.backup(now=moment).name for _ in range(2)]
    assert names == ["inreach-20261130T021500Z" + suffix for suffix in (
        path.suffix, f"-2{path.suffix}")]
    written = sorted(folder.iterdir())

    in_the_way = tmp_path / "a-file"  # a folder that cannot be made
    in_the_way.write_text("")
    plain_app.config["BACKUP_DIR"] = str(in_the_way / "backups")
    result = plain_app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 1
    assert "cannot be written to" in result.output and "No backup was written" in result.output
    # A folder that is there but cannot be written to, even by root (CI runs as root, who
    # writes to a chmod 0500 folder anyway): nobody can create a file in /proc.
    plain_app.config["BACKUP_DIR"] = "/proc"
    result = plain_app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 1
    assert "The backup folder /proc cannot be written to" in result.output
    plain_app.config["BACKUP_DIR"] = str(folder)

    def fails_half_way(url, temp):
        temp.write_bytes(b"half a backup")
        raise DomainError("backup_tool_failed", "pg_dump failed, so nothing was changed")

    monkeypatch.setattr(sqlite_backups, "write_backup", fails_half_way)
    monkeypatch.setattr(postgres, "write_backup", fails_half_way)
    with plain_app.app_context(), pytest.raises(DomainError):
        services.backup()
    assert sorted(folder.iterdir()) == written  # no half-written file, not even a temporary one


def test_daily_backup_keeps_backup_keep_days_and_deletes_only_older_backups(plain_app, folder):
    now = datetime.now(UTC)
    folder.mkdir(mode=0o700)
    names = {age: f"inreach-{(now - timedelta(days=age)).strftime(services.STAMP)}.sqlite"
             for age in (31, 29)}
    others = ["notes-20200101T000000Z.sqlite", "inreach-20200101T000000Z.sqlite.bak"]
    for name in [*names.values(), *others]:
        (folder / name).write_bytes(b"x")
    with plain_app.app_context():
        schedules.backup_database.call_local()  # the queue's daily schedule
        assert schedules.last_run("backup_database") is not None
        assert not (folder / names[31]).exists()
        [written] = set(folder.iterdir()) - {folder / name for name in [*names.values(), *others]}
        assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
            "backup.written", "backup.deleted"]
        plain_app.config["BACKUP_KEEP_DAYS"] = 0
        with pytest.raises(DomainError, match="1 or more"):
            services.expire()
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [names[29], written.name, *others])


def test_postgres_passwords_reach_the_tools_by_environment_never_the_command_line():
    url = make_url("postgresql+psycopg://inreach:s3cret-pw@db.example:6543/inreach"
                   "?sslmode=require")
    lines = [postgres.dump_command(), postgres.restore_command("/backups/x.pgdump", url)]
    assert not any("s3cret-pw" in argument for line in lines for argument in line)
    env = postgres.environment(url)
    assert (env["PGPASSWORD"], env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"],
            env["PGSSLMODE"]) == ("s3cret-pw", "db.example", "6543", "inreach", "inreach",
                                  "require")
