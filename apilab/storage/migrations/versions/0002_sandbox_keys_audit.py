"""sandbox_keys_audit (tables owned by the sandbox capability)

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sandbox_keys',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('secret_hint', sa.String(length=32), nullable=False),
    sa.Column('models', sa.JSON(), nullable=True),
    sa.Column('tier', sa.String(length=64), nullable=False),
    sa.Column('rpm', sa.Integer(), nullable=True),
    sa.Column('tpm', sa.Integer(), nullable=True),
    sa.Column('monthly_cap_usd', sa.Numeric(precision=14, scale=6), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rotated_from', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_keys')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_sandbox_keys_secret_hash'))
    )
    op.create_table('sandbox_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=True),
    sa.Column('key_hint', sa.String(length=32), nullable=True),
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('api', sa.String(length=16), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=True),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('error_type', sa.String(length=64), nullable=True),
    sa.Column('stream', sa.Boolean(), nullable=False),
    sa.Column('input_tokens', sa.Integer(), nullable=False),
    sa.Column('output_tokens', sa.Integer(), nullable=False),
    sa.Column('cached_tokens', sa.Integer(), nullable=False),
    sa.Column('cache_write_tokens', sa.Integer(), nullable=False),
    sa.Column('cost_usd', sa.Numeric(precision=14, scale=8), nullable=False),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('retry_count', sa.Integer(), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['key_id'], ['sandbox_keys.id'], name=op.f('fk_sandbox_audit_key_id_sandbox_keys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_audit'))
    )
    with op.batch_alter_table('sandbox_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_audit_key_id'), ['key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sandbox_audit_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sandbox_audit_time'), ['time'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sandbox_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_audit_time'))
        batch_op.drop_index(batch_op.f('ix_sandbox_audit_request_id'))
        batch_op.drop_index(batch_op.f('ix_sandbox_audit_key_id'))

    op.drop_table('sandbox_audit')
    op.drop_table('sandbox_keys')
