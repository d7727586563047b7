"""Writing a finished batch's files: the CPU work after the pipeline, kept out of its way.

Every image becomes a PNG original, a web JPEG and a thumbnail, each with its provenance
(XMP, PNG chunks, C2PA when on), plus a blurhash: tens of milliseconds of CPU per 512 px
image, the PNG most of it. At batch 32 that is as much work as the GPU does for the batch, so
it runs on a thread pool of its own, one thread per core. Threads, not processes: zlib,
libjpeg, Pillow's resampling, blurhash's C code and c2pa all release the GIL, so threads use
every core without copying the images to other processes; and a pool of its own means the
pipeline's next call (asyncio's default executor) never queues behind 32 file writes.

A job whose files cannot be written (disk full, a broken signing key) fails alone, with the
reason its owner reads; its files are removed, the other jobs of the batch are unaffected.
"""

from __future__ import annotations

import asyncio
import logging
import os
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..config import Settings
from ..ids import new_id
from ..media import Signer, remove_files, store_generated_image
from ..models import GenerationJob
from ..services.generation_runs import FinishedImage
from .pipeline import LoadedPipeline
from .provenance import png_info, xmp_packet
from .recipe import build_recipe
from .signing import make_signer

log = logging.getLogger("fediverse_ai.generation")
_pool: ThreadPoolExecutor | None = None


def files_pool() -> ThreadPoolExecutor:
    """The process's threads for generated files, made on first use."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 4, thread_name_prefix="generation-files")
    return _pool


# Either a job's stored images, in order, or the reason they could not be written.
Written = list[FinishedImage] | str


async def write_batch(
    settings: Settings, loaded: LoadedPipeline, jobs: Sequence[GenerationJob], images: Sequence[Any],
    starts: dict[int, int], reserved: dict[int, list[int]],
) -> dict[int, Written]:
    """Write the files of ``jobs`` (job i's images start at ``starts[job.id]`` in ``images``), in
    parallel; ``reserved`` holds the media ids made at request time. Keyed by job id."""
    loop = asyncio.get_running_loop()
    pool = files_pool()
    sign = await loop.run_in_executor(pool, make_signer, settings)  # may create the certificates

    def store(job: GenerationJob, index: int) -> FinishedImage:
        recipe = build_recipe(job, loaded, index)
        ids = reserved.get(job.id, [])
        media_id = ids[index] if index < len(ids) else new_id()
        stored = store_generated_image(settings, media_id, images[starts[job.id] + index],
                                       png_info=png_info(recipe), xmp=xmp_packet(recipe), sign=sign)
        return FinishedImage(media_id, stored, recipe)

    pending = {job.id: [loop.run_in_executor(pool, store, job, i) for i in range(job.count)] for job in jobs}
    written: dict[int, Written] = {}
    for job in jobs:
        outcomes = await asyncio.gather(*pending[job.id], return_exceptions=True)
        written[job.id] = _outcome(settings, job, outcomes, sign)
    return written


def _outcome(settings: Settings, job: GenerationJob, outcomes: list[Any], sign: Signer | None) -> Written:
    done = [o for o in outcomes if isinstance(o, FinishedImage)]
    error = next((o for o in outcomes if isinstance(o, BaseException)), None)
    if error is None:
        return done
    remove_written(settings, done)
    log.error("writing generated images failed", exc_info=error,
              extra={"job": job.id, "c2pa": sign is not None, "media_dir": str(settings.media.dir)})
    detail = "".join(traceback.format_exception_only(error)).strip()[:300]
    return f"The images could not be saved: {detail}"


def remove_written(settings: Settings, images: Sequence[FinishedImage]) -> None:
    for image in images:
        remove_files(settings, image.stored.file_path, image.stored.preview_path, image.stored.thumbnail_path)
