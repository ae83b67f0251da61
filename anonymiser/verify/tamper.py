"""The tamper gate: the output is exactly what the run signed (``write/signature.py``).

Any edit to ``manifest.json``, ``policy.yaml``, ``report/report.json`` or a data file is a failure
with reason ``manifest_tampered``; without the key the signature cannot be checked, which is a
failure too (``manifest_not_authenticated``): no proof, no PASS.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from anonymiser.mask.keys import KEY_ENV, key_id
from anonymiser.verify.model import FILE_MISMATCH, MANIFEST_NOT_AUTHENTICATED, MANIFEST_TAMPERED, Failure
from anonymiser.write.signature import signature_problems

if TYPE_CHECKING:
    from anonymiser.write.manifest import Manifest


def tamper_failures(directory: Path, manifest: Manifest, key: bytes | None,
                    file_failures: list[Failure]) -> list[Failure]:
    if key is None:
        return [Failure(reason=MANIFEST_NOT_AUTHENTICATED, gate="files", count=1,
                        message=f"{KEY_ENV} is not set: the manifest's signature could not be checked")]
    if key_id(key) != manifest.key_id:
        return [Failure(reason=MANIFEST_TAMPERED, gate="files", count=1,
                        message=f"the manifest names key id {manifest.key_id} but {KEY_ENV} has id {key_id(key)}: "
                                "either the key is not the run's or the manifest was edited")]
    problems = signature_problems(directory, key, run_id=manifest.run_id, key_id=manifest.key_id)
    problems += [f.message for f in file_failures if f.reason == FILE_MISMATCH]
    return [Failure(reason=MANIFEST_TAMPERED, gate="files", count=1, message=f"tampered: {p}") for p in problems]
