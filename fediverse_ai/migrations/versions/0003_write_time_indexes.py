"""indexes on when statuses and notifications were written, for the streaming API's poller

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_statuses_created_at', 'statuses', ['created_at'])
    op.create_index('ix_statuses_updated_at', 'statuses', ['updated_at'])
    op.create_index('ix_notifications_created_at', 'notifications', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_notifications_created_at', table_name='notifications')
    op.drop_index('ix_statuses_updated_at', table_name='statuses')
    op.drop_index('ix_statuses_created_at', table_name='statuses')
