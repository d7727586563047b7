"""Status entities built by the database as JSON text, in two statements: cores and frames.

A home timeline page is what every client asks for most. Rendering it in Python meant nine
queries, ORM objects for every row and tens of thousands of dict operations per page. Here the
database builds the viewer-independent part of each Mastodon Status entity (the "core": author,
media, mentions, tags, application, counts) as JSON text, which ``status_entities`` caches by row
versions; a page is then one "frame" statement (ids, versions, the viewer's marks) and the cached
texts joined, with the boosted original and the marks put around them.

The SQL is generated once per dialect (PostgreSQL's ``json_build_object`` / ``json_agg`` or
SQLite's ``json_object`` / ``json_group_array``) from the helpers below, so both backends give
the same entities. ``entities.account_entity`` and ``status_entities.media_entity`` stay the
reference shapes for accounts and media; tests hold the SQL versions equal to them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import BigInteger, BindParameter, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY


@dataclass(frozen=True)
class JsonSql:
    """The JSON and formatting functions of one SQL dialect, as SQL text fragments."""

    postgresql: bool

    def obj(self, *pairs: tuple[str, str]) -> str:
        args = ", ".join(f"'{key}', {value}" for key, value in pairs)
        return f"json_build_object({args})" if self.postgresql else f"json(json_object({args}))"

    def array(self, element: str, source: str, order: str) -> str:
        """A JSON array of ``element`` over the rows of ``source`` (a FROM ... WHERE ... text), never null."""
        if self.postgresql:
            return f"(SELECT coalesce(json_agg({element} ORDER BY {order}), '[]'::json) {source})"
        # SQLite 3.40 has no ORDER BY inside aggregates: aggregate over an ordered sub-select.
        return f"json((SELECT json_group_array(json(e)) FROM (SELECT {element} AS e {source} ORDER BY {order})))"

    def embed(self, json_value: str) -> str:
        """A JSON value stored in a column or produced by a CASE, embedded as JSON (not as a string)."""
        return json_value if self.postgresql else f"json({json_value})"

    def boolean(self, condition: str) -> str:
        return f"({condition})" if self.postgresql else f"json(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"

    def with_key(self, obj: str, key: str, value: str) -> str:
        """``obj`` with one more key (for keys Mastodon shows only in some cases)."""
        if self.postgresql:
            return f"({obj}::jsonb || jsonb_build_object('{key}', {value}))::json"
        return f"json_insert({obj}, '$.{key}', {value})"

    def id_text(self, column: str) -> str:
        return f"({column})::text" if self.postgresql else f"CAST({column} AS TEXT)"

    def timestamp(self, column: str) -> str:
        """ISO 8601 in UTC with milliseconds (truncated, like ``entities.timestamp``)."""
        if self.postgresql:
            return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) in SQLite.
        return f"(substr({column}, 1, 10) || 'T' || substr({column}, 12, 12) || 'Z')"

    def day(self, column: str) -> str:
        if self.postgresql:
            return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T00:00:00.000Z\"')"
        return f"(substr({column}, 1, 10) || 'T00:00:00.000Z')"

    def date(self, column: str) -> str:
        if self.postgresql:
            return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        return f"substr({column}, 1, 10)"

    def ratio(self, numerator: str, denominator: str) -> str:
        cast = "float8" if self.postgresql else "REAL"
        return f"CAST({numerator} AS {cast}) / {denominator}"

    def field(self, element: str, key: str) -> str:
        return f"({element} ->> '{key}')" if self.postgresql else f"json_extract({element}, '$.{key}')"

    def field_json(self, element: str, key: str) -> str:
        return f"({element} -> '{key}')" if self.postgresql else f"json_extract({element}, '$.{key}')"

    @property
    def empty_array(self) -> str:
        return "'[]'::json" if self.postgresql else "json('[]')"


# The instance's base URL, typed so that asyncpg (no SQLAlchemy casts) can prepare the statement.
BASE = "CAST(:base AS TEXT)"


def acct(a: str) -> str:
    return f"CASE WHEN {a}.domain IS NULL THEN {a}.username ELSE {a}.username || '@' || {a}.domain END"


def account_json(j: JsonSql, a: str) -> str:
    """The Account entity of the ``accounts`` row aliased ``a`` (``entities.account_entity``)."""
    avatar = f"coalesce({a}.avatar_url, {BASE} || '/static/avatar.png')"
    header = f"coalesce({a}.header_url, {BASE} || '/static/header.png')"
    if j.postgresql:
        fields = f"CASE WHEN json_typeof({a}.fields) = 'array' THEN {a}.fields ELSE '[]'::json END"
        fields_source = f"FROM json_array_elements({fields}) WITH ORDINALITY AS f(v, n)"
        element, order = "f.v", "f.n"
    else:
        fields = f"CASE WHEN json_type({a}.fields) = 'array' THEN {a}.fields ELSE '[]' END"
        fields_source = f"FROM json_each({fields}) AS f"
        element, order = "f.value", "f.key"
    field = j.obj(("name", f"coalesce({j.field(element, 'name')}, '')"),
                  ("value", f"coalesce({j.field(element, 'value')}, '')"),
                  ("verified_at", j.field_json(element, "verified_at")))
    entity = j.obj(
        ("id", j.id_text(f"{a}.id")),
        ("username", f"{a}.username"),
        ("acct", acct(a)),
        ("display_name", f"{a}.display_name"),
        ("locked", j.boolean(f"{a}.locked")),
        ("bot", j.boolean(f"{a}.actor_type IN ('Service', 'Application')")),
        ("discoverable", j.boolean(f"{a}.discoverable")),
        ("indexable", j.boolean(f"{a}.indexable")),
        ("group", j.boolean(f"{a}.actor_type = 'Group'")),
        ("created_at", j.day(f"{a}.created_at")),
        ("note", f"{a}.note"),
        ("url", f"coalesce({a}.url, {a}.uri)"),
        ("uri", f"{a}.uri"),
        ("avatar", avatar),
        ("avatar_static", avatar),
        ("header", header),
        ("header_static", header),
        ("followers_count", f"{a}.followers_count"),
        ("following_count", f"{a}.following_count"),
        ("statuses_count", f"{a}.statuses_count"),
        ("last_status_at", j.date(f"{a}.last_status_at")),
        ("hide_collections", j.boolean("1 = 0")),
        ("noindex", j.boolean(f"NOT {a}.indexable")),
        ("emojis", j.empty_array),
        ("roles", j.empty_array),
        ("fields", j.array(field, fields_source, order)),
        ("moved", "NULL"),
    )
    suspended = j.with_key(entity, "suspended", j.boolean("1 = 1"))
    return f"CASE WHEN {a}.suspended_at IS NULL THEN {entity} ELSE {suspended} END"


def media_json(j: JsonSql, m: str) -> str:
    """A ready MediaAttachment (``status_entities.media_entity``)."""
    original = f"CASE WHEN {m}.file_path IS NOT NULL THEN {BASE} || '/media/' || {m}.file_path ELSE {m}.remote_url END"
    preview_path = f"coalesce({m}.preview_path, {m}.thumbnail_path)"
    preview = f"CASE WHEN {preview_path} IS NOT NULL THEN {BASE} || '/media/' || {preview_path} ELSE {original} END"
    size = (("width", f"{m}.width"), ("height", f"{m}.height"))
    meta = j.obj(
        ("original", j.obj(*size, ("size", f"{m}.width || 'x' || {m}.height"),
                           ("aspect", j.ratio(f"{m}.width", f"{m}.height")))),
        ("focus", j.obj(("x", f"{m}.focus_x"), ("y", f"{m}.focus_y"))),
    )
    entity = j.obj(
        ("id", j.id_text(f"{m}.id")),
        ("type", f"CASE WHEN {m}.kind = 'image' THEN 'image' ELSE 'unknown' END"),
        ("url", original),
        ("preview_url", preview),
        ("remote_url", f"{m}.remote_url"),
        ("text_url", "NULL"),
        ("meta", j.embed(f"CASE WHEN {m}.width > 0 AND {m}.height > 0 THEN {meta} END")),
        ("description", f"nullif({m}.description, '')"),
        ("blurhash", f"{m}.blurhash"),
    )
    generated = j.obj(("generated", j.boolean("1 = 1")), ("recipe", j.embed(f"{m}.recipe")),
                      ("processing", f"{m}.processing"), ("error", f"{m}.processing_error"))
    return f"CASE WHEN {m}.generated THEN {j.with_key(entity, 'fediverse_ai', generated)} ELSE {entity} END"


def core_json(j: JsonSql, s: str, a: str) -> str:
    """The viewer-independent part of the Status entity of row ``s`` by author row ``a``: every key
    but ``reblog`` and the viewer's marks, which ``status_entities`` adds around the cached text."""
    media = j.array(media_json(j, "m"), f"FROM media_attachments m WHERE m.status_id = {s}.id "
                    "AND m.processing = 'ready'", "m.position, m.id")
    mention = j.obj(("id", j.id_text("ma.id")), ("username", "ma.username"), ("acct", acct("ma")),
                    ("url", "coalesce(ma.url, ma.uri)"))
    mentions = j.array(mention, f"FROM mentions mm JOIN accounts ma ON ma.id = mm.account_id "
                       f"WHERE mm.status_id = {s}.id", "mm.id")
    tag = j.obj(("name", "t.name"), ("url", f"{BASE} || '/tags/' || t.name"))
    tags = j.array(tag, f"FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = {s}.id", "t.name")
    application = j.embed(
        f"(SELECT {j.obj(('name', 'app.name'), ('website', 'app.website'))} FROM oauth_applications app "
        f"WHERE app.id = {s}.application_id AND {a}.domain IS NULL)")
    return j.obj(
        ("id", j.id_text(f"{s}.id")),
        ("uri", f"{s}.uri"),
        ("url", f"coalesce({s}.url, {s}.uri)"),
        ("created_at", j.timestamp(f"coalesce({s}.published_at, {s}.created_at)")),
        ("edited_at", j.timestamp(f"{s}.edited_at")),
        ("account", j.embed(account_json(j, a))),
        ("content", f"CASE WHEN {s}.reblog_of_id IS NOT NULL THEN '' ELSE {s}.content END"),
        ("visibility", f"{s}.visibility"),
        ("sensitive", j.boolean(f"{s}.sensitive")),
        ("spoiler_text", f"{s}.spoiler_text"),
        ("media_attachments", media),
        ("application", application),
        ("mentions", mentions),
        ("tags", tags),
        ("emojis", j.empty_array),
        ("reblogs_count", f"{s}.reblogs_count"),
        ("favourites_count", f"{s}.favourites_count"),
        ("replies_count", f"{s}.replies_count"),
        ("in_reply_to_id", j.id_text(f"{s}.in_reply_to_id")),
        ("in_reply_to_account_id", j.id_text(f"{s}.in_reply_to_account_id")),
        ("poll", "NULL"),
        ("card", "NULL"),
        ("language", f"{s}.language"),
        ("fediverse_ai", j.obj(("state", f"{s}.state"), ("state_reason", f"{s}.state_reason"),
                               ("recipe", j.embed(f"{s}.recipe")), ("remix_of_id", j.id_text(f"{s}.remix_of_id")))),
    )


