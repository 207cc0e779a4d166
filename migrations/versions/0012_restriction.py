"""A man's processing can be restricted (UK GDPR article 18): when it was and why. While it is,
he is left out of print batches and of sending referrals. Existing men are not restricted.

Revision ID: 0012_restriction
Revises: 0011_retention
Create Date: 2026-11-30 01:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_restriction'
down_revision = '0011_retention'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restricted_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('restricted_reason', sa.String(length=200),
                                      nullable=False, server_default=''))


def downgrade():
    # Plain DROP COLUMNs, as in 0011: batch mode would copy and drop the people table, which
    # the foreign keys pointing at it refuse once men exist.
    op.drop_column('people', 'restricted_reason')
    op.drop_column('people', 'restricted_at')
