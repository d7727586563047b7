"""WebFinger and host-meta documents for our accounts (mastodon/documentation spec/webfinger.md).

Mastodon looks an actor up by ``acct:user@host`` and then WebFingers ``preferredUsername@host``
of the actor it fetched, so both directions must agree; we also answer the actor URL and the
profile URL as resources. Pure functions: the web layer finds the account.

Public API: ``username_from_resource(settings, resource)``, ``webfinger_document(settings,
account)``, ``host_meta(settings)``, ``WebFingerError``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from .. import urls
from ..config import Settings
from ..models import Account

JRD = "application/jrd+json"
XRD = "application/xrd+xml"
SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"
PROFILE_REL = "http://webfinger.net/rel/profile-page"


class WebFingerError(ValueError):
    """The resource is malformed (400) rather than merely unknown (404)."""


def username_from_resource(settings: Settings, resource: str) -> str | None:
    """The local username a resource names, or None when it names someone not on this host."""
    resource = unquote(resource.strip())
    if not resource:
        raise WebFingerError("the resource parameter is required")
    if resource.startswith("acct:") or ("@" in resource and "://" not in resource):
        username, sep, host = resource.removeprefix("acct:").lstrip("@").rpartition("@")
        if not sep or not username:
            raise WebFingerError(f"{resource!r} is not acct:user@host")
        return username if host.lower() == settings.instance.domain else None
    parts = urlsplit(resource)
    if parts.scheme not in ("https", "http"):
        raise WebFingerError(f"{resource!r} is neither acct:user@host nor a URL")
    if parts.netloc.lower() != settings.instance.domain:
        return None
    path = parts.path.rstrip("/")
    if path == "/actor":
        return urls.INSTANCE_ACTOR_USERNAME
    for prefix in ("/users/", "/@"):
        if path.startswith(prefix) and "/" not in path[len(prefix):]:
            return path[len(prefix):] or None
    return None


def webfinger_document(settings: Settings, account: Account) -> dict[str, Any]:
    subject = f"acct:{account.username}@{settings.instance.domain}"
    links: list[dict[str, Any]] = [
        {"rel": "self", "type": "application/activity+json", "href": account.uri},
        {"rel": PROFILE_REL, "type": "text/html", "href": account.url or account.uri},
        {"rel": SUBSCRIBE_REL, "template": f"{settings.instance.base_url}/authorize_interaction?uri={{uri}}"},
    ]
    if account.avatar_url:
        links.append({"rel": "http://webfinger.net/rel/avatar", "href": account.avatar_url})
    aliases = [account.uri] + ([account.url] if account.url and account.url != account.uri else [])
    return {"subject": subject, "aliases": aliases, "links": links}


def host_meta(settings: Settings) -> str:
    template = escape(f"{settings.instance.base_url}/.well-known/webfinger?resource={{uri}}", {'"': "&quot;"})
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
            f'  <Link rel="lrdd" template="{template}"/>\n'
            "</XRD>\n")
