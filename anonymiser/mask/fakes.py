"""Vectorised builders shared by the text fakes: names from dictionaries, number suffixes, digits."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask import dictionaries
from anonymiser.mask.core import pick, prf
from anonymiser.mask.textbuf import rows_with_bytes

RESERVED_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")   # RFC 2606, all 11 characters


def choose(values: pa.Array, idx: np.ndarray) -> pa.Array:
    return values.take(pa.array(idx))


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def number_text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


# Words that open a family name ("van der Berg", "Ó Briain", "Te Whata", "da Silva"): the family
# name of a full name runs from the first of them before its last word, so "Ludo van der Berg" gets
# the fake that last_name gives "van der Berg". "te" also opens Māori given names ("Te Aorere").
FAMILY_PARTICLES = ("te", "van", "der", "den", "de", "du", "la", "le", "del", "della", "di", "da", "dos", "das",
                    "von", "bin", "binti", "ibn", "al", "el", "ter", "ten", "mac", "mc", "ap", "ni", "nic", "ui",
                    "ó", "o", "ua")
_PARTICLE = "(?:" + "|".join(FAMILY_PARTICLES) + ")"
_FULL_NAME = (rf"^(?P<head>[^ ]+)(?P<more> .*?)?? (?P<tail>(?:{_PARTICLE} )*[^ ]+)$")


def name_tokens(norm: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(given part, family part, has-more-than-one-token) of normalised names.

    The given part is the first word ("te" with the next word when more follow); the family part
    is the last word with the particles before it ("van der berg"), never the given part.
    """
    parts = pc.split_pattern(norm, " ")
    several = pc.greater(pc.list_value_length(parts), 1)
    found = pc.extract_regex(norm, _FULL_NAME)
    head = pc.coalesce(pc.if_else(several, pc.struct_field(found, "head"), None), pc.list_element(parts, 0))
    tail = pc.coalesce(pc.if_else(several, pc.struct_field(found, "tail"), None), _last(parts))
    more = pc.struct_field(found, "more")
    # "te aorere te whata": the given part is "te aorere" when a word is left between it and the family.
    te_given = pc.and_kleene(pc.equal(head, "te"), pc.match_substring_regex(more, r"^ [^ ]"))
    if pc.any(te_given).as_py():
        second = pc.list_element(pc.list_slice(parts, 1, 2), 0)
        head = pc.if_else(te_given, pc.binary_join_element_wise(head, second, " "), head)
    return head, tail, several


def _last(parts: pa.Array) -> pa.Array:
    flat = pc.list_flatten(parts)
    ends = pc.subtract(pc.cumulative_sum(pc.list_value_length(parts)), 1)
    return flat.take(ends)


def _per_token(key: bytes, domain: str, tokens: pa.Array, values: pa.Array) -> pa.Array:
    # Tokens repeat far more than full names: key each distinct token once, then take back.
    encoded = pc.dictionary_encode(tokens)
    idx, _ = pick(prf(key, domain, encoded.dictionary)[:, 0], len(values))
    return choose(values, idx).take(encoded.indices)


def given_for(key: bytes, domain: str, tokens: pa.Array) -> pa.Array:
    """The fake given name of each (normalised) given-name token."""
    return _per_token(key, domain, tokens, dictionaries.load().given_names)


def family_for(key: bytes, domain: str, tokens: pa.Array) -> pa.Array:
    """The fake family name of each (normalised) family-name token."""
    return _per_token(key, domain, tokens, dictionaries.load().family_names)


def match_case(raw: pa.Array, out: pa.Array) -> pa.Array:
    """Upper-case the fake where the source was all upper case ("NGATA" → "TAMIHANA")."""
    # A value holding an ASCII lower-case letter is never all upper case: only the others are
    # asked (utf8_is_upper is slow on some values, and most sources are in mixed case).
    lower = rows_with_bytes(raw, ord("a"), ord("z"))
    if lower is None:
        upper = pc.fill_null(pc.utf8_is_upper(raw), False)
    else:
        rows = np.flatnonzero(~lower)
        if not len(rows):
            return out
        flags = np.zeros(len(raw), dtype=bool)
        flags[rows] = pc.fill_null(pc.utf8_is_upper(raw.take(pa.array(rows))), False).to_numpy(zero_copy_only=False)
        upper = pa.array(flags)
    return pc.if_else(upper, pc.utf8_upper(out), out) if pc.any(upper).as_py() else out


_SLUG_SEPARATORS = pa.array([".", "", "_", ""])      # per style; style 3 uses the given name's initial


def slug_parts(h: np.ndarray) -> tuple[pa.Array, pa.Array, pa.Array, np.ndarray]:
    """``slug_name`` in parts: (given name or its initial, separator, family name, leftover bits),
    so a caller can join them with more parts in one pass."""
    d = dictionaries.load()
    g, rest = pick(h, len(d.given_slugs))
    f, rest = pick(rest, len(d.family_slugs))
    style, rest = pick(rest, 4)
    given = choose(d.given_slugs, g)
    initial = pa.array(style == 3)
    first = pc.if_else(initial, pc.utf8_slice_codeunits(given, 0, 1), given) if pc.any(initial).as_py() else given
    return first, _SLUG_SEPARATORS.take(pa.array(style)), choose(d.family_slugs, f), rest


def slug_name(h: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """An email/username-style local name ("aroha.ngata", "kiri_tamihana", "rtipene") and leftover bits."""
    first, separator, family, rest = slug_parts(h)
    return join(first, separator, family), rest


def matches(values: pa.Array, pattern: str) -> np.ndarray:
    """Boolean numpy mask of the values matching a regular expression."""
    return pc.fill_null(pc.match_substring_regex(values, pattern), False).to_numpy(zero_copy_only=False)
