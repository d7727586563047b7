"""JSON-LD for the documents we emit and read, without a JSON-LD processor at run time.

Like Mastodon (and Takahē's core/ld.py) we emit *compacted* JSON with a fixed @context and read
incoming documents as the compacted JSON they nearly always are. The context documents we
reference are bundled in ``contexts/`` and served by ``bundled_context(url)``; nothing is ever
fetched from the network, so a slow or hostile context host cannot stall or poison us.

Our AI-provenance extension lives in the namespace ``FAI_NS`` (https://fediverse-ai.org/ns#),
documented in docs/federation.md and bundled as contexts/fediverse-ai-v1.json:

- ``aiGenerated`` (boolean): the object or attachment was made by a generative model;
- ``digitalSourceType`` (IRI): IPTC's digital source type, ``IPTC_TRAINED_ALGORITHMIC_MEDIA``;
- ``recipe`` (``@json``): the generation recipe object, kept verbatim by JSON-LD processors.

Public API: ``CONTEXT`` (the @context of every document we serve), ``with_context(doc)``,
``bundled_context(url)``, ``AS_PUBLIC``/``is_public(iri)``, ``as_list(value)``, ``id_of(value)``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
FAI_NS = "https://fediverse-ai.org/ns#"
FAI_CONTEXT = "https://fediverse-ai.org/ns/v1"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
IPTC_TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

# The extension map Mastodon sends (app/helpers/context_helper.rb), plus our namespace.
_EXTENSIONS: dict[str, Any] = {
    "toot": "http://joinmastodon.org/ns#",
    "schema": "http://schema.org#",
    "fai": FAI_NS,
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "blurhash": "toot:blurhash",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
    "Emoji": "toot:Emoji",
    "aiGenerated": "fai:aiGenerated",
    "digitalSourceType": {"@id": "fai:digitalSourceType", "@type": "@id"},
    "recipe": {"@id": "fai:recipe", "@type": "@json"},
    "remixOf": {"@id": "fai:remixOf", "@type": "@id"},
    "remixPolicy": "fai:remixPolicy",
}

CONTEXT: list[Any] = [AS_CONTEXT, SECURITY_CONTEXT, _EXTENSIONS]

_BUNDLED = {
    AS_CONTEXT: "activitystreams.json",
    AS_CONTEXT + ".jsonld": "activitystreams.json",
    SECURITY_CONTEXT: "security-v1.json",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.json",
    "https://w3id.org/security/multikey/v1": "multikey-v1.json",
    "https://w3id.org/identity/v1": "identity-v1.json",
    FAI_CONTEXT: "fediverse-ai-v1.json",
}


def with_context(document: dict[str, Any]) -> dict[str, Any]:
    """The document with our @context first (key order matters to human readers only)."""
    return {"@context": CONTEXT, **{k: v for k, v in document.items() if k != "@context"}}


@cache
def bundled_context(url: str) -> dict[str, Any]:
    """The context document for ``url`` from the package; KeyError for one we do not bundle."""
    name = _BUNDLED[url.rstrip("#")]
    return json.loads(resources.files(__package__).joinpath("contexts", name).read_text())


def is_public(iri: object) -> bool:
    """Remote servers write the public collection three ways; all mean the same."""
    return iri in (AS_PUBLIC, "as:Public", "Public")


def as_list(value: Any) -> list[Any]:
    """JSON-LD lets any property be a single value or an array; read both as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def id_of(value: Any) -> str | None:
    """The IRI of a reference that may be a string or an embedded object with an id."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None
