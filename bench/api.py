"""How fast is the home timeline of our client API, compared with the bare SQL for the same page?

GET /api/v1/timelines/home is what every Mastodon client calls most, on start and on every
refresh, so its latency is what a user feels. This benchmark measures it on PostgreSQL with a
realistic amount of data and puts it next to the cheapest thing that could answer the same
question: one hand-written SQL query that returns the same 40 statuses.

The data set (seeded with COPY into a throwaway database, then VACUUM ANALYZE): 1,000 local
accounts (one of them the viewer, with a user and an OAuth token), 100,000 statuses spread
over those accounts and the last 30 days (ids from ``new_id(at=published time)`` so they sort
by time), mostly public with some unlisted, followers-only and direct ones, a few unpublished
(generating / failed) and deleted ones, boosts, replies, one image in about five statuses,
mentions and hashtags; the viewer follows 150 accounts (plus pending requests), mutes two of
them and blocks (and is blocked by) accounts they do not follow; other accounts follow each
other and favourite posts, the viewer has favourites and bookmarks. API rate limits are raised
for the run (300 requests per 5 minutes per token would refuse the benchmark itself).

Two latencies per request, measured in the same run, interleaved request by request (the order
alternates) so that noise on a shared machine hits both, after an uncounted warm-up of each:

* ours: GET /api/v1/timelines/home?limit=40 with the bearer token, one ASGI call of
  ``create_app(runtime, workers=False)`` made the way hypercorn makes it for a GET (the scope,
  the empty body in one ``http.request`` message, the answer collected from ``send``), with no
  network socket: Quart's request handling and hooks, bearer authentication (a grant checked in
  the last 10 s is reused), rate limiter, one "frame" statement (the home rule, the page's ids,
  row versions and the viewer's favourite / boost / bookmark marks), the entities' cached
  viewer-independent JSON (built by the database, re-read whenever a status's or its author's
  ``updated_at`` moved) put together with the marks, the Link header and the JSON body. The
  clock covers the ASGI call; checking each body (200, 40 statuses) comes after the loop. After the
  warm-up the cores of the cycled pages are cached, as they are for a client refreshing its
  home timeline. Not Quart's test client: it also builds werkzeug test objects, keeps a cookie
  jar and splits every body into two messages, harness work no server does that costs about as
  much as the bare query itself (the diagnosis prints both floors).
* bare: one prepared SQL statement through asyncpg, no ORM, no pool: the page's statuses (the
  columns an entity shows) of the viewer and the accounts they follow, visible by the same rules
  (own posts; others' published public, unlisted and followers-only ones, not direct), minus
  muted and blocked accounts, ``id < max_id`` newest first, ``LIMIT 40``. Once, outside the
  clock, each page's bare ids are checked against the API's.

Requests cycle through ``--pages`` pages: the first one, then each following the ``next`` link
(max_id) of the Link header, so both sides read more than one hot page. p50 and p99 are over
``--requests`` requests per side; the target is ours <= 3x bare for each. Absolute numbers
depend on the machine, which is why only the ratios are compared with the target.

When a ratio misses (or with ``--diagnose always``), the run explains where the time goes, on
further requests outside the measurement: floors (one asyncpg round trip, one ``db.session()``
with a trivial query, the framework answering 401 without touching the database), wall and CPU
time per request, the round trips to PostgreSQL (socket writes, by protocol message), the SQL
statements with their time as seen from Python, a cProfile sorted by cumulative time, and
EXPLAIN ANALYZE of the home statement that ``render_home`` runs (captured as executed, on the
first and the deepest page), next to the bare query's plan. Exit status 1 when a ratio misses.

Run: ``.venv/bin/python bench/api.py [--requests 300] [--pages 5] [--diagnose auto]``
"""

from __future__ import annotations

import argparse
import asyncio
import asyncio.selector_events
import contextlib
import cProfile
import datetime as dt
import importlib.metadata
import io
import json
import platform
import pstats
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import asyncpg
import sqlalchemy
from quart import Quart
from sqlalchemy import JSON, Table, event
from throwaway import postgres_database

