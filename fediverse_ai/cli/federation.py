"""`lookup`: find a remote account the way federation does (WebFinger, then a signed fetch by
the instance actor) and show what we store about it. The first thing to run when "I cannot
follow someone on server X": it says whether X answers, what it answers, and why not."""

from __future__ import annotations

import argparse

from ..activitypub.fetch import FetchError, fetch_actor, resolve_account
from ..runtime import Runtime
from .common import CommandFailed, run_with_runtime


def register(commands: argparse._SubParsersAction) -> None:
    lookup = commands.add_parser(
        "lookup", help="find a remote account by user@host or actor URL (WebFinger + signed fetch)",
        description="Resolve a remote account and show what this instance stores about it.")
    lookup.add_argument("account", help="user@host, @user@host or the actor's URL")
    lookup.add_argument("--refresh", action="store_true", help="fetch the actor again even if it is cached")
    lookup.set_defaults(handler=cmd_lookup)


def cmd_lookup(args: argparse.Namespace) -> int:
    async def body(runtime: Runtime) -> None:
        try:
            if args.account.startswith(("https://", "http://")):
                account = await fetch_actor(runtime, args.account, force=args.refresh)
            else:
                account = await resolve_account(runtime, args.account)
        except FetchError as exc:
            raise CommandFailed(f"cannot resolve {args.account}: {exc}") from None
        rows = [
            ("account", f"@{account.acct}"), ("type", account.actor_type), ("uri", account.uri),
            ("name", account.display_name), ("inbox", account.inbox_url),
            ("shared inbox", account.shared_inbox_url or "(none: deliveries go to the inbox)"),
            ("key", account.key_id), ("locked", "yes" if account.locked else "no"),
            ("fetched", account.last_fetched_at.isoformat() if account.last_fetched_at else "never"),
        ]
        for label, value in rows:
            print(f"{label + ':':<14}{value}")

    run_with_runtime(args, body)
    return 0
