"""The `fediverse-ai` command: set up, run and look after an instance.

Each subcommand lives in a small module and registers itself on the parser. Expected failures
(a bad setting, a schema that is behind, a refused input) print one line and exit non-zero;
only a bug prints a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..config import ConfigError
from ..errors import AppError
from ..schema import SchemaBehind
from . import bootstrap, doctor, federation, generation, jobs, model, serve, users
from .common import CommandFailed

DESCRIPTION = """\
fediverse_ai: a federated ActivityPub server whose accounts post images made by a local
diffusion model. Mastodon and other fediverse servers follow its accounts; fediverse client
apps sign in and post.

First time here? `fediverse-ai init` writes config.toml, creates the database and an admin
account; `fediverse-ai run` then serves the instance. `fediverse-ai doctor` says what is
wrong with an install."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fediverse-ai", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"fediverse_ai {__version__}")
    parser.add_argument(
        "-c", "--config", metavar="PATH",
        help="config file (default: $FEDIVERSE_AI_CONFIG, then ./config.toml)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (bootstrap, serve, users, jobs, model, generation, federation, doctor):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(f"fediverse-ai: configuration problem: {exc}", file=sys.stderr)
        return 2
    except SchemaBehind as exc:
        print(f"fediverse-ai: {exc}", file=sys.stderr)
        return 3
    except (AppError, CommandFailed) as exc:
        print(f"fediverse-ai: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


