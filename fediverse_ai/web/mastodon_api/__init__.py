"""The Mastodon client API (what Tusky, Ivory, Elk, toot and Mastodon.py call), one module per
resource, all on one blueprint. Handlers parse, authenticate and call a service; entities.py
turns rows into the JSON shapes clients expect."""

from . import accounts, apps, instance, reads, statuses, streaming, timelines  # noqa: F401  (each adds routes)
from .common import blueprint

__all__ = ["blueprint"]
