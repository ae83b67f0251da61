"""Column classification: name/type heuristics combined with value evidence, keys handled last.

Order of decisions for one column: JSON documents are judged path by path (``json`` with
``json_paths``); a name rule (``email``, ``ird_number``, ``FirstName``) wins and the values only raise
or lower its score; otherwise an integer primary key is a surrogate (kept); a spatial column beside
people is location data; value shapes decide (credentials, images, logins, whole-cell person names, NZ
licence/passport numbers: shapes.py); otherwise prose is free text; otherwise the values decide when
enough of them match one entity, or identifiers stand inside short text in a real share of cells.
Finally every foreign-key column takes the rule of the key it references, so joins still match, and
quasi-identifiers are kept only where people are (``people_quasi_identifiers``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from anonymiser.detect.engine import detector_label, get_engine
from anonymiser.detect.evidence import (
    FREE_TEXT_EVIDENCE,
    PATTERN_CELL_RATE,
    ColumnEvidence,
    table_evidence,
)
from anonymiser.detect.model import ColumnFinding, DetectionResult
from anonymiser.detect.names import (
    PERSON_TABLES,
    Classification,
    NameRule,
    about_people,
    looks_like_free_text_name,
    match_name,
    normalised,
)
from anonymiser.errors import PolicyOptionError
from anonymiser.mask import registry
from anonymiser.mask.base import own_syntax
from anonymiser.policy.model import ColumnRule
from anonymiser.progress import Progress
from anonymiser.schema import ColumnInfo, SchemaInfo, TableInfo
from anonymiser.source.catalog import is_spatial

if TYPE_CHECKING:
    import sqlalchemy as sa

MIN_HIT_RATE = 0.5          # share of sampled distinct values that must match for values alone to decide
MIN_PERSON_HIT_RATE = 0.8   # NER is noisier than patterns (product names pass for people): ask more
MIN_VALUE_SCORE = 0.35   # a bare checksum-valid IRD scores 0.4: a whole column of them is strong evidence
FREE_TEXT_MIN_RATE = 0.05   # a prose column where 1 value in 20 holds a name, email, ... is masked span by span
FREE_TEXT_MIN_CELLS = 2     # ... and at least two cells do (one odd cell in a small sample is no evidence)

# Entity → (class, strategy) when the values decide; the strategy that claims the entity wins.
ENTITY_RULES: dict[str, tuple[Classification, str]] = {
    "PERSON": ("direct_identifier", "person_name"),
    "EMAIL_ADDRESS": ("direct_identifier", "email"),
    "PHONE_NUMBER": ("direct_identifier", "phone"),
    "STREET_ADDRESS": ("direct_identifier", "street_address"),
    "NZ_IRD": ("direct_identifier", "nz_ird"),
    "NZ_NHI": ("direct_identifier", "nz_nhi"),
    "NZ_BANK_ACCOUNT": ("direct_identifier", "nz_bank_account"),
    "NZ_DRIVER_LICENCE": ("direct_identifier", "nz_driver_licence"),
    "NZ_PASSPORT": ("direct_identifier", "nz_passport"),
    "NZBN": ("direct_identifier", "nzbn"),
    "CREDIT_CARD": ("direct_identifier", "credit_card"),
    "IP_ADDRESS": ("direct_identifier", "ip_address"),
    "URL": ("direct_identifier", "url"),
    "IBAN_CODE": ("direct_identifier", "hash"),
    "US_SSN": ("direct_identifier", "hash"),
    "US_ITIN": ("direct_identifier", "hash"),
    "UK_NHS": ("direct_identifier", "hash"),
    "CRYPTO": ("direct_identifier", "hash"),
    "MAC_ADDRESS": ("direct_identifier", "hash"),
}
# Entities the values alone never decide: too common in catalogue data (album titles, product codes).
_VALUE_ONLY_IGNORED = frozenset({"LOCATION", "ORGANIZATION", "UUID", "NZ_DRIVER_LICENCE", "NZ_PASSPORT"})
KEEP = ColumnRule(mask="keep")



def strategy_for(entity: str) -> str | None:
    claimed = registry.for_entity(entity)     # what the strategies declare (``entities``) wins
    if claimed is not None:
        return claimed
    rule = ENTITY_RULES.get(entity)
    return rule[1] if rule else None


def _rule_from_name(rule: NameRule, column: ColumnInfo) -> ColumnRule:
    mask = rule.strategy
    if mask == "null" and not column.nullable:
        # A NOT NULL column cannot be nulled: a credential becomes a keyed hash (unique tokens stay
        # unique), anything else a redaction token.
        mask = "hash" if rule.entity == "CREDENTIAL" and column.kind != "binary" else "redact"
    return ColumnRule(mask=mask, options=dict(rule.options), reason=rule.reason)


# Value shapes decide a column alone when at least this share of its sampled values has the shape.
MIN_SHAPE_RATE = 0.5
_SHAPE_RULES: tuple[tuple[str, str, str, str], ...] = (
    # (evidence attribute, entity, strategy, note)
    ("credential_rate", "CREDENTIAL", "null", "values are password hashes or secrets"),
    ("binary_personal_rate", "PHOTO", "null", "values are images or scanned documents (magic bytes)"),
    ("username_rate", "USERNAME", "username", "values are logins built from names"),
)


def _shape_finding(table: TableInfo, column: ColumnInfo, ev: ColumnEvidence) -> ColumnFinding | None:
    for attribute, entity, strategy, note in _SHAPE_RULES:
        rate = float(getattr(ev, attribute))
        if rate < MIN_SHAPE_RATE:
            continue
        if entity == "PHOTO" and not about_people(table):   # the rule re-detection applies too (verify/redetect.py)
            # Product or category pictures are no one's personal data; a reviewer sees why they are kept.
            return _finding(table, column, classification="not_personal", detector="value_shape", score=0.6,
                            hit_rate=round(rate, 3), sampled=ev.sampled, rule=KEEP,
                            note="images or documents (magic bytes) in a table not about people: kept; review")
        mask = strategy
        if mask == "null" and not column.nullable:
            mask = "hash" if entity == "CREDENTIAL" and column.kind != "binary" else "redact"
        return _finding(table, column, classification="direct_identifier", entity=entity, detector="value_shape",
                        score=column_score(0.8, rate), hit_rate=round(rate, 3), sampled=ev.sampled,
                        rule=ColumnRule(mask=mask), note=note)
    return None


def _name_finding(table: TableInfo, column: ColumnInfo, ev: ColumnEvidence) -> ColumnFinding | None:
    """Whole cells that are people's names ("Aroha Ngata" under ``customer``, ``signed_by``, ``who``), or NZ
    driver licence / passport numbers (``lic``): by value, whatever the column is called."""
    if ev.names is not None:
        names = ev.names
        return _finding(table, column, classification="direct_identifier", entity="PERSON",
                        detector="nz:name_gazetteer", score=column_score(0.6, names.rate),
                        hit_rate=round(names.rate, 3), sampled=ev.sampled, rule=ColumnRule(mask=names.strategy),
                        note=f"person names by value: {names.evidence}")
    if ev.document is not None:
        entity, rate, _, evidence = ev.document
        return _finding(table, column, classification="direct_identifier", entity=entity,
                        detector="nz:value_shape", score=column_score(0.6, rate), hit_rate=round(rate, 3),
                        sampled=ev.sampled, rule=ColumnRule(mask=strategy_for(entity) or "hash"),
                        note=f"by value: {evidence}")
    return None


def _location_finding(table: TableInfo, column: ColumnInfo) -> ColumnFinding:
    """A geometry beside people's names, addresses or phones is where they live or go: personal location data."""
    if not about_people(table):
        return _finding(table, column, classification="not_personal", detector="type", score=0.5, rule=KEEP,
                        note="spatial values in a table not about people: kept; review")
    return _finding(table, column, classification="direct_identifier", entity="LOCATION", detector="type", score=0.8,
                    rule=ColumnRule(mask="null" if column.nullable else "redact"),
                    note="spatial values in a table about people (a home's coordinates): personal location data")


