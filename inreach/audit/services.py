"""Writing and reading the audit trail. Recording joins the caller's transaction; every row is
chained to the one before it (inreach/audit/chain.py)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import false, insert, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..database import db, write_connection, writes
from ..paging import KeysetPage, keyset
from ..printing.spreadsheet import csv_download, csv_text
from . import chain
from .models import AuditEvent
from .vocabulary import object_words, sentence

PAGE_SIZE = 100
EXPORT_BATCH = 2_000
NEW_EVENTS = insert(AuditEvent)  # built once: services that write many rows call record_all


def record(action: str, actor_id: int | None = None, object_type: str | None = None,
           object_id: object = None, detail: str | None = None) -> AuditEvent:
    """Add an audit row to the current transaction; the calling service commits it. Its time
    and chain hash are given when it is flushed (chain.py)."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
    )
    db.session.add(event)
    return event


def record_all(actor_id: int | None, rows: list[tuple[str, str, object]]) -> None:
    """Add several audit rows, each (action, object type, object id), in one INSERT, chained
    in the order given."""
    if rows:
        connection = write_connection()
        connection.execute(NEW_EVENTS, chain.chain_rows(connection, [
            {"actor_id": actor_id, "action": action, "object_type": object_type,
             "object_id": str(object_id), "detail": None}
            for action, object_type, object_id in rows]))


# --- reading: the filters, a page, the export ---------------------------------------------------

@dataclass(frozen=True)
class TrailFilter:
    """Which rows of the trail to show: by whom, which action, which object (type, and id
    within it) and between which days (UTC, both included). Blank means any."""

    actor_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    start: date | None = None
    end: date | None = None

    def args(self) -> dict:
        """The filter as page address arguments (ids, codes and dates only)."""
        chosen = {"user": self.actor_id, "action": self.action, "type": self.object_type,
                  "object": self.object_id, "start": self.start and self.start.isoformat(),
                  "end": self.end and self.end.isoformat()}
        return {name: value for name, value in chosen.items() if value}

    def summary(self) -> str:
        """The filter for the audit row of an export (ids, codes and dates, no names)."""
        return (" ".join(f"{name}={value}" for name, value in self.args().items())
                or "everything")[:200]


def filtered(query, chosen: TrailFilter, session=None):
    """The query narrowed to the filter's rows. Each filter has an index that walks its rows
    newest first by id; days become a range of ids, as times never go down while ids go up."""
    if chosen.actor_id is not None:
        query = query.where(AuditEvent.actor_id == chosen.actor_id)
    if chosen.action:
        query = query.where(AuditEvent.action == chosen.action)
    if chosen.object_type:
        query = query.where(AuditEvent.object_type == chosen.object_type)
    if chosen.object_id:
        query = query.where(AuditEvent.object_id == chosen.object_id)
    if chosen.start or chosen.end:
        query = _days(query, chosen.start, chosen.end, session or db.session)
    return query


def _days(query, start: date | None, end: date | None, session):
    """The query limited to rows from the start of one day to the end of another (UTC), as a
    range of ids found by two lookups on the time index."""
    if start:
        first = session.scalar(select(AuditEvent.id).where(AuditEvent.at >= _midnight(start))
                               .order_by(AuditEvent.at, AuditEvent.id).limit(1))
        query = query.where(AuditEvent.id >= first) if first is not None else query.where(false())
    if end:
        before = _midnight(end + timedelta(days=1))
        last = session.scalar(select(AuditEvent.id).where(AuditEvent.at < before)
                              .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1))
        query = query.where(AuditEvent.id <= last) if last is not None else query.where(false())
    return query


def _midnight(day: date) -> datetime:
    """The start of the day in UTC."""
    return datetime.combine(day, time(), UTC)


def recent(size: int = PAGE_SIZE, older_than: int | None = None,
           newer_than: int | None = None, chosen: TrailFilter = TrailFilter()) -> KeysetPage:
    """A page of the trail (filtered if asked), newest first: the newest rows, or those just
    older or newer than a row id already shown. Paged by id, not OFFSET, so a page deep in a
    year of rows costs what the first does."""
    return keyset(filtered(select(AuditEvent), chosen), AuditEvent.id, size, older_than,
                  newer_than)


def user_choices() -> list[tuple[int, str]]:
    """Every user as (id, "name (email)"), by name, for the filter's drop-down."""
    return [(user_id, f"{name} ({email})") for user_id, name, email in db.session.execute(
        select(User.id, User.display_name, User.email).order_by(User.display_name, User.id))]


@writes
def record_export(actor_id: int, chosen: TrailFilter) -> None:
    """Audit and commit that this person downloaded the trail with this filter."""
    record("audit.exported", actor_id, detail=chosen.summary())
    db.session.commit()


EXPORT_HEADER = ["Row", "When (UTC)", "What happened", "User id", "User email", "Action code",
                 "Object", "Object type", "Object id", "Detail", "Chain hash"]


def export_chunks(chosen: TrailFilter) -> Iterator[bytes]:
    """The filtered trail as CSV (``printing.spreadsheet``: every cell made safe for a
    spreadsheet, UTF-8 with a byte-order mark at the start only), a batch of rows to a chunk,
    for a streamed download."""
    for number, rows in enumerate(_export_batches(chosen)):
        text = csv_text(rows)
        yield csv_download(text) if number == 0 else text.encode("utf-8")


EXPORT_COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.actor_id,
                  User.display_name, User.email, AuditEvent.object_type, AuditEvent.object_id,
                  AuditEvent.detail, AuditEvent.chain_hash)


def _export_batches(chosen: TrailFilter) -> Iterator[list[list[str]]]:
    """The header, then the filtered trail's rows as text, newest first, a batch at a time.
    Each batch is its own short read on its own session, so a download of a million rows
    holds no connection while it is written and no more than one batch in memory."""
    yield [EXPORT_HEADER]
    older_than = None
    while True:
        with Session(db.engine) as session:
            query = filtered(select(*EXPORT_COLUMNS).outerjoin(
                User, AuditEvent.actor_id == User.id), chosen, session)
            if older_than is not None:
                query = query.where(AuditEvent.id < older_than)
            batch = session.execute(query.order_by(AuditEvent.id.desc())
                                    .limit(EXPORT_BATCH)).all()
        yield [[str(row.id), row.at.strftime("%Y-%m-%d %H:%M:%S"),
                sentence(row.action, row.display_name), _text(row.actor_id), row.email or "",
                row.action, object_words(row.object_type, row.object_id),
                row.object_type or "", row.object_id or "", row.detail or "", row.chain_hash]
               for row in batch]
        if len(batch) < EXPORT_BATCH:
            return
        older_than = batch[-1].id


def _text(value) -> str:
    """A cell's text: blank for nothing."""
    return "" if value is None else str(value)
