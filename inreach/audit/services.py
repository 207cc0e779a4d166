"""Writing and reading the audit trail. Recording joins the caller's transaction."""

from sqlalchemy import insert, select

from ..database import db, write_connection
from ..paging import KeysetPage, keyset
from .models import AuditEvent

PAGE_SIZE = 100
NEW_EVENTS = insert(AuditEvent)  # built once: services that write many rows call record_all


def record(action: str, actor_id: int | None = None, object_type: str | None = None,
           object_id: object = None, detail: str | None = None) -> AuditEvent:
    """Add an audit row to the current transaction; the calling service commits it."""
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
    """Add several audit rows, each (action, object type, object id), in one INSERT."""
    if rows:
        write_connection().execute(NEW_EVENTS, [
            {"actor_id": actor_id, "action": action, "object_type": object_type,
             "object_id": str(object_id)} for action, object_type, object_id in rows])


def recent(size: int = PAGE_SIZE, older_than: int | None = None,
           newer_than: int | None = None) -> KeysetPage:
    """A page of the trail, newest first: the newest rows, or those just older or newer than a
    row id already shown. Paged by id, not OFFSET, so a page deep in a year of rows costs what
    the first does."""
    return keyset(select(AuditEvent), AuditEvent.id, size, older_than, newer_than)
