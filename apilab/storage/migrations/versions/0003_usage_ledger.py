"""usage_ledger (tables owned by the calls capability)

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('learner', sa.String(length=100), nullable=True),
    sa.Column('lab', sa.String(length=64), nullable=True),
    sa.Column('scope', sa.String(length=100), nullable=True),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('answered_by', sa.String(length=200), nullable=True),
    sa.Column('request_id', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('streamed', sa.Boolean(), nullable=False),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('retry_count', sa.Integer(), nullable=False),
    sa.Column('ttft_ms', sa.Float(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('tokens_in_est', sa.Integer(), nullable=True),
    sa.Column('tokens_out_max', sa.Integer(), nullable=True),
    sa.Column('token_method', sa.String(length=64), nullable=True),
    sa.Column('tokens_in', sa.Integer(), nullable=True),
    sa.Column('tokens_out', sa.Integer(), nullable=True),
    sa.Column('tokens_cached', sa.Integer(), nullable=True),
    sa.Column('usage_exact', sa.Boolean(), nullable=True),
    sa.Column('cost_est_usd', sa.String(length=40), nullable=True),
    sa.Column('cost_usd', sa.String(length=40), nullable=True),
    sa.Column('cache_hit', sa.Boolean(), nullable=False),
    sa.Column('fallback_used', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_calls'))
    )
    with op.batch_alter_table('ledger_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_calls_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_calls_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_calls_lab'), ['lab'], unique=False)

    op.create_table('ledger_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ledger_call_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('cause', sa.Text(), nullable=True),
    sa.Column('wait_s', sa.Float(), nullable=True),
    sa.Column('wait_reason', sa.String(length=32), nullable=True),
    sa.Column('request_id', sa.String(length=200), nullable=True),
    sa.Column('ttft_ms', sa.Float(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('tokens_in', sa.Integer(), nullable=True),
    sa.Column('tokens_out', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ledger_call_id'], ['ledger_calls.id'], name=op.f('fk_ledger_attempts_ledger_call_id_ledger_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_attempts'))
    )
    with op.batch_alter_table('ledger_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_attempts_ledger_call_id'), ['ledger_call_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_attempts_ledger_call_id'))
    op.drop_table('ledger_attempts')
    with op.batch_alter_table('ledger_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_calls_lab'))
        batch_op.drop_index(batch_op.f('ix_ledger_calls_created_at'))
        batch_op.drop_index(batch_op.f('ix_ledger_calls_call_id'))
    op.drop_table('ledger_calls')
