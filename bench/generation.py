"""Images per second of the generation lane, against a naive loop over the same pipeline.

All three measurements use the very same loaded pipeline object (``load_pipeline``: same
device, dtype and settings), in the same run, each making its pipeline calls on a thread:

* naive loop: one pipeline call per prompt (``pipe(prompt, num_inference_steps=..., ...)``),
  the way a first version of a generation worker would be written. Images stay in memory.
* pipeline only: the lane's own pipeline call (``LoadedPipeline.generate``) on batches of
  max_batch prompts, one after the other, images kept in memory: the most the device can give
  with these settings, the ceiling for the worker.
* worker: N users' requests queued through the real service (``request_generation``) into a
  throwaway SQLite database, then the real generation lane (``Worker.run``, as `fediverse-ai
  run` starts it) batching compatible jobs, writing PNG + web JPEG + thumbnail with provenance
  and blurhash, and recording the media rows. The clock starts when the worker starts and stops
  when the last job is done, so it includes everything the naive loop leaves out.

Then where the worker's time went, in seconds per image, from the "generation batch done" log
records of the lane: the pipeline call (and the part of it spent waiting for another batch's
call), writing the files, recording the rows; and "busy", the share of the worker's wall time
the pipeline was running. Near 100%, the device never waits for the CPU and only a faster
pipeline helps; well below, the CPU side (files, database, batching) holds the device up.

Models: on CPU the tiny random-weight pipeline (64x64, tests' model); on CUDA an SD-Turbo-shaped
pipeline built from its architecture with random weights (the same arithmetic as
stabilityai/sd-turbo, no download) at 512x512 and 1 step, with the full VAE and with a
TAESD-shaped AutoencoderTiny (random weights) decoding. Random weights make noise images;
the cost per image is the real one. All three are warmed up first; with ``--rounds`` they
alternate and the median of each is shown.

The naive loop measures fewer prompts (``--naive-images``, default 64): its
rate per image does not depend on how many there are, and it is by far the slowest part.

Run: ``.venv/bin/python bench/generation.py [--images 64] [--model auto|tiny|sd-turbo-shape]``
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from sqlalchemy import func, select

from fediverse_ai.config import Settings
from fediverse_ai.generation.pipeline import ImageSpec, LoadedPipeline, load_pipeline, resolve_device
from fediverse_ai.generation.tiny import byte_vocabulary, save_tiny_autoencoder, save_tiny_pipeline
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.jobs.worker import Worker
from fediverse_ai.models import GenerationJob
from fediverse_ai.runtime import Runtime
from fediverse_ai.schema import upgrade
from fediverse_ai.services.accounts import create_local_user
from fediverse_ai.services.generation import GenerationRequest, request_generation

SD_TURBO_TARGET_IPS = 100.0
TARGET_RATIO = 3.0


def save_sd_turbo_shaped(folder: Path, dtype: torch.dtype) -> None:
    """stabilityai/sd-turbo's architecture (SD 2.1 UNet, SD VAE, OpenCLIP-H text tower), random weights."""
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280), attention_head_dim=(5, 10, 20, 20),
        cross_attention_dim=1024, use_linear_projection=True,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    )
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, sample_size=512,
        block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
    )
    vocab = byte_vocabulary()
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
        num_attention_heads=16, max_position_embeddings=77, hidden_act="gelu", projection_dim=512,
        bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"],
        pad_token_id=vocab["<|endoftext|>"],
    ))
    pipe = StableDiffusionPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder,
        tokenizer=CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77),
        scheduler=EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                         timestep_spacing="trailing", steps_offset=1),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.to(dtype=dtype).save_pretrained(folder)


def save_taesd_shaped(folder: Path) -> None:
    from diffusers import AutoencoderTiny

    torch.manual_seed(0)
    AutoencoderTiny().save_pretrained(folder)  # TAESD's default architecture


def naive_loop(loaded: LoadedPipeline, prompts: list[str], steps: int, size: int) -> float:
    started = time.perf_counter()
    for seed, prompt in enumerate(prompts):
        loaded.pipe(prompt=prompt, num_inference_steps=steps, guidance_scale=0.0, width=size, height=size,
                    generator=torch.Generator("cpu").manual_seed(seed), output_type="pil")
    return len(prompts) / (time.perf_counter() - started)


def pipeline_only(loaded: LoadedPipeline, prompts: list[str], steps: int, size: int, max_batch: int) -> float:
    """The lane's pipeline calls back to back: the device's ceiling for these settings."""
    specs = [ImageSpec(prompt, "", seed) for seed, prompt in enumerate(prompts)]
    started = time.perf_counter()
    for start in range(0, len(specs), max_batch):
        loaded.generate(specs[start:start + max_batch], steps=steps, guidance=0.0, width=size, height=size)
    return len(prompts) / (time.perf_counter() - started)


