"""Backups of the whole database, their restore, and keeping them BACKUP_KEEP_DAYS.

- A backup is a consistent copy taken while inreach is in use: SQLite's online backup API
  (one step inside a read transaction, so writers carry on and the copy is one moment), or
  PostgreSQL's ``pg_dump --format=custom`` (one snapshot).
- Files go to BACKUP_DIR (None: instance/backups), a folder created owner-only (0700), each file
  owner-only (0600) and named by the time only: ``inreach-20261130T021500Z.sqlite`` or
  ``.pgdump``. A backup is written under a temporary name in that folder and renamed when
  complete, so a failure leaves no half-written backup.
- A restore first checks the file (a backup of this kind of database, from a schema this code
  knows), saves the current database as a backup of its own, then puts the file back and brings
  its schema up to date. Every backup, restore and deletion leaves an audit row (file names
  only: they hold no personal data).
- A restore keeps the erasures made since the backup was taken: before the database is
  replaced it notes the men whose details were erased or purged (by their opaque public ids,
  which the purge keeps and no two men share); afterwards each of them the backup still holds
  unerased is erased again through the purge's own path (``erase_person``), then the retention
  purge runs for today.
"""

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect, select

from ..accounts.services import Actor
from ..audit.services import record
from ..cohorts.models import Person
from ..database import db, utcnow, writes
from ..errors import DomainError
from ..privacy import purge
from . import postgres, sqlite

NAME = re.compile(r"inreach-(?P<stamp>\d{8}T\d{6}Z)(?:-\d+)?\.(?P<suffix>sqlite|pgdump)")
STAMP = "%Y%m%dT%H%M%SZ"
KINDS = {"sqlite": sqlite, "postgresql": postgres}
SUFFIXES = {"sqlite": "sqlite", "postgresql": "pgdump"}
CHUNK = 500  # public ids per IN (...) list
# Who erases again after a restore, and why (a code from inreach.privacy.reasons "erase"): no
# person, the restore itself; the erasure was owed already, so keeping it is a legal duty.
RESTORE_ACTOR = Actor(None, "system")
ERASE_AGAIN_REASON = "legal_duty"


@dataclass
class Restored:
    """What a restore did: the file put back, the backup of what it replaced, its schema."""

    path: Path
    saved_first: Path
    revision: str
    upgraded: bool
    erased_again: int  # men erased since the backup was taken, whom it held unerased
    purged: purge.Counts  # the retention purge run for today after it


def backup_dir() -> Path:
    """The folder backups go to: BACKUP_DIR, or instance/backups."""
    configured = current_app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def backup(now: datetime | None = None) -> Path:
    """Write a consistent copy of the database to the backup folder; returns its path."""
    kind = _kind()
    url = db.engine.url
    db.session.remove()  # hold no transaction (or SQLite lock) while the copy is taken
    path = _write_atomically(SUFFIXES[kind], now or utcnow(),
                             lambda temp: KINDS[kind].write_backup(url, temp))
    _audit([("backup.written", path.name, None)])
    return path


def check_backup(path: Path) -> str:
    """Refuse a file that cannot be restored here; returns the schema revision it holds."""
    path = Path(path)
    if not path.is_file():
        raise DomainError("backup_missing", f"There is no backup file at {path}. Nothing was "
                          "changed.", "file")
    kind = _kind()
    revision = KINDS[kind].backup_revision(path, db.engine.url)
    if revision not in known_revisions():
        raise DomainError("backup_too_new", f"This backup's database schema ({revision}) is "
                          "newer than this version of inreach knows. Upgrade inreach, then "
                          "restore it. Nothing was changed.", "file")
    KINDS[kind].refuse_unreplaceable(path, db.engine.url, revision)
    return revision


