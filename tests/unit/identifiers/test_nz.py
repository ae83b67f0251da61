from __future__ import annotations

from collections.abc import Callable

import pytest

from anonymiser.identifiers import nz

# Test vectors from shared/NZ_IDENTIFIERS.md, plus separator/case variants and near misses.
VALIDITY: list[tuple[Callable[[str], bool], str, bool]] = [
    (nz.is_valid_ird, "49091850", True),
    (nz.is_valid_ird, "35901981", True),
    (nz.is_valid_ird, "49098576", True),
    (nz.is_valid_ird, "136410132", True),
    (nz.is_valid_ird, "136-410-132", True),
    (nz.is_valid_ird, "49-091-850", True),
    (nz.is_valid_ird, "136 410 132", True),
    (nz.is_valid_ird, "136410133", False),
    (nz.is_valid_ird, "9125568", False),
    (nz.is_valid_ird, "150000001", False),
    (nz.is_valid_ird, "4909185x", False),
    (nz.is_valid_ird, "", False),
    (nz.is_valid_nhi, "ZZZ0016", True),
    (nz.is_valid_nhi, "ZAC5361", True),
    (nz.is_valid_nhi, "zac5361", True),
    (nz.is_valid_nhi, "ZZZ00AX", True),
    (nz.is_valid_nhi, "ZZZ 00AX", True),
    (nz.is_valid_nhi, "ZZZ0017", False),
    (nz.is_valid_nhi, "ZZZ00AY", False),
    (nz.is_valid_nhi, "ZIZ0016", False),
    (nz.is_valid_nhi, "ZZZ001", False),
    (nz.is_valid_nz_bank_account, "01-0902-0068389-00", True),
    (nz.is_valid_nz_bank_account, "01 0902 0068389 00", True),
    (nz.is_valid_nz_bank_account, "010902006838900", True),
    (nz.is_valid_nz_bank_account, "01-0902-0068389-01", True),     # suffix is not weighted in A
    (nz.is_valid_nz_bank_account, "01-0902-0068388-00", False),
    (nz.is_valid_nz_bank_account, "08-6523-1954512-001", True),
    (nz.is_valid_nz_bank_account, "0865231954512001", True),
    (nz.is_valid_nz_bank_account, "08-6523-1954513-001", False),
    (nz.is_valid_nz_bank_account, "26-2600-0320871-032", True),
    (nz.is_valid_nz_bank_account, "26-2600-0320871-033", False),
    (nz.is_valid_nz_bank_account, "31-2800-1234567-00", True),     # algorithm X: no check
    (nz.is_valid_nz_bank_account, "01-0902-006838-00", False),
    (nz.is_valid_nz_bank_account, "not a number", False),
    (nz.is_valid_nzbn, "9429044650421", True),
    (nz.is_valid_nzbn, "9429 0446 50421", True),
    (nz.is_valid_nzbn, "9429044650422", False),
    (nz.is_valid_nzbn, "9529044650425", False),
    (nz.is_nz_driver_licence_shape, "DL123456", True),
    (nz.is_nz_driver_licence_shape, "dl123456", True),
    (nz.is_nz_driver_licence_shape, "D1234567", False),
    (nz.is_nz_passport_shape, "LA123456", True),
    (nz.is_nz_passport_shape, "N123456", True),
    (nz.is_nz_passport_shape, "1234567", False),
]


@pytest.mark.parametrize(
    ("check", "value", "expected"), VALIDITY, ids=[f"{c.__name__}:{v or 'empty'}" for c, v, _ in VALIDITY]
)
def test_validators(check: Callable[[str], bool], value: str, expected: bool) -> None:
    assert check(value) is expected


@pytest.mark.parametrize(
    ("base", "expected"), [("04909185", 0), ("13641013", 2), ("03590198", 1), ("0490918x", None)],
    ids=["49091850", "136410132", "35901981", "not-digits"],
)
def test_ird_check_digit(base: str, expected: int | None) -> None:
    assert nz.ird_check_digit(base) == expected


@pytest.mark.parametrize(
    ("first6", "expected"), [("ZZZ001", "6"), ("ZAC536", "1"), ("ZZZ00A", "X"), ("ZZ0001", None)],
    ids=["old", "old2", "new", "bad-shape"],
)
def test_nhi_check_char(first6: str, expected: str | None) -> None:
    assert nz.nhi_check_char(first6) == expected


def test_nzbn_check_digit() -> None:
    assert nz.nzbn_check_digit("942904465042") == 1
    assert nz.nzbn_check_digit("94290446504") is None


@pytest.mark.parametrize(
    ("bank", "branch", "known"), [(1, 902, True), (38, 9001, True), (38, 100, False), (99, 1, False)],
    ids=["anz", "kiwibank", "kiwibank-bad-branch", "unknown-bank"],
)
def test_known_branches(bank: int, branch: int, known: bool) -> None:
    assert nz.is_known_branch(bank, branch) is known


def test_known_branch_strict_validation() -> None:
    assert nz.is_valid_nz_bank_account("01-0902-0068389-00", known_branch=True)
    assert not nz.is_valid_nz_bank_account("31-2800-1234567-00", known_branch=True)
