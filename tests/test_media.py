"""Untrusted image bytes are decoded within limits: bombs and junk are refused with a clear error."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fediverse_ai.config import Settings
from fediverse_ai.errors import AppError, ValidationError
from fediverse_ai.media import decode_upload, image_blurhash


def encoded(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(out, format=fmt)
    return out.getvalue()


def test_a_normal_image_decodes() -> None:
    image = decode_upload(encoded((32, 16), "JPEG"), Settings())
    assert image.size == (32, 16)
    assert len(image_blurhash(image)) > 6


def test_too_many_pixels_is_413_before_decoding() -> None:
    settings = Settings().replace(media__max_image_pixels=100)
    with pytest.raises(AppError) as caught:
        decode_upload(encoded((20, 20)), settings)
    assert (caught.value.status, caught.value.field) == (413, "file")


def test_too_many_bytes_is_413() -> None:
    with pytest.raises(AppError) as caught:
        decode_upload(b"x" * 101, Settings().replace(media__max_upload_bytes=100))
    assert caught.value.status == 413


@pytest.mark.parametrize("data", [b"not an image at all", encoded((10, 10))[:45], encoded((8, 8), "BMP")])
def test_junk_truncated_or_unaccepted_formats_are_422(data: bytes) -> None:
    with pytest.raises(ValidationError) as caught:
        decode_upload(data, Settings())
    assert caught.value.field == "file"
