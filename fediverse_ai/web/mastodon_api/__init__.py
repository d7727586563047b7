"""The Mastodon client API (what Tusky, Ivory, Elk, toot and Mastodon.py call), one module per
resource, all on one blueprint. Handlers parse, authenticate and call a service; entities.py
turns rows into the JSON shapes clients expect."""

from . import (  # noqa: F401  (each module adds its routes)
    account_actions,
    accounts,
    apps,
    instance,
    markers,
    media,
    reads,
    search,
    status_actions,
    statuses,
    streaming,
    timelines,
)
from .common import blueprint

__all__ = ["blueprint"]
