"""Reading a policy file: YAML with line numbers, ``${ENV}`` interpolation, every error at once.

Errors name the file, the line and the key, and end with a corrected example, because the person
reading them is editing a 400-column policy at 2 a.m. after a failed monthly refresh.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from anonymiser.errors import PolicyError
from anonymiser.policy.model import Policy, TablePolicy
from anonymiser.policy.report import ReportPolicy
from anonymiser.policy.subset import RootSpec, SubsetPolicy, VirtualForeignKey
from anonymiser.redact import has_secret, remember_url
from anonymiser.schema import SchemaInfo

Path_ = tuple[str | int, ...]
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

EXAMPLE = """\
version: 1
source: ${ANONYMISER_SOURCE_URL}
tables:
  customer:
    columns:
      id: keep
      email: { mask: email }
      notes: { mask: free_text }
      loyalty_tier: { mask: keep, reason: "not personal: product tier" }"""


MIN_SECRET_SEARCHED = 16


@dataclass
class LoadedPolicy:
    policy: Policy
    path: Path
    text: str
    sha256: str
    lines: dict[Path_, int] = field(default_factory=dict)
    unresolved_source: str | None = None    # env variable named in `source:` that is not set

    def line_of(self, *keys: str | int) -> int | None:
        """The line of the deepest known key on this path (1-based)."""
        path: Path_ = tuple(keys)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def refuse_secret(self, forms: set[str], name: str) -> None:
        """Stop when the policy holds a secret (``forms``: the ways it can be spelt), written or interpolated:
        run copies the policy into the output (policy.yaml, manifest.json), and a secret is never written."""
        forms = {f for f in forms if len(f) >= MIN_SECRET_SEARCHED}   # a junk value too short to be a key: no match
        line = next((i for i, text in enumerate(self.text.splitlines(), 1) if any(f in text for f in forms)), None)
        interpolated = any(f in self.policy.model_dump_json() for f in forms)
        if line is None and not interpolated:
            return
        raise PolicyError(f"the policy holds {name}'s value{'' if line else ' (through ${...} interpolation)'}",
                          file=str(self.path), line=line,
                          hint=f"Remove it: {name} is never written anywhere, and run copies the policy into its "
                               "output (policy.yaml, manifest.json) and report.")

    def error(self, message: str, *keys: str | int, hint: str | None = None) -> PolicyError:
        return PolicyError(message, file=str(self.path), line=self.line_of(*keys), hint=hint)

    def problems_error(self, problems: Sequence[tuple[Path_, str, str | None]]) -> PolicyError:
        """One error listing every (policy path, message, hint) with its line, at the first one's line."""
        lines = [self.line_of(*path) for path, _, _ in problems]
        listed = "\n".join(f"  line {line or '?'}: {message}" for line, (_, message, _) in zip(lines, problems,
                                                                                             strict=True))
        hints = list(dict.fromkeys(h for _, _, h in problems if h))
        return PolicyError(f"{len(problems)} problem(s) in the policy against the source:\n{listed}",
                           file=str(self.path), line=lines[0], hint="\n".join(hints) or None)

    def reference_problems(self, schema: SchemaInfo) -> list[tuple[Path_, str, str | None]]:
        """``quasi_identifiers`` and ``sensitive_attributes`` naming columns the source lacks."""
        problems: list[tuple[Path_, str, str | None]] = []
        for key in ("quasi_identifiers", "sensitive_attributes"):
            for i, item in enumerate(getattr(self.policy, key)):
                table, _, column = item.rpartition(".")
                info = schema.tables.get(table)
                if info is None or column not in info.column_names:
                    known = sorted(schema.tables) if info is None else info.column_names
                    close = difflib.get_close_matches(table if info is None else column, known, n=1)
                    problems.append(((key, i), f"{key} names {item!r}, which is not a column of the source",
                                     f"Did you mean {close[0]!r}?" if close else "Write it as 'table.column'."))
        return problems