from fediverse_ai import urls
from fediverse_ai.config import Settings
from fediverse_ai.db import positional
from fediverse_ai.ids import new_id
from fediverse_ai.models import (
    Account,
    Block,
    Bookmark,
    Favourite,
    Follow,
    MediaAttachment,
    Mention,
    Mute,
    Status,
    StatusTag,
    Tag,
)
from fediverse_ai.runtime import Runtime
from fediverse_ai.schema import upgrade
from fediverse_ai.services import oauth
from fediverse_ai.services.accounts import create_local_user
from fediverse_ai.services.timelines import Page
from fediverse_ai.timeutil import utcnow
from fediverse_ai.web.app import create_app
from fediverse_ai.web.mastodon_api.status_entities import home_frames_statement

TARGET = 3.0
LIMIT = 40
PATH = "/api/v1/timelines/home"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct horse battery"
NO_MAX_ID = 2**63 - 1  # "no upper bound" for the bare query, so one prepared plan serves every page
WORDS = ("the", "lighthouse", "fox", "snow", "harbour", "morning", "prompt", "model", "seed", "render",
         "river", "lantern", "glass", "moss", "quiet", "copper", "static", "garden", "orbit", "paper", "tide",
         "ember", "violet", "north", "signal", "cloud", "meadow", "salt", "pine", "amber", "delta", "echo",
         "canyon", "willow", "falcon", "marble", "harvest", "cinder", "frost", "aurora")
BLURHASH = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"

# The bare query: what a hand-written home timeline needs, with the same visibility semantics.
# Candidates are the viewer and accounts they follow (accepted), so a followers-only post of a
# candidate is always visible; direct posts show only when they are the viewer's own, and the
# viewer sees all their own posts (unpublished included), as timelines.home() does.
BARE_SQL = """
SELECT s.id, s.uri, s.url, s.account_id, s.content, s.visibility, s.sensitive, s.spoiler_text, s.language,
       s.state, s.published_at, s.created_at, s.edited_at, s.in_reply_to_id, s.in_reply_to_account_id,
       s.reblog_of_id, s.application_id, s.replies_count, s.reblogs_count, s.favourites_count
FROM statuses s
WHERE (s.account_id = $1 OR s.account_id IN (SELECT f.target_account_id FROM follows f
                                             WHERE f.account_id = $1 AND f.accepted))
  AND s.account_id NOT IN (SELECT m.target_account_id FROM mutes m
                           WHERE m.account_id = $1 AND (m.expires_at IS NULL OR m.expires_at > now()))
  AND s.account_id NOT IN (SELECT b.target_account_id FROM blocks b WHERE b.account_id = $1
                           UNION ALL SELECT b.account_id FROM blocks b WHERE b.target_account_id = $1)
  AND s.deleted_at IS NULL
  AND (s.account_id = $1 OR (s.state = 'published' AND s.visibility IN ('public', 'unlisted', 'private')))
  AND s.id < $2
ORDER BY s.id DESC
LIMIT 40
"""


@dataclass
class Dataset:
    viewer_account_id: int
    token: str
    counts: dict[str, int]
    seconds: float


@dataclass
class Measurements:
    ours: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)


# --- throwaway database -------------------------------------------------------------------------




def asyncpg_url(sqlalchemy_url: str) -> str:
    return sqlalchemy.make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def server_version(conn: asyncpg.Connection) -> str:
    return f"PostgreSQL {await conn.fetchval('SHOW server_version')}"


# --- seeding --------------------------------------------------------------------------------------


def full_record(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    """A COPY record for every column of ``table``: the given values, else the model's defaults."""
    values: list[Any] = []
    for column in table.columns:
        if column.name in row:
            value = row[column.name]
        elif column.default is not None and getattr(column.default, "is_scalar", False):
            value = column.default.arg  # type: ignore[attr-defined]
        elif column.default is not None and getattr(column.default, "is_callable", False):
            value = column.default.arg(None)  # type: ignore[attr-defined]
        else:
            value = None
        if isinstance(column.type, JSON) and value is not None:
            value = json.dumps(value)  # asyncpg's json codec takes text
        values.append(value)
    return tuple(values)


async def copy_rows(conn: asyncpg.Connection, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    table: Table = model.__table__
    await conn.copy_records_to_table(table.name, records=[full_record(table, r) for r in rows],
                                     columns=[c.name for c in table.columns])


def unique_id(at: dt.datetime, taken: set[int]) -> int:
    """new_id(at=...) draws random low bits; redraw on the (rare) collision within one millisecond."""
    while True:
        value = new_id(at=at)
        if value not in taken:
            taken.add(value)
            return value


def html_text(rng: random.Random, settings: Settings, mentions: Sequence[str], tags: Sequence[str]) -> str:
    """About 200 characters of sanitised HTML, with the mention and hashtag links a post would carry."""
    parts = [f'<span class="h-card"><a href="{urls.profile(settings, name)}" class="u-url mention">@<span>'
             f"{name}</span></a></span>" for name in mentions]
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(18, 30)))
    parts.append(words[:1].upper() + words[1:] + ".")
    parts += [f'<a href="{urls.base(settings)}/tags/{t}" class="mention hashtag" rel="tag">#<span>{t}</span></a>'
              for t in tags]
    return "<p>" + " ".join(parts) + "</p>"


