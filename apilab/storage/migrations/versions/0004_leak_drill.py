"""leak_drill (tables owned by the secretscan capability)

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('leak_drills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('leaked_key_id', sa.String(length=32), nullable=False),
    sa.Column('app_key_id', sa.String(length=32), nullable=True),
    sa.Column('new_key_id', sa.String(length=32), nullable=True),
    sa.Column('credit_usd', sa.Numeric(precision=14, scale=6), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('leaked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_attack_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('audit_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('audit_answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('configured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('investigated_before_revoke', sa.Boolean(), nullable=False),
    sa.Column('attacker_calls', sa.Integer(), nullable=False),
    sa.Column('app_calls', sa.Integer(), nullable=False),
    sa.Column('attacker_spend_usd', sa.Numeric(precision=14, scale=8), nullable=False),
    sa.Column('audit_correct', sa.Integer(), nullable=True),
    sa.Column('audit_total', sa.Integer(), nullable=True),
    sa.Column('verify_status', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], name=op.f('fk_leak_drills_learner_id_learners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leak_drills'))
    )
    with op.batch_alter_table('leak_drills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leak_drills_learner_id'), ['learner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('leak_drills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leak_drills_learner_id'))
    op.drop_table('leak_drills')
