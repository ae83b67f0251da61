"""Reading a policy file: YAML with line numbers, ``${ENV}`` interpolation, every error at once.

Errors name the file, the line and the key, and end with a corrected example, because the person
reading them is editing a 400-column policy at 2 a.m. after a failed monthly refresh.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from anonymiser.errors import PolicyError
from anonymiser.policy.model import Policy
from anonymiser.redact import has_secret, remember_url

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

    def error(self, message: str, *keys: str | int, hint: str | None = None) -> PolicyError:
        return PolicyError(message, file=str(self.path), line=self.line_of(*keys), hint=hint)


def _key_lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            out[child] = key_node.start_mark.line + 1
            _key_lines(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = item.start_mark.line + 1
            _key_lines(item, (*path, i), out)


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
    from anonymiser.policy.model import TablePolicy
    from anonymiser.report.config import ReportPolicy
    from anonymiser.subset.config import RootSpec, SubsetPolicy, VirtualForeignKey

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
    lines: dict[Path_, int] = {}
    if node is not None:
        _key_lines(node, (), lines)
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


def load_policy(path: str | Path) -> LoadedPolicy:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"policy file not found: {file}",
                          hint="Create one with 'anonymiser scan SOURCE_URL --out policy.yaml'.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy file {file}: {type(exc).__name__}") from None
    return parse_policy(text, file)
