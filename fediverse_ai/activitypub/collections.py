"""Paged OrderedCollections, the shape Mastodon reads (a collection without ``first`` or items
is treated as private): the collection names its total and first page; each page names the
collection, its neighbours and its items.

Public API: ``ordered_collection(collection_id, total)``, ``ordered_collection_page(collection_id,
page, items, total, has_next)``, ``page_number(raw)``, ``PAGE_SIZE``.
"""

from __future__ import annotations

from typing import Any

from .jsonld import with_context

PAGE_SIZE = 40


def page_id(collection_id: str, page: int) -> str:
    return f"{collection_id}?page={page}"


def page_number(raw: str | None) -> int | None:
    """The requested page (1-based), None for the collection itself; nonsense reads as page 1."""
    if raw is None:
        return None
    return int(raw) if raw.isdigit() and int(raw) >= 1 else 1


def ordered_collection(collection_id: str, total: int) -> dict[str, Any]:
    return with_context({"id": collection_id, "type": "OrderedCollection", "totalItems": total,
                         "first": page_id(collection_id, 1)})


def ordered_collection_page(collection_id: str, page: int, items: list[Any], total: int,
                            has_next: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": page_id(collection_id, page), "type": "OrderedCollectionPage",
                           "partOf": collection_id, "totalItems": total, "orderedItems": items}
    if has_next:
        doc["next"] = page_id(collection_id, page + 1)
    if page > 1:
        doc["prev"] = page_id(collection_id, page - 1)
    return with_context(doc)
