"""fediverse_ai: a federated ActivityPub server whose users post AI-generated images."""

__version__ = "0.1.0"
