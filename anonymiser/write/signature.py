"""``manifest.sig``: the output's tamper evidence, an HMAC under a key derived from ANONYMISER_KEY.

It signs the exact bytes (sha256) of ``manifest.json``, ``policy.yaml`` and ``report/report.json``;
the manifest in turn holds the sha256 of every data file and dump. Editing any of them — a row
count, the key id, a verdict, one byte of a Parquet file — breaks the chain, and ``verify`` says so
(reason ``manifest_tampered``). Only someone holding the masking key can sign, so a forged output
cannot be made to verify. The key used is HMAC(key, "anonymiser/v1/manifest-mac"), never the
masking key itself, so the signature reveals nothing about pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from anonymiser.write.manifest import MANIFEST_NAME, sha256_file

SIGNATURE_NAME = "manifest.sig"
SIGNATURE_VERSION = 1
SIGNED_FILES = (MANIFEST_NAME, "policy.yaml", "report/report.json")
_DOMAIN = b"anonymiser/v1/manifest-mac"


def _mac_key(key: bytes) -> bytes:
    return hmac.new(key, _DOMAIN, hashlib.sha256).digest()


def _mac(key: bytes, body: dict[str, object]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(_mac_key(key), canonical, hashlib.sha256).hexdigest()


def _digests(directory: Path) -> dict[str, str | None]:
    return {name: sha256_file(directory / name) if (directory / name).is_file() else None for name in SIGNED_FILES}


def sign(directory: Path, key: bytes, *, run_id: str, key_id: str) -> Path:
    """Write ``manifest.sig`` for the files as they are now (after the report is written)."""
    body: dict[str, object] = {"version": SIGNATURE_VERSION, "run_id": run_id, "key_id": key_id,
                               "sha256": _digests(directory)}
    path = directory / SIGNATURE_NAME
    path.write_text(json.dumps(body | {"hmac_sha256": _mac(key, body)}, indent=2) + "\n", encoding="utf-8")
    return path


def signature_problems(directory: Path, key: bytes, *, run_id: str, key_id: str) -> list[str]:
    """What no longer matches the signature (names of files, never contents); [] when all is authentic."""
    path = directory / SIGNATURE_NAME
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        mac = stored.pop("hmac_sha256")
    except FileNotFoundError:
        return [f"{SIGNATURE_NAME} is missing"]
    except (OSError, ValueError, KeyError, AttributeError):
        return [f"{SIGNATURE_NAME} is not a valid signature file"]
    if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(key, stored)):
        return [f"{SIGNATURE_NAME} was not made with this key, or was edited"]
    problems = []
    if stored.get("run_id") != run_id or stored.get("key_id") != key_id:
        problems.append(f"{MANIFEST_NAME} names another run or key than the signature")
    signed = stored.get("sha256") or {}
    for name, digest in _digests(directory).items():
        if signed.get(name) != digest:
            problems.append(f"{name} changed after the run signed it")
    return problems
