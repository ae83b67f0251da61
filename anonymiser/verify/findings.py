"""Reading the detection findings stored in ``manifest.detection`` (``DetectionResult.model_dump()``).

Read defensively: the manifest may come from an older version, or a run without detection.
"""

from __future__ import annotations

from typing import Any

from anonymiser.write.manifest import Manifest

PERSONAL = ("direct_identifier", "quasi_identifier", "sensitive")


def findings(manifest: Manifest) -> dict[tuple[str, str], dict[str, Any]]:
    raw = manifest.detection.get("findings", [])
    items: list[Any] = list(raw.values()) if isinstance(raw, dict) else list(raw or [])
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("table"), str) and isinstance(item.get("column"), str):
            out[(item["table"], item["column"])] = item
    return out


def engine_description(manifest: Manifest) -> str | None:
    engine = manifest.detection.get("engine")
    if isinstance(engine, str):
        return engine
    if isinstance(engine, dict):
        parts = [f"{k}: {v}" for k, v in engine.items() if isinstance(v, str | int | float | bool) and v != ""]
        return "; ".join(parts) or None
    return None


def is_personal(finding: dict[str, Any] | None) -> bool:
    return finding is not None and finding.get("classification") in PERSONAL


def declared(manifest: Manifest, key: str) -> set[tuple[str, str]]:
    """``quasi_identifiers`` / ``sensitive_attributes`` of the policy as (table, column) pairs."""
    out = set()
    for item in manifest.policy.get(key, []) or []:
        if isinstance(item, str) and "." in item:
            table, column = item.rsplit(".", 1)
            out.add((table, column))
    return out
