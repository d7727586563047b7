"""The web edge: a Quart app factory with thin blueprints that parse, authenticate and call a
service. Pages, the Mastodon API and the ActivityPub endpoints all mount here."""

from .app import create_app

__all__ = ["create_app"]
