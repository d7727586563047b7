"""`init` and `migrate`: from nothing to a database at the current schema with an admin."""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

from sqlalchemy import select

from ..config import DEFAULT_CONFIG_PATH, ENV_PREFIX, load_settings
from ..generation.signing import ensure_certificates
from ..models import Account, User
from ..runtime import Runtime
from ..schema import current_revision, head_revision, pending_revisions, upgrade
from ..services.accounts import create_local_user, ensure_instance_actor
from ..services.imagine_bot import ensure_bot
from .common import run_with_runtime


def register(commands: argparse._SubParsersAction) -> None:
    init = commands.add_parser(
        "init",
        help="write a config, create the database, the instance actor and an admin account",
        description=(
            "Set up a new instance. Writes config.toml (unless it exists), brings the database to "
            "the current schema, creates the instance actor with its keys and an admin account, "
            "and prints how to sign in. Running it again is safe: it keeps what exists."
        ),
    )
    init.add_argument("--domain", default="localhost:8000",
                      help="public host name (and port) of the instance (default: localhost:8000)")
    init.add_argument("--scheme", choices=("http", "https"),
                      help="https in production; default: http for localhost, https otherwise")
    init.add_argument("--database-url", default="sqlite+aiosqlite:///data/fediverse_ai.db",
                      help="sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
    init.add_argument("--media-dir", default="data/media", help="where images are stored")
    init.add_argument("--admin-username", default="admin", help="name of the admin account (default: admin)")
    init.add_argument("--admin-email", help="admin's email (default: admin@DOMAIN)")
    init.add_argument("--admin-password", help="admin's password (default: a random one, printed once)")
    init.add_argument("--force", action="store_true", help="overwrite an existing config file")
    init.set_defaults(handler=cmd_init)

    migrate = commands.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Apply every pending schema migration, printing each as it runs.",
    )
    migrate.add_argument("--check", action="store_true",
                         help="only report whether migrations are pending (exit 1 if so)")
    migrate.set_defaults(handler=cmd_migrate)


def render_config(domain: str, scheme: str, database_url: str, media_dir: str) -> str:
    """The config `init` writes: the settings an instance must decide, the rest at defaults."""
    return f"""\
# fediverse_ai configuration, written by `fediverse-ai init`.
# Every setting, with its default and meaning, is listed in config.example.toml.
# Any value can be overridden by an environment variable: {ENV_PREFIX}<SECTION>_<KEY>.

[instance]
domain = "{domain}"
scheme = "{scheme}"
name = "fediverse_ai"

[server]
host = "127.0.0.1"
port = {domain.rsplit(":", 1)[1] if ":" in domain else 8000}

[database]
url = "{database_url}"

[media]
dir = "{media_dir}"
"""


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.config or DEFAULT_CONFIG_PATH)
    if path.exists() and not args.force:
        print(f"Using the existing {path} (pass --force to write a new one).")
    else:
        host = args.domain.split(":")[0]
        scheme = args.scheme or ("http" if host in ("localhost", "127.0.0.1") else "https")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_config(args.domain, scheme, args.database_url, args.media_dir))
        print(f"Wrote {path}.")
    args.config = str(path)
    settings = load_settings(path)
    settings.media.dir.mkdir(parents=True, exist_ok=True)
    if settings.generation.c2pa:
        folder = ensure_certificates(settings.generation.c2pa_dir, settings.instance.domain)
        print(f"C2PA signing certificate in {folder} (share {folder / 'root.pem'} for readers to trust it).")

    async def body(runtime: Runtime) -> None:
        applied = await upgrade(runtime.db, progress=lambda line: print(f"  {line}"))
        print(f"Database ready at schema {head_revision()} ({len(applied)} migration(s) applied).")
        async with runtime.db.transaction() as session:
            await ensure_instance_actor(session, settings)
            await ensure_bot(session, settings)
            admin = (
                await session.execute(
                    select(Account.username).join(User, User.account_id == Account.id).where(User.role == "admin")
                )
            ).scalars().first()
            password = None
            if admin is None:
                password = args.admin_password or secrets.token_urlsafe(12)
                email = args.admin_email or f"{args.admin_username}@{settings.instance.domain.split(':')[0]}"
                created = await create_local_user(
                    session, settings, username=args.admin_username, email=email, password=password, role="admin"
                )
                admin = created.account.username
        print(f"\nYour instance: {settings.instance.base_url}")
        if password is not None:
            print(f"Admin account: {admin}   password: {password}")
            print("  (shown once; change it with `fediverse-ai user password " + admin + "`)")
        else:
            print(f"Admin account: {admin} (exists; `fediverse-ai user password {admin}` sets a new password)")
        print(f"Sign in at {settings.instance.base_url}/auth/sign_in as {admin}; the admin pages are at "
              f"{settings.instance.base_url}/admin.")
        print("Start it with `fediverse-ai run`.")

    run_with_runtime(args, body, require_schema=False)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    async def body(runtime: Runtime) -> int:
        before = await current_revision(runtime.db)
        if args.check:
            pending = await pending_revisions(runtime.db)
            for name in pending:
                print(f"pending: {name}")
            print("schema is current" if not pending else f"{len(pending)} migration(s) pending")
            return 1 if pending else 0
        applied = await upgrade(runtime.db, progress=lambda line: print(line, flush=True))
        if applied:
            print(f"Migrated from {before or 'an empty database'} to {head_revision()}.")
        else:
            print(f"Nothing to do: the schema is current ({head_revision()}).")
        return 0

    return run_with_runtime(args, body, require_schema=False)


