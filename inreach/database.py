"""The database: one SQLAlchemy object, UTC times, and SQLite settings for concurrent tablets.

Transactions by intent:
- A request that only reads runs in a plain (deferred) transaction: on SQLite in WAL mode it
  never takes the write lock, so it neither waits for writers nor makes them wait.
- A service that writes says so: it is decorated ``@writes``. That ends any read the request
  had open and starts a transaction that, on SQLite, takes the write lock at once (``BEGIN
  IMMEDIATE``), so two writers queue instead of failing with "database is locked" when one
  tries to upgrade a read. The service changes objects on ``db.session`` and calls
  ``db.session.commit()`` once at the end; if it raises (a domain error), the transaction is
  rolled back. Views never commit. Keep write transactions short. (``begin_write()`` is the
  same start for code that is not a service: commands, test set-up.) On PostgreSQL a write
  transaction takes the audit chain's advisory lock before its first statement that may lock
  rows, so writers queue there before they hold any row lock (``_take_turn``).
- Writing inside a read transaction is refused (``ReadTransactionWrite``), on PostgreSQL too,
  so a forgotten ``@writes`` fails the tests instead of failing under load. Plain Core INSERTs
  (for rows that are only written, on a hot path) go through ``write_connection()``, which
  refuses the same way.
- A long read (an export, a PDF) loads what it needs, then calls ``end_read()`` before it
  renders, so it holds no connection while the CPU works.
"""

import functools
import re
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with constraint names that migrations can refer to."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
WRITE = "inreach_write"  # the execution option that marks a write transaction
# PostgreSQL advisory lock key of the audit trail's chain head (inreach/audit/chain.py). Every
# write transaction takes it first, before any row lock, so writers always lock in one order.
AUDIT_CHAIN_LOCK = 0x1A0D17


class ReadTransactionWrite(RuntimeError):
    """Something tried to change the database without ``begin_write()`` first (a bug)."""


def begin_write() -> None:
    """Start this service's write transaction (see the module docstring); nothing if one is
    already open."""
    session = db.session()
    if _writing(session):
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise ReadTransactionWrite("objects were changed before the write began: make the "
                                       "function that changes them a @writes service")
        session.rollback()  # the read so far changed nothing: writes there are refused
    session.connection(execution_options={WRITE: True})


def writes(service):
    """Mark a service that changes data: it runs in a write transaction (``begin_write()``),
    rolled back if it raises. Inside another write service it simply joins that one."""

    @functools.wraps(service)
    def in_write_transaction(*args, **kwargs):
        outermost = not _writing(db.session())
        begin_write()
        try:
            return service(*args, **kwargs)
        except BaseException:
            if outermost:
                db.session.rollback()
            raise

    return in_write_transaction


def write_connection() -> Connection:
    """The write transaction's connection, for plain Core INSERTs of rows that are only written
    (cheaper than the ORM's bulk path); refused outside a write, like any other write. Pending
    ORM changes are flushed first, so statements still run in the order they were written."""
    session = db.session()
    _refuse_unless_writing(session, "a write statement")
    session.flush()
    return session.connection()


def end_read() -> None:
    """Finish a read and give the connection back, before slow work on what it loaded."""
    db.session.commit()


def _writing(session: Session) -> bool:
    """Whether the session's transaction was opened with ``begin_write()``."""
    return session.in_transaction() and bool(
        session.connection().get_execution_options().get(WRITE))


def _refuse_unless_writing(session: Session, what: str) -> None:
    """Raise ReadTransactionWrite unless the session is in a write transaction."""
    if not _writing(session):
        raise ReadTransactionWrite(f"{what} in a read transaction: call "
                                   "inreach.database.begin_write() first")