def restore(path: Path, revision: str | None = None) -> Restored:
    """Put a backup back in place of the whole database, after saving the current one as a
    backup; then upgrade its schema if it is older than this code's, erase again the men erased
    since it was taken and run the retention purge for today. ``revision`` is what
    check_backup just returned for this file, if the caller checked it first (to ask)."""
    path = Path(path)
    revision = revision or check_backup(path)
    erased = _erased_men()
    saved_first = backup()
    kind = _kind()
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()  # our own connections must not hold locks the restore waits for
    KINDS[kind].restore_backup(path, url)
    db.engine.dispose()
    upgraded = revision not in _script().get_heads()
    if upgraded:
        _upgrade(path, saved_first)
    again = _held_unerased(erased)
    _audit([("backup.restored", path.name, f"saved first as {saved_first.name}; men erased "
             f"since it was taken, erased again: {len(again)}")])
    _erase_again(again, path, saved_first)
    return Restored(path, saved_first, revision, upgraded, len(again), _purge_today(path))


def _erased_men() -> set[str]:
    """The public ids of the men whose details are erased or purged in the database as it is
    (read before a restore replaces it). A schema downgraded below the purge's ``purged_at``
    (to restore an older PostgreSQL backup) still shows them by the placeholder prison number
    the purge gave them, which no real one can look like."""
    inspector = inspect(db.engine)
    if not inspector.has_table(Person.__tablename__):
        return set()
    columns = {column["name"] for column in inspector.get_columns(Person.__tablename__)}
    erased = (Person.purged_at.is_not(None) if "purged_at" in columns
              else Person.prison_number.like("~%"))
    men = set(db.session.scalars(select(Person.public_id).where(erased)))
    db.session.remove()
    return men


def _held_unerased(erased: set[str]) -> list[int]:
    """Of these men (public ids), the row ids of those the restored database holds unerased:
    the men erased after its backup was taken."""
    public_ids, ids = sorted(erased), []
    for start in range(0, len(public_ids), CHUNK):
        ids += db.session.scalars(select(Person.id).where(
            Person.public_id.in_(public_ids[start:start + CHUNK]), Person.purged_at.is_(None)))
    db.session.remove()
    return sorted(ids)


def _erase_again(person_ids: list[int], path: Path, saved_first: Path) -> None:
    """Erase these men again through the purge's own path (each audited); if that fails, say
    how to put the database back as it was, where they are erased."""
    try:
        for person_id in person_ids:
            _erase_one(person_id)
    except Exception as error:
        current_app.logger.exception("Erasing men again after a restore failed")
        raise DomainError("restore_erase_failed", f"{path.name} was restored, but erasing again "
                          "the men erased since it was taken failed (the log says why), so "
                          "their details are back. Do not start inreach: restore "
                          f"{saved_first.name} to put the database back as it was.") from error


def _erase_one(person_id: int) -> None:
    """Erase one man again (nothing if someone erased him meanwhile)."""
    try:
        purge.erase_person(person_id, ERASE_AGAIN_REASON, RESTORE_ACTOR)
    except DomainError as error:
        if error.code != "already_erased":
            raise


def _purge_today(path: Path) -> purge.Counts:
    """The retention purge for today, on the restored database (it may hold men whose time
    has come since the backup was taken)."""
    try:
        return purge.run(dry_run=False)
    except Exception as error:
        current_app.logger.exception("The retention purge after a restore failed")
        raise DomainError("restore_purge_failed", f"{path.name} was restored and the men erased "
                          "since it was taken were erased again, but the retention purge failed "
                          "(the log says why). Run `flask --app inreach purge --run` before "
                          "starting inreach.") from error


def _upgrade(path: Path, saved_first: Path) -> None:
    """Bring a restored older schema up to this code's (the migrations), or say what to do."""
    try:
        command.upgrade(_alembic_config(), "head")
    except Exception as error:
        current_app.logger.exception("Upgrading the restored database failed")
        message = (f"{path.name} was restored, but bringing its schema up to date failed (the "
                   "log says why), so the men erased since it was taken have not been erased "
                   f"again. Do not start inreach: restore {saved_first.name} to put the "
                   "database back as it was.")
        raise DomainError("restore_upgrade_failed", message) from error


