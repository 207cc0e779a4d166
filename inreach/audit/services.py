"""Writing and reading the audit trail. Recording joins the caller's transaction."""

from sqlalchemy import select

from ..database import db
from .models import AuditEvent


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


def recent(limit: int = 200, offset: int = 0) -> list[AuditEvent]:
    """The newest audit rows first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
    return list(db.session.scalars(query))