async def seed(runtime: Runtime, conn: asyncpg.Connection, args: argparse.Namespace) -> Dataset:
    """Fill the database; returns the viewer, their token and row counts."""
    started = time.perf_counter()
    rng = random.Random(args.seed)
    settings = runtime.settings
    now = utcnow()

    # The viewer goes through the real services: password hash, keys, OAuth app and token.
    async with runtime.db.transaction() as session:
        viewer = await create_local_user(session, settings, username="viewer", email="viewer@social.bench",
                                         password=PASSWORD)
        app = await oauth.register_app(session, name="bench", redirect_uris=oauth.OOB_URI,
                                       scopes="read write follow")
        issued = await oauth.password_grant(session, app.app, username="viewer", password=PASSWORD,
                                            scope="read write follow")
    viewer_id, app_id = viewer.account.id, app.app.id

    account_ids = [viewer_id]
    usernames = {viewer_id: "viewer"}
    accounts: list[dict[str, Any]] = []
    taken: set[int] = {viewer_id}
    for n in range(1, args.accounts):
        created = now - dt.timedelta(days=rng.uniform(31, 700))
        account_id = unique_id(created, taken)
        name = f"user{n:04d}"
        uri = urls.actor(settings, name)
        account_ids.append(account_id)
        usernames[account_id] = name
        accounts.append({
            "id": account_id, "username": name, "domain": None, "display_name": f"User {n}",
            "note": "<p>" + " ".join(rng.choice(WORDS) for _ in range(14)) + "</p>", "uri": uri,
            "url": urls.profile(settings, name), "inbox_url": f"{uri}/inbox",
            "shared_inbox_url": urls.shared_inbox(settings), "outbox_url": f"{uri}/outbox",
            "followers_url": f"{uri}/followers", "following_url": f"{uri}/following",
            "featured_url": f"{uri}/collections/featured", "key_id": f"{uri}#main-key", "public_key_pem": "",
            "private_key_pem": "", "avatar_url": f"{urls.base(settings)}/media/avatars/{n}.png" if n % 3 else None,
            "fields": [{"name": "site", "value": f"https://example.com/{name}"}] if n % 4 == 0 else [],
            "created_at": created, "updated_at": created,
        })
    others = account_ids[1:]

    # Follows: the viewer follows --following accounts (accepted) and has a few pending requests;
    # everyone else follows ~50 others so the table is not just the viewer's rows.
    followed = rng.sample(others, args.following)
    followed_set = set(followed)
    rest = [a for a in others if a not in followed_set]
    pending, blocked, blockers = rest[:5], rest[5:7], rest[7:8]
    follow_pairs: dict[tuple[int, int], bool] = {(viewer_id, t): True for t in followed}
    follow_pairs |= {(viewer_id, t): False for t in pending}
    for source in others:
        for target in rng.sample(account_ids, 50):
            if target != source and (source, target) not in follow_pairs:
                follow_pairs[(source, target)] = rng.random() > 0.02
    follows = [{"id": new_id(), "account_id": s, "target_account_id": t, "accepted": ok,
                "created_at": now - dt.timedelta(days=40)} for (s, t), ok in follow_pairs.items()]
    mutes = [{"id": new_id(), "account_id": viewer_id, "target_account_id": t, "expires_at": None,
              "created_at": now} for t in followed[:2]]
    blocks = [{"id": new_id(), "account_id": viewer_id, "target_account_id": t, "created_at": now} for t in blocked]
    blocks += [{"id": new_id(), "account_id": b, "target_account_id": viewer_id, "created_at": now} for b in blockers]

    tag_names = [f"{w}{i}" for i, w in enumerate(WORDS[:40])]
    tags = [{"id": new_id(), "name": name} for name in tag_names]
    tag_ids = {t["name"]: t["id"] for t in tags}

    # Statuses, oldest first so that boosts and replies point at earlier ones.
    times = sorted(now - dt.timedelta(seconds=rng.uniform(0, 30 * 86_400)) for _ in range(args.statuses))
    statuses: list[dict[str, Any]] = []
    media: list[dict[str, Any]] = []
    mentions: list[dict[str, Any]] = []
    status_tags: list[dict[str, Any]] = []
    public_ids: list[tuple[int, int]] = []  # (status id, author) that may be boosted or replied to
    per_account: dict[int, int] = defaultdict(int)
    last_status: dict[int, dt.datetime] = {}
    for at in times:
        author = rng.choice(account_ids)
        status_id = unique_id(at, taken)
        roll = rng.random()
        visibility = ("public" if roll < 0.70 else "unlisted" if roll < 0.85 else "private" if roll < 0.97
                      else "direct")
        state = "published"
        roll = rng.random()
        if roll < 0.005:
            state = "generating"
        elif roll < 0.01:
            state = "failed"
        row: dict[str, Any] = {
            "id": status_id, "uri": urls.status(settings, usernames[author], status_id),
            "url": f"{urls.profile(settings, usernames[author])}/{status_id}", "account_id": author,
            "local": True, "state": state, "visibility": visibility, "language": "en",
            "application_id": app_id if rng.random() < 0.5 else None,
            "replies_count": rng.randint(0, 3), "reblogs_count": rng.randint(0, 5),
            "favourites_count": rng.randint(0, 12), "published_at": at if state == "published" else None,
            "deleted_at": at + dt.timedelta(hours=1) if rng.random() < 0.005 else None,
            "created_at": at, "updated_at": at,
        }
        per_account[author] += 1
        last_status[author] = at
        statuses.append(row)
        if public_ids and visibility == "public" and state == "published" and rng.random() < 0.04:
            row["reblog_of_id"], _ = rng.choice(public_ids[-5000:])  # a boost: no content of its own
            row["content"] = ""
            continue
        if public_ids and rng.random() < 0.10:
            row["in_reply_to_id"], row["in_reply_to_account_id"] = rng.choice(public_ids[-5000:])
        mentioned: list[int] = []
        if visibility == "direct" or rng.random() < 0.10:
            mentioned = rng.sample(account_ids, rng.randint(1, 2))
        chosen_tags = rng.sample(tag_names, rng.randint(1, 2)) if rng.random() < 0.15 else []
        row["content"] = html_text(rng, settings, [usernames[m] for m in mentioned], chosen_tags)
        row["source_text"] = re.sub(r"<[^>]+>", "", row["content"])
        row["spoiler_text"] = "spoilers" if rng.random() < 0.02 else ""
        row["sensitive"] = bool(row["spoiler_text"])
        mentions += [{"id": new_id(), "status_id": status_id, "account_id": m} for m in dict.fromkeys(mentioned)]
        status_tags += [{"status_id": status_id, "tag_id": tag_ids[t]} for t in chosen_tags]
        if rng.random() < 0.20:
            generated = rng.random() < 0.5
            for position in range(1 if rng.random() < 0.9 else rng.randint(2, 4)):
                media_id = unique_id(at, taken)
                media.append({
                    "id": media_id, "account_id": author, "status_id": status_id, "position": position,
                    "file_path": f"{author}/{media_id}.png", "preview_path": f"{author}/{media_id}.small.png",
                    "file_size": rng.randint(50_000, 900_000), "width": 1024, "height": rng.choice((768, 1024)),
                    "blurhash": BLURHASH, "description": "a generated image" if generated else "",
                    "generated": generated,
                    "recipe": {"model": "sd-turbo", "prompt": "a lighthouse in snow", "seed": rng.randint(0, 99999),
                               "steps": 4, "guidance": 0.0} if generated else None,
                    "created_at": at, "updated_at": at,
                })
        if visibility == "public" and state == "published":
            public_ids.append((status_id, author))

    favourite_pairs = {(viewer_id, rng.choice(statuses)["id"]) for _ in range(1000)}
    favourite_pairs |= {(rng.choice(others), rng.choice(statuses)["id"]) for _ in range(20_000)}
    favourites = [{"id": new_id(), "account_id": a, "status_id": s, "created_at": now} for a, s in favourite_pairs]
    bookmarks = [{"id": new_id(), "account_id": viewer_id, "status_id": s, "created_at": now}
                 for s in {rng.choice(statuses)["id"] for _ in range(200)}]

    followers: dict[int, int] = defaultdict(int)
    following: dict[int, int] = defaultdict(int)
    for (source, target), ok in follow_pairs.items():
        if ok:
            following[source] += 1
            followers[target] += 1
    for a in accounts:
        a |= {"statuses_count": per_account[a["id"]], "followers_count": followers[a["id"]],
              "following_count": following[a["id"]], "last_status_at": last_status.get(a["id"])}

    async with conn.transaction():
        await copy_rows(conn, Account, accounts)
        await conn.execute("UPDATE accounts SET statuses_count = $2, followers_count = $3, following_count = $4,"
                           " last_status_at = $5 WHERE id = $1", viewer_id, per_account[viewer_id],
                           followers[viewer_id], following[viewer_id], last_status.get(viewer_id))
        await copy_rows(conn, Follow, follows)
        await copy_rows(conn, Mute, mutes)
        await copy_rows(conn, Block, blocks)
        await copy_rows(conn, Tag, tags)
        await copy_rows(conn, Status, statuses)
        await copy_rows(conn, MediaAttachment, media)
        await copy_rows(conn, Mention, mentions)
        await copy_rows(conn, StatusTag, status_tags)
        await copy_rows(conn, Favourite, favourites)
        await copy_rows(conn, Bookmark, bookmarks)
    await conn.execute("VACUUM ANALYZE")  # what autovacuum would have done on a live instance
    counts = {"accounts": args.accounts, "statuses": len(statuses), "media": len(media),
              "mentions": len(mentions), "tags": len(status_tags), "follows": len(follows),
              "followed by viewer": len(followed), "favourites": len(favourites), "bookmarks": len(bookmarks)}
    return Dataset(viewer_id, issued.access_token, counts, time.perf_counter() - started)


