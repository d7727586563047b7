"""A tiny random-weight Stable Diffusion pipeline, built in code with no download.

Tests, demos and machines without model weights use it: the same diffusers classes and code
path as Stable Diffusion (UNet, VAE, CLIP text encoder, Euler scheduler), shrunk so a 64x64
image takes a few tens of milliseconds on a CPU. The images are coloured noise. It is saved
with save_pretrained and loaded back through from_pretrained like any real model, so nothing
downstream knows it is special.

It differs from the recipe in diffusers' own tests in one way: its VAE downsamples 8x (see
build_tiny_pipeline). The tokenizer needs no vocabulary download: CLIP's 256 byte-level characters (each also with
the end-of-word suffix) and the two special tokens, with no merges, tokenize any UTF-8 text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TINY_MODEL_ID = "fediverse-ai/tiny-random-sd"
TINY_SIZE = 64
_SEED = 20261125


def _byte_characters() -> list[str]:
    """CLIP's reversible byte -> printable character table (printable bytes map to themselves)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars: list[str] = []
    extra = 0
    for byte in range(256):
        if byte in printable:
            chars.append(chr(byte))
        else:
            chars.append(chr(256 + extra))
            extra += 1
    return chars


def byte_vocabulary() -> dict[str, int]:
    vocab: dict[str, int] = {}
    for char in _byte_characters():
        vocab[char] = len(vocab)
    for char in _byte_characters():
        vocab[char + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return vocab


def build_tiny_pipeline() -> Any:
    """The pipeline object, weights drawn from a fixed seed so every build is identical."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    vocab = byte_vocabulary()
    torch.manual_seed(_SEED)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=TINY_SIZE // 8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
    )
    # Four VAE blocks downsample 8x like Stable Diffusion's, so latents have SD's shape: the
    # tiny UNet stays cheap at any size (with 2x, a 512 px image means 256x256 latents and
    # minutes per step in attention).
    vae = AutoencoderKL(
        block_out_channels=[32, 32, 64, 64],
        layers_per_block=1,
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        latent_channels=4,
        sample_size=TINY_SIZE,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
            hidden_size=32,
            intermediate_size=37,
            layer_norm_eps=1e-05,
            num_attention_heads=4,
            num_hidden_layers=5,
            max_position_embeddings=77,
            vocab_size=len(vocab),
        )
    )
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", timestep_spacing="trailing",
        steps_offset=1,
    )
    return StableDiffusionPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )


def save_tiny_pipeline(path: Path) -> Path:
    """Build and save the tiny pipeline to ``path`` (diffusers folder layout); returns it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    build_tiny_pipeline().save_pretrained(path)
    marker = path / "fediverse_ai_tiny.json"
    marker.write_text(json.dumps({"model_id": TINY_MODEL_ID, "note": "random weights: the images are noise"}))
    return path


def save_tiny_autoencoder(path: Path) -> Path:
    """A random-weight AutoencoderTiny (TAESD's class) that fits the tiny pipeline's latents."""
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(_SEED)
    AutoencoderTiny(
        encoder_block_out_channels=(16, 16, 16, 16), decoder_block_out_channels=(16, 16, 16, 16),
        num_encoder_blocks=(1, 1, 1, 1), num_decoder_blocks=(1, 1, 1, 1), latent_channels=4,
    ).save_pretrained(path)
    return Path(path)


def save_tiny_classifier(path: Path, labels: tuple[str, ...] = ("normal", "nsfw")) -> Path:
    """A random-weight ViT image classifier in transformers' format, to exercise
    generation.safety_classifier without a download (its verdicts are arbitrary)."""
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    torch.manual_seed(_SEED)
    ViTForImageClassification(ViTConfig(
        image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=37, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )).save_pretrained(path)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(path)
    return Path(path)


def is_tiny_pipeline(path: Path) -> bool:
    return (Path(path) / "fediverse_ai_tiny.json").exists()
