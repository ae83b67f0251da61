"""Re-detection: run the detectors again over the *output* columns the policy kept unmasked.

Masked columns are skipped on purpose: their fakes are built to look real, so detectors fire on
them by design (the leak scan proves they hold no source value). A kept column in which the
pattern recognizers (e-mail, phone, IRD, NHI, bank account, card, IP, IBAN, NZBN, passport,
licence) match a large share of a sample holds identifiers the policy let through: a failure,
unless the policy recorded a reason for keeping it. So do value shapes no prose recognizer sees:
password hashes and secrets, logins built from names ("jsmith123"), whole cells that are people's
names (the name gazetteer: "Aroha Ngata" in a column called ``customer``), NZ driver licence and
passport numbers (shapes.nz_document_column), and binary columns holding images or scanned
documents (magic bytes) in tables about people (``names.about_people``): the same rules scan drafts
with. Named-entity recognition is not used here: on kept product names or titles it fires on ordinary
words and would fail every run.

Masked columns whose strategy rewrites digits only (``phone``) keep the cell's other characters: a
name written beside the number ("021 555 1234 (Aroha's mum)") is still there, so those are searched
for names too.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from anonymiser.detect.analyze import analyze_texts
from anonymiser.detect.engine import Engine, detector_label, get_engine
from anonymiser.detect.evidence import PATTERN_CELL_RATE, PATTERN_ENTITIES, PATTERN_SCORE
from anonymiser.detect.names import about_people, looks_like_free_text_name
from anonymiser.detect.shapes import is_image_or_document, name_column, nz_document_column, shape_entity
from anonymiser.schema import ColumnInfo
from anonymiser.verify import hashing
from anonymiser.verify.model import REDETECTED, Failure, Redetection, RedetectionSummary
from anonymiser.verify.outputs import iter_batches, parquet_files
from anonymiser.write.manifest import Manifest

SAMPLE = 200                  # distinct values per column, as scan samples them
MIN_HIT_RATE = PATTERN_CELL_RATE   # share of sampled values with a hit that makes the column personal
_TEXT_KINDS = ("string", "text", "other", "json", "uuid")
# Masking strategies that rewrite the digits of a cell and keep every other character as it was.
LAYOUT_KEPT = frozenset({"phone"})
PERSON_SCORE = 0.6            # a known given + family name, or a name with a cue (persons.py)
MIN_NAMED_CELLS = 2           # one odd cell in a sample is no evidence
_BINARY_SAMPLE = 50


def _kept_kind(column: ColumnInfo) -> bool:
    """Text-like columns, and arrays of text (re-detected element by element)."""
    return column.kind in _TEXT_KINDS or (column.kind == "array" and column.element_kind in _TEXT_KINDS)


def _sample(distinct: pa.Array, seed: int) -> list[str]:
    distinct = distinct.filter(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(distinct)), 0))
    if len(distinct) > SAMPLE:
        picks = np.random.default_rng(seed).choice(len(distinct), size=SAMPLE, replace=False)
        distinct = distinct.take(pa.array(np.sort(picks)))
    return [str(v) for v in distinct.to_pylist()]


def _distinct(directory: Path, manifest: Manifest, table: str, column: str) -> pa.Array:
    """The column's distinct non-null values as text, in order of first appearance (``pc.unique`` of the
    whole column), read a batch at a time: memory follows the distinct values, not the rows (a 10M-row
    column of five cities holds five strings). Arrays give their elements."""
    seen = np.empty(0, np.uint64)            # sorted keyed hashes of the values kept so far
    hasher = hashing.Hasher.ephemeral()
    parts: list[pa.Array] = []
    for batch in iter_batches(directory, manifest, table, [column]):
        values = batch.column(0)
        while pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
            values = pc.list_flatten(values)        # arrays: their elements are the values
        text = pc.cast(values, pa.string()) if values.type != pa.string() else values
        unique = pc.unique(text.drop_null())
        hashes = hasher.hash(unique)
        new = hashing.lookup(seen, hashes) < 0
        parts.append(unique.filter(pa.array(new)))
        seen = np.sort(np.concatenate([seen, hashes[new]]))
    return pa.concat_arrays(parts) if parts else pa.array([], pa.string())


def _binary_heads(directory: Path, manifest: Manifest, table: str, column: str) -> list[bytes]:
    """The first bytes of up to ``_BINARY_SAMPLE`` non-null values, read one small batch at a time (photos
    are large: the column is never read whole)."""

    heads: list[bytes] = []
    for path in parquet_files(directory, manifest, table):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=_BINARY_SAMPLE, columns=[column]):
            heads += [bytes(v[:16]) for v in batch.column(0).drop_null().to_pylist()]
            if len(heads) >= _BINARY_SAMPLE:
                return heads[:_BINARY_SAMPLE]
    return heads


def _kept_finding(texts: list[str], people: bool, engine: Engine) -> tuple[str, str, float, float, int] | None:
    """(entity, detector, score, hit rate, count) when a kept column's sample is personal, else None.

    The same value rules as scan's draft (shapes, name gazetteer, NZ document shapes), then the pattern
    recognizers on any span of a cell: scan and verify agree on the same values."""
    shaped = shape_entity(texts, MIN_HIT_RATE)
    if shaped is not None:
        entity, rate, count = shaped
        return entity, "nz:value_shape", 0.9, rate, count
    names = name_column(texts)
    if names is not None:
        return "PERSON", "nz:name_gazetteer", 0.8, names.rate, names.count
    document = nz_document_column(texts, people)
    if document is not None:
        entity, rate, count, _ = document
        return entity, "nz:value_shape", 0.8, rate, count
    results = analyze_texts(texts, engine=engine, entities=PATTERN_ENTITIES, threshold=PATTERN_SCORE,
                            workers=1)
    per_text = [max(hits, key=lambda h: h.score) for hits in results if hits]
    if len(per_text) / len(texts) < MIN_HIT_RATE:
        return None
    entity, _ = Counter(h.entity for h in per_text).most_common(1)[0]
    best = max((h for h in per_text if h.entity == entity), key=lambda h: h.score)
    return entity, detector_label(best.recognizer), round(best.score, 3), len(per_text) / len(texts), len(per_text)


def _named_in_notes(texts: list[str], column: ColumnInfo, engine: Engine) -> tuple[str, str, float, float, int] | None:
    """A kept column named as notes (note, comment, bio, …) with a person named in even one sampled cell: scan
    drafts such a column ``free_text`` on one such cell, so a policy that keeps it fails here the same way."""
    if not looks_like_free_text_name(column):
        return None
    left = _names_left(texts, engine, min_cells=1)
    return None if left is None else ("PERSON", "nz:name_gazetteer", PERSON_SCORE, *left)


def _names_left(texts: list[str], engine: Engine, min_cells: int = MIN_NAMED_CELLS) -> tuple[float, int] | None:
    """(share, count) of sampled cells of a layout-preserving masked column (``phone``) still naming a person.

    Those strategies rewrite digits only, so every letter in the output is the source's."""
    lettered = [t for t in texts if any(c.isalpha() for c in t)]
    if not lettered:
        return None
    results = analyze_texts(lettered, engine=engine, entities=("PERSON",), threshold=PERSON_SCORE, workers=1)
    count = sum(1 for hits in results if hits)
    return (count / len(texts), count) if count >= min_cells else None


