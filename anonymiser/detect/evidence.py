"""Evidence from values: sample distinct values per column (bounded), run the analyzer, count hits.

Only counts, scores and recognizer names leave this module: the sampled values are dropped as
soon as the table's evidence is computed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from anonymiser.detect.analyze import Hit, analyze_texts
from anonymiser.detect.engine import Engine
from anonymiser.detect.names import about_people, match_name
from anonymiser.detect.shapes import (
    NameColumn,
    is_credential,
    is_image_or_document,
    is_username,
    name_column,
    nz_document_column,
)
from anonymiser.schema import ColumnInfo, TableInfo
from anonymiser.source.read import table_clause

if TYPE_CHECKING:
    import sqlalchemy as sa

SAMPLED_KINDS = frozenset({"string", "text", "json"})
BINARY_SAMPLE = 50        # binary values read to look at their first bytes
# Entities that make prose personal: a person, a contact detail, an identifier (not URLs, dates, places).
FREE_TEXT_EVIDENCE = frozenset({
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS",
    "NZ_IRD", "NZ_NHI", "NZ_BANK_ACCOUNT", "NZBN", "NZ_DRIVER_LICENCE", "NZ_PASSPORT", "US_SSN", "CRYPTO",
})
# Identifiers and contact details the pattern recognizers find, scored >= PATTERN_SCORE anywhere in a cell:
# verify's re-detection of kept columns counts these too, so scan drafts what verify would flag.
PATTERN_ENTITIES = (
    "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "NZ_IRD", "NZ_NHI", "NZ_BANK_ACCOUNT", "NZBN",
    "NZ_DRIVER_LICENCE", "NZ_PASSPORT", "IP_ADDRESS", "IBAN_CODE",
)
PATTERN_SCORE = 0.5
PATTERN_CELL_RATE = 0.3   # share of sampled cells holding one that makes a kept column personal
PERSON_EVIDENCE_SCORE = 0.6     # a name with a cue or a known given + family name, not one capitalised word
CONTACT_EVIDENCE_SCORE = 0.5
CONFIRM_SAMPLE = 200      # values read to confirm a column the name rules already classified
SCAN_FACTOR = 10           # read at most sample × this many rows to find the distinct ones
JSON_ROWS_FACTOR = 2       # ... JSON documents, deduplicated client-side
MAX_CHARS = 2000           # a huge text cell is judged on its beginning
STRUCTURED_COVERAGE = 0.6  # a structured value "is" an entity when one span covers most of it
ANALYSIS_THRESHOLD = 0.05  # keep weak shape matches: the column name may confirm them
FREE_TEXT_MIN_CHARS = 40
FREE_TEXT_MIN_WORDS = 5


@dataclass
class EntityStats:
    values: int = 0                     # distinct values with this entity
    score_sum: float = 0.0
    recognizers: Counter[str] = field(default_factory=Counter)

    @property
    def mean_score(self) -> float:
        return self.score_sum / self.values if self.values else 0.0

    @property
    def recognizer(self) -> str:
        return self.recognizers.most_common(1)[0][0] if self.recognizers else "unknown"


@dataclass
class ColumnEvidence:
    sampled: int = 0
    entities: dict[str, EntityStats] = field(default_factory=dict)   # value-level (structured) matches
    spans: dict[str, EntityStats] = field(default_factory=dict)      # any span anywhere (free text)
    with_personal_span: int = 0         # values naming a person or holding a contact detail / identifier
    with_person: int = 0                # values naming a person (score >= PERSON_EVIDENCE_SCORE)
    pattern_cells: Counter[str] = field(default_factory=Counter)   # values per entity of PATTERN_ENTITIES
    free_text_shape: bool = False
    credential_rate: float = 0.0        # share of sampled values shaped like password hashes or secrets
    username_rate: float = 0.0          # ... like logins built from names ("jsmith123")
    binary_personal_rate: float = 0.0   # share of sampled binary values that are images or PDFs
    names: NameColumn | None = None     # whole cells are person names (gazetteer)
    json_paths: dict[str, ColumnEvidence] = field(default_factory=dict)   # JSON documents: evidence per path
    json_invalid: int = 0               # sampled values of a JSON column that are not JSON
    document: tuple[str, float, int, str] | None = None   # NZ driver licence / passport numbers by shape

    def hit_rate(self, entity: str) -> float:
        stats = self.entities.get(entity)
        return stats.values / self.sampled if stats and self.sampled else 0.0

    @property
    def personal_span_rate(self) -> float:
        return self.with_personal_span / self.sampled if self.sampled else 0.0


def sample_distinct(conn: sa.Connection, table: TableInfo, column: ColumnInfo, limit: int) -> list[str]:
    """Up to ``limit`` distinct non-null values, reading at most ``limit × SCAN_FACTOR`` rows."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use


    col = table_clause(table).c[column.name]
    if column.kind == "array":
        # Arrays are masked element by element, so their elements are the values judged.
        elements: dict[str, None] = {}
        for (v,) in conn.execute(sa.select(col).where(col.is_not(None)).limit(limit * JSON_ROWS_FACTOR)):
            for element in _flatten(v):
                elements.setdefault(str(element).strip())
        return [e for e in elements if e][:limit]
    if column.kind == "json":
        # PostgreSQL's json has no equality (no GROUP BY): deduplicated here, over twice the sample at most
        # (documents can be large); drivers return parsed documents.
        docs = (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v).strip()
                for (v,) in conn.execute(sa.select(col).where(col.is_not(None)).limit(limit * JSON_ROWS_FACTOR)))
        return list(dict.fromkeys(d for d in docs if d))[:limit]
    inner = sa.select(col.label("v")).where(col.is_not(None)).limit(limit * SCAN_FACTOR).subquery()
    query = sa.select(inner.c.v).group_by(inner.c.v).limit(limit)
    values = (str(v).strip() for (v,) in conn.execute(query))
    return [v for v in values if v]


