"""The audit trail's hash chain and the indexes its filters use: each row gets ``chain_hash``
(SHA-256 over the previous row's hash and this row's fields, inreach/audit/chain.py), computed
here for the rows already there; the append-only triggers are dropped while that is written and
then put back.

Revision ID: 0009_audit_chain
Revises: 0008_followup
Create Date: 2026-11-30 01:30:00

"""
from datetime import UTC

import sqlalchemy as sa
from alembic import op

from inreach.audit.chain import GENESIS, link

# revision identifiers, used by Alembic.
revision = '0009_audit_chain'
down_revision = '0008_followup'
branch_labels = None
depends_on = None

BATCH = 5_000
NEW_INDEXES = [("ix_audit_events_actor_id_id", ["actor_id", "id"]),
               ("ix_audit_events_action_id", ["action", "id"]),
               ("ix_audit_events_object_type_id", ["object_type", "id"]),
               ("ix_audit_events_object", ["object_type", "object_id", "id"])]
OLD_INDEXES = [("ix_audit_events_action", ["action"]), ("ix_audit_events_actor_id", ["actor_id"])]
EVENTS = sa.table("audit_events", sa.column("id", sa.Integer), sa.column(
    "at", sa.DateTime(timezone=True)), sa.column("actor_id", sa.Integer), sa.column(
    "action", sa.String), sa.column("object_type", sa.String), sa.column(
    "object_id", sa.String), sa.column("detail", sa.String), sa.column("chain_hash", sa.String))


def drop_append_only():
    """Let the rows be written for a moment (as 0001 made them, dropped)."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{verb}")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")


def restore_append_only():
    """The database refuses to change or remove an audit row again (as in 0001)."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb} BEFORE {verb.upper()} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )
    elif op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def chain_existing_rows():
    """Compute every existing row's chain hash, oldest first, a batch at a time."""
    bind = op.get_bind()
    update = EVENTS.update().where(EVENTS.c.id == sa.bindparam("row_id")).values(
        chain_hash=sa.bindparam("hash"))
    previous, last = GENESIS, -1
    while True:
        rows = bind.execute(sa.select(EVENTS).where(EVENTS.c.id > last).order_by(EVENTS.c.id)
                            .limit(BATCH)).all()
        if not rows:
            return
        hashes = []
        for row in rows:
            at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
            previous = link(previous, at, row.actor_id, row.action, row.object_type,
                            row.object_id, row.detail)
            hashes.append({"row_id": row.id, "hash": previous})
        bind.execute(update, hashes)
        last = rows[-1].id


def upgrade():
    drop_append_only()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))
    chain_existing_rows()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('chain_hash', existing_type=sa.String(length=64), nullable=False)
        for name, _ in OLD_INDEXES:
            batch_op.drop_index(name)
        for name, columns in NEW_INDEXES:
            batch_op.create_index(name, columns, unique=False)
    restore_append_only()


def downgrade():
    drop_append_only()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        for name, _ in NEW_INDEXES:
            batch_op.drop_index(name)
        for name, columns in OLD_INDEXES:
            batch_op.create_index(name, columns, unique=False)
        batch_op.drop_column('chain_hash')
    restore_append_only()
