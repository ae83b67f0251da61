"""Value shapes no recognizer of prose finds: credentials, binary personal data, user names.

- **Credentials**: password hashes and secrets by their shape: bcrypt (``$2b$12$…``), argon2
  (``$argon2id$v=19$…``), scrypt, crypt(3) SHA/MD5 (``$6$…``, ``$1$…``), Django/PBKDF2
  (``pbkdf2_sha256$…``), and bare hex digests of MD5/SHA-1/SHA-2 length (32, 40, 56, 64, 96, 128).
- **Binary personal data**: images and scanned documents by their magic bytes (JPEG, PNG, GIF,
  TIFF, BMP, WebP, HEIC/AVIF, PDF).
- **User names**: one token of letters, digits, ``.``, ``_`` or ``-`` built from a known given or
  family name ("jsmith123", "aroha.ngata", "mere_p", "hemi77"), never a phrase.
- **Person names**: a whole cell that is a name ("Aroha Ngata", "ngata, aroha", "Ludo van der Berg"),
  judged word by word with the free-text masker's gazetteer, in any letter case.
- **NZ driver licence / passport numbers**: two letters and six digits (passport: ``L?``/``E?`` or
  ``N`` + six digits), a shape product codes share: see ``nz_document_column`` for the guard.

Each test takes one value and returns a bool; callers count shares over a sample. No value leaves.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from anonymiser.detect.gazetteer import fold, load
from anonymiser.detect.persons import PARTICLES, word_kind
from anonymiser.identifiers.nz import is_nz_driver_licence_shape, is_nz_passport_shape

_CREDENTIAL = re.compile(
    r"^(?:\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}"                          # bcrypt
    r"|\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+"   # argon2
    r"|\$scrypt\$\S+|\$7\$\S{14,}"                                        # scrypt
    r"|\$(?:1|5|6|md5|sha1|y|gy)\$[^$\s]*\$?[./A-Za-z0-9]{8,}\S*"        # crypt(3)
    r"|(?:pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt)\$\S{20,}"  # Django
    r"|\{(?:SSHA|SHA|SSHA256|SSHA512|CRYPT|MD5)\}\S{16,}"                 # LDAP
    r"|(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})"   # hex digests
    r"|(?:[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{64}|[0-9A-F]{128}))$"
)
# (magic prefix, offset) of image and document formats.
_MAGIC: tuple[tuple[bytes, int], ...] = (
    (b"\xff\xd8\xff", 0),            # JPEG
    (b"\x89PNG\r\n\x1a\n", 0),       # PNG
    (b"GIF87a", 0), (b"GIF89a", 0),  # GIF
    (b"II*\x00", 0), (b"MM\x00*", 0),  # TIFF
    (b"BM", 0),                      # BMP (checked with its header size below)
    (b"WEBP", 8),                    # WebP (RIFF....WEBP)
    (b"ftypheic", 4), (b"ftypheix", 4), (b"ftypmif1", 4), (b"ftypavif", 4),   # HEIC / AVIF
    (b"%PDF-", 0),                   # PDF
)
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9._\-]{2,31}$")
_USERNAME_PARTS = re.compile(r"[a-z]+")


def is_credential(value: str) -> bool:
    return bool(_CREDENTIAL.match(value.strip()))


def is_image_or_document(value: bytes | bytearray | memoryview | str) -> bool:
    data = bytes(value[:16]) if not isinstance(value, str) else value[:16].encode("latin-1", "ignore")
    for magic, offset in _MAGIC:
        if data[offset:offset + len(magic)] == magic:
            return magic != b"BM" or (len(data) >= 14 and data[6:10] == b"\x00\x00\x00\x00")
    return False


def is_username(value: str) -> bool:
    """A login-like token made of a known name: "jsmith123", "aroha.ngata", "ngata_a", "hemi77", "jsmith".

    A bare word is not enough ("gold", "hunter"): the token needs a digit or a separator around the
    name, or an initial glued to a family name.
    """
    token = value.strip()
    if not _USERNAME.match(token):
        return False
    g = load()
    lower = token.lower()
    decorated = any(c.isdigit() or c in "._-" for c in token)

    def known(word: str) -> bool:
        return len(word) >= 3 and (word in g.given or word in g.family) and word not in g.never

    def family(word: str) -> bool:
        return len(word) >= 4 and word in g.family and word not in g.never and word not in g.ambiguous

    for part in _USERNAME_PARTS.findall(lower):
        if decorated and known(part) and part not in g.ambiguous:
            return True
        # "jsmith", "smithj": an initial glued to a family name, written in lower case as logins are.
        if token.islower() and len(part) >= 5 and not known(part) and (family(part[1:]) or family(part[:-1])):
            return True
    return False


def shape_entity(values: list[str], min_rate: float) -> tuple[str, float, int] | None:
    """(CREDENTIAL or USERNAME, share, count) when at least ``min_rate`` of the values have that shape."""
    if not values:
        return None
    for entity, test in (("CREDENTIAL", is_credential), ("USERNAME", is_username)):
        count = sum(1 for v in values if test(v))
        if count / len(values) >= min_rate:
            return entity, count / len(values), count
    return None


_NAME_WORD = re.compile(r"^[^\W\d_][\w'\u2019.\-]*$")
MAX_NAME_CHARS = 60
MAX_NAME_WORDS = 4          # name words besides particles and initials ("Te Aorere Te Whata" has two)


def name_shape(value: str) -> str | None:
    """What a whole cell is as a person's name, by the gazetteer, whatever its letter case:

    - ``full``: two to four name words (particles and initials aside) that start with a known given
      name and end with a known family name, or of which two are known names ("Aroha Ngata",
      "ngata, aroha", "Ludo van der Berg", "HEMI J. WALKER");
    - ``loose``: several name-shaped words of which one known name stands first (given) or last
      (family): "Aroha Tuhiwai", "Kiri Te Kanawa";
    - ``given`` / ``family`` / ``both``: one known name word alone;
    - None: digits, ``@``, a stop word or title, a place, too many words, no known name.
    Everyday words that are also names ("Mark", "Rose") count only beside a known name.
    """
    text = value.strip()
    if not text or len(text) > MAX_NAME_CHARS or any(c.isdigit() or c == "@" for c in text):
        return None
    if text.count(",") == 1:            # "Ngata, Aroha": family first
        family, given = text.split(",")
        tokens = given.split() + family.split()
    elif "," in text:
        return None
    else:
        tokens = text.split()
    g = load()
    kinds = []
    for token in tokens:
        if not _NAME_WORD.match(token):
            return None
        core = token.rstrip(".")
        if core.lower() in PARTICLES and len(tokens) > 1:
            continue
        if len(core) == 1:              # an initial
            continue
        kinds.append(word_kind(fold(core), g))
    if not kinds or not 1 <= len(kinds) <= MAX_NAME_WORDS or "N" in kinds:
        return None
    if len(kinds) == 1:
        return {"G": "given", "F": "family", "B": "both"}.get(kinds[0]) if len(tokens) == 1 else None
    known = sum(k in "GFB" for k in kinds)
    if (kinds[0] in "GB" and kinds[-1] in "FB") or known >= 2:
        return "full"
    if known and (kinds[0] in "GB" or kinds[-1] in "FB"):
        return "loose"
    return None


# A column is a column of names when enough distinct sampled cells are (measured on Chinook and
# Northwind: customer and contact names 53-69% full, 87-95% with loose; artist and composer credits
# 13-14% full, product, company and ship names <= 4%, city names <= 25% single known words).
MIN_NAME_CELLS = 3
FULL_NAME_RATE = 0.4        # known given + family pairs ...
NAME_RATE = 0.6             # ... together with cells holding one known name where a name stands
SINGLE_NAME_RATE = 0.7      # one-word cells that are known names (city and category names stay below)


@dataclass(frozen=True)
class NameColumn:
    strategy: str           # person_name, first_name or last_name
    rate: float             # share of sampled cells counted
    count: int
    evidence: str           # counts only, never a value


def name_column(values: Sequence[str]) -> NameColumn | None:
    """A column of whole-cell person names (``person_name``) or of single given / family names, or None."""
    if not values:
        return None
    n = len(values)
    shapes = Counter(name_shape(v) for v in values)
    full, loose = shapes["full"], shapes["loose"]
    if full >= MIN_NAME_CELLS and full / n >= FULL_NAME_RATE and (full + loose) / n >= NAME_RATE:
        return NameColumn("person_name", (full + loose) / n, full + loose,
                          f"{full / n:.0%} of {n} sampled cells are known given + family names, "
                          f"{loose / n:.0%} more hold a known name where a name stands")
    single = shapes["given"] + shapes["family"] + shapes["both"]
    if single >= MIN_NAME_CELLS and single / n >= SINGLE_NAME_RATE:
        strategy = "first_name" if shapes["given"] >= shapes["family"] else "last_name"
        which = "given" if strategy == "first_name" else "family"
        return NameColumn(strategy, single / n, single,
                          f"{single / n:.0%} of {n} sampled cells are one known name, mostly {which} names")
    return None


MIN_DOCUMENT_SAMPLE = 10
DOCUMENT_RATE = 0.95        # licence numbers fill their column: a near-100% share, nothing else
DIVERSE_PREFIXES = 8        # licence prefixes are spread; product codes share a few ("AB", "XK")
MAX_PREFIX_SHARE = 0.25
_PASSPORT_LETTERS = ("L", "E", "N")


def nz_document_column(values: Sequence[str], about_people: bool) -> tuple[str, float, int, str] | None:
    """(NZ_DRIVER_LICENCE or NZ_PASSPORT, share, count, evidence) for a column of those numbers.

    Rule: at least 95% of at least 10 sampled values have the shape (two letters + six digits; a
    passport starts with L or E, or is N + six digits), and either the table is about people (a
    person table, or a column named as a name, contact detail, address or birth date) or the
    two-letter prefixes vary as licence numbers do (8 or more, none on over a quarter of the values).
    A column of product codes ("AB123456" in a catalogue) has neither, and is kept.
    """
    n = len(values)
    if n < MIN_DOCUMENT_SAMPLE:
        return None
    compact = [v.strip().replace(" ", "").replace("-", "").upper() for v in values]
    passports = [v for v in compact if v[:1] in _PASSPORT_LETTERS and is_nz_passport_shape(v)]
    licences = [v for v in compact if is_nz_driver_licence_shape(v)]
    if len(passports) / n >= DOCUMENT_RATE:
        entity, matched, what = "NZ_PASSPORT", passports, "NZ passport numbers (LA, EA … or N, then 6 digits)"
    elif len(licences) / n >= DOCUMENT_RATE:
        entity, matched, what = "NZ_DRIVER_LICENCE", licences, "NZ driver licence numbers (2 letters + 6 digits)"
    else:
        return None
    prefixes = Counter(v[:2] for v in matched)
    diverse = len(prefixes) >= DIVERSE_PREFIXES and prefixes.most_common(1)[0][1] / len(matched) <= MAX_PREFIX_SHARE
    if not (about_people or diverse):
        return None
    why = "in a table about people" if about_people else f"{len(prefixes)} different letter prefixes"
    share = len(matched) / n
    return entity, share, len(matched), f"{share:.0%} of {n} sampled values are shaped as {what}, {why}"