def _flatten(value: object) -> list[object]:
    if isinstance(value, (list, tuple)):
        return [e for item in value for e in _flatten(item)]
    return [] if value is None else [value]


def _is_prose(values: Sequence[str]) -> bool:
    if not values:
        return False
    mean_len = sum(len(v) for v in values) / len(values)
    wordy = sum(1 for v in values if v.count(" ") >= FREE_TEXT_MIN_WORDS - 1) / len(values)
    return mean_len >= FREE_TEXT_MIN_CHARS and wordy >= 0.5


def _add(stats: dict[str, EntityStats], hit: Hit) -> None:
    entry = stats.setdefault(hit.entity, EntityStats())
    entry.values += 1
    entry.score_sum += hit.score
    entry.recognizers[hit.recognizer] += 1


def column_evidence(values: Sequence[str], hits: Sequence[Sequence[Hit]], *, people: bool = False) -> ColumnEvidence:
    """``people``: the column's table is about people (decides a licence-shaped column; see shapes)."""
    evidence = ColumnEvidence(sampled=len(values), free_text_shape=_is_prose(values))
    for value, value_hits in zip(values, hits, strict=True):
        best_whole: dict[str, Hit] = {}
        best_span: dict[str, Hit] = {}
        length = max(1, len(value[:MAX_CHARS]))
        for hit in value_hits:
            if hit.score > best_span.get(hit.entity, hit._replace(score=-1)).score:
                best_span[hit.entity] = hit
            if (hit.end - hit.start) / length >= STRUCTURED_COVERAGE and \
                    hit.score > best_whole.get(hit.entity, hit._replace(score=-1)).score:
                best_whole[hit.entity] = hit
        for hit in best_whole.values():
            _add(evidence.entities, hit)
        for hit in best_span.values():
            _add(evidence.spans, hit)
        if any(h.entity in FREE_TEXT_EVIDENCE and h.score >= (PERSON_EVIDENCE_SCORE if h.entity == "PERSON"
                                                               else CONTACT_EVIDENCE_SCORE)
               for h in best_span.values()):
            evidence.with_personal_span += 1
        if "PERSON" in best_span and best_span["PERSON"].score >= PERSON_EVIDENCE_SCORE:
            evidence.with_person += 1
        patterns = [h for e, h in best_span.items() if e in PATTERN_ENTITIES and h.score >= PATTERN_SCORE]
        if patterns:
            evidence.pattern_cells[max(patterns, key=lambda h: h.score).entity] += 1
    if values:
        evidence.credential_rate = sum(map(is_credential, values)) / len(values)
        if sum(1 for v in values if " " not in v.strip()) >= 0.9 * len(values):     # single tokens only
            evidence.username_rate = sum(map(is_username, values)) / len(values)
        if not evidence.free_text_shape:
            evidence.names = name_column(values)
            evidence.document = nz_document_column(values, people)
    return evidence


JSON_SHARE = 0.5          # a column is JSON when this share of its sampled values are documents (the others
                          # are blanked by the draft's 'invalid: null')
