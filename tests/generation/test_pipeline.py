"""The pipeline itself: diffusers' own loading of a saved folder, reproducibility, clear failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fediverse_ai.config import GenerationSettings
from fediverse_ai.generation.pipeline import (
    ImageSpec,
    ModelUnavailable,
    check_model,
    load_pipeline,
    model_source,
    resolve_dtype,
)
from fediverse_ai.generation.recipe import model_defaults
from fediverse_ai.generation.tiny import TINY_MODEL_ID


def generation(tiny_model: Path, **changes: object) -> GenerationSettings:
    return GenerationSettings(model=str(tiny_model), device="cpu", **changes)  # type: ignore[arg-type]


def pixels(image) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.asarray(image, dtype=np.int16)


def test_the_saved_tiny_model_loads_through_diffusers_and_is_cached(tiny_model: Path) -> None:
    settings = generation(tiny_model)
    loaded = load_pipeline(settings)
    assert loaded is load_pipeline(settings)  # once per process
    assert (loaded.model_id, loaded.device, loaded.dtype) == (TINY_MODEL_ID, "cpu", "float32")
    assert loaded.pipeline_class == "StableDiffusionPipeline" and loaded.scheduler == "EulerDiscreteScheduler"
    assert loaded.revision.startswith("sha256:")


def test_the_same_recipe_gives_the_same_image(tiny_model: Path) -> None:
    loaded = load_pipeline(generation(tiny_model))
    specs = [ImageSpec("a red boat", "", 1234), ImageSpec("a red boat", "", 99)]
    first = loaded.generate(specs, steps=2, guidance=0.0, width=64, height=64)
    again = loaded.generate(specs, steps=2, guidance=0.0, width=64, height=64)
    assert [im.tobytes() for im in first] == [im.tobytes() for im in again]
    assert first[0].tobytes() != first[1].tobytes()  # another seed, another image
    alone = loaded.generate(specs[:1], steps=2, guidance=0.0, width=64, height=64)[0]
    # Alone or in a batch, a seed makes the same picture (batched kernels may round differently).
    assert np.abs(pixels(alone) - pixels(first[0])).max() <= 2


def test_pixels_made_on_the_device_are_the_ones_diffusers_would_give(tiny_model: Path) -> None:
    import torch

    loaded = load_pipeline(generation(tiny_model))
    specs = [ImageSpec("a red boat", "", 21), ImageSpec("a green hill", "", 22)]
    ours = loaded.generate(specs, steps=2, guidance=0.0, width=64, height=64)
    theirs = loaded.pipe(
        prompt=[s.prompt for s in specs], num_inference_steps=2, guidance_scale=0.0, width=64, height=64,
        generator=[torch.Generator("cpu").manual_seed(s.seed) for s in specs], output_type="pil",
    ).images
    assert [(im.mode, im.size) for im in ours] == [("RGB", (64, 64))] * 2
    assert [im.tobytes() for im in ours] == [im.tobytes() for im in theirs]


def test_guidance_uses_the_negative_prompt(tiny_model: Path) -> None:
    loaded = load_pipeline(generation(tiny_model))
    plain, negative = (
        loaded.generate([ImageSpec("a tree", neg, 5)], steps=1, guidance=5.0, width=64, height=64)[0]
        for neg in ("", "fog")
    )
    assert plain.tobytes() != negative.tobytes()


def test_progress_is_reported_every_step_and_a_stop_ends_early(tiny_model: Path) -> None:
    loaded = load_pipeline(generation(tiny_model))
    steps: list[int] = []
    loaded.generate([ImageSpec("x", "", 1)], steps=6, guidance=0.0, width=64, height=64,
                    on_step=steps.append, should_stop=lambda: len(steps) >= 2)
    assert steps == [1, 2]


def test_a_missing_folder_fails_with_a_reason_and_a_fix(tmp_path: Path) -> None:
    settings = GenerationSettings(model=str(tmp_path / "nowhere"))
    with pytest.raises(ModelUnavailable) as caught:
        load_pipeline(settings)
    assert "nowhere" in caught.value.reason and "generation.model" in caught.value.fix
    check = check_model(settings)
    assert not check.ok and "does not exist" in check.detail


def test_a_broken_model_folder_fails_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    with pytest.raises(ModelUnavailable, match="could not be loaded"):
        load_pipeline(GenerationSettings(model=str(tmp_path / "broken"), device="cpu"))


def test_an_uncached_hub_model_is_reported_without_touching_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    check = check_model(GenerationSettings(model="example/not-downloaded"))
    assert not check.ok and "not downloaded yet" in check.detail
    assert "fediverse-ai model pull example/not-downloaded" in check.fix
    assert "offline_tiny_model = true" in check.fix
    tiny = check_model(GenerationSettings(model="example/not-downloaded", offline_tiny_model=True,
                                          tiny_model_dir=tmp_path / "tiny"))
    assert tiny.ok and "built on first use" in tiny.detail


def test_per_model_defaults_within_the_admins_limits() -> None:
    settings = GenerationSettings()
    assert model_defaults("stabilityai/sd-turbo", settings).steps == 1
    assert model_defaults("stabilityai/sd-turbo", settings).guidance == 0.0
    assert model_defaults("someone/classic-model", settings).steps == 25
    capped = GenerationSettings(max_steps=10, max_width=256, max_height=512)
    assert (model_defaults("someone/classic-model", capped).steps, model_defaults("x/y", capped).size) == (10, 256)
    assert model_defaults("stabilityai/sd-turbo", GenerationSettings(default_steps=4)).steps == 4


def test_device_and_dtype_choice() -> None:
    import torch

    assert resolve_dtype("cpu", "auto") == torch.float32
    assert resolve_dtype("mps", "auto") == torch.float16
    assert resolve_dtype("cuda", "float16") == torch.float16
    assert model_source(GenerationSettings(model="stabilityai/sd-turbo")).local is False


def test_a_tiny_autoencoder_can_decode_instead_of_the_vae(tiny_model: Path, tmp_path: Path) -> None:
    from fediverse_ai.generation.tiny import save_tiny_autoencoder

    taesd = save_tiny_autoencoder(tmp_path / "taesd")
    loaded = load_pipeline(generation(tiny_model, taesd=str(taesd)))
    assert loaded.vae == f"AutoencoderTiny:{taesd}"
    assert type(loaded.pipe.vae).__name__ == "AutoencoderTiny"
    image = loaded.generate([ImageSpec("a bridge", "", 8)], steps=1, guidance=0.0, width=64, height=64)[0]
    assert image.size == (64, 64)
    assert check_model(generation(tiny_model)).ok


def test_download_progress_is_reported_in_words_for_the_user() -> None:
    from fediverse_ai.generation.pipeline import progress_tqdm

    lines: list[str] = []
    bar = progress_tqdm(lines.append)(total=400, unit="B", name="huggingface_hub.snapshot_download")
    bar.update(100)
    bar.update(1)
    bar.update(299)
    bar.close()
    assert lines == ["downloading the model: 25%", "downloading the model: 100%"]


def test_the_cuda_speed_settings_apply_to_a_pipeline() -> None:
    """No GPU in CI: this runs the CUDA set-up path on CPU modules, so at least it cannot rot."""
    import torch

    from fediverse_ai.generation.pipeline import speed_up_cuda
    from fediverse_ai.generation.tiny import build_tiny_pipeline

    pipe = build_tiny_pipeline()
    speed_up_cuda(pipe, compile_unet=False)
    weight = pipe.unet.conv_in.weight
    assert weight.is_contiguous(memory_format=torch.channels_last)
    image = pipe(prompt="x", num_inference_steps=1, guidance_scale=0.0, width=64, height=64).images[0]
    assert image.size == (64, 64)