def redetect(directory: Path, manifest: Manifest) -> tuple[RedetectionSummary, list[Failure]]:
    engine = get_engine("blank")
    summary = RedetectionSummary(ran=True, engine=f"pattern recognizers and name gazetteer ({engine.model})")
    failures: list[Failure] = []
    for table, entry in manifest.tables.items():
        info = manifest.schema_.tables.get(table)
        if info is None:
            continue
        kept = [c.name for c in info.columns if (_kept_kind(c) or c.kind == "binary")
                and (c.name not in entry.masking or entry.masking[c.name].kept)]
        layout = [c.name for c in info.columns if c.kind in _TEXT_KINDS and c.name in entry.masking
                  and entry.masking[c.name].strategy in LAYOUT_KEPT]
        if not kept and not layout:
            continue
        kinds = {c.name: c.kind for c in info.columns}
        people = about_people(info)
        for index, column in enumerate(kept):
            summary.columns_checked += 1
            if kinds[column] == "binary":
                if not people:   # product or category pictures: scan keeps them with a note, by this same rule
                    continue
                heads = _binary_heads(directory, manifest, table, column)
                images = sum(map(is_image_or_document, heads))
                if not heads or images / len(heads) < MIN_HIT_RATE:
                    continue
                entity, detector, score, rate, count, sampled = ("PHOTO", "nz:magic_bytes", 1.0, images / len(heads),
                                                                 images, len(heads))
            else:
                texts = _sample(_distinct(directory, manifest, table, column), seed=index)
                found = (_kept_finding(texts, people, engine) or _named_in_notes(texts, info.column(column), engine)) \
                    if texts else None
                if found is None:
                    continue
                entity, detector, score, rate, count = found
                sampled = len(texts)
            reason = entry.masking[column].reason if column in entry.masking else None
            finding = Redetection(table=table, column=column, entity=entity, classification="direct_identifier",
                                  detector=detector, score=score, hit_rate=round(rate, 3), sampled=sampled,
                                  justified=bool(reason))
            summary.findings.append(finding)
            if not finding.justified:
                failures.append(Failure(
                    reason=REDETECTED, gate="redetection", table=table, column=column, count=count,
                    message=f"{table}.{column} is kept unmasked but {rate:.0%} of {sampled} sampled values "
                            f"are detected as {entity}"))
        for index, column in enumerate(layout, start=len(kept)):
            summary.columns_checked += 1
            texts = _sample(_distinct(directory, manifest, table, column), seed=index)
            left = _names_left(texts, engine) if texts else None
            if left is None:
                continue
            rate, count = left
            strategy = entry.masking[column].strategy
            summary.findings.append(Redetection(
                table=table, column=column, entity="PERSON", classification="direct_identifier",
                detector="nz:name_gazetteer", score=PERSON_SCORE, hit_rate=round(rate, 3), sampled=len(texts)))
            failures.append(Failure(
                reason=REDETECTED, gate="redetection", table=table, column=column, count=count,
                message=f"{table}.{column} is masked with {strategy!r}, which rewrites digits only, but {count} of "
                        f"{len(texts)} sampled values still name a person: mask it with 'free_text' (names and "
                        f"numbers are replaced span by span)"))
    return summary, failures
