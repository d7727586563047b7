"""Every table of the product, importable from one place (Alembic reads Base.metadata)."""

from .accounts import Account, Invite, User, WebSession
from .base import Base
from .generation import AuditEvent, GenerationJob, PromptFilterRule
from .jobs import InboxItem, Job
from .moderation import DomainPolicy, RemoteHost, Report
from .oauth import OAuthApplication, OAuthAuthorizationCode, OAuthToken
from .social import Block, Bookmark, Favourite, Follow, IdempotencyKey, Marker, Mute, Notification
from .statuses import MediaAttachment, Mention, Status, StatusEdit, StatusTag, Tag

__all__ = [
    "Account", "AuditEvent", "Base", "Block", "Bookmark", "DomainPolicy", "Favourite", "Follow",
    "GenerationJob", "IdempotencyKey", "InboxItem", "Invite", "Job", "Marker", "MediaAttachment",
    "Mention", "Mute", "Notification", "OAuthApplication", "OAuthAuthorizationCode", "OAuthToken",
    "PromptFilterRule", "RemoteHost", "Report", "Status", "StatusEdit", "StatusTag", "Tag", "User",
    "WebSession",
]