def suggest_rule(table: TableInfo, column: ColumnInfo) -> ColumnRule:
    """The rule to add for a column, from its name and type only (no data): used by check/run."""
    rule = match_name(table, column)
    if rule is not None:
        return _rule_from_name(rule, column)
    if looks_like_free_text_name(column):
        return ColumnRule(mask="free_text")
    if is_spatial(column):   # the rule scan would draft (location data beside people)
        return _location_finding(table, column).rule
    return KEEP


def _finding(table: TableInfo, column: ColumnInfo, **fields: object) -> ColumnFinding:
    return ColumnFinding(table=table.name, column=column.name, kind=column.kind, **fields)  # type: ignore[arg-type]


def _best_value_entity(ev: ColumnEvidence) -> str | None:
    best, best_key = None, 0.0
    for entity, stats in ev.entities.items():
        rate = ev.hit_rate(entity)
        needed = MIN_PERSON_HIT_RATE if entity == "PERSON" else MIN_HIT_RATE
        if entity in _VALUE_ONLY_IGNORED or rate < needed or stats.mean_score < MIN_VALUE_SCORE:
            continue
        if strategy_for(entity) is None:
            continue
        key = rate * stats.mean_score
        if key > best_key:
            best, best_key = entity, key
    return best


def column_score(value_score: float, hit_rate: float) -> float:
    """Column confidence: the values' mean score, with the doubt left halved by a full hit rate."""
    return round(value_score + (1.0 - value_score) * hit_rate / 2, 3)


