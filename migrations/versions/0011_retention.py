"""Retention purge: when a man's identifying details were removed (the row stays, blanked, so
report figures keep counting him). The retention periods themselves are site_settings rows.

Revision ID: 0011_retention
Revises: 0010_two_factor
Create Date: 2026-11-30 01:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_retention'
down_revision = '0010_two_factor'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35 and later have it): batch mode would copy and drop the
    # people table, which the foreign keys of cohort_members and keep_apart refuse once men
    # exist.
    op.drop_column('people', 'purged_at')