def _ids_param(postgresql: bool) -> tuple[str, BindParameter[object]]:
    if postgresql:
        return "s.id = ANY(:ids)", bindparam("ids", type_=ARRAY(BigInteger))
    return "s.id IN :ids", bindparam("ids", expanding=True)


@functools.cache
def cores_by_ids(postgresql: bool) -> TextClause:
    """(id, status version, author version, core JSON text) of the statuses ``:ids``."""
    where, ids = _ids_param(postgresql)
    core = core_json(JsonSql(postgresql), "s", "a")
    return text(f"SELECT s.id, s.updated_at, a.updated_at, CAST({core} AS TEXT) FROM statuses s "
                f"JOIN accounts a ON a.id = s.account_id WHERE {where}").bindparams(ids)


# The viewer's marks on a status, as the bits of one number (status_entities.MARKS).
FAVOURITED, REBLOGGED, BOOKMARKED = 1, 2, 4


def _marks(status: str) -> str:
    # Scalar sub-selects with LIMIT 1 rather than EXISTS: PostgreSQL turns EXISTS in a select list
    # into a hash of all the viewer's favourites (thousands) where 40 index probes are cheaper.
    return (f"(COALESCE((SELECT {FAVOURITED} FROM favourites vf WHERE vf.account_id = :viewer "
            f"AND vf.status_id = {status}.id LIMIT 1), 0) "
            f"+ COALESCE((SELECT {REBLOGGED} FROM statuses vr WHERE vr.reblog_of_id = {status}.id "
            "AND vr.account_id = :viewer AND vr.deleted_at IS NULL LIMIT 1), 0) "
            f"+ COALESCE((SELECT {BOOKMARKED} FROM bookmarks vb WHERE vb.account_id = :viewer "
            f"AND vb.status_id = {status}.id LIMIT 1), 0))")


