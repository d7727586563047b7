"""Per-model defaults and the recipe: everything needed to make the same image again.

The recipe travels with every generated image (database row, file metadata, ActivityPub
object), so it names the exact model revision, the sampler and the library versions, not just
the prompt: with the same recipe on the same model and device the pipeline gives the same
pixels (the seeds feed CPU generators, so the starting noise does not depend on the device).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..config import GenerationSettings
from .tiny import TINY_MODEL_ID, TINY_SIZE

if TYPE_CHECKING:
    from ..models import GenerationJob
    from .pipeline import LoadedPipeline

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


@dataclass(frozen=True)
class Defaults:
    steps: int
    guidance: float
    size: int


# Distilled few-step models want one step and no classifier-free guidance; classic Stable
# Diffusion wants ~25 steps with guidance 7. Matched on the end of the model id (or folder).
_KNOWN: tuple[tuple[str, Defaults], ...] = (
    ("sd-turbo", Defaults(steps=1, guidance=0.0, size=512)),
    ("sdxl-turbo", Defaults(steps=1, guidance=0.0, size=512)),
    ("stable-diffusion-xl-base-1.0", Defaults(steps=30, guidance=6.0, size=1024)),
    ("stable-diffusion-2-1", Defaults(steps=25, guidance=7.0, size=768)),
    (TINY_MODEL_ID, Defaults(steps=2, guidance=0.0, size=TINY_SIZE)),
)
_FALLBACK = Defaults(steps=25, guidance=7.0, size=512)


def model_defaults(model_id: str, settings: GenerationSettings) -> Defaults:
    """The model's defaults, with the admin's overrides, clamped to the admin's limits."""
    base = next((d for name, d in _KNOWN if model_id.rstrip("/").lower().endswith(name)), _FALLBACK)
    steps = settings.default_steps or base.steps
    guidance = settings.default_guidance if settings.default_guidance >= 0 else base.guidance
    size = settings.default_size or base.size
    return Defaults(
        steps=min(steps, settings.max_steps),
        guidance=guidance,
        size=min(size, settings.max_width, settings.max_height),
    )


def library_versions() -> dict[str, str]:
    import diffusers
    import torch
    import transformers

    return {
        "fediverse_ai": __version__,
        "diffusers": diffusers.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }


def build_recipe(job: GenerationJob, loaded: LoadedPipeline, image_index: int) -> dict[str, Any]:
    """The recipe of one image of ``job`` (image i of a job uses seed + i)."""
    return {
        "generator": "fediverse_ai",
        "digital_source_type": DIGITAL_SOURCE_TYPE,
        "model": loaded.model_id,
        "model_revision": loaded.revision,
        "pipeline": loaded.pipeline_class,
        "scheduler": loaded.scheduler,
        "vae": loaded.vae,
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "seed": job.seed + image_index,
        "steps": job.steps,
        "guidance": job.guidance,
        "width": job.width,
        "height": job.height,
        "device": loaded.device,
        "dtype": loaded.dtype,
        "noise": "torch.Generator(cpu).manual_seed(seed)",
        "versions": library_versions(),
    }
