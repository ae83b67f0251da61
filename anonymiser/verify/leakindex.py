"""The searchable index of a leak scan: hashed source values, each with its owner column and class.

Classes (from the column's masking strategy/domain and detected entity, then the value's shape):
- ``identifier``: e-mails, phones, IRD/NHI/bank/card numbers, IPs, URLs, user names, licences;
  too specific to re-appear by chance, so *strict*: any appearance anywhere is a leak.
- ``composite``: full person names and street addresses. Built from dictionary parts, so a fake
  can spell a real one ("Olivia Smith"). Strict in kept columns; in a masked column only a
  same-row match is a leak; inside free text, a leak when the same row's source text held it too.
- ``dictionary``: a single given name, surname, city, postcode, date, small number, remapped key:
  coincidences are expected; reported, and a leak only when unchanged in the same row.
- ``default``: anything else; strict when long (8+ letters/digits) and shaped like an identifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.schema import SchemaInfo
from anonymiser.verify import hashing
from anonymiser.verify.model import LeakColumn
from anonymiser.write.manifest import ColumnMasking, Manifest

_DICTIONARY_WORDS = {
    "first", "given", "last", "surname", "family", "middle", "city", "suburb", "town", "region", "country",
    "state", "province", "postcode", "postal", "zip", "gender", "sex", "title", "date", "datetime", "year",
    "month", "day", "age", "birth", "dob", "time", "location", "company", "organisation", "organization",
    "job", "occupation", "generalise", "generalize", "noise", "band", "shift", "round", "bucket", "category",
    "member",   # a declared ENUM/SET member: drawn from a handful of values
}
_IDENTIFIER_WORDS = {
    "email", "mail", "phone", "mobile", "fax", "ird", "nhi", "bank", "account", "card", "credit", "iban",
    "ip", "ipv4", "ipv6", "url", "uri", "username", "user", "login", "passport", "licence", "license",
    "nzbn", "ssn", "tax", "token", "hash", "redact",
}
_COMPOSITE_WORDS = {"address", "street", "name", "person", "fullname", "full"}
_MIN_STRICT = {"identifier": 6, "composite": 6, "default": 8}


def value_class(masking: ColumnMasking, finding: dict[str, Any] | None, is_key: bool) -> str:
    text = " ".join(str(x) for x in (masking.strategy, masking.domain, (finding or {}).get("entity")) if x)
    words = set(re.split(r"[^a-z0-9]+", text.lower()))
    if words & _DICTIONARY_WORDS:
        return "dictionary"
    if words & _IDENTIFIER_WORDS:
        return "identifier"
    if words & _COMPOSITE_WORDS:
        return "composite"
    return "dictionary" if is_key else "default"


def strict_flags(normalised: pa.Array, cls: str) -> np.ndarray:
    """Which values are specific enough that any appearance in the output is a leak."""
    if cls == "dictionary" or len(normalised) == 0:
        return np.zeros(len(normalised), dtype=bool)
    long_enough = pc.greater_equal(pc.utf8_length(hashing.compact(normalised)), _MIN_STRICT[cls])
    shaped = pc.or_(pc.or_(hashing.has_digit(normalised), pc.match_substring(normalised, " ")),
                    pc.match_substring_regex(normalised, r"[\p{L}\p{N}][^\p{L}\p{N} ]+[\p{L}\p{N}]"))
    return np.asarray(pc.and_(long_enough, shaped), dtype=bool)


@dataclass
class Target:
    """One masked source column and its hash set under construction."""

    table: str
    column: str
    cls: str
    full: list[np.ndarray]
    strict: list[np.ndarray]
    compact: list[np.ndarray]
    stats: LeakColumn


STRICT, COMPOSITE, LOOSE = 2, 1, 0   # levels: leak anywhere / leak in kept columns / coincidence


@dataclass
class Index:
    hashes: np.ndarray          # sorted unique uint64
    owner: np.ndarray           # index into targets
    level: np.ndarray           # int8: STRICT, COMPOSITE or LOOSE
    compact: np.ndarray         # sorted unique uint64 of compact forms of strict values with a digit
    compact_owner: np.ndarray


def key_columns(schema: SchemaInfo, table: str) -> set[str]:
    info = schema.tables[table]
    cols = set(info.primary_key)
    for fk in info.foreign_keys:
        cols.update(fk.columns)
    for _, fk in schema.children(table):
        cols.update(fk.ref_columns)
    return cols


def aligned_key(manifest: Manifest, table: str, pk: list[str]) -> bool:
    """Rows can be matched source to output only when every primary-key column is kept."""
    entry = manifest.tables[table]
    return bool(pk) and all(c in entry.masking and entry.masking[c].strategy == "keep" for c in pk)


def is_free_text(masking: ColumnMasking | None, finding: dict[str, Any] | None) -> bool:
    return bool((masking is not None and masking.strategy == "free_text") or (finding or {}).get("free_text"))


def build_index(targets: list[Target]) -> Index:
    hashes, owners, levels, compact, compact_owner = [], [], [], [], []
    for i, target in enumerate(targets):
        full = np.unique(np.concatenate(target.full)) if target.full else np.empty(0, np.uint64)
        strict = np.unique(np.concatenate(target.strict)) if target.strict else np.empty(0, np.uint64)
        comp = np.unique(np.concatenate(target.compact)) if target.compact else np.empty(0, np.uint64)
        target.full, target.strict, target.compact = [], [], []  # free the chunks
        hashes.append(full)
        owners.append(np.full(len(full), i, dtype=np.int32))
        high = COMPOSITE if target.cls == "composite" else STRICT
        levels.append(np.where(np.isin(full, strict, assume_unique=True), high, LOOSE).astype(np.int8))
        compact.append(comp)
        compact_owner.append(np.full(len(comp), i, dtype=np.int32))
    if not targets:
        empty = np.empty(0, np.uint64)
        return Index(empty, np.empty(0, np.int32), np.empty(0, np.int8), empty, np.empty(0, np.int32))
    h, o, lv = np.concatenate(hashes), np.concatenate(owners), np.concatenate(levels)
    # The same value may come from several columns: keep one entry, at its highest level.
    order = np.lexsort((-lv, h))
    h, o, lv = h[order], o[order], lv[order]
    first = np.concatenate(([True], h[1:] != h[:-1])) if len(h) else np.empty(0, bool)
    c, co = np.concatenate(compact), np.concatenate(compact_owner)
    c_order = np.argsort(c, kind="stable")
    c, co = c[c_order], co[c_order]
    c_first = np.concatenate(([True], c[1:] != c[:-1])) if len(c) else np.empty(0, bool)
    return Index(h[first], o[first], lv[first], c[c_first], co[c_first])
