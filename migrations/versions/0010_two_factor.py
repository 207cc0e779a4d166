"""Two-step login: each user's authenticator secret, when it was set up and the last code's
time step; single-use recovery codes (hashed); failed logins also keyed by client, for the
per-client limit. Every login session ends, so everyone logs in again through the new steps.

Revision ID: 0010_two_factor
Revises: 0009_audit_chain
Create Date: 2026-11-30 01:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_two_factor'
down_revision = '0009_audit_chain'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enrolled_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_failures_client_key'), ['client_key'],
                              unique=False)

    # sessions opened with a password alone end: the next login goes through the second step
    op.execute("DELETE FROM login_sessions")


def downgrade():
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_client_key'))
        batch_op.drop_column('client_key')

    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))

    op.drop_table('recovery_codes')
    # Plain DROP COLUMNs (SQLite 3.35 and later have them): batch mode would copy and drop the
    # users table, which the foreign keys pointing at it refuse once anyone has done anything.
    for column in ('totp_last_step', 'totp_enrolled_at', 'totp_secret'):
        op.drop_column('users', column)
