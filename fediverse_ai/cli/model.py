"""`model`: get the diffusion model onto this machine, or build the tiny test model.

`model pull` downloads a hub model into the Hugging Face cache with a progress bar, so the
first generation does not wait for it; `model make-tiny` builds the random-weight pipeline the
tests and the offline demo mode use, with no download at all.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import Settings
from ..generation.pipeline import ModelUnavailable, check_model, download, model_source
from ..generation.tiny import save_tiny_pipeline
from .common import CommandFailed, settings_from


def register(commands: argparse._SubParsersAction) -> None:
    model = commands.add_parser(
        "model", help="download the image model, or build the tiny offline test model",
        description="Manage the diffusion model the generation lane runs (generation.model).",
    )
    actions = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    pull = actions.add_parser(
        "pull", help="download a model from the Hugging Face hub, with a progress bar",
        description=(
            "Download a diffusers model into the Hugging Face cache (HF_HOME / HF_HUB_CACHE) so "
            "generation.model can use it without waiting, and offline afterwards."
        ),
    )
    pull.add_argument("model_id", nargs="?", metavar="ID", help="hub id (default: generation.model)")
    pull.set_defaults(handler=cmd_pull)
    tiny = actions.add_parser(
        "make-tiny", help="build the tiny random-weight test model into a folder (no download)",
        description=(
            "Save a tiny Stable Diffusion pipeline with random weights (about 9 MB) in diffusers' "
            "folder format. Point generation.model at it to try the whole flow offline; its images "
            "are coloured noise."
        ),
    )
    tiny.add_argument("path", type=Path, help="folder to write")
    tiny.set_defaults(handler=cmd_make_tiny)


def cmd_pull(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    model_id = args.model_id or settings.generation.model
    source = model_source(settings.generation.__class__(model=model_id))
    if source.local:
        raise CommandFailed(f"{model_id} is a local folder: there is nothing to download")
    print(f"Downloading {model_id} into the Hugging Face cache...", flush=True)
    try:
        folder = download(model_id)
    except ModelUnavailable as exc:
        raise CommandFailed(
            f"{exc.reason}\n  Check this machine reaches huggingface.co (or set HF_ENDPOINT to a mirror; "
            "HF_TOKEN for gated models). Without a network: copy the HF cache from another machine, or "
            "set generation.offline_tiny_model = true to try everything with the tiny model."
        ) from None
    print(f"Downloaded {model_id} (revision {folder.name}) to {folder}.")
    if model_id != settings.generation.model:
        print(f'Use it with generation.model = "{model_id}" in your config.')
    return 0


def cmd_make_tiny(args: argparse.Namespace) -> int:
    folder = save_tiny_pipeline(args.path)
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"Wrote the tiny test model to {folder} ({size / 1e6:.1f} MB, random weights: images are noise).")
    print(f'Use it with generation.model = "{folder}", or generation.offline_tiny_model = true.')
    return 0


def startup_notice(settings: Settings) -> str | None:
    """What `run` and `worker` print when the configured model cannot load without a download."""
    check = check_model(settings.generation)
    if check.ok:
        return None
    return f"The image model is unavailable: {check.detail}.\n  To fix: {check.fix}."