def describe(loaded: LoadedPipeline) -> str:
    """What the pipeline really runs with, read off its modules (not the settings asked for)."""
    pipe = loaded.pipe
    weights = ", ".join(f"{name} {str(next(getattr(pipe, name).parameters()).dtype).removeprefix('torch.')}"
                        for name in ("text_encoder", "unet", "vae"))
    conv = pipe.unet.conv_in.weight
    attention = sorted({type(p).__name__ for p in pipe.unet.attn_processors.values()})
    return (f"(the same pipeline object for all three: {weights} on {conv.device}; UNet channels_last "
            f"{conv.is_contiguous(memory_format=torch.channels_last)}; attention {', '.join(attention)})")


def on_thread(measure: Callable[..., float], *args: Any) -> float:
    """Run a measurement on a thread of its own, as the lane runs its pipeline calls: on a CPU,
    PyTorch's main thread and other threads parallelise differently, and that is not the
    difference to measure."""
    with ThreadPoolExecutor(1, thread_name_prefix="bench-pipeline") as thread:
        return thread.submit(measure, *args).result()


@dataclass
class Stages:
    """What the lane's "generation batch done" log records say about the worker runs, added up."""

    images: int = 0  # in the log records
    batches: int = 0
    run_images: int = 0  # in the runs
    wall_s: float = 0.0
    busy_s: float = 0.0  # inside pipeline calls (LoadedPipeline.busy_s)
    totals: dict[str, float] = field(default_factory=dict)

    def per_image(self, name: str) -> float:
        return self.totals.get(name, 0.0) / max(self.images, 1)


class StageRecorder(logging.Handler):
    def __init__(self, stages: Stages) -> None:
        super().__init__(logging.INFO)
        self.stages = stages

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() != "generation batch done":
            return
        self.stages.images += record.__dict__["images"]
        self.stages.batches += 1
        for name in ("pipeline_s", "files_s", "db_s"):
            self.stages.totals[name] = self.stages.totals.get(name, 0.0) + record.__dict__[name]


async def worker_run(settings: Settings, prompts: list[str], steps: int, size: int, concurrency: int,
                     stages: Stages) -> float:
    load_handlers()
    runtime = Runtime.from_settings(settings)
    try:
        await upgrade(runtime.db)
        async with runtime.db.transaction() as session:
            users = [(await create_local_user(session, settings, username=f"u{i}", email=f"u{i}@bench.test",
                                              password="bench password")).account for i in range(8)]
        for i, prompt in enumerate(prompts):
            async with runtime.db.transaction() as session:
                await request_generation(session, settings, users[i % len(users)], GenerationRequest(
                    prompt=prompt, seed=i, steps=steps, guidance=0.0, width=size, height=size))
        loaded = load_pipeline(settings.generation)
        busy_before = loaded.busy_s
        recorder = StageRecorder(stages)
        logger = logging.getLogger("fediverse_ai.generation")
        logger.addHandler(recorder)
        logger.setLevel(logging.INFO)
        stop = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(Worker(runtime, "generation", concurrency).run(stop))
        while True:
            async with runtime.db.session() as session:
                left = (await session.execute(select(func.count()).select_from(GenerationJob)
                                              .where(GenerationJob.state.in_(("queued", "running"))))).scalar_one()
            if not left:
                break
            await asyncio.sleep(0.02)  # the poll shares the worker's event loop: not too often
        elapsed = time.perf_counter() - started
        stages.wall_s += elapsed
        stages.run_images += len(prompts)
        stages.busy_s += loaded.busy_s - busy_before
        stop.set()
        await task  # the last batch logs its stages just after its jobs are done
        logger.removeHandler(recorder)
        async with runtime.db.session() as session:
            done = (await session.execute(select(func.count()).select_from(GenerationJob)
                                          .where(GenerationJob.state == "done"))).scalar_one()
        if done != len(prompts):
            raise SystemExit(f"only {done} of {len(prompts)} generations succeeded")
        return len(prompts) / elapsed
    finally:
        await runtime.close()


def print_stages(results: list[tuple[str, Stages]]) -> None:
    print("where the worker's time went, seconds per image (stages of different batches overlap, so they need "
          "not add up to the run's):")
    print(f"{'decoder':<16}{'run':>8}{'pipeline':>10}{'waiting':>9}{'files':>8}{'db':>8}{'busy':>7}{'batch':>7}")
    for label, st in results:
        run = st.wall_s / max(st.run_images, 1)
        busy = st.busy_s / max(st.run_images, 1)
        waiting = st.per_image("pipeline_s") - busy
        print(f"{label:<16}{run:>8.4f}{busy:>10.4f}{waiting:>9.4f}{st.per_image('files_s'):>8.4f}"
              f"{st.per_image('db_s'):>8.4f}{st.busy_s / max(st.wall_s, 1e-9):>7.0%}"
              f"{st.images / max(st.batches, 1):>7.1f}")
    print("  run: the worker's wall time; pipeline: inside pipeline calls (text encoder, UNet, decoder, pixels to "
          "the CPU); waiting: for another batch's call; files: PNG, JPEG, thumbnail, blurhash, provenance; db: "
          "recording the media rows; busy: pipeline / run (100%: the device never waited for the CPU); batch: "
          "images per pipeline call")


