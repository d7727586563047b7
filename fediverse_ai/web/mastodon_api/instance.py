"""GET /api/v1/instance and /api/v2/instance: complete entities, since toot and Mastodon.py
refuse an instance with missing fields, and a version string clients can parse."""

from __future__ import annotations

from typing import Any

from quart import Response, jsonify
from sqlalchemy import distinct, func, select

from ... import __version__
from ...config import Settings
from ...models import Account, Status, User
from .common import blueprint, runtime
from .entities import account_entity, default_image

MASTODON_COMPAT = "4.2.0"
SUPPORTED_IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"]


def version_string() -> str:
    """Clients feature-detect by parsing this, so it leads with the Mastodon API level we match."""
    return f"{MASTODON_COMPAT} (compatible; fediverse_ai {__version__})"


async def _counts() -> dict[str, int]:
    async with runtime().db.session() as session:
        users = (await session.execute(
            select(func.count()).select_from(User).join(Account, Account.id == User.account_id)
            .where(Account.suspended_at.is_(None)))).scalar_one()
        statuses = (await session.execute(
            select(func.count()).select_from(Status).where(Status.local.is_(True), Status.state == "published",
                                                            Status.deleted_at.is_(None)))).scalar_one()
        domains = (await session.execute(
            select(func.count(distinct(Account.domain))).where(Account.domain.is_not(None)))).scalar_one()
        admin = (await session.execute(
            select(Account, User.email).join(User, User.account_id == Account.id).where(User.role == "admin")
            .order_by(Account.id).limit(1))).first()
    return {"users": users, "statuses": statuses, "domains": domains,
            "admin": admin[0] if admin else None, "admin_email": admin[1] if admin else None}  # type: ignore[dict-item]


def _contact_email(settings: Settings, counts: dict[str, Any]) -> str:
    """The configured contact, else the first admin's address: clients expect a real email."""
    return settings.instance.contact_email or counts["admin_email"] or f"admin@{settings.instance.domain.split(':')[0]}"


def _configuration(settings: Settings) -> dict[str, Any]:
    limits = settings.limits
    return {
        "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
        "statuses": {"max_characters": limits.max_post_chars, "max_media_attachments": 4,
                     "characters_reserved_per_url": 23},
        "media_attachments": {
            "supported_mime_types": SUPPORTED_IMAGE_TYPES,
            "image_size_limit": settings.media.max_upload_bytes,
            "image_matrix_limit": settings.media.max_image_pixels,
            "video_size_limit": 0, "video_frame_rate_limit": 0, "video_matrix_limit": 0,
            "description_limit": 1500,
        },
        "polls": {"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300,
                  "max_expiration": 2629746},
    }


def _registrations(settings: Settings) -> tuple[bool, bool]:
    mode = settings.registration.mode
    return mode != "closed", mode == "approval"


@blueprint.get("/api/v1/instance")
async def instance_v1() -> Response:
    settings = runtime().settings
    counts = await _counts()
    enabled, approval = _registrations(settings)
    base = settings.instance.base_url
    return jsonify({
        "uri": settings.instance.domain,
        "title": settings.instance.name,
        "short_description": settings.instance.description,
        "description": settings.instance.description,
        "email": _contact_email(settings, counts),
        "version": version_string(),
        "urls": {"streaming_api": base.replace("http", "ws", 1)},
        "stats": {"user_count": counts["users"], "status_count": counts["statuses"],
                  "domain_count": counts["domains"]},
        "thumbnail": default_image(settings, "thumbnail.png"),
        "languages": ["en"],
        "registrations": enabled,
        "approval_required": approval,
        "invites_enabled": settings.registration.mode == "invite",
        "configuration": _configuration(settings),
        "contact_account": account_entity(settings, counts["admin"]) if counts["admin"] else None,  # type: ignore[arg-type]
        "rules": [],
    })


@blueprint.get("/api/v2/instance")
async def instance_v2() -> Response:
    settings = runtime().settings
    counts = await _counts()
    enabled, approval = _registrations(settings)
    base = settings.instance.base_url
    configuration = _configuration(settings) | {
        "urls": {"streaming": base.replace("http", "ws", 1), "status": None, "about": f"{base}/about",
                 "privacy_policy": None, "terms_of_service": None},
        "vapid": {"public_key": ""},
        "translation": {"enabled": False},
    }
    configuration["accounts"] |= {"max_display_name_length": 30, "max_note_length": 500, "max_profile_fields": 4}
    return jsonify({
        "domain": settings.instance.domain,
        "title": settings.instance.name,
        "version": version_string(),
        "source_url": "https://github.com/fediverse-ai/fediverse_ai",
        "description": settings.instance.description,
        "usage": {"users": {"active_month": counts["users"]}},
        "thumbnail": {"url": default_image(settings, "thumbnail.png"), "blurhash": None, "versions": {}},
        "icon": [],
        "languages": ["en"],
        "configuration": configuration,
        "registrations": {"enabled": enabled, "approval_required": approval, "message": None,
                          "url": None, "min_age": None, "reason_required": approval},
        "api_versions": {"mastodon": 2},
        "contact": {"email": _contact_email(settings, counts),
                    "account": account_entity(settings, counts["admin"]) if counts["admin"] else None},  # type: ignore[arg-type]
        "rules": [],
    })


@blueprint.get("/api/v1/instance/rules")
async def rules() -> Response:
    return jsonify([])


@blueprint.get("/api/v1/custom_emojis")
async def custom_emojis() -> Response:
    return jsonify([])
