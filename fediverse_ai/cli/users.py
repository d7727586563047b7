"""`user create|list|suspend|unsuspend|password`: look after local accounts from a shell."""

from __future__ import annotations

import argparse
import getpass
import secrets

from ..runtime import Runtime
from ..services import accounts
from .common import run_with_runtime


def register(commands: argparse._SubParsersAction) -> None:
    user = commands.add_parser("user", help="create, list, suspend local accounts; set passwords",
                               description="Manage the local accounts of this instance.")
    actions = user.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="create a local account",
                                description="Create a local account with its keys, ready to post.")
    create.add_argument("username", help="letters, digits and _ (the @name in @name@domain)")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="default: a random one, printed once")
    create.add_argument("--role", choices=accounts.ROLES, default="user")
    create.add_argument("--bot", action="store_true", help="mark the account as automated (a Service actor)")
    create.add_argument("--display-name", default="")
    create.set_defaults(handler=cmd_create)

    listing = actions.add_parser("list", help="list local accounts",
                                 description="List local accounts with their role, state and email.")
    listing.set_defaults(handler=cmd_list)

    for name, verb in (("suspend", "suspend"), ("unsuspend", "lift the suspension of")):
        action = actions.add_parser(name, help=f"{verb} a local account",
                                    description=f"{verb.capitalize()} a local account.")
        action.add_argument("username")
        action.set_defaults(handler=cmd_suspend, suspended=name == "suspend")

    password = actions.add_parser("password", help="set a local account's password",
                                  description="Set a new password (asked for unless --password).")
    password.add_argument("username")
    password.add_argument("--password", help="the new password (default: prompt)")
    password.set_defaults(handler=cmd_password)


def cmd_create(args: argparse.Namespace) -> int:
    password = args.password or secrets.token_urlsafe(12)

    async def body(runtime: Runtime) -> accounts.LocalUser:
        async with runtime.db.transaction() as session:
            return await accounts.create_local_user(
                session, runtime.settings, username=args.username, email=args.email, password=password,
                role=args.role, bot=args.bot, display_name=args.display_name,
            )

    created = run_with_runtime(args, body)
    print(f"Created @{created.account.username} ({created.user.role}) with id {created.account.id}.")
    if not args.password:
        print(f"Password: {password}  (shown once)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    async def body(runtime: Runtime) -> list[accounts.LocalUser]:
        async with runtime.db.session() as session:
            return await accounts.list_local_users(session)

    found = run_with_runtime(args, body)
    if not found:
        print("No local accounts yet: `fediverse-ai user create NAME --email ...` makes one.")
        return 0
    print(f"{'USERNAME':<24} {'ROLE':<10} {'STATE':<10} {'EMAIL':<32} CREATED")
    for entry in found:
        state = "suspended" if entry.account.suspended_at else ("pending" if not entry.user.approved else "active")
        print(f"{entry.account.username:<24} {entry.user.role:<10} {state:<10} {entry.user.email:<32} "
              f"{entry.account.created_at:%Y-%m-%d}")
    return 0


def cmd_suspend(args: argparse.Namespace) -> int:
    async def body(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            await accounts.set_suspended(session, args.username, args.suspended)

    run_with_runtime(args, body)
    print(f"@{args.username} is {'suspended' if args.suspended else 'no longer suspended'}.")
    return 0


def cmd_password(args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass(f"New password for @{args.username}: ")

    async def body(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            await accounts.set_password(session, args.username, password)

    run_with_runtime(args, body)
    print(f"Password of @{args.username} changed.")
    return 0