# Without aliases a policy has fewer YAML nodes than characters; far more means nested aliases (a "bomb").
MIN_NODE_BUDGET, NODES_PER_CHARACTER = 100_000, 4


class _Walk:
    """Line of every key path; duplicate keys (YAML keeps the last silently: fail-open); the expanded size."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.lines: dict[Path_, int] = {}
        self.duplicates: list[tuple[Path_, int, int]] = []   # (path, first line, repeated line)
        self.not_text: list[tuple[str, int, str]] = []       # keys YAML reads as booleans, numbers, null
        self.nodes = 0

    def visit(self, node: yaml.Node, path: Path_) -> None:
        self.nodes += 1
        if self.nodes > self.budget:
            raise _TooLarge
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                line = key_node.start_mark.line + 1
                if key_node.tag not in (_STR_TAG, _MERGE_TAG):
                    self.not_text.append((key, line, key_node.tag.rsplit(":", 1)[-1]))
                if key in seen and key != "<<":
                    self.duplicates.append(((*path, key), seen[key], line))
                seen.setdefault(key, line)
                child = (*path, key)
                self.lines.setdefault(child, line)
                self.visit(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines.setdefault((*path, i), item.start_mark.line + 1)
                self.visit(item, (*path, i))


_STR_TAG, _MERGE_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"


class _TooLarge(Exception):
    pass


def _interpolate(value: Any, path: Path_, missing: dict[Path_, str]) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*path, str(k)), missing) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*path, i), missing) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            missing[path] = name
            return match.group(0)
        return _ENV.sub(substitute, value)
    return value


def _describe(loc: tuple[Any, ...]) -> Path_:
    # pydantic puts the rule's internal field names in the path; users wrote the YAML keys.
    return tuple(p for p in loc if p not in ("options",))


def _message(err: Any, path: Path_) -> str:
    kind = err["type"]
    dotted = ".".join(str(p) for p in path) or "(top level)"
    if kind == "extra_forbidden":
        parent = path[:-1]
        allowed = _allowed_keys(parent)
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        suggestion = f" Did you mean {close[0]!r}?" if close else ""
        return f"{dotted}: unknown key {path[-1]!r}.{suggestion} Allowed here: {', '.join(allowed)}."
    if kind == "missing":
        return f"{dotted}: required key is missing"
    return f"{dotted}: {err['msg']}"


def _allowed_keys(parent: Path_) -> list[str]:
    model: Any = Policy
    if parent[:1] == ("subset",):
        model = SubsetPolicy
        if len(parent) >= 3 and parent[1] == "roots":
            model = RootSpec
        elif len(parent) >= 3 and parent[1] == "virtual_foreign_keys":
            model = VirtualForeignKey
    elif parent[:1] == ("report",):
        model = ReportPolicy
    elif parent[:1] == ("tables",) and len(parent) == 2:
        model = TablePolicy
    return sorted(f.alias or name for name, f in model.model_fields.items())


def parse_policy(text: str, path: Path) -> LoadedPolicy:
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # For an unclosed bracket the context mark (where it opened) is the useful line.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if context and getattr(exc, "context_mark", None):
            problem = f"{problem} ({context} that starts here)"
        raise PolicyError(
            f"not valid YAML: {problem}",
            file=str(path), line=mark.line + 1 if mark else None,
            hint="Check indentation (spaces, not tabs) and quoting on that line. "
                 f"A valid policy looks like:\n{EXAMPLE}",
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError("a policy must be a YAML mapping", file=str(path), line=1,
                          hint=f"For example:\n{EXAMPLE}")
    walk = _Walk(max(MIN_NODE_BUDGET, NODES_PER_CHARACTER * len(text)))
    try:
        if node is not None:
            walk.visit(node, ())
    except _TooLarge:
        raise PolicyError(f"the policy expands to more than {walk.budget:,} YAML nodes through its aliases",
                          file=str(path), line=1,
                          hint="Write the rules out, or use fewer nested aliases.") from None
    if walk.not_text:
        listed = "\n".join(f"  line {line}: key {key!r} is read by YAML as a {kind}, not a name"
                           for key, line, kind in walk.not_text)
        raise PolicyError(f"{len(walk.not_text)} key(s) YAML does not read as text\n{listed}", file=str(path),
                          line=walk.not_text[0][1],
                          hint='Quote them: "no": keep, "on": keep, "2024": keep (YAML 1.1 reads no/yes/on/off as '
                               "booleans and digits as numbers).")
    if walk.duplicates:
        listed = "\n".join(f"  line {again}: {'.'.join(map(str, key))} repeats the key of line {first}"
                           for key, first, again in walk.duplicates)
        raise PolicyError(
            f"{len(walk.duplicates)} duplicate key(s): YAML would silently keep only the last one\n{listed}",
            file=str(path), line=walk.duplicates[0][2],
            hint="Keep one rule per key: delete or merge the repeated lines.")
    lines = walk.lines
    raw_source = data.get("source")
    missing: dict[Path_, str] = {}
    data = _interpolate(data, (), missing)
    unresolved_source = missing.pop(("source",), None)
    if unresolved_source is not None:
        data["source"] = None
    loaded_lines = lines
    if missing:
        first = min(missing, key=lambda p: loaded_lines.get(p, 0))
        names = ", ".join(sorted(set(missing.values())))
        raise PolicyError(f"environment variable(s) not set: {names}", file=str(path),
                          line=lines.get(first), hint="Export them before running, or give a default: ${NAME:-value}.")
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        first_line = None
        for err in exc.errors():
            loc = _describe(err["loc"])
            line = _line_for(lines, loc)
            first_line = first_line or line
            problems.append(f"  line {line or '?'}: {_message(err, loc)}")
        raise PolicyError(
            f"{len(problems)} problem(s) in the policy:\n" + "\n".join(problems),
            file=str(path), line=first_line,
            hint=f"A valid policy looks like:\n{EXAMPLE}",
        ) from None
    # Only what is written in the file counts: a password arriving through ${ENV} is the documented set-up.
    if isinstance(raw_source, str) and has_secret(_ENV.sub(lambda m: m.group(2) or "", raw_source)):
        raise PolicyError(
            "the policy's 'source' contains a password (in the URL or a parameter such as password=): "
            "credentials never live in a policy file",
            file=str(path), line=lines.get(("source",)),
            hint="Write 'source: ${ANONYMISER_SOURCE_URL}' and export the URL (password included), or pass --source.",
        )
    remember_url(policy.source)
    return LoadedPolicy(policy=policy, path=path, text=text, sha256=sha, lines=lines,
                        unresolved_source=unresolved_source)


def _line_for(lines: dict[Path_, int], loc: Path_) -> int | None:
    path = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


MAX_POLICY_BYTES = 10 * 1024 * 1024   # a policy is a few thousand lines; far more is not a policy (or an attack)


def load_policy(path: str | Path) -> LoadedPolicy:
    file = Path(path)
    try:
        with file.open("rb") as handle:   # never more than the limit read: a huge file, a device, a pipe
            raw = handle.read(MAX_POLICY_BYTES + 1)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise PolicyError(f"policy file not found: {file}",
                          hint="Create one with 'anonymiser scan SOURCE_URL --out policy.yaml'.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy file {file}: {type(exc).__name__}") from None
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(f"the policy file is larger than {MAX_POLICY_BYTES // (1024 * 1024)} MB: refused unread",
                          file=str(file),
                          hint="A policy holds one rule per column: even thousands of tables fit in a few MB. "
                               "Check that this is the policy (not a dump), or split the source by --schema.")
    try:
        return parse_policy(text, file)
    except RecursionError:   # the YAML parser and the validators recurse once per nesting level
        raise PolicyError("the policy nests too deeply to be read (brackets or mappings within each other "
                          "hundreds of levels down)", file=str(file), line=1,
                          hint=f"A policy nests a few levels only. A valid policy looks like:\n{EXAMPLE}") from None
