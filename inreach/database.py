"""The database: one SQLAlchemy object, UTC times, and SQLite settings for concurrent tablets.

Transaction boundary: a service function owns its transaction. It changes objects on
``db.session`` and calls ``db.session.commit()`` once at the end, or raises a domain error
after ``db.session.rollback()``; views never commit. On SQLite every transaction starts with
``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing with
"database is locked" when one tries to upgrade a read lock.
"""

import sqlite3
import threading
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
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
    cursor.close()


# Transactions in this process queue on a lock before asking SQLite for its write lock.
# SQLite's busy handler polls with sleeps of up to 100 ms, so under load an unlucky request can
# lose the race for seconds; a thread waiting here wakes as soon as the lock is free. (Other
# processes still queue on SQLite's own lock.) After this long a transaction goes ahead anyway,
# so a forgotten lock can only slow requests down, never stop them.
_WRITER_LOCKS: dict[str, threading.Lock] = {}
_WRITER_WAIT_SECONDS = 15


@event.listens_for(Engine, "begin")
def _begin_immediate(connection):
    """Take SQLite's write lock at the start of each transaction (see module docstring)."""
    if connection.dialect.name != "sqlite":
        return
    lock = _WRITER_LOCKS.setdefault(str(connection.engine.url), threading.Lock())
    if lock.acquire(timeout=_WRITER_WAIT_SECONDS):
        connection.info["writer_lock"] = lock
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except Exception:
        _release_writer_lock(connection.info)
        raise


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
    """Release the writer lock this connection holds, if any."""
    lock = info.pop("writer_lock", None)
    if lock is not None:
        lock.release()
