"""Value shapes no recognizer of prose finds: credentials, binary personal data, user names.

- **Credentials**: password hashes and secrets by their shape: bcrypt (``$2b$12$…``), argon2
  (``$argon2id$v=19$…``), scrypt, crypt(3) SHA/MD5 (``$6$…``, ``$1$…``), Django/PBKDF2
  (``pbkdf2_sha256$…``), and bare hex digests of MD5/SHA-1/SHA-2 length (32, 40, 56, 64, 96, 128).
- **Binary personal data**: images and scanned documents by their magic bytes (JPEG, PNG, GIF,
  TIFF, BMP, WebP, HEIC/AVIF, PDF).
- **User names**: one token of letters, digits, ``.``, ``_`` or ``-`` built from a known given or
  family name ("jsmith123", "aroha.ngata", "mere_p", "hemi77"), never a phrase.

Each test takes one value and returns a bool; callers count shares over a sample. No value leaves.
"""

from __future__ import annotations

import re

from anonymiser.detect.gazetteer import load

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
