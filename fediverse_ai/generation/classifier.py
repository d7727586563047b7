"""The optional output check: an image classifier that marks generated images sensitive.

Off unless ``generation.safety_classifier`` names a transformers image-classification model
(hub id or local folder, e.g. an NSFW detector). Each finished batch is classified in one call;
an image whose label is one of ``generation.safety_labels`` with a score of at least
``generation.safety_threshold`` marks its job sensitive (the post is then shown behind a
warning). A configured classifier that cannot load fails the generation instead of letting
unchecked images through.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import GenerationSettings
from .pipeline import ModelUnavailable, download, first_words, resolve_device, source_of


@dataclass(frozen=True)
class Flag:
    label: str
    score: float


_loaded: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def _classifier(settings: GenerationSettings) -> Any:
    from transformers import pipeline

    device = resolve_device(settings.device)
    key = (settings.safety_classifier, device)
    with _lock:
        if key not in _loaded:
            source = source_of(settings.safety_classifier)
            folder = Path(source.location) if source.local else download(source.location)
            try:
                _loaded[key] = pipeline("image-classification", model=str(folder), device=device)
            except Exception as exc:
                raise ModelUnavailable(
                    f"the safety classifier {settings.safety_classifier} could not be loaded "
                    f"({type(exc).__name__}: {first_words(exc)})",
                    "set generation.safety_classifier to an image-classification model folder or hub id, "
                    "or empty to turn the check off",
                ) from exc
        return _loaded[key]


def classify(settings: GenerationSettings, images: list[Any]) -> list[Flag | None]:
    """For each image, the sensitive label it was given (None: not sensitive, or no classifier)."""
    if not settings.safety_classifier or not images:
        return [None] * len(images)
    labels = {label.strip().lower() for label in settings.safety_labels.split(",") if label.strip()}
    results = _classifier(settings)(images, top_k=None)
    flags: list[Flag | None] = []
    for scores in results:
        hits = [s for s in scores if s["label"].lower() in labels and s["score"] >= settings.safety_threshold]
        best = max(hits, key=lambda s: s["score"], default=None)
        flags.append(Flag(best["label"], round(float(best["score"]), 4)) if best else None)
    return flags
