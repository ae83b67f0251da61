"""Column-name heuristics in every case style."""

from __future__ import annotations

import pytest

from anonymiser.detect.classify import suggest_rule
from anonymiser.detect.names import normalised
from anonymiser.schema import ColumnInfo, ColumnKind, TableInfo


@pytest.mark.parametrize(("name", "expected"), [
    ("FirstName", "first_name"), ("first_name", "first_name"), ("firstName", "first_name"),
    ("FIRST_NAME", "first_name"), ("BillingPostalCode", "billing_postal_code"), ("IPAddress", "ip_address"),
    ("address2", "address_2"), ("Order Details", "order_details"), ("whānau_name", "whanau_name"),
    ("IngoaWhānau", "ingoa_whanau"), ("Straße", "straße"), ("名前", "名前"), ("prénom", "prenom"),
], ids=lambda v: str(v))
def test_normalised(name: str, expected: str) -> None:
    assert normalised(name) == expected


CASES: list[tuple[str, str, ColumnKind, str]] = [
    ("customer", "email", "string", "email"),
    ("customer", "EmailAddress", "string", "email"),
    ("customer", "email_verified", "boolean", "keep"),
    ("customer", "FirstName", "string", "first_name"),
    ("customer", "given_name", "string", "first_name"),
    ("customer", "surname", "string", "last_name"),
    ("customer", "LastName", "string", "last_name"),
    ("customer", "whānau_name", "string", "last_name"),
    ("customer", "ingoa_whānau", "string", "last_name"),
    ("customer", "ingoa_tuatahi", "string", "first_name"),
    ("customer", "ingoa", "string", "person_name"),
    ("iwi", "ingoa", "string", "keep"),
    ("customer", "ContactName", "string", "person_name"),
    ("customer", "name", "string", "person_name"),
    ("genre", "name", "string", "keep"),
    ("customer", "dob", "date", "date_shift"),
    ("customer", "BirthDate", "datetime", "date_shift"),
    ("customer", "ird_number", "string", "nz_ird"),
    ("customer", "IRD", "integer", "nz_ird"),
    ("patient", "nhi", "string", "nz_nhi"),
    ("customer", "bank_account", "string", "nz_bank_account"),
    ("customer", "DriversLicenceNumber", "string", "nz_driver_licence"),
    ("customer", "passport_no", "string", "nz_passport"),
    ("company", "nzbn", "string", "nzbn"),
    ("customer", "HomePhone", "string", "phone"),
    ("customer", "mobile", "string", "phone"),
    ("customer", "Fax", "string", "phone"),
    ("customer", "street_address", "string", "street_address"),
    ("customer", "addr1", "string", "street_address"),
    ("invoice", "BillingAddress", "string", "street_address"),
    ("customer", "PostalCode", "string", "postcode"),
    ("customer", "suburb", "string", "suburb"),
    ("customer", "City", "string", "keep"),
    ("region", "RegionDescription", "string", "keep"),
    ("customer", "notes", "text", "free_text"),
    ("ticket", "body", "text", "free_text"),
    ("customer", "ip_address", "string", "ip_address"),
    ("customer", "username", "string", "username"),
    ("employee", "Photo", "binary", "null"),
    ("category", "Picture", "binary", "keep"),
    ("customer", "CustomerId", "integer", "keep"),
]


@pytest.mark.parametrize(("table", "column", "kind", "strategy"), CASES, ids=[f"{t}.{c}" for t, c, _, _ in CASES])
def test_suggest_rule_from_name_and_type(table: str, column: str, kind: ColumnKind, strategy: str) -> None:
    col = ColumnInfo(name=column, kind=kind, sql_type="X")
    assert suggest_rule(TableInfo(name=table, columns=(col,)), col).mask == strategy


def test_kept_quasi_identifiers_carry_a_reason() -> None:
    col = ColumnInfo(name="City", kind="string", sql_type="TEXT")
    rule = suggest_rule(TableInfo(name="customer", columns=(col,)), col)
    assert rule.mask == "keep" and rule.reason


def test_not_null_photo_is_redacted_not_nulled() -> None:
    col = ColumnInfo(name="photo", kind="binary", sql_type="BLOB", nullable=False)
    assert suggest_rule(TableInfo(name="staff", columns=(col,)), col).mask == "redact"
