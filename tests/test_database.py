"""The database layer: migrations match the models, SQLite settings, concurrent writers,
timezone-aware times and the append-only audit trail."""

import re
import sqlite3
import threading
import time
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DatabaseError

from inreach.accounts.models import User
from inreach.accounts.services import create_user
from inreach.audit.models import AuditEvent
from inreach.audit.services import record, record_all
from inreach.cohorts.models import REFERENCE_ALPHABET
from inreach.database import (
    AUDIT_CHAIN_LOCK,
    ReadTransactionWrite,
    _FairLock,
    begin_write,
    counting_statements,
    db,
    write_connection,
    writes,
)
from inreach.demo.seed import seed_accounts
from inreach.errors import DomainError

from .conftest import PASSWORD


@pytest.fixture
def migrated_app(make_app):
    """An app whose schema was built by the migrations, not by create_all."""
    app = make_app(create_tables=False)
    with app.app_context():
        upgrade()
    return app


def test_migrations_build_exactly_the_models_schema(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_upgrade_keeps_rows_and_downgrade_then_upgrade_works(make_app):
    app = make_app(create_tables=False)
    with app.app_context():
        # the accounts as today's models write them (two-step login, chained audit rows); the
        # rest of the demo data needs later revisions
        upgrade(revision="0010_two_factor")
        seed_accounts(PASSWORD)
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(User)) == 4
        db.session.remove()
        downgrade(revision="base")
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_upgrading_a_database_with_visits_keeps_them_and_gives_the_default_window(make_app):
    app = make_app(create_tables=False)
    with app.app_context():
        upgrade(revision="0002_visits")
        begin_write()
        db.session.execute(text("INSERT INTO prisons (code, name, address, phone, email, "
                                "visiting_notes, archived) VALUES ('WSI', 'HMP W', '', '', '', "
                                "'', false)"))
        db.session.execute(text(
            "INSERT INTO visits (prison_id, date, title, purpose, contact_name, contact_role, "
            "contact_phone, contact_email, gate_list_deadline, status, notes, created_at) "
            "VALUES (1, '2027-03-31', 'Day', '', '', '', '', '', '2027-03-17', 'draft', '', "
            "'2027-01-01 10:00:00+00:00')"))
        db.session.commit()
        upgrade()
        window = db.session.execute(text(
            "SELECT title, eligible_from_days, eligible_to_days FROM visits")).one()
        assert tuple(window) == ("Day", 0, 90)



def test_upgrading_a_database_with_cohorts_gives_each_man_a_paper_form_reference(make_app):
    app = make_app(create_tables=False)
    with app.app_context():
        upgrade(revision="0004_directory")
        begin_write()
        db.session.execute(text("INSERT INTO prisons (code, name, address, phone, email, "
                                "visiting_notes, archived) VALUES ('WSI', 'HMP W', '', '', '', "
                                "'', false)"))
        db.session.execute(text(
            "INSERT INTO visits (prison_id, date, title, purpose, contact_name, contact_role, "
            "contact_phone, contact_email, gate_list_deadline, status, notes, created_at) "
            "VALUES (1, '2027-03-31', 'Day', '', '', '', '', '', '2027-03-17', 'draft', '', "
            "'2027-01-01 10:00:00+00:00')"))
        for number, public_id in (("A1234BC", "a" * 16), ("B2345CD", "b" * 16)):
            db.session.execute(text(
                "INSERT INTO people (public_id, prison_number, first_name, last_name, "
                "release_type, release_confirmed, location, release_area, interests, easy_read, "
                "large_print, interpreter_language, notes, created_at) VALUES (:public_id, "
                ":number, 'John', 'Fictional', 'CRD', false, '', '', '', false, false, '', '', "
                "'2027-01-01 10:00:00+00:00')"), {"public_id": public_id, "number": number})
            db.session.execute(text(
                "INSERT INTO cohort_members (public_id, visit_id, person_id, walk_in, added_at) "
                "SELECT :public_id, 1, id, false, '2027-01-02 10:00:00+00:00' FROM people "
                "WHERE prison_number = :number"), {"public_id": public_id, "number": number})
        db.session.commit()
        upgrade()
        rows = db.session.execute(text(
            "SELECT public_id, form_reference FROM cohort_members ORDER BY public_id")).all()
        assert [public_id for public_id, _ in rows] == ["a" * 16, "b" * 16]
        references = [reference for _, reference in rows]
        assert all(re.fullmatch(f"[{REFERENCE_ALPHABET}]{{6}}", ref) for ref in references)
        assert len(set(references)) == 2