def expire(now: datetime | None = None) -> list[Path]:
    """Delete the backups (and only them) older than BACKUP_KEEP_DAYS; returns what went."""
    keep = int(current_app.config["BACKUP_KEEP_DAYS"])
    if keep < 1:
        raise DomainError("bad_keep_days", "BACKUP_KEEP_DAYS must be 1 or more, or every backup "
                          "would be deleted. No backup was deleted.")
    folder = backup_dir()
    if not folder.is_dir():
        return []
    oldest = (now or utcnow()) - timedelta(days=keep)
    deleted = []
    for path in sorted(folder.iterdir()):
        taken = taken_at(path.name)
        if taken is not None and taken < oldest and path.is_file():
            path.unlink()
            deleted.append(path)
    if deleted:
        _audit([("backup.deleted", path.name, None) for path in deleted])
    return deleted


def run_daily() -> tuple[Path, list[Path]]:
    """The daily job: write a backup, then delete those past BACKUP_KEEP_DAYS (only once the
    new one is safely written)."""
    written = backup()
    return written, expire()


def taken_at(name: str) -> datetime | None:
    """When a backup file with this name was taken, or None if it is not a backup's name."""
    match = NAME.fullmatch(name)
    if match is None:
        return None
    return datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)


def known_revisions() -> set[str]:
    """Every schema revision this code's migrations know."""
    return {script.revision for script in _script().walk_revisions()}


def _script() -> ScriptDirectory:
    """This code's migrations."""
    return ScriptDirectory.from_config(_alembic_config())


def _alembic_config():
    """Alembic's configuration for this app's migrations folder."""
    return current_app.extensions["migrate"].migrate.get_config()


def _kind() -> str:
    """Which database this is ("sqlite" or "postgresql"); refuses any other."""
    name = db.engine.dialect.name
    if name not in KINDS:
        raise DomainError("backup_unsupported", f"Backups of {name} databases are not "
                          "supported.")
    return name


def _ready_folder() -> Path:
    """The backup folder, created owner-only (0700) if it is not there yet."""
    folder = backup_dir()
    if not folder.is_dir():
        try:
            folder.mkdir(parents=True, mode=0o700)
            folder.chmod(0o700)
        except OSError as error:
            raise _unwritable(folder, error) from error
    return folder


def _write_atomically(suffix: str, now: datetime, write) -> Path:
    """Write a backup under a temporary owner-only name in the folder, then give it its name
    (never replacing another); on any failure the temporary file is removed."""
    folder = _ready_folder()
    stem = f"inreach-{now.astimezone(UTC).strftime(STAMP)}"
    temp = folder / f".{stem}.{suffix}.partial"
    try:
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise _unwritable(folder, error) from error
    try:
        os.fchmod(descriptor, 0o600)
        os.close(descriptor)
        write(temp)
        with open(temp, "rb") as written:
            os.fsync(written.fileno())
        return _link_free_name(temp, folder, stem, suffix)
    finally:
        temp.unlink(missing_ok=True)


def _link_free_name(temp: Path, folder: Path, stem: str, suffix: str) -> Path:
    """Give the finished file its name, adding -2, -3… if a backup took that second already."""
    for number in range(1, 100):
        path = folder / (f"{stem}.{suffix}" if number == 1 else f"{stem}-{number}.{suffix}")
        try:
            os.link(temp, path)
        except FileExistsError:
            continue
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)  # the new name survives a power cut too
        finally:
            os.close(directory)
        return path
    raise DomainError("backup_name_taken", "Too many backups were taken in the same second.")


def _unwritable(folder: Path, error: OSError) -> DomainError:
    """The refusal for a backup folder inreach cannot write to."""
    return DomainError("backup_dir_unwritable", f"The backup folder {folder} cannot be written "
                       f"to ({error.strerror or error}). Set BACKUP_DIR to a folder this user "
                       "can write to. No backup was written.")


@writes
def _audit(rows: list[tuple[str, str, str | None]]) -> None:
    """Record backup actions, each with the file's name (a time, no personal data) and any
    detail."""
    for action, name, detail in rows:
        record(action, object_type="backup", object_id=name, detail=detail)
    db.session.commit()
