"""C2PA content credentials: a signed manifest saying "created by a trained model, here".

Off unless ``generation.c2pa`` is on. The instance makes its own certificate chain in
``generation.c2pa_dir`` (at `fediverse-ai init`, or on first use): a root CA and an ES256 leaf
with the emailProtection extended key usage, which c2pa accepts for signing (a leaf without an
extended key usage is refused). Readers report the manifest valid but "untrusted" until they
add the instance's root.pem as a trust anchor. The manifest thumbnail is off: it costs ~40 ms
and ~40 KB per image for a copy of what is already there.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import threading
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .. import __version__
from ..config import Settings
from ..media import Signer
from .recipe import DIGITAL_SOURCE_TYPE

CHAIN_FILE, KEY_FILE, ROOT_FILE = "chain.pem", "signing-key.pem", "root.pem"
_lock = threading.Lock()


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def ensure_certificates(folder: Path, instance: str) -> Path:
    """Create the signing chain in ``folder`` unless it exists; returns the folder."""
    folder = Path(folder)
    with _lock:
        if (folder / CHAIN_FILE).exists() and (folder / KEY_FILE).exists():
            return folder
        folder.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        root_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _name(f"{instance} content credentials root", instance)
        root = (
            x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            x509.CertificateBuilder().subject_name(_name(f"{instance} image generator", instance))
            .issuer_name(root_name).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=730))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        (folder / ROOT_FILE).write_bytes(root.public_bytes(pem))
        (folder / CHAIN_FILE).write_bytes(leaf.public_bytes(pem) + root.public_bytes(pem))
        key_path = folder / KEY_FILE
        key_path.write_bytes(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        os.chmod(key_path, 0o600)
        return folder


def manifest(title: str) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": "fediverse_ai", "version": __version__}],
        "title": title,
        "assertions": [{
            "label": "c2pa.actions",
            "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": DIGITAL_SOURCE_TYPE,
                "softwareAgent": {"name": "fediverse_ai", "version": __version__},
            }]},
        }],
    }


def make_signer(settings: Settings) -> Signer | None:
    """A function that signs a written file in place, or None when C2PA is off."""
    if not settings.generation.c2pa:
        return None
    import c2pa

    folder = ensure_certificates(settings.generation.c2pa_dir, settings.instance.domain)
    chain = (folder / CHAIN_FILE).read_bytes()
    key = (folder / KEY_FILE).read_bytes()
    context = c2pa.Context(settings=c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}}))

    def sign(path: Path, mime: str) -> None:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, key, None))
        builder = c2pa.Builder(json.dumps(manifest(path.name)), context)
        signed = io.BytesIO()
        with open(path, "rb") as source:
            builder.sign(signer, mime, source, signed)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(signed.getvalue())
        tmp.replace(path)

    return sign