def classify_column(table: TableInfo, column: ColumnInfo, ev: ColumnEvidence | None) -> ColumnFinding:
    if column.derived:
        return _finding(table, column, classification="not_personal", detector="type", score=0.9, rule=KEEP,
                        note="computed from other columns (generated or by a trigger): the copy computes it again "
                             "from the masked columns, never copies it")
    if own_syntax(column) == "tsvector":
        # A text-search vector holds the words of other columns, and nothing recomputes this one.
        return _finding(table, column, classification="direct_identifier", detector="type", score=0.6,
                        rule=ColumnRule(mask="null") if column.nullable else KEEP,
                        note="text-search vector nothing recomputes: it holds the words of other columns"
                             + ("" if column.nullable else "; NOT NULL, so only keep fits: exclude the table if "
                                                           "those words are personal"))
    finding = _classify(table, column, ev)
    try:
        unfit = registry.build(finding.rule.mask, dict(finding.rule.options)).fit_problem(column)
    except PolicyOptionError:   # options the reviewer fills in: check says what is missing
        unfit = None
    if unfit and column.nullable and finding.rule.mask != "null":
        # A type with a syntax of its own (an xml of notes, a macaddr by its name): no fake fits it.
        return finding.model_copy(update={"rule": ColumnRule(mask="null"), "note": (
            f"{finding.rule.mask} cannot write {own_syntax(column) or column.kind}: nulled instead")})
    return finding


_LAST_MEMBER = re.compile(r"\.([^\W\d][\w-]*)(?:\[\*\])*$")


