"""The diffusion pipeline: where the model comes from, loading it once per process, running it.

The model is a config value: a Hugging Face hub id (downloaded into the HF cache, with a
progress callback the worker shows to the user) or a local diffusers folder, or the built-in
tiny model when ``generation.offline_tiny_model`` is on. Loading goes through diffusers' own
AutoPipelineForText2Image, so any text-to-image pipeline diffusers knows works. Anything that
keeps the model from loading becomes ModelUnavailable with a reason and a fix, which the
worker shows on the failed job and `doctor` / start-up print, never a traceback.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import GenerationSettings
from .tiny import TINY_MODEL_ID, is_tiny_pipeline, save_tiny_pipeline

log = logging.getLogger("fediverse_ai.generation")

Progress = Callable[[str], None]


class ModelUnavailable(Exception):
    """The configured model cannot be loaded; ``reason`` is for users, ``fix`` for the admin."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


@dataclass(frozen=True)
class ModelSource:
    model_id: str  # what the recipe names: hub id, folder path, or the tiny model's id
    location: str  # hub id or folder
    local: bool
    tiny: bool = False


def model_source(settings: GenerationSettings) -> ModelSource:
    if settings.offline_tiny_model:
        return ModelSource(TINY_MODEL_ID, str(settings.tiny_model_dir), local=True, tiny=True)
    return source_of(settings.model)


def source_of(name: str) -> ModelSource:
    path = Path(name).expanduser()
    looks_like_path = name.startswith(("/", "./", "../", "~")) or path.exists()
    if looks_like_path:
        tiny = is_tiny_pipeline(path)
        return ModelSource(TINY_MODEL_ID if tiny else str(path), str(path), local=True, tiny=tiny)
    return ModelSource(name, name, local=False)


OFFLINE_FIX = (
    "run `fediverse-ai model pull {id}` on a machine that can reach huggingface.co (or copy its HF cache), "
    "set generation.model to a local diffusers folder, or set generation.offline_tiny_model = true "
    "to try everything with the built-in tiny model"
)


@dataclass(frozen=True)
class ModelCheck:
    ok: bool
    detail: str
    fix: str = ""


def check_model(settings: GenerationSettings) -> ModelCheck:
    """Can the model load without a download? Never touches the network (doctor, start-up, pages)."""
    source = model_source(settings)
    if source.tiny and settings.offline_tiny_model:
        where = "saved" if (Path(source.location) / "model_index.json").exists() else "built on first use"
        return ModelCheck(True, f"the built-in tiny test model at {source.location} ({where}); its images are noise")
    if source.local:
        folder = Path(source.location)
        if not folder.exists():
            return ModelCheck(False, f"the model folder {folder} does not exist",
                              "point generation.model at a folder saved with save_pretrained, or a hub id")
        if not (folder / "model_index.json").exists():
            return ModelCheck(False, f"{folder} has no model_index.json: not a diffusers pipeline folder",
                              "point generation.model at a folder saved with save_pretrained, or a hub id")
        return ModelCheck(True, f"local pipeline at {folder}")
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(source.location, "model_index.json"), str):
        return ModelCheck(True, f"{source.location} is in the Hugging Face cache")
    return ModelCheck(
        False, f"{source.location} is not downloaded yet (neither a local folder nor in the Hugging Face cache)",
        OFFLINE_FIX.format(id=source.location),
    )


def check_component(name: str, setting: str) -> ModelCheck:
    """Is an extra model (generation.taesd, generation.safety_classifier) loadable without a download?"""
    source = source_of(name)
    fix = f"set {setting} to a model folder or a hub id, or empty to turn it off"
    if source.local:
        ok = (Path(source.location) / "config.json").exists()
        return ModelCheck(ok, f"{name} {'is' if ok else 'is not'} a model folder (config.json)", fix)
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(name, "config.json"), str):
        return ModelCheck(True, f"{name} is in the Hugging Face cache")
    return ModelCheck(False, f"{name} is not downloaded yet", f"run `fediverse-ai model pull {name}`, or {fix}")