# --- the two measurements ---------------------------------------------------------------------------


def next_max_id(link: str | None) -> int:
    match = re.search(r'<([^>]+)>;\s*rel="next"', link or "")
    if match is None:
        raise RuntimeError(f"no next link in {link!r}")
    return int(parse_qs(urlsplit(match.group(1)).query)["max_id"][0])


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]  # names in lower case
    body: bytes


class AsgiCaller:
    """Requests as an ASGI server hands them to the app (see the module docstring)."""

    def __init__(self, app: Quart) -> None:
        self.app = app

    async def get(self, path: str, query: dict[str, Any], headers: dict[str, str]) -> Answer:
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": urlencode(query).encode(), "root_path": "",
                 "headers": [(b"host", b"social.bench"),
                             *((k.lower().encode(), v.encode()) for k, v in headers.items())],
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "extensions": {}}
        messages = [{"type": "http.request", "body": b"", "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # the client stays connected
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)  # type: ignore[arg-type]
        return Answer(sent[0]["status"], {k.decode().lower(): v.decode() for k, v in sent[0]["headers"]},
                      b"".join(m.get("body", b"") for m in sent[1:]))


async def ours(client: AsgiCaller, headers: dict[str, str], max_id: int | None) -> tuple[float, Answer]:
    query: dict[str, Any] = {"limit": LIMIT} if max_id is None else {"limit": LIMIT, "max_id": max_id}
    started = time.perf_counter()
    response = await client.get(PATH, query, headers)
    return time.perf_counter() - started, response


async def check(response: Answer) -> list[int]:
    """Outside the clock: a fast answer that is wrong would be a wrong benchmark."""
    if response.status_code != 200:
        raise RuntimeError(f"{PATH} answered {response.status_code}: {response.body.decode()}")
    body = json.loads(response.body)
    if len(body) != LIMIT:
        raise RuntimeError(f"{PATH} returned {len(body)} statuses, expected {LIMIT}")
    return [int(s["id"]) for s in body]


async def bare(conn: asyncpg.Connection, viewer_id: int, max_id: int | None) -> tuple[float, list[asyncpg.Record]]:
    started = time.perf_counter()
    rows = await conn.fetch(BARE_SQL, viewer_id, NO_MAX_ID if max_id is None else max_id)
    return time.perf_counter() - started, rows


async def discover_pages(client: AsgiCaller, headers: dict[str, str], conn: asyncpg.Connection,
                         viewer_id: int, pages: int) -> list[int | None]:
    """The max_id of each page, following the Link header; checks bare == API for every page."""
    bounds: list[int | None] = [None]
    for n in range(pages):
        _, response = await ours(client, headers, bounds[-1])
        api_ids = await check(response)
        _, rows = await bare(conn, viewer_id, bounds[-1])
        if [r["id"] for r in rows] != api_ids:
            raise RuntimeError(f"page {n + 1}: the bare query's ids differ from the API's")
        if n + 1 < pages:
            bounds.append(next_max_id(response.headers.get("link")))
    return bounds


async def measure(client: AsgiCaller, headers: dict[str, str], conn: asyncpg.Connection, viewer_id: int,
                  bounds: list[int | None], n: int) -> Measurements:
    """n requests per side, cycling through the pages; the order alternates request by request.
    Every answer is checked after the loop: parsing 80 KB of JSON between two timed requests
    would evict what the next one needs from the caches, which no server does."""
    result = Measurements()
    answers: list[Answer] = []
    for i in range(n):
        max_id = bounds[i % len(bounds)]
        for side in (("ours", "bare") if i % 2 == 0 else ("bare", "ours")):
            if side == "ours":
                elapsed, response = await ours(client, headers, max_id)
                answers.append(response)
                result.ours.append(elapsed)
            else:
                elapsed, rows = await bare(conn, viewer_id, max_id)
                if len(rows) != LIMIT:
                    raise RuntimeError(f"bare query returned {len(rows)} rows")
                result.bare.append(elapsed)
    for response in answers:
        await check(response)
    return result


def percentile(values: Sequence[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# --- diagnosis --------------------------------------------------------------------------------------


def statement_label(sql: str) -> str:
    verb = sql.lstrip().split(None, 1)[0].upper()
    tables = list(dict.fromkeys(re.findall(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)", sql, flags=re.IGNORECASE)))
    return f"{verb} {tables[0]}" + (f" (+{', '.join(tables[1:])})" if tables[1:] else "") if tables else verb


@contextlib.contextmanager
def sql_recorder(runtime: Runtime) -> Iterator[dict[str, Any]]:
    """Count and time (wall, from Python) every statement and every pool checkout on the engine."""
    engine = runtime.db.engine.sync_engine
    stats: dict[str, Any] = {"statements": defaultdict(lambda: [0, 0.0]), "checkouts": 0, "captured": []}

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()
        stats["captured"].append((statement, parameters))

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        entry = stats["statements"][statement_label(statement)]
        entry[0] += 1
        entry[1] += time.perf_counter() - conn.info.pop("bench_started")

    def checkout(*_: Any) -> None:
        stats["checkouts"] += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine.pool, "checkout", checkout)
    try:
        yield stats
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        event.remove(engine.pool, "checkout", checkout)


async def floors(runtime: Runtime, client: AsgiCaller, conn: asyncpg.Connection, n: int) -> None:
    """What the pieces every request pays for cost on this machine, interleaved like the main run."""
    samples: dict[str, list[float]] = defaultdict(list)
    one = sqlalchemy.text("SELECT 1")
    test_client = client.app.test_client()
    for _ in range(n):
        started = time.perf_counter()
        await conn.fetchval("SELECT 1")
        samples["asyncpg SELECT 1 (one round trip)"].append(time.perf_counter() - started)
        started = time.perf_counter()
        async with runtime.db.session() as session:
            await session.execute(one)
        samples["db.session() + SELECT 1 (checkout, ping, BEGIN, ROLLBACK)"].append(time.perf_counter() - started)
        started = time.perf_counter()
        response = await client.get(PATH, {"limit": LIMIT}, {})
        samples["GET home without token -> 401 (framework, no SQL), ASGI call"].append(time.perf_counter() - started)
        if response.status_code != 401:
            raise RuntimeError(f"expected 401 without a token, got {response.status_code}")
        started = time.perf_counter()
        await test_client.get(PATH, query_string={"limit": LIMIT})
        samples["the same through Quart's test client (harness cost included)"].append(time.perf_counter() - started)
    print(f"--- floors on this machine (p50 of {n}) ---")
    for label, values in samples.items():
        print(f"{label:<64} {statistics.median(values) * 1000:>8.3f} ms")


def wire_messages(data: bytes) -> str:
    """The PostgreSQL frontend messages in one socket write: 'Q' with its SQL, else the type letters."""
    kinds: list[str] = []
    at = 0
    while at + 5 <= len(data):
        kind, length = chr(data[at]), int.from_bytes(data[at + 1:at + 5], "big")
        body = data[at + 5:at + 1 + length]
        kinds.append(f"Query {body.rstrip(bytes(1)).decode(errors='replace')!r}" if kind == "Q" else kind)
        at += 1 + length
    label = " ".join(kinds)
    return {"B E S": "Bind/Execute/Sync (a prepared statement: query or pre-ping)",
            "P D S": "Parse/Describe/Sync (preparing a new statement)"}.get(label, label)


@contextlib.contextmanager
def wire_recorder() -> Iterator[Counter[str]]:
    """Tally what this process writes to its sockets (only PostgreSQL here: the ASGI calls have none).

    asyncpg writes each message batch ending in Sync, or each simple Query, in one write and then
    waits for the answer, so one write is one round trip."""
    transport = asyncio.selector_events._SelectorSocketTransport
    original = transport.write
    tally: Counter[str] = Counter()

    def write(self: Any, data: Any) -> None:
        tally[wire_messages(bytes(data))] += 1
        original(self, data)

    transport.write = write  # type: ignore[method-assign]
    try:
        yield tally
    finally:
        transport.write = original  # type: ignore[method-assign]


async def diagnose(runtime: Runtime, client: AsgiCaller, headers: dict[str, str], conn: asyncpg.Connection,
                   viewer_id: int, bounds: list[int | None], n: int) -> None:
    print()
    await floors(runtime, client, conn, 100)
    print()
    print(f"--- where our time goes: {n} more requests, cycling the same pages ---")
    with sql_recorder(runtime) as stats, wire_recorder() as wire:
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            _, response = await ours(client, headers, bounds[i % len(bounds)])
            await check(response)
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
    statements = sum(c for c, _ in stats["statements"].values())
    sql_total = sum(t for _, t in stats["statements"].values())
    print(f"per request: {total / n * 1000:.2f} ms wall, {cpu / n * 1000:.2f} ms CPU in this process (body check "
          f"included); {statements / n:.1f} SQL statements taking {sql_total / n * 1000:.2f} ms wall as seen from "
          f"Python; {stats['checkouts'] / n:.1f} pool checkouts; {sum(wire.values()) / n:.1f} round trips")
    print(f"{'round trips to PostgreSQL':<72} {'per req':>8}")
    for label, count in wire.most_common():
        print(f"{label[:72]:<72} {count / n:>8.1f}")
    print(f"{'SQL statements (seen by SQLAlchemy; not Database.fetch)':<64} {'per req':>8} {'ms/req':>8}")
    for label, (count, seconds) in sorted(stats["statements"].items(), key=lambda kv: -kv[1][1]):
        print(f"{label[:64]:<64} {count / n:>8.1f} {seconds / n * 1000:>8.3f}")

    print()
    print(f"--- cProfile of {n} more requests, top 30 by cumulative time ---")
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n):
        _, response = await ours(client, headers, bounds[i % len(bounds)])
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(30)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))
    out = io.StringIO()
    print("--- same profile, top 15 by own time ---")
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(15)
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))

    for max_id in (bounds[0], bounds[-1]):
        # The statement render_home runs (Database.fetch sends it through asyncpg directly).
        home, params = home_frames_statement(viewer_id, Page(max_id=max_id, limit=LIMIT))
        statement, names = positional(home.text)
        parameters = [params[name] for name in names]
        lines = [r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *parameters)]
        print()
        where = "first page" if max_id is None else f"page {len(bounds)} (max_id={max_id})"
        print(f"--- EXPLAIN ANALYZE of the home statement (render_home), {where} ---")
        if max_id is None:
            print(statement.strip())
            print(f"parameters: {tuple(parameters)}")
        print("\n".join(lines))
        bare_plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + BARE_SQL, viewer_id,
                                     NO_MAX_ID if max_id is None else max_id)
        bare_lines = [r[0] for r in bare_plan]
        print(f"--- EXPLAIN ANALYZE of the bare query, {where}{'' if max_id is None else ' (timings only)'} ---")
        print("\n".join(bare_lines if max_id is None else bare_lines[-2:]))