@event.listens_for(Session, "before_flush")
def _refuse_flush_in_read(session, flush_context, instances):
    """ORM changes need a write transaction."""
    _refuse_unless_writing(session, "changes flushed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_statement_in_read(state):
    """INSERT, UPDATE and DELETE statements need a write transaction."""
    if state.is_insert or state.is_update or state.is_delete:
        _refuse_unless_writing(state.session, "a write statement")


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    """Collect the SQL statements sent on this app's engine inside the block (tests and
    benchmarks use it to keep a page's query count flat)."""
    statements: list[str] = []

    def count(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def one_of(column: str, values) -> str:
    """A CHECK expression limiting a column to the given values."""
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use inreach.database.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def render_migration_type(type_, obj, autogen_context):
    """Write UTCDateTime into migrations as a plain timezone-aware DateTime."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """Turn on WAL and foreign keys, and let SQLAlchemy emit BEGIN itself."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    # Deleted and overwritten content is zeroed, so purged personal data does not linger in
    # free pages or free space inside pages (inreach.privacy.purge).
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


# Transactions in this process queue on a lock before asking SQLite for its write lock.
# SQLite's busy handler polls with sleeps of up to 100 ms, so under load an unlucky request can
# lose the race for seconds; a thread waiting here wakes as soon as the lock is free, and in
# turn. (Other processes still queue on SQLite's own lock.) After this long a transaction goes
# ahead anyway, so a forgotten lock can only slow requests down, never stop them.
_WRITER_WAIT_SECONDS = 15


class _FairLock:
    """A lock granted in the order it was asked for. A plain ``threading.Lock`` lets a thread
    that has just arrived take it ahead of those already waiting: with 15 tablets saving, the
    slowest saves waited twice as long as the median (p95 150 ms against p50 77 ms); taken in
    turn, p95 was 85-95 ms at the same median (``benchmarks.referral_saves``)."""

    def __init__(self):
        self._guard = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        """Wait for the lock (at most timeout seconds); whether it was granted."""
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        if turn.acquire(timeout=timeout):
            return True
        with self._guard:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return False
        return True  # handed over just as the wait ran out

    def release(self) -> None:
        """Hand the lock to the longest waiter, or free it."""
        with self._guard:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False


_WRITER_LOCKS: dict[str, _FairLock] = {}


@event.listens_for(Engine, "begin")
def _begin(connection):
    """Begin a read as SQLite's deferred BEGIN, a write with its write lock taken at once."""
    if connection.dialect.name != "sqlite":
        return
    if not connection.get_execution_options().get(WRITE):
        connection.exec_driver_sql("BEGIN")
        return
    lock = _WRITER_LOCKS.setdefault(str(connection.engine.url), _FairLock())
    if lock.acquire(timeout=_WRITER_WAIT_SECONDS):
        connection.info["writer_lock"] = lock
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except Exception:
        _release_writer_lock(connection.info)
        raise


# A statement that may lock rows: anything but a plain SELECT (one without FOR UPDATE/SHARE).
_PLAIN_READ = re.compile(
    r"\s*SELECT\b(?!.*\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|SHARE|KEY\s+SHARE)\b)", re.I | re.S)
_CHAIN_TURN = "audit_chain_turn"  # in the connection's info while its transaction holds it


@event.listens_for(Engine, "before_cursor_execute")
def _take_turn(connection, cursor, statement, parameters, context, executemany):
    """On PostgreSQL, a write transaction takes the audit chain's advisory lock (held until it
    commits or rolls back) just before its first statement that may lock rows: an INSERT,
    UPDATE or DELETE, or a SELECT ... FOR UPDATE. Almost every write records an audit row, and
    the chain lets one writer at a time at its head. Taken at the first audit row instead, a
    writer could hold row locks while it waits for the chain, and another could hold the chain
    while it waits for those rows: a deadlock. Taken first, the order never varies. The plain
    reads before it (read committed: they lock no rows) still run side by side; taking it at
    BEGIN instead cost 30-45% of referral saves a second (``benchmarks.referral_saves``)."""
    if (connection.dialect.name != "postgresql" or connection.info.get(_CHAIN_TURN)
            or not connection.get_execution_options().get(WRITE)
            or _PLAIN_READ.match(statement)):
        return
    with cursor.connection.cursor() as lock:
        lock.execute(f"SELECT pg_advisory_xact_lock({AUDIT_CHAIN_LOCK})")
    connection.info[_CHAIN_TURN] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(connection):
    """Let the next transaction in this process start."""
    _release_writer_lock(connection.info)


@event.listens_for(Pool, "checkin")
def _connection_returned(dbapi_connection, connection_record):
    """A connection back in the pool holds no transaction, so no lock either."""
    _release_writer_lock(connection_record.info)


def _release_writer_lock(info: dict) -> None:
    """Release the writer lock this connection holds, if any (and forget its turn at the audit
    chain: PostgreSQL ends it with the transaction)."""
    info.pop(_CHAIN_TURN, None)
    lock = info.pop("writer_lock", None)
    if lock is not None:
        lock.release()
