"""Image files on disk: originals, web-sized copies, thumbnails, blurhash, safe decoding.

Files live under ``media.dir`` at ``YYYY/MM/DD/<media id>.<variant>.<ext>``; the database keeps
paths relative to that folder, so the folder can move (or later become an S3 bucket). Every
variant of a generated image carries the same provenance metadata as the original, because
clients show the web-sized copy, not the PNG.

Uploads are decoded with a pixel limit and a full load inside a try, so a decompression bomb
or a truncated file is a clear 413 or 422, never a crash or a memory blow-up.
"""

from __future__ import annotations

import contextlib
import io
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import blurhash
from PIL import Image, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo

from .config import Settings
from .errors import AppError, ValidationError
from .timeutil import utcnow

WEB_MAX_SIDE = 1280
THUMBNAIL_MAX_SIDE = 400
JPEG_QUALITY = 88
# How generated PNG originals are compressed (lossless either way). The PNG is the largest
# per-image CPU cost of the generation lane: Pillow's default (zlib level 6) takes 60-130 ms for
# a 512 px image; zlib's run-length strategy after PNG's row filters takes 25-35 ms and gives
# files as small as level 6 (level 1 alone: as fast, files 5-15% larger).
GENERATED_PNG = {"compress_level": 1, "compress_type": zlib.Z_RLE}

Signer = Callable[[Path, str], None]


@dataclass(frozen=True)
class StoredImage:
    file_path: str  # relative to media.dir: the original
    preview_path: str  # web-sized JPEG
    thumbnail_path: str
    content_type: str
    width: int
    height: int
    file_size: int
    blurhash: str


def _scaled(image: Image.Image, max_side: int) -> Image.Image:
    copy = image.convert("RGB")
    if max(copy.size) > max_side:
        copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return copy


def store_generated_image(
    settings: Settings, media_id: int, image: Image.Image, *, png_info: PngInfo, xmp: bytes,
    sign: Signer | None = None,
) -> StoredImage:
    """Write the PNG original, a web-sized JPEG and a JPEG thumbnail, all labelled; sign them
    with ``sign(path, mime)`` (C2PA) when given. A failure leaves none of the files behind."""
    base = utcnow().strftime("%Y/%m/%d") + f"/{media_id}"
    root = settings.media.dir
    original, web, thumb = f"{base}.png", f"{base}.web.jpg", f"{base}.thumb.jpg"
    try:
        (root / base).parent.mkdir(parents=True, exist_ok=True)
        image.save(root / original, format="PNG", pnginfo=png_info, **GENERATED_PNG)
        small = _scaled(image, THUMBNAIL_MAX_SIDE)
        _scaled(image, WEB_MAX_SIDE).save(root / web, format="JPEG", quality=JPEG_QUALITY, xmp=xmp)
        small.save(root / thumb, format="JPEG", quality=JPEG_QUALITY - 8, xmp=xmp)
        if sign is not None:
            sign(root / original, "image/png")
            sign(root / web, "image/jpeg")
        size = (root / original).stat().st_size
    except BaseException:
        with contextlib.suppress(OSError):  # the folder itself may be what failed
            remove_files(settings, original, web, thumb)
        raise
    return StoredImage(
        file_path=original,
        preview_path=web,
        thumbnail_path=thumb,
        content_type="image/png",
        width=image.width,
        height=image.height,
        file_size=size,
        blurhash=image_blurhash(small),
    )


def image_blurhash(image: Image.Image) -> str:
    """Mastodon's placeholder: 4x3 components, computed on a small copy for speed."""
    tiny = image.convert("RGB")
    tiny.thumbnail((64, 64))
    return blurhash.encode(tiny, x_components=4, y_components=3)


def remove_files(settings: Settings, *paths: str | None) -> None:
    for rel in paths:
        if rel:
            (settings.media.dir / rel).unlink(missing_ok=True)


def decode_upload(data: bytes, settings: Settings) -> Image.Image:
    """Open untrusted image bytes safely: size and pixel limits, formats we serve, full decode."""
    if len(data) > settings.media.max_upload_bytes:
        raise AppError(f"the file is larger than {settings.media.max_upload_bytes} bytes", field="file", status=413)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=("PNG", "JPEG", "WEBP", "GIF"))
            if image.width * image.height > settings.media.max_image_pixels:
                raise AppError(
                    f"the image has {image.width}x{image.height} pixels; at most "
                    f"{settings.media.max_image_pixels} are accepted", field="file", status=413,
                )
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(f"the file is not an image we accept (PNG, JPEG, WebP, GIF): {exc}",
                              field="file") from None
    except OSError as exc:
        raise ValidationError(f"the image could not be decoded: {exc}", field="file") from None
    return image


def store_upload(settings: Settings, media_id: int, image: Image.Image) -> StoredImage:
    """Write an uploaded image as a clean original (PNG stays PNG, anything else becomes JPEG,
    metadata such as EXIF location dropped), a web-sized JPEG and a thumbnail."""
    base = utcnow().strftime("%Y/%m/%d") + f"/{media_id}"
    root = settings.media.dir
    (root / base).parent.mkdir(parents=True, exist_ok=True)
    keep_png = image.format == "PNG"
    original = f"{base}.png" if keep_png else f"{base}.jpg"
    if keep_png:
        image.save(root / original, format="PNG")
    else:
        image.convert("RGB").save(root / original, format="JPEG", quality=JPEG_QUALITY)
    web, thumb = f"{base}.web.jpg", f"{base}.thumb.jpg"
    small = _scaled(image, THUMBNAIL_MAX_SIDE)
    _scaled(image, WEB_MAX_SIDE).save(root / web, format="JPEG", quality=JPEG_QUALITY)
    small.save(root / thumb, format="JPEG", quality=JPEG_QUALITY - 8)
    return StoredImage(
        file_path=original, preview_path=web, thumbnail_path=thumb,
        content_type="image/png" if keep_png else "image/jpeg", width=image.width, height=image.height,
        file_size=(root / original).stat().st_size, blurhash=image_blurhash(small),
    )
