"""`doctor`: check an install and say, for every problem, what to do about it.

Each check returns a Finding; one that fails does not stop the others (a broken database does
not hide a missing torch). The exit status is 1 when anything needs fixing.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import ConfigError, Settings
from ..db import is_sqlite
from ..generation.pipeline import check_component, check_model
from ..runtime import Runtime
from ..schema import SchemaBehind, check_current, head_revision
from .common import settings_from


@dataclass(frozen=True)
class Finding:
    ok: bool
    check: str
    detail: str
    fix: str = ""
    warning: bool = False


def register(commands: argparse._SubParsersAction) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check this install and say what to fix",
        description=(
            "Check the config, the database (reachable, schema current), the media folder, the "
            "generation stack (torch, diffusers, device) and the model, and say what to do about "
            "each problem. Exits 1 when something needs fixing."
        ),
    )
    doctor.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    findings = diagnose(args)
    for f in findings:
        mark = "warn" if f.warning else ("ok  " if f.ok else "FAIL")
        print(f"[{mark}] {f.check}: {f.detail}")
        if f.fix and not f.ok:
            print(f"       fix: {f.fix}")
    problems = [f for f in findings if not f.ok and not f.warning]
    print(f"\n{len(problems)} problem(s) found." if problems else "\nEverything needed is in place.")
    return 1 if problems else 0


def diagnose(args: argparse.Namespace) -> list[Finding]:
    try:
        settings = settings_from(args)
    except ConfigError as exc:
        return [Finding(False, "config", str(exc), fix=f"correct `{exc.setting}` (see config.example.toml)")]
    where = str(settings.source) if settings.source else "defaults and environment (no config file)"
    findings = [Finding(True, "config", f"loaded from {where}")]
    findings += asyncio.run(_database(settings))
    findings.append(_media_dir(settings.media.dir))
    findings += _generation(settings)
    return findings


async def _database(settings: Settings) -> list[Finding]:
    url = settings.database.url
    shown = url.split("@")[-1] if "@" in url else url
    runtime = Runtime.from_settings(settings)
    try:
        try:
            await asyncio.wait_for(runtime.db.ping(), timeout=10)
        except Exception as exc:
            fix = ("check that the folder is writable" if is_sqlite(url) else
                   "start PostgreSQL, create the database (createdb), and check database.url")
            return [Finding(False, "database", f"cannot connect to {shown}: {type(exc).__name__}: {exc}", fix=fix)]
        found = [Finding(True, "database", f"reachable ({runtime.db.dialect}: {shown})")]
        try:
            await check_current(runtime.db)
            found.append(Finding(True, "schema", f"current ({head_revision()})"))
        except SchemaBehind as exc:
            found.append(Finding(False, "schema", str(exc), fix="run `fediverse-ai migrate`"))
        return found
    finally:
        await runtime.close()


def _media_dir(path: Path) -> Finding:
    if not path.exists():
        parent = next((p for p in path.parents if p.exists()), Path("/"))
        if os.access(parent, os.W_OK):
            return Finding(True, "media", f"{path} will be created on first use", warning=True)
        return Finding(False, "media", f"{path} does not exist and {parent} is not writable",
                       fix=f"mkdir -p {path} and give the server's user write access")
    if not path.is_dir():
        return Finding(False, "media", f"{path} is not a folder", fix="point media.dir at a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        return Finding(False, "media", f"{path} is not writable ({exc.strerror})",
                       fix=f"give the server's user write access to {path}")
    return Finding(True, "media", f"{path} is writable")


def _generation(settings: Settings) -> list[Finding]:
    found: list[Finding] = []
    modules = {}
    for name, fix in (
        ("torch", "pip install torch==2.13.0 (CPU) or the CUDA build for your GPU from pytorch.org"),
        ("diffusers", "pip install diffusers transformers accelerate"),
    ):
        try:
            modules[name] = importlib.import_module(name)
            found.append(Finding(True, name, f"importable (version {modules[name].__version__})"))
        except Exception as exc:
            found.append(Finding(False, name, f"cannot be imported: {exc}", fix=fix))
    torch = modules.get("torch")
    device = settings.generation.device
    if torch is not None and device in ("cuda", "mps"):
        available = torch.cuda.is_available() if device == "cuda" else torch.backends.mps.is_available()
        found.append(Finding(available, "device", f"{device} {'available' if available else 'not available'}",
                             fix="set generation.device to auto or cpu, or install a torch build for it"))
    elif torch is not None:
        chosen = "cuda" if torch.cuda.is_available() else "cpu"
        found.append(Finding(True, "device", f"{device} resolves to {chosen}", warning=chosen == "cpu"))
    found.append(_model(settings))
    return found + _extras(settings)


def _model(settings: Settings) -> Finding:
    check = check_model(settings.generation)
    tiny = settings.generation.offline_tiny_model
    return Finding(check.ok, "model", check.detail, fix=check.fix, warning=check.ok and tiny)


def _extras(settings: Settings) -> list[Finding]:
    """TAESD, the safety classifier and C2PA, only when switched on."""
    gen = settings.generation
    found: list[Finding] = []
    for name, setting in ((gen.taesd, "generation.taesd"), (gen.safety_classifier, "generation.safety_classifier")):
        if name:
            check = check_component(name, setting)
            found.append(Finding(check.ok, setting.split(".")[1], check.detail, fix=check.fix))
    if gen.c2pa:
        try:
            importlib.import_module("c2pa")
        except Exception as exc:
            found.append(Finding(False, "c2pa", f"c2pa-python cannot be imported: {exc}",
                                 fix="pip install c2pa-python"))
        else:
            chain = gen.c2pa_dir / "chain.pem"
            found.append(Finding(True, "c2pa", f"signing with {chain}" if chain.exists()
                                 else f"a signing certificate will be created in {gen.c2pa_dir} on first use",
                                 warning=not chain.exists()))
    return found
