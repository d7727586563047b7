"""initial schema: every table the product needs, from accounts to jobs

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op
import sqlalchemy as sa
import fediverse_ai.timeutil


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=True),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_type', sa.String(length=32), nullable=False),
    sa.Column('uri', sa.String(length=2048), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('inbox_url', sa.String(length=2048), nullable=False),
    sa.Column('shared_inbox_url', sa.String(length=2048), nullable=True),
    sa.Column('outbox_url', sa.String(length=2048), nullable=True),
    sa.Column('followers_url', sa.String(length=2048), nullable=True),
    sa.Column('following_url', sa.String(length=2048), nullable=True),
    sa.Column('featured_url', sa.String(length=2048), nullable=True),
    sa.Column('key_id', sa.String(length=2048), nullable=False),
    sa.Column('public_key_pem', sa.Text(), nullable=False),
    sa.Column('private_key_pem', sa.Text(), nullable=True),
    sa.Column('avatar_url', sa.String(length=2048), nullable=True),
    sa.Column('header_url', sa.String(length=2048), nullable=True),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('discoverable', sa.Boolean(), nullable=False),
    sa.Column('indexable', sa.Boolean(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('also_known_as', sa.JSON(), nullable=False),
    sa.Column('moved_to_id', sa.BigInteger(), nullable=True),
    sa.Column('statuses_count', sa.BigInteger(), nullable=False),
    sa.Column('followers_count', sa.BigInteger(), nullable=False),
    sa.Column('following_count', sa.BigInteger(), nullable=False),
    sa.Column('last_status_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_fetched_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('suspended_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('silenced_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('gone_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['moved_to_id'], ['accounts.id'], name=op.f('fk_accounts_moved_to_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('uri', name=op.f('uq_accounts_uri'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_key_id'), ['key_id'], unique=False)
    op.create_index(
        'uq_accounts_username_domain',
        'accounts',
        [sa.text('lower(username)'), sa.text("coalesce(lower(domain), '')")],
        unique=True,
    )

    op.create_table('domain_policies',
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('reject_media', sa.Boolean(), nullable=False),
    sa.Column('reject_reports', sa.Boolean(), nullable=False),
    sa.Column('public_comment', sa.Text(), nullable=False),
    sa.Column('private_comment', sa.Text(), nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domain_policies')),
    sa.UniqueConstraint('domain', name=op.f('uq_domain_policies_domain'))
    )
    op.create_table('inbox_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('activity_id', sa.String(length=2048), nullable=False),
    sa.Column('actor_uri', sa.String(length=2048), nullable=False),
    sa.Column('key_id', sa.String(length=2048), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('received_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_items')),
    sa.UniqueConstraint('activity_id', name=op.f('uq_inbox_items_activity_id'))
    )
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_items_actor_uri'), ['actor_uri'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('lane', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_by', sa.String(length=128), nullable=True),
    sa.Column('locked_until', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_claim', ['lane', 'state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_jobs_host_state', ['host', 'state'], unique=False)
        batch_op.create_index('ix_jobs_state_finished_at', ['state', 'finished_at'], unique=False)

    op.create_table('prompt_filter_rules',
    sa.Column('pattern', sa.String(length=1024), nullable=False),
    sa.Column('is_regex', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=512), nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prompt_filter_rules'))
    )
    op.create_table('remote_hosts',
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('failure_days', sa.JSON(), nullable=False),
    sa.Column('failures', sa.BigInteger(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_failure_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unavailable_since', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('software', sa.String(length=64), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remote_hosts')),
    sa.UniqueConstraint('domain', name=op.f('uq_remote_hosts_domain'))
    )
    op.create_table('tags',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('name', name=op.f('uq_tags_name'))
    )
    op.create_table('audit_events',
    sa.Column('account_id', sa.BigInteger(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=True),
    sa.Column('target_id', sa.BigInteger(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_audit_events_account_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)

    op.create_table('blocks',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('target_account_id', sa.BigInteger(), nullable=False),
    sa.Column('uri', sa.String(length=2048), nullable=True),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_blocks_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_account_id'], ['accounts.id'], name=op.f('fk_blocks_target_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocks')),
    sa.UniqueConstraint('account_id', 'target_account_id', name=op.f('uq_blocks_account_id')),
    sa.UniqueConstraint('uri', name=op.f('uq_blocks_uri'))
    )
    with op.batch_alter_table('blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blocks_target_account_id'), ['target_account_id'], unique=False)

    op.create_table('follows',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('target_account_id', sa.BigInteger(), nullable=False),
    sa.Column('uri', sa.String(length=2048), nullable=True),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('show_reblogs', sa.Boolean(), nullable=False),
    sa.Column('notify', sa.Boolean(), nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_follows_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_account_id'], ['accounts.id'], name=op.f('fk_follows_target_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follows')),
    sa.UniqueConstraint('account_id', 'target_account_id', name=op.f('uq_follows_account_id')),
    sa.UniqueConstraint('uri', name=op.f('uq_follows_uri'))
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follows_target_account_id'), ['target_account_id'], unique=False)

    op.create_table('invites',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True),
    sa.Column('max_uses', sa.BigInteger(), nullable=True),
    sa.Column('uses', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_invites_created_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invites')),
    sa.UniqueConstraint('code', name=op.f('uq_invites_code'))
    )
    op.create_table('mutes',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('target_account_id', sa.BigInteger(), nullable=False),
    sa.Column('hide_notifications', sa.Boolean(), nullable=False),
    sa.Column('expires_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_mutes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_account_id'], ['accounts.id'], name=op.f('fk_mutes_target_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mutes')),
    sa.UniqueConstraint('account_id', 'target_account_id', name=op.f('uq_mutes_account_id'))
    )
    with op.batch_alter_table('mutes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mutes_target_account_id'), ['target_account_id'], unique=False)

    op.create_table('reports',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('target_account_id', sa.BigInteger(), nullable=False),
    sa.Column('status_ids', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('uri', sa.String(length=2048), nullable=True),
    sa.Column('forward', sa.Boolean(), nullable=False),
    sa.Column('action_taken', sa.String(length=32), nullable=True),
    sa.Column('action_taken_by_id', sa.BigInteger(), nullable=True),
    sa.Column('action_taken_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_reports_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['action_taken_by_id'], ['accounts.id'], name=op.f('fk_reports_action_taken_by_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_account_id'], ['accounts.id'], name=op.f('fk_reports_target_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('uri', name=op.f('uq_reports_uri'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_target_account_id'), ['target_account_id'], unique=False)

    op.create_table('users',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('sign_up_reason', sa.Text(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('invite_id', sa.BigInteger(), nullable=True),
    sa.Column('hide_sensitive_media', sa.Boolean(), nullable=False),
    sa.Column('last_sign_in_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('disabled_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_users_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invite_id'], ['invites.id'], name=op.f('fk_users_invite_id_invites'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('account_id', name=op.f('uq_users_account_id')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('markers',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('timeline', sa.String(length=32), nullable=False),
    sa.Column('last_read_id', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_markers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_markers')),
    sa.UniqueConstraint('user_id', 'timeline', name=op.f('uq_markers_user_id'))
    )
    op.create_table('oauth_applications',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('website', sa.String(length=2048), nullable=True),
    sa.Column('redirect_uris', sa.Text(), nullable=False),
    sa.Column('scopes', sa.String(length=512), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('client_secret_hash', sa.String(length=64), nullable=False),
    sa.Column('owner_user_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_oauth_applications_owner_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_applications')),
    sa.UniqueConstraint('client_id', name=op.f('uq_oauth_applications_client_id'))
    )
    op.create_table('web_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('user_agent', sa.String(length=512), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('last_seen_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_sessions_token_hash'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('oauth_authorization_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('scopes', sa.String(length=512), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2048), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=16), nullable=True),
    sa.Column('expires_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['oauth_applications.id'], name=op.f('fk_oauth_authorization_codes_application_id_oauth_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oauth_authorization_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_authorization_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_oauth_authorization_codes_code_hash'))
    )
    op.create_table('oauth_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=True),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('scopes', sa.String(length=512), nullable=False),
    sa.Column('expires_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['oauth_applications.id'], name=op.f('fk_oauth_tokens_application_id_oauth_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oauth_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_tokens')),
    sa.UniqueConstraint('refresh_token_hash', name=op.f('uq_oauth_tokens_refresh_token_hash')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_oauth_tokens_token_hash'))
    )
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('statuses',
    sa.Column('uri', sa.String(length=2048), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('local', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('state_reason', sa.Text(), nullable=True),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('spoiler_text', sa.Text(), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('in_reply_to_id', sa.BigInteger(), nullable=True),
    sa.Column('in_reply_to_uri', sa.String(length=2048), nullable=True),
    sa.Column('in_reply_to_account_id', sa.BigInteger(), nullable=True),
    sa.Column('reblog_of_id', sa.BigInteger(), nullable=True),
    sa.Column('remix_of_id', sa.BigInteger(), nullable=True),
    sa.Column('remix_of_uri', sa.String(length=2048), nullable=True),
    sa.Column('remix_policy', sa.String(length=16), nullable=False),
    sa.Column('recipe', sa.JSON(), nullable=True),
    sa.Column('conversation', sa.String(length=2048), nullable=True),
    sa.Column('application_id', sa.BigInteger(), nullable=True),
    sa.Column('replies_count', sa.BigInteger(), nullable=False),
    sa.Column('reblogs_count', sa.BigInteger(), nullable=False),
    sa.Column('favourites_count', sa.BigInteger(), nullable=False),
    sa.Column('published_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('edited_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_statuses_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['application_id'], ['oauth_applications.id'], name=op.f('fk_statuses_application_id_oauth_applications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['in_reply_to_account_id'], ['accounts.id'], name=op.f('fk_statuses_in_reply_to_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['in_reply_to_id'], ['statuses.id'], name=op.f('fk_statuses_in_reply_to_id_statuses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reblog_of_id'], ['statuses.id'], name=op.f('fk_statuses_reblog_of_id_statuses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['remix_of_id'], ['statuses.id'], name=op.f('fk_statuses_remix_of_id_statuses'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statuses')),
    sa.UniqueConstraint('uri', name=op.f('uq_statuses_uri'))
    )
    with op.batch_alter_table('statuses', schema=None) as batch_op:
        batch_op.create_index('ix_statuses_account_id_id', ['account_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statuses_in_reply_to_id'), ['in_reply_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statuses_reblog_of_id'), ['reblog_of_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statuses_remix_of_id'), ['remix_of_id'], unique=False)
        batch_op.create_index('ix_statuses_visibility_local_id', ['visibility', 'local', 'id'], unique=False)

    op.create_table('bookmarks',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_bookmarks_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_bookmarks_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookmarks')),
    sa.UniqueConstraint('account_id', 'status_id', name=op.f('uq_bookmarks_account_id'))
    )
    with op.batch_alter_table('bookmarks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookmarks_status_id'), ['status_id'], unique=False)

    op.create_table('favourites',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('uri', sa.String(length=2048), nullable=True),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_favourites_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_favourites_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_favourites')),
    sa.UniqueConstraint('account_id', 'status_id', name=op.f('uq_favourites_account_id')),
    sa.UniqueConstraint('uri', name=op.f('uq_favourites_uri'))
    )
    with op.batch_alter_table('favourites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_favourites_status_id'), ['status_id'], unique=False)

    op.create_table('generation_jobs',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('model', sa.String(length=512), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('negative_prompt', sa.Text(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('steps', sa.BigInteger(), nullable=False),
    sa.Column('guidance', sa.Float(), nullable=False),
    sa.Column('width', sa.BigInteger(), nullable=False),
    sa.Column('height', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('progress_step', sa.BigInteger(), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('status_id', sa.BigInteger(), nullable=True),
    sa.Column('recipe', sa.JSON(), nullable=True),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_generation_jobs_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_generation_jobs_status_id_statuses'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_generation_jobs'))
    )
    with op.batch_alter_table('generation_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_generation_jobs_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_generation_jobs_state_id', ['state', 'id'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_idempotency_keys_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_idempotency_keys_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('account_id', 'key', name=op.f('uq_idempotency_keys_account_id'))
    )
    op.create_table('mentions',
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_mentions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_mentions_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentions')),
    sa.UniqueConstraint('status_id', 'account_id', name=op.f('uq_mentions_status_id'))
    )
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentions_account_id'), ['account_id'], unique=False)

    op.create_table('notifications',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('from_account_id', sa.BigInteger(), nullable=True),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('status_id', sa.BigInteger(), nullable=True),
    sa.Column('report_id', sa.BigInteger(), nullable=True),
    sa.Column('detail', sa.String(length=2048), nullable=True),
    sa.Column('dismissed', sa.Boolean(), nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_notifications_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_account_id'], ['accounts.id'], name=op.f('fk_notifications_from_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_notifications_report_id_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_notifications_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_account_id_id', ['account_id', 'id'], unique=False)

    op.create_table('status_edits',
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('spoiler_text', sa.Text(), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('media_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_status_edits_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_edits'))
    )
    with op.batch_alter_table('status_edits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_edits_status_id'), ['status_id'], unique=False)

    op.create_table('status_tags',
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('tag_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_status_tags_status_id_statuses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_status_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('status_id', 'tag_id', name=op.f('pk_status_tags'))
    )
    with op.batch_alter_table('status_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_tags_tag_id'), ['tag_id'], unique=False)

    op.create_table('media_attachments',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('status_id', sa.BigInteger(), nullable=True),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('processing', sa.String(length=16), nullable=False),
    sa.Column('processing_error', sa.Text(), nullable=True),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('file_path', sa.String(length=1024), nullable=True),
    sa.Column('preview_path', sa.String(length=1024), nullable=True),
    sa.Column('thumbnail_path', sa.String(length=1024), nullable=True),
    sa.Column('remote_url', sa.String(length=2048), nullable=True),
    sa.Column('file_size', sa.BigInteger(), nullable=True),
    sa.Column('width', sa.BigInteger(), nullable=True),
    sa.Column('height', sa.BigInteger(), nullable=True),
    sa.Column('blurhash', sa.String(length=128), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('focus_x', sa.Float(), nullable=False),
    sa.Column('focus_y', sa.Float(), nullable=False),
    sa.Column('generated', sa.Boolean(), nullable=False),
    sa.Column('recipe', sa.JSON(), nullable=True),
    sa.Column('generation_job_id', sa.BigInteger(), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', fediverse_ai.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_media_attachments_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['generation_job_id'], ['generation_jobs.id'], name=op.f('fk_media_attachments_generation_job_id_generation_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_media_attachments_status_id_statuses'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_attachments'))
    )
    with op.batch_alter_table('media_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_attachments_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_attachments_generation_job_id'), ['generation_job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_attachments_status_id'), ['status_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('media_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_attachments_status_id'))
        batch_op.drop_index(batch_op.f('ix_media_attachments_generation_job_id'))
        batch_op.drop_index(batch_op.f('ix_media_attachments_account_id'))

    op.drop_table('media_attachments')
    with op.batch_alter_table('status_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_tags_tag_id'))

    op.drop_table('status_tags')
    with op.batch_alter_table('status_edits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_edits_status_id'))

    op.drop_table('status_edits')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_account_id_id')

    op.drop_table('notifications')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentions_account_id'))

    op.drop_table('mentions')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('generation_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_generation_jobs_state_id')
        batch_op.drop_index(batch_op.f('ix_generation_jobs_account_id'))

    op.drop_table('generation_jobs')
    with op.batch_alter_table('favourites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_favourites_status_id'))

    op.drop_table('favourites')
    with op.batch_alter_table('bookmarks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookmarks_status_id'))

    op.drop_table('bookmarks')
    with op.batch_alter_table('statuses', schema=None) as batch_op:
        batch_op.drop_index('ix_statuses_visibility_local_id')
        batch_op.drop_index(batch_op.f('ix_statuses_remix_of_id'))
        batch_op.drop_index(batch_op.f('ix_statuses_reblog_of_id'))
        batch_op.drop_index(batch_op.f('ix_statuses_in_reply_to_id'))
        batch_op.drop_index('ix_statuses_account_id_id')

    op.drop_table('statuses')
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_user_id'))

    op.drop_table('oauth_tokens')
    op.drop_table('oauth_authorization_codes')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))

    op.drop_table('web_sessions')
    op.drop_table('oauth_applications')
    op.drop_table('markers')
    op.drop_table('users')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_target_account_id'))

    op.drop_table('reports')
    with op.batch_alter_table('mutes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mutes_target_account_id'))

    op.drop_table('mutes')
    op.drop_table('invites')
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follows_target_account_id'))

    op.drop_table('follows')
    with op.batch_alter_table('blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blocks_target_account_id'))

    op.drop_table('blocks')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))
        batch_op.drop_index(batch_op.f('ix_audit_events_account_id'))

    op.drop_table('audit_events')
    op.drop_table('tags')
    op.drop_table('remote_hosts')
    op.drop_table('prompt_filter_rules')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_state_finished_at')
        batch_op.drop_index('ix_jobs_host_state')
        batch_op.drop_index('ix_jobs_claim')

    op.drop_table('jobs')
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_items_actor_uri'))

    op.drop_table('inbox_items')
    op.drop_table('domain_policies')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_key_id'))
        batch_op.drop_index(batch_op.f('ix_accounts_domain'))
    op.drop_index('uq_accounts_username_domain', table_name='accounts')
    op.drop_table('accounts')
