"""Tamper evidence for the audit trail: every row carries a hash chained to the row before it.

A row's ``chain_hash`` is SHA-256 over the previous row's hash and a canonical form of this
row's own fields (when, who, action, object, detail). Changing a row breaks its own hash;
removing one breaks the next row's, because that row was chained to the one now gone. The
triggers already refuse UPDATE and DELETE; the chain shows it if someone goes round them.

Writers take turns at the head of the chain: on SQLite every write transaction already holds
the write lock (``BEGIN IMMEDIATE``); on PostgreSQL every write transaction takes a
transaction-level advisory lock before its first statement that may lock rows
(inreach/database.py ``_take_turn``, so it never waits for it while holding row locks), held
until it commits. Reading the head takes
it again, which changes nothing inside that transaction and covers a write opened some other
way (a migration, a benchmark's own connection). Under that turn a row's time is
never earlier than the head's, so times never go down as ids go up (the date filters rely on
it).
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..database import AUDIT_CHAIN_LOCK, utcnow
from .models import AuditEvent

GENESIS = "0" * 64  # the "previous hash" of the first row
ADVISORY_LOCK = AUDIT_CHAIN_LOCK  # PostgreSQL advisory lock key: "the audit chain's head"
VERIFY_BATCH = 10_000
HEAD = (select(AuditEvent.chain_hash, AuditEvent.at).order_by(AuditEvent.id.desc()).limit(1))


def canonical(at: datetime, actor_id: int | None, action: str, object_type: str | None,
              object_id: str | None, detail: str | None) -> str:
    """The row's fields as one exact text, the same on SQLite and PostgreSQL and after a round
    trip through either (times in UTC to the microsecond)."""
    when = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps([when, actor_id, action, object_type, object_id, detail],
                      separators=(",", ":"), ensure_ascii=True)


def link(previous: str, at: datetime, actor_id: int | None, action: str,
         object_type: str | None, object_id: str | None, detail: str | None) -> str:
    """This row's chain hash, given the previous row's."""
    body = canonical(at, actor_id, action, object_type, object_id, detail)
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def take_head(connection: Connection) -> tuple[str, datetime | None]:
    """Wait for this transaction's turn at the chain (PostgreSQL: an advisory lock held until
    commit; SQLite's write transaction already holds it), then the head's hash and time."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    head = connection.execute(HEAD).first()
    if head is None:
        return GENESIS, None
    at = head.at if head.at.tzinfo else head.at.replace(tzinfo=UTC)
    return head.chain_hash, at


def next_time(head_at: datetime | None) -> datetime:
    """Now, or the head's time if the clock reads earlier, so times never go down."""
    now = utcnow()
    return max(now, head_at) if head_at else now


def chain_rows(connection: Connection, rows: list[dict]) -> list[dict]:
    """Give these new rows (dicts of the columns, in insert order) their time and chain hash,
    after the current head; returns them."""
    previous, head_at = take_head(connection)
    at = next_time(head_at)
    for row in rows:
        row["at"] = at
        previous = row["chain_hash"] = link(
            previous, at, row.get("actor_id"), row["action"], row.get("object_type"),
            row.get("object_id"), row.get("detail"))
    return rows


def chain_history(connection: Connection, rows: list[dict], older_allowed: bool = False
                  ) -> list[dict]:
    """Chain rows that already carry their own times (oldest first, times never going down),
    after the current head, which must be no newer than the first unless ``older_allowed``
    (then the trail's day filters may miss or include rows near those days): for loading
    history in bulk (benchmarks); returns them."""
    previous, head_at = take_head(connection)
    if rows and head_at and rows[0]["at"] < head_at and not older_allowed:
        raise ValueError("history must be newer than the trail's newest row")
    for row in rows:
        previous = row["chain_hash"] = link(
            previous, row["at"], row.get("actor_id"), row["action"], row.get("object_type"),
            row.get("object_id"), row.get("detail"))
    return rows


@event.listens_for(Session, "before_flush")
def _chain_new_events(session, flush_context, instances):
    """Chain the audit rows this flush inserts (``record()`` and any ``AuditEvent`` added to
    the session), in the order the flush inserts them."""
    new = sorted((item for item in session.new if isinstance(item, AuditEvent)),
                 key=lambda item: inspect(item).insert_order)
    if not new:
        return
    previous, head_at = take_head(session.connection())
    at = next_time(head_at)
    for item in new:
        item.at = at
        previous = item.chain_hash = link(previous, at, item.actor_id, item.action,
                                          item.object_type, item.object_id, item.detail)


@dataclass(frozen=True)
class Verdict:
    """What walking the chain found: how many rows, and the first broken link if any."""

    rows: int
    head: str
    broken_id: int | None = None
    broken_at: datetime | None = None

    @property
    def intact(self) -> bool:
        """Whether every row's hash matched."""
        return self.broken_id is None


def verify(connection: Connection) -> Verdict:
    """Walk the whole chain in id order, a batch at a time, and stop at the first row whose
    hash does not follow from the row before it."""
    previous, count = GENESIS, 0
    for row in _rows_in_order(connection):
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        expected = link(previous, at, row.actor_id, row.action, row.object_type,
                        row.object_id, row.detail)
        if expected != row.chain_hash:
            return Verdict(rows=count, head=previous, broken_id=row.id, broken_at=at)
        previous, count = row.chain_hash, count + 1
    return Verdict(rows=count, head=previous)


def _rows_in_order(connection: Connection) -> Iterator:
    """Every audit row in id order, read by key a batch at a time."""
    columns = AuditEvent.__table__.c
    last = -1
    while True:
        batch = connection.execute(select(columns).where(columns.id > last)
                                   .order_by(columns.id).limit(VERIFY_BATCH)).all()
        yield from batch
        if len(batch) < VERIFY_BATCH:
            return
        last = batch[-1].id
