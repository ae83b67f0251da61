"""Pins input → pseudonym pairs under a fixed test key (tests/golden/pseudonyms.json).

A change of dictionaries, Faker, pandas, pyarrow or the PRF that alters any pseudonym fails here:
every customer's monthly refresh would change. If the change is intended (a new dictionary
version), regenerate with ``ANONYMISER_UPDATE_GOLDEN=1 pytest tests/unit/mask/test_golden.py``
and say so in the release notes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from anonymiser.mask import dictionaries
from tests.unit.mask.helpers import KEY, arrow, run

GOLDEN = Path(__file__).parents[2] / "golden" / "pseudonyms.json"
CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "person_name": ({}, ["Aroha Ngata", "Sione Tupou", "Liam O'Brien", "Mere"]),
    "first_name": ({}, ["Aroha", "Wiremu", "Olivia"]),
    "last_name": ({}, ["Ngata", "Tupou", "Smith"]),
    "email": ({}, ["aroha.ngata@gmail.com", "sione@xtra.co.nz"]),
    "phone": ({}, ["021 555 0199", "+64 21 555 0199", "09 555 1234", "0800 123 456"]),
    "street_address": ({}, ["12 Queen Street"]),
    "suburb": ({}, ["Grey Lynn"]),
    "city": ({}, ["Auckland"]),
    "postcode": ({}, ["1021", "0110"]),
    "address": ({}, ["12 Queen Street, Grey Lynn, Auckland 1021"]),
    "company": ({}, ["Fonterra"]),
    "username": ({}, ["aroha.n"]),
    "ip_address": ({}, ["192.168.1.20", "fe80::1"]),
    "url": ({}, ["https://intranet.example.co.nz/u/42"]),
    "credit_card": ({}, ["4111 1111 1111 1111"]),
    "nz_ird": ({}, ["49091850", "136-410-132"]),
    "nz_nhi": ({}, ["ZZZ0016", "ZZZ00AX"]),
    "nz_bank_account": ({}, ["01-0902-0068389-00", "26-2600-0320871-032"]),
    "nz_driver_licence": ({}, ["DL123456"]),
    "nz_passport": ({}, ["LA123456"]),
    "nzbn": ({}, ["9429044650421"]),
    "hash": ({}, ["anything"]),
    "redact": ({"keyed": True}, ["secret"]),
    "remap": ({}, ["AB-1234", "cust-000123"]),
    "date_shift": ({"max_days": 365}, ["1987-06-15", "2020-01-02 03:04:05"]),
}


def current() -> dict[str, Any]:
    return {
        "key": KEY.hex(),
        "dictionaries": dictionaries.VERSION,
        "cases": {
            name: [[v, out] for v, out in zip(values, run(name, arrow(values), options).to_pylist(), strict=True)]
            for name, (options, values) in sorted(CASES.items())
        },
    }


def test_golden_pseudonyms() -> None:
    got = current()
    if os.environ.get("ANONYMISER_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got["dictionaries"] == expected["dictionaries"], "dictionaries changed: pseudonyms will change"
    for name in CASES:
        assert got["cases"][name] == expected["cases"].get(name), name


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_covers_strategy(name: str) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert name in expected["cases"]
