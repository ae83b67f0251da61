"""New Zealand identifiers: validators, check-digit functions and shape checks.

Pure functions, no I/O. Detection (``anonymiser.detect``) uses the validators to confirm a pattern
match; masking (``anonymiser.mask``) uses the check-digit functions to generate fakes that pass the
same validation (vectorised variants live in ``anonymiser.identifiers.nz_vec``).
Algorithms and test vectors: ``shared/NZ_IDENTIFIERS.md`` (IRD RWT/NRWT specification, ch. 8 for
bank accounts; Ministry of Health NHI specification; GS1 for NZBN).

Validators accept common separators (spaces, hyphens) and are case-insensitive for letters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SEPARATORS = re.compile(r"[\s\-]")


def strip_separators(s: str) -> str:
    return _SEPARATORS.sub("", s)


# --- IRD number --------------------------------------------------------------------------------

IRD_MIN = 10_000_000
IRD_MAX = 150_000_000
_IRD_PRIMARY = (3, 2, 7, 6, 5, 4, 3, 2)
_IRD_SECONDARY = (7, 4, 3, 2, 5, 2, 7, 6)
IRD_SHAPE = r"\d{8,9}"      # separators removed (regex text for Python's re and Arrow's RE2 alike)


def ird_check_digit(base8: str) -> int | None:
    """Check digit for the first 8 digits (left-padded) of an IRD number; None when none exists."""
    if len(base8) != 8 or not base8.isdigit():
        return None
    digits = [int(c) for c in base8]
    for weights in (_IRD_PRIMARY, _IRD_SECONDARY):
        r = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        c = 0 if r == 0 else 11 - r
        if c != 10:
            return c
    return None


def is_valid_ird(s: str) -> bool:
    digits = strip_separators(s)
    if not digits.isdigit() or len(digits) not in (8, 9):
        return False
    number = int(digits)
    if not IRD_MIN <= number <= IRD_MAX:
        return False
    padded = digits.zfill(9)
    return ird_check_digit(padded[:8]) == int(padded[8])


# --- NHI number --------------------------------------------------------------------------------

NHI_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"    # 24 letters: I and O are never used
_NHI_VALUE = {c: i + 1 for i, c in enumerate(NHI_LETTERS)}
_NHI_OLD = re.compile(rf"[{NHI_LETTERS}]{{3}}\d{{4}}")
_NHI_NEW = re.compile(rf"[{NHI_LETTERS}]{{3}}\d{{2}}[{NHI_LETTERS}]{{2}}")


def _nhi_value(c: str) -> int:
    return int(c) if c.isdigit() else _NHI_VALUE[c]


def nhi_check_char(first6: str) -> str | None:
    """Check character for the first 6 characters of an NHI (old ``AAANNN`` or new ``AAANNA``)."""
    first6 = first6.upper()
    if not (_NHI_OLD.fullmatch(first6 + "0") or _NHI_NEW.fullmatch(first6 + "A")):
        return None
    s = sum(_nhi_value(c) * (7 - i) for i, c in enumerate(first6))
    if first6[5].isdigit():                 # old format: mod 11 digit
        r = s % 11
        if r == 0:
            return None
        c = 11 - r
        return "0" if c == 10 else str(c)
    r = s % 24                               # new format: mod 24 letter
    return NHI_LETTERS[24 - r - 1]


def is_valid_nhi(s: str) -> bool:
    nhi = strip_separators(s).upper()
    if not (_NHI_OLD.fullmatch(nhi) or _NHI_NEW.fullmatch(nhi)):
        return False
    return nhi_check_char(nhi[:6]) == nhi[6]


# --- NZ bank account ---------------------------------------------------------------------------

# Weights over the 18-digit padded form: bank(2) branch(4) base(8) suffix(4).
_BANK_WEIGHTS: dict[str, tuple[tuple[int, ...], int]] = {
    "A": ((0, 0, 6, 3, 7, 9, 0, 0, 10, 5, 8, 4, 2, 1, 0, 0, 0, 0), 11),
    "B": ((0, 0, 0, 0, 0, 0, 0, 0, 10, 5, 8, 4, 2, 1, 0, 0, 0, 0), 11),
    "D": ((0, 0, 0, 0, 0, 0, 0, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0), 11),
    "E": ((0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 4, 3, 2, 0, 0, 0, 1), 11),
    "F": ((0, 0, 0, 0, 0, 0, 0, 1, 7, 3, 1, 7, 3, 1, 0, 0, 0, 0), 10),
    "G": ((0, 0, 0, 0, 0, 0, 0, 1, 3, 7, 1, 3, 7, 1, 0, 3, 7, 1), 10),
}
_DIGIT_SUM_ALGORITHMS = frozenset("EG")   # each product's digits are summed, twice
_BANK_SEPARATED = re.compile(r"(\d{2})[\s\-](\d{4})[\s\-](\d{7,8})[\s\-](\d{2,4})")
# The written layout of an account, separators optional: bank, branch, base (7-8), suffix (2-4).
BANK_ACCOUNT_LAYOUT = (r"^(?P<bank>\d{2})(?P<s1>[\s-]?)(?P<branch>\d{4})(?P<s2>[\s-]?)(?P<base>\d{7,8})"
                       r"(?P<s3>[\s-]?)(?P<suffix>\d{2,4})$")
# Unseparated lengths → (base digits, suffix digits) readings to try, most common first.
_BANK_SPLITS: dict[int, tuple[tuple[int, int], ...]] = {
    15: ((7, 2),), 16: ((7, 3), (8, 2)), 17: ((8, 3), (7, 4)), 18: ((8, 4),),
}


def bank_algorithm(bank: int, base: int) -> str:
    """The check algorithm letter the IRD specification assigns to a bank (and base, for A/B)."""
    if bank == 8:
        return "D"
    if bank == 9:
        return "E"
    if bank in (25, 33):
        return "F"
    if bank in (26, 28, 29):
        return "G"
    if bank == 31:
        return "X"
    return "A" if base < 990_000 else "B"


def _digit_sum_twice(n: int) -> int:
    for _ in range(2):
        n = sum(int(c) for c in str(n))
    return n


def bank_checksum_ok(bank: str, branch: str, base: str, suffix: str) -> bool:
    """Check a parsed account; parts are digit strings (base up to 8, suffix up to 4 digits)."""
    algorithm = bank_algorithm(int(bank), int(base))
    if algorithm == "X":
        return True
    weights, modulus = _BANK_WEIGHTS[algorithm]
    padded = bank.zfill(2) + branch.zfill(4) + base.zfill(8) + suffix.zfill(4)
    products = [int(d) * w for d, w in zip(padded, weights, strict=True)]
    if algorithm in _DIGIT_SUM_ALGORITHMS:
        products = [_digit_sum_twice(p) for p in products]
    return sum(products) % modulus == 0


def parse_nz_bank_account(s: str) -> list[tuple[str, str, str, str]]:
    """Possible (bank, branch, base, suffix) readings of ``s``; empty when it has no bank shape."""
    text = s.strip()
    m = _BANK_SEPARATED.fullmatch(text)
    if m:
        if len(m.group(4)) == 4 and not m.group(4).startswith("0"):
            return []
        return [(m.group(1), m.group(2), m.group(3), m.group(4))]
    digits = strip_separators(text)
    if not digits.isdigit():
        return []
    return [
        (digits[:2], digits[2:6], digits[6:6 + b], digits[6 + b:])
        for b, _ in _BANK_SPLITS.get(len(digits), ())
    ]


def is_valid_nz_bank_account(s: str, *, known_branch: bool = False) -> bool:
    """Check digits per bank algorithm; ``known_branch`` also requires a listed bank/branch pair."""
    for bank, branch, base, suffix in parse_nz_bank_account(s):
        if known_branch and not is_known_branch(int(bank), int(branch)):
            continue
        if bank_checksum_ok(bank, branch, base, suffix):
            return True
    return False


# Real bank codes with branch ranges, for generating plausible fakes (a subset is enough).
# Source: the bank/branch table of the IRD "RWT and NRWT certificate filing specification"
# (bank account validation chapter), as also published in Payments NZ's bank branch register.
KNOWN_BRANCHES: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((1, 999), (1100, 1199), (1800, 1899)),       # ANZ
    2: ((1, 999), (1200, 1299)),                     # BNZ
    3: ((1, 999), (1300, 1399), (1500, 1599), (1700, 1799), (1900, 1999)),   # Westpac
    6: ((1, 999), (1400, 1499)),                     # ANZ (ex National Bank)
    8: ((6500, 6599),),                              # Bank of New Zealand / NAB (algorithm D)
    11: ((5000, 6499), (6600, 8999)),                # ANZ (ex PostBank)
    12: ((3000, 3299), (3400, 3499), (3600, 3699)),  # ASB
    15: ((3900, 3999),),                             # TSB
    38: ((9000, 9499),),                             # Kiwibank
}


def is_known_branch(bank: int, branch: int) -> bool:
    return any(lo <= branch <= hi for lo, hi in KNOWN_BRANCHES.get(bank, ()))


# --- NZBN --------------------------------------------------------------------------------------

NZBN_PREFIX = "9429"
NZBN_SHAPE = NZBN_PREFIX + r"\d{9}"


def gs1_check_digit(first: str) -> int | None:
    """GS1 mod-10 check digit, weights 1,3,1,3… from the left over a 12-digit body."""
    if not first.isdigit():
        return None
    s = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first))
    return (10 - s % 10) % 10


def nzbn_check_digit(first12: str) -> int | None:
    if len(first12) != 12:
        return None
    return gs1_check_digit(first12)


def is_valid_nzbn(s: str) -> bool:
    digits = strip_separators(s)
    if len(digits) != 13 or not digits.isdigit() or not digits.startswith(NZBN_PREFIX):
        return False
    return nzbn_check_digit(digits[:12]) == int(digits[12])


# --- shapes without a check digit --------------------------------------------------------------

DRIVER_LICENCE_SHAPE = r"[A-Z]{2}\d{6}"
PASSPORT_SHAPE = r"(?:[A-Z]{2}|N)\d{6}"
_DRIVER_LICENCE = re.compile(DRIVER_LICENCE_SHAPE)
_PASSPORT = re.compile(PASSPORT_SHAPE)
PASSPORT_PREFIXES: Sequence[str] = ("LA", "LD", "LF", "LH", "EA", "N")


def is_nz_driver_licence_shape(s: str) -> bool:
    """``AA999999``: 2 letters and 6 digits (the separate 3-digit version number is not included)."""
    return bool(_DRIVER_LICENCE.fullmatch(strip_separators(s).upper()))


def is_nz_passport_shape(s: str) -> bool:
    """2 letters (LA, LD, LF, LH, EA, …) or N, then 6 digits."""
    return bool(_PASSPORT.fullmatch(strip_separators(s).upper()))
