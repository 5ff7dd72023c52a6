"""prompt_workbench (tables owned by Lab 4's prompt workbench, issue 12)

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('prompt_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('system', sa.Text(), nullable=False),
    sa.Column('user_template', sa.Text(), nullable=False),
    sa.Column('output_mode', sa.String(length=16), nullable=False),
    sa.Column('schema_text', sa.Text(), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('max_tokens', sa.Integer(), nullable=False),
    sa.Column('temperature', sa.Numeric(precision=4, scale=2), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('restored_from', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], name=op.f('fk_prompt_versions_learner_id_learners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prompt_versions')),
    sa.UniqueConstraint('learner_id', 'number', name=op.f('uq_prompt_versions_learner_id'))
    )
    with op.batch_alter_table('prompt_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prompt_versions_learner_id'), ['learner_id'], unique=False)

    op.create_table('prompt_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('input', sa.Text(), nullable=False),
    sa.Column('asserts', sa.JSON(), nullable=False),
    sa.Column('pack_case', sa.String(length=64), nullable=True),
    sa.Column('explain', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], name=op.f('fk_prompt_cases_learner_id_learners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prompt_cases'))
    )
    with op.batch_alter_table('prompt_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prompt_cases_learner_id'), ['learner_id'], unique=False)

    op.create_table('prompt_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('cost_usd', sa.Numeric(precision=14, scale=8), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], name=op.f('fk_prompt_runs_learner_id_learners'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['prompt_versions.id'], name=op.f('fk_prompt_runs_version_id_prompt_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prompt_runs'))
    )
    with op.batch_alter_table('prompt_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prompt_runs_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prompt_runs_version_id'), ['version_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('prompt_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prompt_runs_version_id'))
        batch_op.drop_index(batch_op.f('ix_prompt_runs_learner_id'))
    op.drop_table('prompt_runs')
    with op.batch_alter_table('prompt_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prompt_cases_learner_id'))
    op.drop_table('prompt_cases')
    with op.batch_alter_table('prompt_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prompt_versions_learner_id'))
    op.drop_table('prompt_versions')