def test_migrated_audit_trail_is_append_only(migrated_app):
    with migrated_app.app_context():
        begin_write()
        record("login")
        db.session.commit()
        for statement in ("UPDATE audit_events SET action = 'changed'", "DELETE FROM audit_events"):
            begin_write()
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.scalar(select(AuditEvent.action)) == "login"


def test_created_audit_trail_is_append_only(app_context):
    begin_write()
    record("login")
    db.session.commit()
    begin_write()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_events"))
    db.session.rollback()


def test_times_come_back_timezone_aware_in_utc(app_context):
    user = create_user("t@test.example", "T", "admin", PASSWORD)
    db.session.expire_all()
    created = db.session.get(User, user.id).created_at
    assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60


def test_naive_datetimes_are_refused(app_context):
    user = create_user("t@test.example", "T", "admin", PASSWORD)
    begin_write()
    user.created_at = datetime(2026, 1, 1)  # noqa: DTZ001  (the point of the test)
    with pytest.raises(Exception, match="naive datetime"):
        db.session.commit()
    db.session.rollback()


@pytest.fixture
def sqlite_app(make_app, tmp_path):
    """SQLite whatever the suite's database: these checks are about SQLite itself."""
    return make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'sqlite-only.sqlite'}")


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(sqlite_app):
    with sqlite_app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def concurrent_user_creation(app, threads: int = 8, each: int = 4) -> list[Exception]:
    """Several 'tablets' at once, each reading then writing in one transaction."""
    errors: list[Exception] = []
    start = threading.Barrier(threads)

    def tablet(number: int) -> None:
        with app.app_context():
            start.wait()
            for item in range(each):
                try:
                    create_user(f"t{number}-{item}@test.example", "T", "volunteer", PASSWORD)
                except Exception as error:  # noqa: BLE001  collected and reported below
                    errors.append(error)
                    db.session.rollback()
            db.session.remove()

    workers = [threading.Thread(target=tablet, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


def test_concurrent_writers_never_see_database_is_locked_on_sqlite(sqlite_app):
    errors = concurrent_user_creation(sqlite_app)
    assert errors == []
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 32


def test_concurrent_writers_on_the_suite_database(app):
    assert concurrent_user_creation(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 32


def test_a_write_without_writes_is_refused_and_changes_nothing(app_context):
    db.session.scalar(select(func.count()).select_from(User))  # a read transaction is open
    db.session.add(User(email="sneaky@test.example", display_name="S", role="volunteer",
                        password_hash="x"))
    with pytest.raises(ReadTransactionWrite):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(ReadTransactionWrite):
        db.session.execute(delete(AuditEvent))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_plain_inserts_are_refused_in_a_read_too(app_context):
    db.session.scalar(select(func.count()).select_from(User))  # a read transaction is open
    with pytest.raises(ReadTransactionWrite):
        write_connection()
    db.session.rollback()
    begin_write()
    record_all(None, [("test.written", "user", 1)])  # a plain INSERT through write_connection
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_writers_in_this_process_get_the_lock_in_the_order_they_asked():
    lock = _FairLock()
    assert lock.acquire(timeout=1)
    order = []

    def writer(number: int) -> None:
        assert lock.acquire(timeout=10)
        order.append(number)
        lock.release()

    writers = []
    for number in range(5):
        writers.append(threading.Thread(target=writer, args=(number,)))
        writers[-1].start()
        while len(lock._waiting) <= number:  # queued before the next one arrives
            time.sleep(0.001)
    assert lock.acquire(timeout=0.01) is False and len(lock._waiting) == 5  # gave up, left
    lock.release()
    for thread in writers:
        thread.join(timeout=10)
    assert order == [0, 1, 2, 3, 4]


def test_a_write_service_rolls_back_when_it_raises_and_joins_an_outer_one(app_context):
    @writes
    def add_then_refuse(email: str) -> None:
        db.session.add(User(email=email, display_name="R", role="volunteer", password_hash="x"))
        db.session.flush()
        raise DomainError("refused", "No")

    @writes
    def outer() -> None:
        record("outer.started")
        try:
            add_then_refuse("inner@test.example")
        except DomainError:
            pass  # the outer service decides: its own audit row still commits
        db.session.commit()

    with pytest.raises(DomainError):
        add_then_refuse("alone@test.example")
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    outer()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_only_writes_take_sqlites_write_lock(sqlite_app, tmp_path):
    other = sqlite3.connect(tmp_path / "sqlite-only.sqlite", timeout=0, isolation_level=None)
    with sqlite_app.app_context():
        try:
            db.session.scalar(select(func.count()).select_from(User))  # a read is open
            other.execute("BEGIN IMMEDIATE")  # another writer gets the lock at once
            other.execute("ROLLBACK")
            begin_write()
            with pytest.raises(sqlite3.OperationalError, match="locked"):  # not while we write
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
            db.session.rollback()


def chain_lock_holders(app) -> int:
    """How many other connections hold the audit chain's advisory lock (PostgreSQL)."""
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = 0 AND objid = :key AND pid <> pg_backend_pid()"),
            {"key": AUDIT_CHAIN_LOCK}).scalar_one()


def test_a_write_takes_the_chain_lock_before_its_first_row_lock(app):
    """On PostgreSQL the audit chain's lock is taken before a write's first statement that may
    lock rows (here a SELECT ... FOR UPDATE, with no audit row yet) and held to its end; reads,
    and the plain reads at the start of a write, take nothing. On SQLite, whose write lock is
    taken at BEGIN IMMEDIATE, no advisory-lock statement is ever sent."""
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        with app.app_context(), counting_statements() as statements:
            create_user("a@test.example", "A", "volunteer", PASSWORD)
        assert statements and not [sql for sql in statements if "advisory" in sql]
        return
    with app.app_context():
        create_user("a@test.example", "A", "volunteer", PASSWORD)
        db.session.scalar(select(func.count()).select_from(User))  # a read
        assert chain_lock_holders(app) == 0
        begin_write()
        db.session.scalar(select(func.count()).select_from(User))
        assert chain_lock_holders(app) == 0
        db.session.execute(select(User).with_for_update()).all()
        assert chain_lock_holders(app) == 1
        db.session.commit()
        assert chain_lock_holders(app) == 0
        begin_write()  # the next write takes it again, here at its INSERT
        db.session.add(User(email="b@test.example", display_name="B", role="volunteer",
                            password_hash="x"))
        db.session.flush()
        assert chain_lock_holders(app) == 1
        db.session.rollback()
        assert chain_lock_holders(app) == 0


def test_writers_locking_rows_around_audit_rows_do_not_deadlock(app):
    """One writer locks a row, then records; another records, then wants that row. Were the
    chain's lock first taken at the audit row, each would wait for the other (PostgreSQL ends
    one with a deadlock error); taken before each write's first row lock, the second waits its
    turn (on SQLite, for the write lock)."""
    with app.app_context():
        user_id = create_user("a@test.example", "A", "volunteer", PASSWORD).id
    has_row, recorded, errors = threading.Event(), threading.Event(), []

    def first() -> None:
        with app.app_context():
            begin_write()
            db.session.get(User, user_id, with_for_update=True)
            has_row.set()
            recorded.wait(timeout=1)  # with the fix the second is still waiting for its turn
            record("test.first", object_type="user", object_id=user_id)
            db.session.commit()

    def second() -> None:
        with app.app_context():
            has_row.wait(timeout=10)
            begin_write()
            record("test.second", object_type="user", object_id=user_id)
            db.session.flush()
            recorded.set()
            db.session.get(User, user_id, with_for_update=True)
            db.session.commit()

    def run(step) -> None:
        try:
            step()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(step,)) for step in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with app.app_context():
        assert list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("test.%")).order_by(AuditEvent.id))) == [
            "test.first", "test.second"]
