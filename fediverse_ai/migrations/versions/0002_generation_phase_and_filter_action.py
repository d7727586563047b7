"""generation: job phase (model download / load progress) and prompt filter rule action

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('generation_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase', sa.String(length=255), nullable=True))
    with op.batch_alter_table('prompt_filter_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action', sa.String(length=16), server_default='block', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('prompt_filter_rules', schema=None) as batch_op:
        batch_op.drop_column('action')
    with op.batch_alter_table('generation_jobs', schema=None) as batch_op:
        batch_op.drop_column('phase')
