"""The JSONPath subset the ``json`` strategy's ``json_paths:`` takes, and exact JSON reading and writing.

Paths start at ``$`` and take these steps:

==================  ==========================================================
``.name``           member ``name`` of an object (letters, digits, ``_``, ``-``)
``['any name']``    member with any name (quotes ``'`` or ``"``)
``[0]``             element 0 of an array (``[-1]``: the last)
``[*]`` or ``.*``   every element of an array, or every member value of an object
``..name``          member ``name`` of every object at any depth below
==================  ==========================================================

Filters and slices are refused with the position of the problem (the policy check says so before any
data is read). Documents are read with numbers kept exactly as written (``1.10`` stays ``1.10``) and
``NaN``/``Infinity`` refused, as PostgreSQL and MySQL refuse them; a document the policy changes is
written back with its members in their order, others are left byte for byte as they were.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

StepKind = Literal["member", "index", "wildcard", "descend"]
_NAME = r"[^\W\d][\w-]*"
_STEP = re.compile(
    rf"\.\.(?P<descend>{_NAME})|\.(?P<member>{_NAME})|\.(?P<star>\*)"
    r"|\[\s*(?:(?P<index>-?\d+)|(?P<bstar>\*)|'(?P<sq>(?:[^'\\]|\\.)*)'|\"(?P<dq>(?:[^\"\\]|\\.)*)\")\s*\]"
)


@dataclass(frozen=True)
class Step:
    kind: StepKind
    name: str | int | None = None


@dataclass(frozen=True)
class JsonPath:
    text: str
    steps: tuple[Step, ...]

    @classmethod
    def parse(cls, text: str) -> JsonPath:
        if not text.startswith("$"):
            raise ValueError(f"a JSON path starts with '$' (e.g. '$.contact.email'), not {text[:1]!r}")
        steps, at = [], 1
        while at < len(text):
            m = _STEP.match(text, at)
            if m is None:
                raise ValueError(f"cannot read the JSON path from character {at + 1} ({text[at:at + 12]!r}); "
                                 "steps are .name, ['name'], [0], [*], .* and ..name")
            if m["descend"]:
                steps.append(Step("descend", m["descend"]))
            elif m["member"]:
                steps.append(Step("member", m["member"]))
            elif m["star"] or m["bstar"]:
                steps.append(Step("wildcard"))
            elif m["index"] is not None:
                steps.append(Step("index", int(m["index"])))
            else:
                quoted = m["sq"] if m["sq"] is not None else m["dq"]
                steps.append(Step("member", re.sub(r"\\(.)", r"\1", quoted)))
            at = m.end()
        return cls(text, tuple(steps))

    def locate(self, holder: list[Any]) -> Iterator[tuple[Any, Any]]:
        """(container, key) of every value this path selects in ``holder[0]`` (the document)."""
        places: list[tuple[Any, Any]] = [(holder, 0)]
        for step in self.steps:
            places = [place for container, key in places for place in _step(container[key], step)]
        yield from places


def _step(value: Any, step: Step) -> Iterator[tuple[Any, Any]]:
    if step.kind == "member":
        if isinstance(value, dict) and step.name in value:
            yield value, step.name
    elif step.kind == "index":
        assert isinstance(step.name, int)
        if isinstance(value, list) and -len(value) <= step.name < len(value):
            yield value, step.name % len(value)
    elif step.kind == "wildcard":
        if isinstance(value, dict):
            yield from ((value, k) for k in value)
        elif isinstance(value, list):
            yield from ((value, i) for i in range(len(value)))
    else:
        yield from _descend(value, step.name)


def _descend(value: Any, name: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(value, dict):
        if name in value:
            yield value, name
        for k, child in value.items():
            if k != name:
                yield from _descend(child, name)
    elif isinstance(value, list):
        for child in value:
            yield from _descend(child, name)


class Number(str):
    """A JSON number with a fraction or exponent, kept as written (masking strategies see its float)."""

    __slots__ = ()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str) -> Any:
    """The document; ValueError when ``text`` is not JSON."""
    return json.loads(text, parse_float=Number, parse_constant=_refuse_constant)


def dumps(value: Any) -> str:
    """JSON text of a document ``loads`` read (numbers as written), ``", "`` and ``": "`` separators."""
    if isinstance(value, Number):
        return str.__str__(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def leaf_texts(documents: list[str | None], paths: list[JsonPath]) -> list[str]:
    """The text of every scalar the paths select in the documents (arrays element by element; objects
    and nulls skipped), for the leak scan; documents that are not JSON are skipped."""
    out: list[str] = []
    for text in documents:
        if not text:
            continue
        try:
            holder = [loads(text)]
        except ValueError:
            continue
        for path in paths:
            for container, key in path.locate(holder):
                out.extend(_scalars(container[key]))
    return out


def _scalars(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    elif value is not None and not isinstance(value, dict):
        yield value if isinstance(value, str) else dumps(value)