# --- driver -------------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> int:
    async with postgres_database(args.postgres_url) as url:
        settings = Settings().replace(database__url=url, instance__domain="social.bench",
                                      limits__api_requests_per_window=10_000_000)
        runtime = Runtime.from_settings(settings)
        conn = await asyncpg.connect(asyncpg_url(url))
        try:
            await upgrade(runtime.db)
            version = await server_version(conn)
            data = await seed(runtime, conn, args)
            client = AsgiCaller(create_app(runtime, workers=False))
            headers = {"Authorization": f"Bearer {data.token}"}
            bounds = await discover_pages(client, headers, conn, data.viewer_account_id, args.pages)
            await measure(client, headers, conn, data.viewer_account_id, bounds, args.warmup)
            result = await measure(client, headers, conn, data.viewer_account_id, bounds, args.requests)

            print(f"python {platform.python_version()} ({platform.machine()}), SQLAlchemy {sqlalchemy.__version__}, "
                  f"asyncpg {asyncpg.__version__}, Quart {importlib.metadata.version('quart')}, {version}")
            print("data: " + ", ".join(f"{v:,} {k}" for k, v in data.counts.items())
                  + f"; seeded in {data.seconds:.1f} s (COPY + VACUUM ANALYZE)")
            print(f"N = {args.requests} requests per side (limit={LIMIT}), cycling {args.pages} pages "
                  f"(first + max_id from Link), warm-up = {args.warmup} uncounted, ours/bare interleaved; "
                  f"bare ids == API ids checked on every page")
            print("ours: GET /api/v1/timelines/home as one ASGI call, as hypercorn makes it (auth, home(), render, "
                  "JSON); bare: one prepared SQL statement via asyncpg")
            print()
            header = f"{'':<9} {'p50 ms':>8} {'p99 ms':>8}"
            print(header)
            print("-" * len(header))
            stats: dict[str, tuple[float, float]] = {}
            for name, values in (("ours", result.ours), ("bare", result.bare)):
                stats[name] = (percentile(values, 50) * 1000, percentile(values, 99) * 1000)
                print(f"{name:<9} {stats[name][0]:>8.2f} {stats[name][1]:>8.2f}")
            print()
            failed = False
            for i, label in enumerate(("p50", "p99")):
                ratio = stats["ours"][i] / stats["bare"][i]
                ok = ratio <= TARGET
                failed |= not ok
                print(f"{label} ours/bare = {ratio:6.2f}x   target <= {TARGET:g}x: {'meets' if ok else 'MISSES'}")
            sys.stdout.flush()
            if args.diagnose == "always" or (failed and args.diagnose == "auto"):
                await diagnose(runtime, client, headers, conn, data.viewer_account_id, bounds, args.profile_requests)
            return 1 if failed else 0
        finally:
            await conn.close()
            await runtime.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=300, help="measured requests per side")
    parser.add_argument("--pages", type=int, default=5, help="pages to cycle through (first + next links)")
    parser.add_argument("--warmup", type=int, default=30, help="uncounted requests per side before measuring")
    parser.add_argument("--accounts", type=int, default=1000, help="accounts, the viewer included")
    parser.add_argument("--statuses", type=int, default=100_000)
    parser.add_argument("--following", type=int, default=150, help="accounts the viewer follows")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data set")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL,
                        help="server to create the throwaway database on (asyncpg URL)")
    parser.add_argument("--diagnose", choices=("auto", "always", "never"), default="auto",
                        help="profile and EXPLAIN when a ratio misses the target (auto), always or never")
    parser.add_argument("--profile-requests", type=int, default=50, help="requests in the diagnosis batch")
    args = parser.parse_args(argv)
    if min(args.requests, args.pages, args.profile_requests) < 1 or args.warmup < 0:
        parser.error("--requests, --pages and --profile-requests must be at least 1, --warmup at least 0")
    if args.requests < 2:
        parser.error("--requests must be at least 2 for percentiles")
    if not 10 <= args.following < args.accounts - 10:
        parser.error("--following must leave at least 10 accounts unfollowed and be at least 10")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