def _json_finding(table: TableInfo, column: ColumnInfo, ev: ColumnEvidence) -> ColumnFinding:
    """JSON documents: each path's values are judged as a column named by the path's last member would be
    ("$.contact.email" as ``email``); the personal paths get their rule under the ``json`` strategy."""
    paths: dict[str, object] = {}
    found: list[ColumnFinding] = []
    for path, path_ev in ev.json_paths.items():
        member = _LAST_MEMBER.search(path)
        as_column = ColumnInfo(name=member.group(1) if member else "value", kind="text", sql_type="text")
        finding = _classify(table, as_column, path_ev)
        if not finding.personal or finding.rule.mask == "keep":
            continue
        paths[path] = finding.rule.to_yaml()
        found.append(finding)
    if not found:
        return _finding(table, column, classification="not_personal", detector="type", score=0.6, hit_rate=0.0,
                        sampled=ev.sampled, rule=KEEP,
                        note=f"JSON: no personal values at any of {len(ev.json_paths)} path(s) in {ev.sampled} "
                             "sampled documents")
    top = max(found, key=lambda f: f.score)
    options: dict[str, object] = {"json_paths": paths}
    blanked = ""
    if ev.json_invalid:
        options["invalid"] = "null"
        blanked = f"; {ev.json_invalid} of {ev.sampled} sampled values are not JSON: blanked (invalid: null), review"
    shares = ", ".join(f"{path} {f.entity or 'personal'}" + (f" {f.hit_rate:.0%}" if f.hit_rate else "")
                       for path, f in zip(paths, found, strict=True))
    return _finding(table, column, classification="direct_identifier", entity=top.entity, detector=top.detector,
                    score=top.score, hit_rate=top.hit_rate, sampled=ev.sampled,
                    rule=ColumnRule(mask="json", options=options),
                    note=f"JSON documents, personal values at {len(paths)} path(s) ({shares}); the rest is kept"
                         + blanked)


def _classify(table: TableInfo, column: ColumnInfo, ev: ColumnEvidence | None) -> ColumnFinding:
    ev = ev or ColumnEvidence()
    sampled = ev.sampled
    if ev.json_paths:
        return _json_finding(table, column, ev)
    name_rule = match_name(table, column)
    if name_rule is not None and name_rule.entity == "USERNAME" and ev.names is not None \
            and ev.names.strategy == "person_name":
        # ``created_by`` holding "Aroha Ngata", not "angata": a name keeps the look of a name.
        return _name_finding(table, column, ev)  # type: ignore[return-value]
    if name_rule is not None and name_rule.entity == "PHONE_NUMBER" and ev.with_person >= FREE_TEXT_MIN_CELLS:
        # "021 555 1234 (Aroha's mum)": ``phone`` rewrites digits only and would keep the name.
        return _finding(table, column, classification="direct_identifier", entity="PHONE_NUMBER",
                        detector="column_name", score=0.9, hit_rate=round(ev.with_person / sampled, 3),
                        sampled=sampled, free_text=True, rule=ColumnRule(mask="free_text"),
                        note=f"phone column with text: {ev.with_person} of {sampled} sampled cells also name a "
                             "person, which 'phone' (digits only) would keep; numbers and names are replaced "
                             "span by span")
    if name_rule is not None:
        rate = ev.hit_rate(name_rule.entity) if sampled else None
        agreed = bool(rate and rate >= MIN_HIT_RATE)
        return _finding(
            table, column, classification=name_rule.classification, entity=name_rule.entity,
            detector="column_name", score=0.95 if agreed else 0.7, hit_rate=rate, sampled=sampled,
            rule=_rule_from_name(name_rule, column),
            note="values agree with the column name" if agreed else None,
        )
    if column.kind == "integer" and column.name in table.primary_key:
        return _finding(table, column, classification="not_personal", detector="type", score=0.9,
                        sampled=sampled, rule=KEEP, note="integer surrogate key")
    if is_spatial(column):
        return _location_finding(table, column)
    shaped = _shape_finding(table, column, ev) or _name_finding(table, column, ev)
    if shaped is not None:
        return shaped
    prose_name = looks_like_free_text_name(column)
    if ev.free_text_shape or (prose_name and sampled):
        return _free_text_finding(table, column, ev, prose_name)
    entity = _best_value_entity(ev)
    if entity is not None:
        stats = ev.entities[entity]
        classification = ENTITY_RULES.get(entity, ("direct_identifier", ""))[0]
        return _finding(
            table, column, classification=classification, entity=entity, detector=detector_label(stats.recognizer),
            score=column_score(stats.mean_score, ev.hit_rate(entity)), hit_rate=round(ev.hit_rate(entity), 3),
            sampled=sampled,
            rule=ColumnRule(mask=strategy_for(entity) or "redact"),
        )
    spanned = sum(ev.pattern_cells.values())
    if sampled and spanned / sampled >= PATTERN_CELL_RATE:
        # "login from 10.1.2.3": identifiers inside short text, which verify re-detects in a kept column.
        shares = ", ".join(f"{e} {n / sampled:.0%}" for e, n in ev.pattern_cells.most_common(3))
        top = ev.pattern_cells.most_common(1)[0][0]
        return _finding(table, column, classification="direct_identifier", entity=top,
                        detector=detector_label(ev.spans[top].recognizer), score=round(ev.spans[top].mean_score, 3),
                        hit_rate=round(spanned / sampled, 3), sampled=sampled, free_text=True,
                        rule=ColumnRule(mask="free_text"),
                        note=f"{spanned} of {sampled} sampled cells hold an identifier or contact detail inside "
                             f"text ({shares}); those spans are replaced, the rest is kept")
    if prose_name and column.kind in ("string", "text") and not sampled:
        # An empty notes column today may fill up tomorrow: mask it span by span anyway.
        return _finding(table, column, classification="direct_identifier", detector="column_name", score=0.5,
                        free_text=True, rule=ColumnRule(mask="free_text"), note="free text (by name; no values)")
    return _finding(table, column, classification="not_personal", detector="type", score=0.6 if sampled else 0.5,
                    hit_rate=0.0 if sampled else None, sampled=sampled, rule=KEEP,
                    note="no entity above the threshold in the sampled values" if sampled else None)


