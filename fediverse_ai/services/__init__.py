"""The domain: the only code that changes state. Web pages, the Mastodon API, the ActivityPub
inbox and the CLI all call these functions, each inside one transaction."""