MAX_JSON_PATHS = 50       # paths judged per column (the ones with the most values)
MAX_JSON_DEPTH = 10
INVALID_JSON = "$!invalid"    # json_leaves' count of values that are not JSON (never a path)
_PLAIN_MEMBER = re.compile(r"[^\W\d][\w-]{0,39}")   # a member name written as .name in a path


def _leaves(node: object, path: str, out: dict[str, set[str]], depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            # A member name that looks like data (an e-mail, a number) is never written into the policy.
            step = f".{key}" if _PLAIN_MEMBER.fullmatch(key) and "@" not in key else ".*"
            _leaves(value, path + step, out, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _leaves(value, path + "[*]", out, depth + 1)
    elif isinstance(node, str) and node.strip():
        out.setdefault(path, set()).add(node.strip())


def json_leaves(values: Sequence[str], limit: int) -> dict[str, list[str]] | None:
    """Distinct string values per JSON path (``$.contact.email``, ``$.phones[*]``) when the values are JSON
    objects or arrays (at least ``JSON_SHARE`` of them), else None. ``$!invalid``: values that are not JSON."""
    docs = []
    for value in values:
        if value[:1] in "{[":
            try:
                docs.append(json.loads(value))
            except ValueError:
                continue
    if not values or len(docs) < JSON_SHARE * len(values):
        return None
    found: dict[str, set[str]] = {}
    for doc in docs:
        _leaves(doc, "$", found, 0)
    ranked = sorted(found, key=lambda p: -len(found[p]))[:MAX_JSON_PATHS]
    leaves = {path: sorted(found[path])[:limit] for path in ranked}
    return leaves | ({INVALID_JSON: [""] * (len(values) - len(docs))} if len(docs) < len(values) else {})


def sample_binary(conn: sa.Connection, table: TableInfo, column: ColumnInfo, limit: int) -> list[bytes]:
    """The first bytes of up to ``limit`` non-null binary values (enough for magic numbers)."""
    import sqlalchemy as sa  # heavy (~0.3 s): imported on first use


    col = table_clause(table).c[column.name]
    rows = conn.execute(sa.select(col).where(col.is_not(None)).limit(limit))
    return [bytes(v[:16]) if isinstance(v, (bytes, bytearray, memoryview)) else str(v)[:16].encode("latin-1", "ignore")
            for (v,) in rows]


def table_evidence(conn: sa.Connection, table: TableInfo, sample: int, engine: Engine) -> dict[str, ColumnEvidence]:
    """Evidence for every sampled (textual) column of one table; one analyzer batch per table.

    A column whose name already says what it is gets a smaller confirming sample: the hit rate only
    adjusts its score, and on wide tables the full sample would dominate the scan time.
    """

    # Untyped SQLite columns holding several storage classes ("other", no declared type) are read as text too.
    columns = [c for c in table.columns if c.kind in SAMPLED_KINDS or (c.kind == "other" and not c.native_type)
               or (c.kind == "array" and c.element_kind in SAMPLED_KINDS)]
    per_column = {c.name: sample_distinct(conn, table, c, min(sample, CONFIRM_SAMPLE)
                                          if match_name(table, c) else sample) for c in columns}
    groups: list[tuple[str, str | None, list[str]]] = []      # (column, JSON path or None, values)
    out: dict[str, ColumnEvidence] = {}
    for name, values in per_column.items():
        leaves = json_leaves(values, sample) if any(v[:1] in "{[" for v in values[:50]) else None
        if leaves is None:
            groups.append((name, None, values))
        else:
            invalid = len(leaves.pop(INVALID_JSON, []))
            out[name] = ColumnEvidence(sampled=len(values), json_invalid=invalid)
            groups += [(name, path, texts) for path, texts in leaves.items()]
    texts = [v[:MAX_CHARS] for _, _, values in groups for v in values]
    hits = analyze_texts(texts, engine=engine, threshold=ANALYSIS_THRESHOLD) if texts else []
    start = 0
    people = about_people(table)
    for name, path, values in groups:
        evidence = column_evidence(values, hits[start:start + len(values)], people=people)
        start += len(values)
        if path is None:
            out[name] = evidence
        else:
            out[name].json_paths[path] = evidence
    for name, values in per_column.items():
        out.setdefault(name, ColumnEvidence(sampled=len(values)))     # JSON without a string anywhere
    for column in table.columns:
        if column.kind == "binary":
            heads = sample_binary(conn, table, column, BINARY_SAMPLE)
            out[column.name] = ColumnEvidence(
                sampled=len(heads),
                binary_personal_rate=sum(map(is_image_or_document, heads)) / len(heads) if heads else 0.0)
    return out
