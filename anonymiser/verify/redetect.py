"""Re-detection: run the detectors again over the *output* columns the policy kept unmasked.

Masked columns are skipped on purpose: their fakes are built to look real, so detectors fire on
them by design (the leak scan proves they hold no source value). A kept column in which the
pattern recognizers (e-mail, phone, IRD, NHI, bank account, card, IP, IBAN, NZBN, passport,
licence) match a large share of a sample holds identifiers the policy let through: a failure,
unless the policy recorded a reason for keeping it. So do value shapes no prose recognizer sees:
password hashes and secrets, logins built from names ("jsmith123"), and binary columns holding
images or scanned documents (magic bytes). Named-entity recognition is not used here: on kept
product names or titles it fires on ordinary words and would fail every run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from anonymiser.detect.analyze import analyze_texts
from anonymiser.detect.engine import detector_label, get_engine
from anonymiser.detect.shapes import is_image_or_document, shape_entity
from anonymiser.verify.model import REDETECTED, Failure, Redetection, RedetectionSummary
from anonymiser.verify.outputs import parquet_files, read_columns
from anonymiser.write.manifest import Manifest

SAMPLE = 200                  # distinct values per column, as scan samples them
MIN_HIT_RATE = 0.3            # share of sampled values with a hit that makes the column personal
PATTERN_ENTITIES = (
    "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "NZ_IRD", "NZ_NHI", "NZ_BANK_ACCOUNT", "NZBN",
    "NZ_DRIVER_LICENCE", "NZ_PASSPORT", "IP_ADDRESS", "IBAN_CODE",
)
_TEXT_KINDS = ("string", "text", "other", "json", "uuid")
_BINARY_SAMPLE = 50


def _sample(values: pa.ChunkedArray, seed: int) -> list[str]:
    text = pc.cast(values.combine_chunks(), pa.string()) if values.type != pa.string() else values.combine_chunks()
    distinct = pc.unique(text.drop_null())
    distinct = distinct.filter(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(distinct)), 0))
    if len(distinct) > SAMPLE:
        picks = np.random.default_rng(seed).choice(len(distinct), size=SAMPLE, replace=False)
        distinct = distinct.take(pa.array(np.sort(picks)))
    return [str(v) for v in distinct.to_pylist()]


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


def redetect(directory: Path, manifest: Manifest) -> tuple[RedetectionSummary, list[Failure]]:
    engine = get_engine("blank")
    summary = RedetectionSummary(ran=True, engine=f"pattern recognizers ({engine.model})")
    failures: list[Failure] = []
    for table, entry in manifest.tables.items():
        info = manifest.schema_.tables.get(table)
        if info is None:
            continue
        kept = [c.name for c in info.columns if c.kind in (*_TEXT_KINDS, "binary")
                and (c.name not in entry.masking or entry.masking[c.name].kept)]
        if not kept:
            continue
        kinds = {c.name: c.kind for c in info.columns}
        data = read_columns(directory, manifest, table, [c for c in kept if kinds[c] != "binary"])
        for index, column in enumerate(kept):
            summary.columns_checked += 1
            if kinds[column] == "binary":
                heads = _binary_heads(directory, manifest, table, column)
                images = sum(map(is_image_or_document, heads))
                if not heads or images / len(heads) < MIN_HIT_RATE:
                    continue
                entity, detector, score, rate, count, sampled = ("PHOTO", "nz:magic_bytes", 1.0, images / len(heads),
                                                                 images, len(heads))
            else:
                texts = _sample(data.column(column), seed=index)
                if not texts:
                    continue
                shaped = shape_entity(texts, MIN_HIT_RATE)
                results = analyze_texts(texts, engine=engine, entities=PATTERN_ENTITIES, threshold=0.5, workers=1)
                per_text = [max(hits, key=lambda h: h.score) for hits in results if hits]
                if shaped is not None:
                    entity, rate, count = shaped
                    detector, score, sampled = "nz:value_shape", 0.9, len(texts)
                elif len(per_text) / len(texts) >= MIN_HIT_RATE:
                    entity, _ = Counter(h.entity for h in per_text).most_common(1)[0]
                    best = max((h for h in per_text if h.entity == entity), key=lambda h: h.score)
                    detector, score = detector_label(best.recognizer), round(best.score, 3)
                    rate, count, sampled = len(per_text) / len(texts), len(per_text), len(texts)
                else:
                    continue
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
    return summary, failures
