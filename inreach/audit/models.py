"""The audit trail: append-only rows of who did what to which object, never names."""

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, utcnow


class AuditEvent(db.Model):
    """One action: who (user id), when, what, on which object type and id, and the hash that
    chains it to the row before (inreach/audit/chain.py)."""

    __tablename__ = "audit_events"
    # The trail's filters, each newest first by id without a sort (inreach/audit/services.py).
    __table_args__ = (
        Index("ix_audit_events_actor_id_id", "actor_id", "id"),
        Index("ix_audit_events_action_id", "action", "id"),
        Index("ix_audit_events_object_type_id", "object_type", "id"),
        Index("ix_audit_events_object", "object_type", "object_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(200))
    chain_hash: Mapped[str] = mapped_column(String(64))

    actor = relationship("User", lazy="joined")


# The database itself refuses to change or remove an audit row (the migration adds the same).
SQLITE_APPEND_ONLY = [
    DDL(
        f"CREATE TRIGGER audit_events_no_{verb} BEFORE {verb.upper()} ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
    )
    for verb in ("update", "delete")
]
POSTGRES_APPEND_ONLY = [
    DDL(
        "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$"
    ),
    DDL(
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
    ),
]
for statement in SQLITE_APPEND_ONLY:
    event.listen(AuditEvent.__table__, "after_create", statement.execute_if(dialect="sqlite"))
for statement in POSTGRES_APPEND_ONLY:
    event.listen(AuditEvent.__table__, "after_create", statement.execute_if(dialect="postgresql"))