def quiet() -> None:
    """Keep the output to the table: no loading progress bars or config notes from the libraries."""
    import diffusers
    import transformers

    diffusers.utils.logging.set_verbosity_error()
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    warnings.filterwarnings("ignore")


def main() -> int:
    quiet()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("auto", "tiny", "sd-turbo-shape"), default="auto")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--images", type=int, help="prompts per measurement (default: 64 tiny, 256 sd-turbo)")
    parser.add_argument("--naive-images", type=int, help="prompts for the naive loop (default: 64, at most --images)")
    parser.add_argument("--size", type=int, help="image side (default: 64 tiny, 512 sd-turbo)")
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--max-batch", type=int, help="generation.max_batch (default: 8 tiny, 32 sd-turbo)")
    parser.add_argument("--concurrency", type=int, default=2, help="generation lane concurrency (default 2)")
    parser.add_argument("--taesd", choices=("off", "on", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each; the median is shown")
    args = parser.parse_args()

    device = resolve_device(args.device)
    shape = args.model if args.model != "auto" else ("sd-turbo-shape" if device == "cuda" else "tiny")
    big = shape == "sd-turbo-shape"
    images = args.images or (256 if big else 64)
    size = args.size or (512 if big else 64)
    max_batch = args.max_batch or (32 if big else 8)
    naive_images = min(args.naive_images or 64, images)
    gpu = torch.cuda.get_device_name() if device == "cuda" else platform.processor() or platform.machine()
    print(f"bench/generation.py: {shape} model, {size}x{size}, {args.steps} step(s), {images} images per run "
          f"({naive_images} for the naive loop), "
          f"max_batch {max_batch}, lane concurrency {args.concurrency}, median of {args.rounds} rounds, "
          f"device {device} ({gpu}), "
          f"torch {torch.__version__}, python {sys.version.split()[0]}", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-generation-") as tmp:
        work = Path(tmp)
        if big:
            save_sd_turbo_shaped(work / "model", torch.float16)
            save_taesd_shaped(work / "taesd")
        else:
            save_tiny_pipeline(work / "model")
            save_tiny_autoencoder(work / "taesd")
        variants = {"off": [False], "on": [True], "both": [False, True]}[args.taesd]
        prompts = [f"prompt number {i}: a harbour at dawn, watercolour" for i in range(images)]
        print(f"{'decoder':<16}{'naive img/s':>13}{'pipeline img/s':>16}{'worker img/s':>14}{'ratio':>8}", flush=True)
        results, stages = [], []
        for taesd in variants:
            base = Settings().replace(
                generation__model=str(work / "model"), generation__device=device,
                generation__taesd=str(work / "taesd") if taesd else "", generation__max_batch=max_batch,
                generation__batch_window_ms=0, generation__max_width=max(size, 1024),
                generation__max_height=max(size, 1024),
                limits__generations_per_day=10**9, limits__concurrent_generations=10**9,
                limits__generation_queue_limit=10**9,
            )
            loaded = load_pipeline(base.generation)
            for _ in range(2):  # warm-up: first calls at a new shape pay for kernel selection
                on_thread(naive_loop, loaded, prompts[:2], args.steps, size)
                on_thread(pipeline_only, loaded, prompts[:max_batch], args.steps, size, max_batch)
            naives, ceilings, workers = [], [], []
            stage = Stages()
            for round_ in range(args.rounds):  # alternate, so all see the same machine load
                naives.append(on_thread(naive_loop, loaded, prompts[:naive_images], args.steps, size))
                ceilings.append(on_thread(pipeline_only, loaded, prompts, args.steps, size, max_batch))
                settings = base.replace(database__url=f"sqlite+aiosqlite:///{work}/bench-{int(taesd)}-{round_}.db",
                                        media__dir=work / f"media-{int(taesd)}-{round_}")
                workers.append(asyncio.run(worker_run(settings, prompts, args.steps, size, args.concurrency, stage)))
            naive, ceiling, worker = (statistics.median(x) for x in (naives, ceilings, workers))
            label = "AutoencoderTiny" if taesd else "full VAE"
            results.append((label, naive, worker))
            stages.append((label, stage))
            print(f"{label:<16}{naive:>13.1f}{ceiling:>16.1f}{worker:>14.1f}{worker / naive:>7.2f}x", flush=True)
        print(describe(loaded))
        print_stages(stages)
    full = [w for label, _, w in results if label == "full VAE"]
    if big and full and device == "cuda":
        print(f"target on an H100: >= {SD_TURBO_TARGET_IPS:.0f} img/s with the full VAE "
              f"({'met' if full[0] >= SD_TURBO_TARGET_IPS else 'NOT met'})")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} CPUs; other work on the machine slows the per-prompt loop most)")
    best_ratio = max(w / n for _, n, w in results)
    print(f"target: worker >= {TARGET_RATIO:.0f}x the naive loop ({'met' if best_ratio >= TARGET_RATIO else 'NOT met'}"
          f"; best {best_ratio:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
