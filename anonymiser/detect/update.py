"""``scan --update POLICY``: add rules for columns the policy does not know yet, and change nothing else.

The monthly drift workflow: the source gained columns (or tables); the reviewed policy must gain a
rule for each, visibly marked ``# NEW: review`` with its evidence, while every reviewed rule, comment
and blank line stays byte for byte as it was. So the file is not re-serialised: new lines are
*inserted* into the text, at positions read from the YAML node marks (PyYAML's composer gives each
node's start and end line and column, which is all this needs; no round-trip YAML library).

Columns the source no longer has are reported, never deleted: removing a reviewed rule is the
reviewer's decision (``check`` reports them as drift).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from anonymiser.detect.draft import evidence_comment, flow, yaml_key
from anonymiser.detect.model import DetectionResult
from anonymiser.errors import PolicyError
from anonymiser.schema import SchemaInfo

NEW_MARK = "NEW: review"


@dataclass
class Update:
    text: str
    added: list[str] = field(default_factory=list)        # "table.column" given a rule
    vanished: list[str] = field(default_factory=list)     # "table.column" ruled but gone from the source


def missing_columns(text: str, schema: SchemaInfo) -> dict[str, list[str]]:
    """Per source table, its columns with no rule in the policy text (excluded tables: none)."""
    data = yaml.safe_load(text) or {}
    tables = data.get("tables") or {}
    out: dict[str, list[str]] = {}
    for name, info in schema.tables.items():
        spec = tables.get(name)
        if isinstance(spec, dict) and spec.get("exclude"):
            continue
        ruled = set((spec or {}).get("columns") or {}) if isinstance(spec, dict) else set()
        new = [c for c in info.column_names if c not in ruled]
        if new:
            out[name] = new
    return out


def _pairs(node: yaml.Node) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): (k, v) for k, v in node.value}


def _end_line(value: yaml.Node) -> int:
    """The index of the line after a value's last line. A block collection ends where the next token
    starts (past any comment lines after it), so its last leaf is what counts."""
    while isinstance(value, (yaml.MappingNode, yaml.SequenceNode)) and not value.flow_style and value.value:
        last = value.value[-1]
        value = last[1] if isinstance(value, yaml.MappingNode) else last
    mark = value.end_mark
    return mark.line if mark.column == 0 else mark.line + 1


def _block(node: yaml.Node, what: str, path: Path) -> None:
    if isinstance(node, yaml.MappingNode) and node.flow_style:
        raise PolicyError(f"{what} is written in flow style ({{...}}), so new rules cannot be inserted in place",
                          file=str(path), line=node.start_mark.line + 1,
                          hint="Write it as a block mapping (one 'name: rule' per line), then run scan --update again.")


def update_policy(text: str, schema: SchemaInfo, detection: DetectionResult, *, path: Path) -> Update:
    """The policy text with a ``# NEW: review`` rule for every unruled column of ``detection``."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PolicyError(f"cannot read the policy: {getattr(exc, 'problem', exc)}", file=str(path),
                          line=mark.line + 1 if mark else None) from None
    top = _pairs(root) if root is not None else {}
    if "tables" not in top or not isinstance(top["tables"][1], yaml.MappingNode):
        raise PolicyError("the policy has no 'tables:' mapping to add rules to", file=str(path),
                          hint="Write a fresh draft with 'anonymiser scan URL --out NEW.yaml' and merge it by hand.")
    tables_node = top["tables"][1]
    _block(tables_node, "'tables'", path)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    findings = {(f.table, f.column): f for f in detection.findings}
    missing = missing_columns(text, schema)
    tables = _pairs(tables_node)
    inserts: list[tuple[int, list[str]]] = []
    update = Update(text=text)
    table_indent = min((k.start_mark.column for k, _ in tables.values()), default=2)
    for table, columns in sorted(missing.items()):
        rule_lines = []
        for column in columns:
            f = findings.get((table, column))
            if f is None:
                continue
            rule_lines.append((yaml_key(column), f"{flow(f.rule.to_yaml())}   # {NEW_MARK} · {evidence_comment(f)}"))
            update.added.append(f"{table}.{column}")
        if not rule_lines:
            continue
        if table in tables:
            key, spec = tables[table]
            cols = _pairs(spec).get("columns")
            if cols is not None and isinstance(cols[1], yaml.MappingNode) and cols[1].value:
                _block(cols[1], f"the columns of table {table}", path)
                indent = cols[1].value[0][0].start_mark.column
                at = _end_line(cols[1].value[-1][1])
            else:
                if cols is not None:
                    raise PolicyError(f"table {table} has an empty or non-mapping 'columns:'", file=str(path),
                                      line=cols[0].start_mark.line + 1,
                                      hint="Give it at least one rule, or remove the empty 'columns:' line.")
                _block(spec, f"table {table}", path)
                indent = key.start_mark.column + 4
                at = _end_line(spec)
                rule_lines.insert(0, ("", ""))      # marker: a 'columns:' line goes first
            block = [f"{' ' * indent}{k}: {v}\n" for k, v in rule_lines if k]
            if rule_lines[0] == ("", ""):
                block.insert(0, f"{' ' * (indent - 2)}columns:\n")
            inserts.append((at, block))
        else:
            at = _end_line(tables_node)
            block = [f"{' ' * table_indent}{yaml_key(table)}:   # {NEW_MARK}: new table\n",
                     f"{' ' * (table_indent + 2)}columns:\n"]
            block += [f"{' ' * (table_indent + 4)}{k}: {v}\n" for k, v in rule_lines]
            inserts.append((at, block))
    for name, (_, spec) in tables.items():
        info = schema.tables.get(name)
        cols = _pairs(spec).get("columns")
        if cols is None:
            continue
        gone = [c for c in _pairs(cols[1]) if info is None or c not in info.column_names]
        update.vanished += [f"{name}.{c}" for c in gone]
    # Insert from the bottom up so earlier positions stay valid; equal positions keep their order.
    for at, block in sorted(inserts, key=lambda i: i[0], reverse=True):
        at = _before_trailing_blank(lines, at)
        lines[at:at] = block
    update.text = "".join(lines)
    return update


def _before_trailing_blank(lines: list[str], at: int) -> int:
    """Insert before blank lines that close a block, so they keep separating sections."""
    while at > 0 and lines[at - 1].strip() == "":
        at -= 1
    return at