def _free_text_finding(table: TableInfo, column: ColumnInfo, ev: ColumnEvidence, prose_name: bool) -> ColumnFinding:
    """Prose is masked span by span only with evidence: a real share of the sampled cells names a person
    or holds a contact detail or identifier. Catalogue prose with nobody in it is kept."""
    rate = ev.personal_span_rate
    spans = {e: s for e, s in ev.spans.items() if e in FREE_TEXT_EVIDENCE}
    ranked = sorted(spans, key=lambda e: -spans[e].values)
    # A column named as notes ("note", "comment", "bio") is personal by its name: one cell of a few suffices.
    min_cells = 1 if prose_name else FREE_TEXT_MIN_CELLS
    if rate >= FREE_TEXT_MIN_RATE and ev.with_personal_span >= min_cells:
        top = ranked[0] if ranked else None
        shares = ", ".join(f"{e} {spans[e].values / ev.sampled:.0%}" for e in ranked[:3])
        return _finding(
            table, column, classification="direct_identifier", entity=top,
            detector=detector_label(spans[top].recognizer) if top else "value_shape",
            score=round(spans[top].mean_score, 3) if top else 0.5, hit_rate=round(rate, 3), sampled=ev.sampled,
            free_text=True, rule=ColumnRule(mask="free_text"),
            note=f"free text: {ev.with_personal_span} of {ev.sampled} sampled cells name a person or hold contact "
                 f"details ({shares}); those spans are replaced, the rest is kept",
        )
    why = "no person or contact detail" if not ev.with_personal_span else \
        f"only {ev.with_personal_span} of {ev.sampled} with a person or contact detail"
    return _finding(table, column, classification="not_personal", detector="type", score=0.6, hit_rate=round(rate, 3),
                    sampled=ev.sampled, free_text=True, rule=KEEP,
                    note=f"prose ({'by name' if prose_name else 'by shape'}), {why} in {ev.sampled} sampled cells: "
                         "kept (verify re-detects identifiers in kept columns)")


