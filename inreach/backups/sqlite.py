"""SQLite backups through its online backup API, which copies a consistent moment of the live
file while others read and write it, and restores into the live file the same way (other
processes' connections see the restored data; no file is swapped under them)."""

import sqlite3
from contextlib import closing
from pathlib import Path

from flask import current_app

from ..errors import DomainError
from . import not_a_backup

MAGIC = b"SQLite format 3\x00"


def live_file(url) -> Path:
    """The live database's file; an in-memory database has none to back up."""
    if not url.database or url.database == ":memory:":
        raise DomainError("backup_unsupported", "An in-memory database cannot be backed up.")
    return Path(url.database)


def write_backup(url, temp: Path) -> None:
    """Copy the live database into the (empty, owner-only) file at temp, in one step so the
    copy is one moment; the copy is a single file (rollback journal, not WAL)."""
    with closing(_connect(live_file(url))) as source, closing(_connect(temp)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")


def backup_revision(path: Path, url) -> str:
    """Refuse a file that is not an inreach SQLite backup; returns its schema revision."""
    with open(path, "rb") as handle:
        start = handle.read(len(MAGIC))
    if start != MAGIC:
        if start.startswith(b"PGDMP"):
            raise not_a_backup("It is a PostgreSQL backup, and this inreach uses SQLite.")
        raise not_a_backup("It is not an SQLite database.")
    if path.resolve() == live_file(url).resolve():
        raise not_a_backup("It is the live database itself.")
    try:
        with closing(_read_only(path)) as copy:
            if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise not_a_backup("The file is damaged.")
            rows = copy.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as error:
        raise not_a_backup("It has no inreach schema version.") from error
    if len(rows) != 1:
        raise not_a_backup("It has no inreach schema version.")
    return rows[0][0]


def refuse_unreplaceable(path: Path, url, revision: str) -> None:
    """Nothing to refuse: a restore replaces the whole file, every table with it."""


def restore_backup(path: Path, url) -> None:
    """Copy the backup over the live database with the backup API (it waits its turn for the
    write lock like any writer)."""
    with closing(_read_only(path)) as backup, closing(_connect(live_file(url))) as live:
        backup.backup(live)


def _connect(path: Path) -> sqlite3.Connection:
    """A plain connection that waits for locks as long as the app's does."""
    return sqlite3.connect(path, timeout=current_app.config["SQLITE_BUSY_TIMEOUT_SECONDS"],
                           isolation_level=None)


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to a backup file."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)

