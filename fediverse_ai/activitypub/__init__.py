"""The ActivityPub edge: the only package that builds or reads ActivityStreams JSON."""