def resolve_device(setting: str) -> str:
    import torch

    if setting != "auto":
        return setting
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def resolve_dtype(device: str, setting: str) -> Any:
    """CPU computes in float32; GPUs in bfloat16 where supported (no fp16 overflow), else float16."""
    import torch

    if setting != "auto":
        return getattr(torch, setting)
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def download(repo_id: str, progress: Progress | None = None) -> Path:
    """Fetch (or find in the cache) a hub snapshot; progress gets lines like "downloading 42%"."""
    from huggingface_hub import snapshot_download

    tqdm_class = progress_tqdm(progress) if progress else None
    try:
        return Path(snapshot_download(repo_id, tqdm_class=tqdm_class))
    except Exception as exc:
        raise ModelUnavailable(
            f"the model {repo_id} could not be downloaded ({type(exc).__name__}: {first_words(exc)})",
            OFFLINE_FIX.format(id=repo_id),
        ) from exc


def first_words(exc: Exception, limit: int = 240) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Discard:
    """A file for progress bars nobody should see (the worker reports through ``progress``)."""

    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def progress_tqdm(progress: Progress) -> Any:
    """A tqdm class for huggingface_hub that reports byte progress as "downloading the model: N%"."""
    from tqdm.auto import tqdm

    class Reporting(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["file"] = _Discard()
            super().__init__(*args, **kwargs)
            self._shown = -1

        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            if self.total and self.unit == "B":
                percent = int(100 * self.n / self.total)
                if percent != self._shown:
                    self._shown = percent
                    progress(f"downloading the model: {percent}%")
            return shown

    return Reporting


@dataclass(frozen=True)
class ImageSpec:
    prompt: str
    negative_prompt: str
    seed: int


class LoadedPipeline:
    """A pipeline on its device plus what the recipe needs to name it; one call at a time.

    ``busy_s`` adds up the seconds spent inside pipeline calls (the device's share of the work):
    the benchmark compares it with the lane's wall time to show whether the GPU ever waits.
    """

    def __init__(self, pipe: Any, *, model_id: str, revision: str, device: str, dtype: Any, vae: str) -> None:
        self.pipe = pipe
        self.model_id = model_id
        self.revision = revision
        self.device = device
        self.dtype = str(dtype).removeprefix("torch.")
        self.vae = vae
        self.pipeline_class = type(pipe).__name__
        self.scheduler = type(pipe.scheduler).__name__
        self.busy_s = 0.0
        self._lock = threading.Lock()

    def generate(
        self, specs: list[ImageSpec], *, steps: int, guidance: float, width: int, height: int,
        on_step: Callable[[int], None] | None = None, should_stop: Callable[[], bool] | None = None,
    ) -> list[Any]:
        """One pipeline call for all ``specs``; blocking (run it in a thread). Returns PIL images."""
        import torch
        from PIL import Image

        generators = [torch.Generator("cpu").manual_seed(spec.seed) for spec in specs]

        def step_end(pipe: Any, index: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            if on_step is not None:
                on_step(index + 1)
            if should_stop is not None and should_stop():
                pipe._interrupt = True
            return tensors

        with self._lock, torch.inference_mode():
            started = time.perf_counter()
            try:
                result = self.pipe(
                    prompt=[s.prompt for s in specs],
                    negative_prompt=[s.negative_prompt for s in specs] if guidance > 1 else None,
                    num_inference_steps=steps,
                    guidance_scale=guidance,
                    width=width,
                    height=height,
                    generator=generators,
                    callback_on_step_end=step_end,
                    output_type="pt",
                )
                pixels = to_pixels(result.images)
            finally:
                self.busy_s += time.perf_counter() - started
        return [Image.fromarray(p) for p in pixels]


def to_pixels(images: Any) -> Any:
    """8-bit RGB pixels (batch x height x width x 3 numpy array) of the pipeline's [0, 1] output.

    The arithmetic is diffusers' own for output_type="pil" (float32, x255, round half to even),
    so the pixels are the same; it runs on the device, and one uint8 copy (a quarter of the
    float32 bytes) crosses to the CPU instead of every float, converted there in one thread.
    """
    import torch

    return (images.float() * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous().cpu().numpy()


_loaded: dict[tuple[Any, ...], LoadedPipeline] = {}
_load_lock = threading.Lock()


def load_pipeline(settings: GenerationSettings, progress: Progress | None = None) -> LoadedPipeline:
    """The process's pipeline for these settings, loaded on first use (blocking: use a thread)."""
    source = model_source(settings)
    key = (source, settings.device, settings.dtype, settings.taesd, settings.compile)
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = _load(source, settings, progress)
        return _loaded[key]


def _load(source: ModelSource, settings: GenerationSettings, progress: Progress | None) -> LoadedPipeline:
    import transformers
    from diffusers import AutoPipelineForText2Image
    from diffusers.utils import logging as diffusers_logging

    # Loading bars would land in the server's log; users see ``progress`` on their job instead.
    diffusers_logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()

    folder, revision = _materialise(source, progress)
    device = resolve_device(settings.device)
    dtype = resolve_dtype(device, settings.dtype)
    extra: dict[str, Any] = {}
    vae = "model"
    if settings.taesd:
        extra["vae"], vae = _load_taesd(settings.taesd, dtype, progress)
    if progress:
        progress("loading the model")
    try:
        # A replacement VAE goes in at construction, so the pipeline sizes latents for it.
        pipe = AutoPipelineForText2Image.from_pretrained(folder, dtype=dtype, local_files_only=True, **extra)
        pipe = pipe.to(device)
    except Exception as exc:
        raise ModelUnavailable(
            f"the model {source.model_id} could not be loaded ({type(exc).__name__}: {first_words(exc)})",
            f"check the folder {folder} (re-download with `fediverse-ai model pull`), or that "
            f"generation.device = {settings.device} and dtype = {settings.dtype} suit this machine",
        ) from exc
    pipe.set_progress_bar_config(disable=True)
    if device == "cuda":
        speed_up_cuda(pipe, compile_unet=settings.compile)
    log.info("pipeline loaded", extra={"model": source.model_id, "revision": revision, "device": device,
                                       "dtype": str(dtype), "vae": vae})
    return LoadedPipeline(pipe, model_id=source.model_id, revision=revision, device=device, dtype=dtype, vae=vae)


def _materialise(source: ModelSource, progress: Progress | None) -> tuple[Path, str]:
    """A local folder for the source, with the revision the recipe records."""
    if source.tiny and not (Path(source.location) / "model_index.json").exists():
        if progress:
            progress("building the tiny test model")
        save_tiny_pipeline(Path(source.location))
    if source.local:
        folder = Path(source.location)
        index = folder / "model_index.json"
        if not index.exists():
            raise ModelUnavailable(
                f"the model folder {folder} is missing or is not a diffusers pipeline (no model_index.json)",
                "point generation.model at a folder saved with save_pretrained, or a hub id",
            )
        return folder, "sha256:" + hashlib.sha256(index.read_bytes()).hexdigest()[:16]
    folder = download(source.location, progress)
    return folder, folder.name  # the snapshot folder is named after its commit


def _load_taesd(name: str, dtype: Any, progress: Progress | None) -> tuple[Any, str]:
    """A tiny autoencoder for decoding (TAESD): at one step the VAE decoder dominates the cost."""
    from diffusers import AutoencoderTiny

    source = source_of(name)
    folder = Path(source.location) if source.local else download(source.location, progress)
    try:
        return AutoencoderTiny.from_pretrained(folder, dtype=dtype, local_files_only=True), f"AutoencoderTiny:{name}"
    except Exception as exc:
        raise ModelUnavailable(
            f"the tiny autoencoder {name} could not be loaded ({type(exc).__name__}: {first_words(exc)})",
            "set generation.taesd to an AutoencoderTiny folder or hub id (e.g. madebyollin/taesd), or empty",
        ) from exc


def speed_up_cuda(pipe: Any, *, compile_unet: bool) -> None:
    """What diffusers recommends on CUDA: SDPA attention (its default on torch 2), channels_last
    memory layout, TF32 matmuls, and optionally torch.compile of the UNet."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    pipe.unet.to(memory_format=torch.channels_last)
    pipe.vae.to(memory_format=torch.channels_last)
    if compile_unet:
        pipe.unet = torch.compile(pipe.unet, mode="max-autotune", fullgraph=True)