def propagate_keys(schema: SchemaInfo, findings: dict[tuple[str, str], ColumnFinding]) -> None:
    """Foreign-key columns take the finding (and rule) of the column they reference, transitively."""

    def origin(table: str, column: str, seen: frozenset[tuple[str, str]]) -> tuple[str, str]:
        if (table, column) in seen:         # a cycle of keys: stop where it closes
            return table, column
        for fk in schema.tables[table].foreign_keys:
            if column in fk.columns:
                ref = (fk.ref_table, fk.ref_columns[fk.columns.index(column)])
                if ref in findings:
                    return origin(*ref, seen | {(table, column)})
        return table, column

    for name, table in schema.tables.items():
        for column in {c for fk in table.foreign_keys for c in fk.columns}:
            source = origin(name, column, frozenset())
            if source == (name, column):
                continue
            parent = findings[source]
            findings[(name, column)] = findings[(name, column)].model_copy(update={
                "classification": parent.classification, "entity": parent.entity, "detector": parent.detector,
                "score": parent.score, "free_text": parent.free_text, "rule": parent.rule,
                "note": f"foreign key to {source[0]}.{source[1]}: same rule, so joins still match",
            })


# Entities that make a table hold people (a postcode, a phone or a street line alone may be reference data:
# an address table, a store's phone).
_PEOPLE_ENTITIES = frozenset({"PERSON", "EMAIL_ADDRESS", "DATE_OF_BIRTH", "NZ_IRD", "NZ_NHI", "USERNAME", "US_SSN",
                              "NZ_PASSPORT", "NZ_DRIVER_LICENCE", "CREDENTIAL", "PHOTO"})


def people_tables(schema: SchemaInfo, findings: dict[tuple[str, str], ColumnFinding]) -> set[str]:
    """Tables whose records are people (named so, or with a name, e-mail, birth date, ... column) or belong
    to one (a foreign key to such a table: orders, tickets)."""
    holding = {name for name in schema.tables if PERSON_TABLES.search(normalised(name))}
    holding |= {table for (table, _), f in findings.items()
                if f.entity in _PEOPLE_ENTITIES and f.classification == "direct_identifier"
                and not (f.note or "").startswith("foreign key to")}
    return holding | {name for name, table in schema.tables.items()
                      if any(fk.ref_table in holding for fk in table.foreign_keys)}


def people_quasi_identifiers(schema: SchemaInfo, findings: dict[tuple[str, str], ColumnFinding]) -> None:
    """Quasi-identifiers only where people are (trial F39): k-anonymity is measured per table on its records,
    so a postcode or a region in a table of addresses, stores or films ("address.postal_code" that customers
    reference) would be measured on records that are no one, and fail the draft's own residual-risk gate.
    Such a column keeps its masking rule (a kept one is reference data) and is not listed."""
    people = people_tables(schema, findings)
    for key, f in findings.items():
        if f.classification != "quasi_identifier" or f.table in people:
            continue
        # A kept one carries its reason, so verify's at-risk gate (which may still see a quasi-identifier) passes.
        rule = ColumnRule(mask="keep", reason=f"{f.entity or 'quasi-identifier'} of {f.table}, whose records are "
                          "not people") if f.rule.mask == "keep" else f.rule
        findings[key] = f.model_copy(update={
            "classification": "not_personal", "rule": rule,
            "note": f"{f.entity or 'quasi-identifier'} by name, but the records of {f.table} are not people (no person "
                    "column, no foreign key to people): not listed as a quasi-identifier"})


def detect_schema(conn: sa.Connection, schema: SchemaInfo, *, sample: int = 1000,
                  progress: Progress | None = None, model: str | None = None) -> DetectionResult:
    """Classify every column of every table; reads at most ``sample`` distinct values per column."""
    engine = get_engine(model)
    findings: dict[tuple[str, str], ColumnFinding] = {}
    names = sorted(schema.tables)
    for i, name in enumerate(names):
        table = schema.tables[name]
        if progress:
            progress("scan", i, len(names), "tables")
        evidence = table_evidence(conn, table, sample, engine)
        for column in table.columns:
            findings[(name, column.name)] = classify_column(table, column, evidence.get(column.name))
    if progress:
        progress("scan", len(names), len(names), "tables")
    propagate_keys(schema, findings)
    people_quasi_identifiers(schema, findings)
    ordered = [findings[(n, c.name)] for n in names for c in schema.tables[n].columns]
    return DetectionResult(findings=ordered, engine=engine.info(), sample=sample)
