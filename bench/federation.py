"""How fast does federation move, compared with the bare work underneath it?

Two measurements, each against a baseline run in the same process, on the same database and
machine, so only the ratio is compared against a target:

1. Fan-out: one post by an account with ``--followers`` remote followers spread over
   ``--hosts`` loopback sink servers answering 202 (half of the hosts advertise a shared inbox,
   so their followers collapse onto it; the others get one delivery per follower, as
   GoToSocial needs). Ours: create the post through the statuses service, let the delivery
   lane's Worker (``--concurrency`` in flight) run the fan-out job and every delivery job
   (signed afresh, outcome recorded) until all are done. Bare: the same signed aiohttp POSTs
   (transport.signed_post, same session and connector) to the same inboxes with the same
   concurrency, no database. Target: ours >= 1/2 of bare deliveries/s.
2. Inbox: ``--activities`` signed Create(Note) activities with an image attachment, from
   ``--senders`` remote actors our account follows. Ours: POSTed by ``--concurrency`` clients
   to our shared inbox served by hypercorn in this process (verify, store raw, queue, 202;
   concurrent requests share a group commit), then processed by the inbox lane's Worker in
   batches (status, media, tags rows, a media cache job, the author's counters, the item
   marked done) until every InboxItem is done. Bare: for the same kind of requests, verify the
   signature and INSERT the raw body into inbox_items, one transaction per activity, no HTTP.
   Target: ours >= 1/3 of bare activities/s. ``--phases`` accepts everything before
   processing starts, to show the cost of each stage.

Run: ``.venv/bin/python bench/federation.py [--backend sqlite|postgresql] [--followers 10000]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from hypercorn.asyncio import serve
from hypercorn.config import Config
from sqlalchemy import func, insert, select

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from jobs import postgres_database, server_version, sqlite_database

from fediverse_ai.activitypub import transport
from fediverse_ai.activitypub.signatures import IncomingRequest, parse_request_signature, sign_post
from fediverse_ai.config import Settings
from fediverse_ai.crypto import generate_rsa_keypair
from fediverse_ai.ids import new_id
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.jobs.worker import Worker
from fediverse_ai.models import Account, Follow, InboxItem, Job
from fediverse_ai.runtime import Runtime
from fediverse_ai.schema import upgrade
from fediverse_ai.services import statuses
from fediverse_ai.services.accounts import create_local_user
from fediverse_ai.timeutil import utcnow
from fediverse_ai.web import create_app

FANOUT_TARGET = 1 / 2
INBOX_TARGET = 1 / 3


@dataclass
class Rates:
    ours: float
    bare: float
    count: int

    @property
    def ratio(self) -> float:
        return self.ours / self.bare


# --- loopback sinks ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def sinks(n: int) -> AsyncIterator[tuple[list[str], list[int]]]:
    """n servers on distinct loopback ports answering 202; yields (bases, hit counter)."""
    hits = [0]

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        hits[0] += 1
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/{tail:.*}", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    bases = []
    for _ in range(n):
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=512)
        await site.start()
        bases.append(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}")  # type: ignore[union-attr]
    try:
        yield bases, hits
    finally:
        await runner.cleanup()


async def follower_rows(runtime: Runtime, target: Account, bases: list[str], per_host: int) -> int:
    """Remote followers in bulk; even hosts advertise a shared inbox. Returns distinct inboxes."""
    accounts, follows, inboxes = [], [], set()
    for h, base in enumerate(bases):
        for i in range(per_host):
            account_id = new_id()
            uri = f"{base}/users/u{i}"
            shared = f"{base}/inbox" if h % 2 == 0 else None
            accounts.append({"id": account_id, "username": f"u{i}", "domain": base.split("://")[1], "uri": uri,
                             "inbox_url": f"{uri}/inbox", "shared_inbox_url": shared, "key_id": f"{uri}#main-key",
                             "public_key_pem": "", "display_name": "", "note": "", "actor_type": "Person",
                             "fields": [], "also_known_as": [], "created_at": utcnow(), "updated_at": utcnow()})
            follows.append({"id": new_id(), "account_id": account_id, "target_account_id": target.id,
                            "accepted": True, "created_at": utcnow()})
            inboxes.add(shared or f"{uri}/inbox")
    async with runtime.db.transaction() as session:
        for start in range(0, len(accounts), 1000):
            await session.execute(insert(Account), accounts[start:start + 1000])
            await session.execute(insert(Follow), follows[start:start + 1000])
    return len(inboxes)


async def count_jobs(runtime: Runtime, kind: str, state: str) -> int:
    async with runtime.db.session() as session:
        return (await session.execute(select(func.count()).select_from(Job).where(
            Job.kind == kind, Job.state == state))).scalar_one()


async def run_worker_until(runtime: Runtime, lane: str, concurrency: int, done: Any) -> None:
    stop = asyncio.Event()
    worker = Worker(runtime, lane, concurrency)
    task = asyncio.create_task(worker.run(stop))
    try:
        # The worker runs in this event loop; polling the database is how we see it finish.
        while not await done():  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task


async def bench_fanout(runtime: Runtime, args: argparse.Namespace) -> Rates:
    async with runtime.db.transaction() as session:
        ada = (await create_local_user(session, runtime.settings, username="ada", email="ada@bench.test",
                                       password="long enough password")).account
    async with sinks(args.hosts) as (bases, hits):
        expected = await follower_rows(runtime, ada, bases, args.followers // args.hosts)
        async with runtime.db.session() as session:
            rows = (await session.execute(select(Account.inbox_url, Account.shared_inbox_url).where(
                Account.domain.is_not(None)))).all()
        targets = sorted({shared or inbox for inbox, shared in rows})

        # Bare: the same signed POSTs, same session, same concurrency, no database.
        body = json.dumps({"id": "https://bench/x", "type": "Create", "actor": ada.uri}).encode()
        queue: asyncio.Queue[str] = asyncio.Queue()
        for url in targets:
            queue.put_nowait(url)

        async def bare_worker() -> None:
            while not queue.empty():
                url = queue.get_nowait()
                response = await transport.signed_post(runtime, url, body, ada)
                assert response.status == 202

        started = time.perf_counter()
        await asyncio.gather(*(bare_worker() for _ in range(args.concurrency)))
        bare = len(targets) / (time.perf_counter() - started)

        # Ours: the post through the service, fan-out and deliveries through the lane.
        hits[0] = 0
        started = time.perf_counter()
        async with runtime.db.transaction() as session:
            await statuses.create_status(session, runtime.settings, ada, text="Hello, ten thousand followers")

        async def all_delivered() -> bool:
            return await count_jobs(runtime, "delivery.deliver", "done") >= expected

        await run_worker_until(runtime, "delivery", args.concurrency, all_delivered)
        ours = expected / (time.perf_counter() - started)
        failed = await count_jobs(runtime, "delivery.deliver", "failed")
        if failed or hits[0] != expected or len(targets) != expected:
            raise RuntimeError(f"fan-out lost deliveries: {failed} failed, {hits[0]} hits, {expected} expected")
    return Rates(ours, bare, expected)


# --- inbox ------------------------------------------------------------------------------------


def create_note(sender: str, n: int, tag: str) -> dict[str, Any]:
    note_id = f"{sender}/statuses/{tag}{n}"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", {"blurhash": "toot:blurhash",
                                                             "toot": "http://joinmastodon.org/ns#"}],
        "id": f"{note_id}/activity", "type": "Create", "actor": sender,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{sender}/followers"],
        "object": {
            "id": note_id, "type": "Note", "attributedTo": sender, "content": f"<p>picture {n} #bench</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{sender}/followers"],
            "published": f"2026-11-25T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z", "sensitive": False,
            "tag": [{"type": "Hashtag", "name": "#bench", "href": "https://sender.example/tags/bench"}],
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": f"{note_id}/image.png",
                            "name": "alt text", "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj", "width": 512,
                            "height": 512}],
        },
    }


async def bench_inbox(runtime: Runtime, args: argparse.Namespace, port: int) -> Rates:
    inbox_url = f"{runtime.settings.instance.base_url}/inbox"
    async with runtime.db.transaction() as session:
        ada = (await create_local_user(session, runtime.settings, username="ida", email="ida@bench.test",
                                       password="long enough password")).account
        senders = []
        for s in range(args.senders):
            private, public = generate_rsa_keypair()
            uri = f"https://sender{s}.example/users/s"
            account = Account(username="s", domain=f"sender{s}.example", uri=uri, inbox_url=f"{uri}/inbox",
                              followers_url=f"{uri}/followers", key_id=f"{uri}#main-key", public_key_pem=public,
                              last_fetched_at=utcnow())
            session.add(account)
            await session.flush()
            session.add(Follow(account_id=ada.id, target_account_id=account.id, accepted=True))
            senders.append((account, private))

    def signed(tag: str) -> list[tuple[dict[str, str], bytes]]:
        requests = []
        for n in range(args.activities):
            account, private = senders[n % len(senders)]
            body = json.dumps(create_note(account.uri, n, tag)).encode()
            requests.append((sign_post(inbox_url, body, account.key_id, private), body))
        return requests

    # Bare: verify each signature and INSERT the raw body, one transaction per activity.
    keys = {a.key_id: a.public_key_pem for a, _ in senders}
    bare_requests = signed("bare")
    started = time.perf_counter()
    for headers, body in bare_requests:
        parsed = parse_request_signature(IncomingRequest.build("POST", inbox_url, headers.items(), body))
        if not parsed.verify(keys[parsed.key_id]):
            raise RuntimeError("bare loop: signature did not verify")
        activity = json.loads(body)
        async with runtime.db.engine.begin() as conn:
            await conn.execute(insert(InboxItem).values(activity_id=activity["id"], actor_uri=activity["actor"],
                                                        key_id=parsed.key_id, body=body.decode(), state="done"))
    bare = len(bare_requests) / (time.perf_counter() - started)

    # Ours: HTTP POST to the inbox (verify, store, queue, 202), then the inbox lane processes.
    ours_requests = signed("ours")
    app = create_app(runtime, workers=False)
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    stop_server = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop_server.wait))  # type: ignore[arg-type]
    await asyncio.sleep(0.5)
    queue: asyncio.Queue[tuple[dict[str, str], bytes]] = asyncio.Queue()
    for item in ours_requests:
        queue.put_nowait(item)
    connect_to = f"http://127.0.0.1:{port}/inbox"

    async def client(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            headers, body = queue.get_nowait()
            async with http.post(connect_to, data=body, headers=headers) as response:
                if response.status != 202:
                    raise RuntimeError(f"inbox answered {response.status}: {await response.text()}")

    async with runtime.db.session() as session:
        before_ours = (await session.execute(select(func.max(InboxItem.id)))).scalar_one()

    async def all_processed() -> bool:
        # Polled while ours runs: a range of the primary key, not a scan of every stored body.
        async with runtime.db.session() as session:
            return (await session.execute(select(func.count()).select_from(InboxItem).where(
                InboxItem.id > before_ours, InboxItem.state == "done"))).scalar_one() >= len(ours_requests)

    try:
        started = time.perf_counter()
        async with aiohttp.ClientSession() as http:
            if args.phases:
                await asyncio.gather(*(client(http) for _ in range(args.concurrency)))
                accepted = time.perf_counter() - started
                await run_worker_until(runtime, "inbox", args.concurrency, all_processed)
            else:
                processing = asyncio.create_task(run_worker_until(runtime, "inbox", args.concurrency, all_processed))
                await asyncio.gather(*(client(http) for _ in range(args.concurrency)))
                accepted = time.perf_counter() - started
                await processing
        ours = len(ours_requests) / (time.perf_counter() - started)
        total = time.perf_counter() - started
        print(f"inbox: all {len(ours_requests)} answered 202 after {accepted:.2f}s "
              f"({len(ours_requests) / accepted:,.0f}/s accepted); all processed after {total:.2f}s"
              + (" (processing started once all were accepted)" if args.phases else ""))
    finally:
        stop_server.set()
        await server
    async with runtime.db.session() as session:
        stored = (await session.execute(select(func.count()).select_from(InboxItem).where(
            InboxItem.state != "done"))).scalar_one()
    if stored:
        raise RuntimeError(f"{stored} inbox items were not processed")
    return Rates(ours, bare, len(ours_requests))


async def bench_backend(backend: str, url: str, args: argparse.Namespace) -> tuple[str, Rates, Rates]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings().replace(
        database__url=url, instance__domain=f"127.0.0.1:{port}", instance__scheme="http",
        federation__allow_private_addresses=True, federation__request_timeout_s=30.0,
        workers__poll_interval_s=0.05, database__pool_size=args.concurrency + 8,
    )
    runtime = Runtime.from_settings(settings)
    try:
        await upgrade(runtime.db)
        version = await server_version(runtime)
        fanout = await bench_fanout(runtime, args)
        inbox = await bench_inbox(runtime, args, port)
        return version, fanout, inbox
    finally:
        await runtime.close()


def report(name: str, unit: str, rates: Rates, target: float) -> bool:
    ok = rates.ratio >= target
    print(f"{name:<8} {rates.count:>7} {rates.ours:>12,.0f} {rates.bare:>12,.0f} {rates.ratio:>7.2f}  "
          f"{'meets' if ok else 'MISSES'} >= {target:.2f}  ({unit}/s)")
    return ok


async def main_async(args: argparse.Namespace) -> int:
    load_handlers()
    database = sqlite_database() if args.backend == "sqlite" else postgres_database(args.postgres_url)
    async with database as url:
        version, fanout, inbox = await bench_backend(args.backend, url, args)
    print(f"python {platform.python_version()} ({platform.machine()}), aiohttp {aiohttp.__version__}, {version}")
    print(f"fan-out: {args.followers} followers on {args.hosts} loopback hosts (half with a shared inbox); "
          f"inbox: {args.activities} signed Create(Note)+image from {args.senders} senders; "
          f"concurrency {args.concurrency}")
    print(f"{'':<8} {'items':>7} {'ours/s':>12} {'bare/s':>12} {'ratio':>7}")
    ok = report("fan-out", "deliveries", fanout, FANOUT_TARGET)
    ok &= report("inbox", "activities", inbox, INBOX_TARGET)
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=1_000)
    parser.add_argument("--activities", type=int, default=1_000)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--phases", action="store_true",
                        help="inbox: accept everything first, then process (shows the cost of each stage)")
    args = parser.parse_args(argv)
    if min(args.followers, args.hosts, args.activities, args.senders, args.concurrency) < 1:
        parser.error("every count must be at least 1")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main_async(parse_args())))