@functools.cache
def frame_columns(viewer: bool) -> str:
    """What a page needs besides the cached cores, for statuses ``s`` joined as in ``ENTITY_JOINS``:
    ``s.id, o.id`` (the boosted original or NULL), the versions of s, its author, o and o's author,
    and with a viewer the marks (``_marks``) on s, then on o."""
    columns = ["s.id", "o.id", "s.updated_at", "a.updated_at", "o.updated_at", "oa.updated_at"]
    if viewer:
        columns += [_marks("s"), f"CASE WHEN o.id IS NOT NULL THEN {_marks('o')} END"]
    return ", ".join(columns)


# The author, and the boosted original with its author (absent for an original).
ENTITY_JOINS = ("JOIN accounts a ON a.id = s.account_id "
                "LEFT JOIN statuses o ON o.id = s.reblog_of_id LEFT JOIN accounts oa ON oa.id = o.account_id")


@functools.cache
def frames_by_ids(postgresql: bool, viewer: bool) -> TextClause:
    """``frame_columns`` of the statuses ``:ids`` (any order; the caller orders them)."""
    where, ids = _ids_param(postgresql)
    return text(f"SELECT {frame_columns(viewer)} FROM statuses s {ENTITY_JOINS} WHERE {where}").bindparams(ids)
