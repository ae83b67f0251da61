"""Malformed and hostile policies fail closed at `check`, with file:line (issue 11, item 4).

Each case is a policy text for the planted SQLite source, the line the error must name, and a regex
the message must match. `check` must exit 2 (nothing read beyond the schema) and so must `run`
(nothing written).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial.harness import assert_clean, cli

HEAD = "version: 1\ntables:\n  customer:\n    columns:\n"
COLUMNS = ("      id: keep\n      full_name: {mask: person_name}\n      email: {mask: email}\n"
           "      mobile: {mask: phone}\n      ird: {mask: nz_ird}\n      postcode: {mask: postcode}\n"
           "      notes: {mask: free_text}\n")
VALID = HEAD + COLUMNS          # lines 1-11


def _with(extra: str) -> str:
    return VALID + extra


def _bomb() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 9)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


# id: (policy text, line named, message regex)
CASES: dict[str, tuple[str, int, str]] = {
    "duplicate-column-rule-keeps-emails": (_with("      email: keep\n"), 12, r"duplicate key.*email repeats"),
    "duplicate-table": (_with("  customer:\n    columns: {id: keep}\n"), 12, "tables.customer repeats"),
    "duplicate-top-level-key": (_with("tables: {}\n"), 12, "tables repeats the key of line 2"),
    "unknown-top-level-key": (_with("retention: 30\n"), 12, "unknown key 'retention'.*retention_days"),
    "unknown-table-key": (HEAD.replace("    columns:\n", "    colums:\n") + COLUMNS, 4, "unknown key 'colums'"),
    "unknown-strategy": (VALID.replace("{mask: email}", "{mask: emial}"), 7, "email"),
    "unknown-strategy-option": (VALID.replace("{mask: email}", "{mask: email, domian: x}"), 7, "domain"),
    "option-of-the-wrong-type": (VALID.replace("{mask: postcode}", "{mask: generalise, to: 7}"), 10, "generalise"),
    "rule-without-mask": (VALID.replace("{mask: email}", "{unique: true}"), 7, "mask"),
    "empty-rule-mapping": (VALID.replace("{mask: email}", "{}"), 7, "mask"),
    "missing-column-rule": (VALID.replace("      notes: {mask: free_text}\n", ""), 3, "notes.*no rule"),
    "rule-for-a-column-that-does-not-exist": (_with("      nosuch: keep\n"), 12, "nosuch"),
    "table-that-does-not-exist": (_with("  ghost:\n    columns: {id: keep}\n"), 12, "ghost"),
    "subset-root-the-source-lacks": (_with("subset:\n  roots:\n    - table: custmer\n      percent: 5\n"), 14,
                                     "custmer.*not in the source.*customer"),
    "subset-where-column-the-source-lacks": (
        _with("subset:\n  roots:\n    - table: customer\n      where: \"signup_date > '2020-01-01'\"\n"), 15,
        "rejects this where clause.*signup_date"),
    "subset-where-syntax-error": (_with("subset:\n  roots:\n    - table: customer\n      where: \"id >\"\n"), 15,
                                  "rejects this where clause"),
    "subset-percent-and-rows": (_with("subset:\n  roots:\n    - {table: customer, percent: 5, rows: 3}\n"), 14,
                                "not both"),
    "subset-negative-rows": (_with("subset:\n  roots:\n    - {table: customer, rows: -1}\n"), 14, "rows"),
    "subset-child-rule-matching-nothing": (_with("subset:\n  roots:\n    - {table: customer, rows: 1}\n"
                                                 "  children:\n    - {table: customer, via: [email]}\n"), 15,
                                           "matches no foreign key"),
    "virtual-fk-to-a-missing-column": (
        _with("subset:\n  virtual_foreign_keys:\n    - {table: customer, columns: [nosuch], ref_table: customer, "
              "ref_columns: [id]}\n"), 14, "nosuch"),
    "quasi-identifier-the-source-lacks": (_with("quasi_identifiers: [customer.birthdate]\n"), 12, "birthdate"),
    "quasi-identifier-without-a-table": (_with("quasi_identifiers: [postcode]\n"), 12, "table.column"),
    "policy-version-2": (VALID.replace("version: 1", "version: 2"), 1, "version 1"),
    "not-yaml": ("version: 1\ntables: {customer: [\n", 3, "not valid YAML"),
    "tab-indentation": (VALID.replace("      email:", "\temail:"), 7, "not valid YAML"),
    "a-list-not-a-mapping": ("- version: 1\n", 1, "mapping"),
    "python-object-tag": ("version: 1\ntables: !!python/object/apply:os.system ['touch /tmp/pwned']\n", 2,
                          "not valid YAML"),
    "alias-bomb": (_bomb(), 1, "aliases"),
    "nested-20000-deep": ("version: 1\ntables: " + "[" * 20000 + "]" * 20000 + "\n", 1, "nests too deeply"),
    "mappings-5000-deep": ("version: 1\ntables: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", 1, "nests too deeply"),
    "unset-environment-variable": (_with("retention_days: ${NOT_SET_ANYWHERE_123}\n"), 12, "NOT_SET_ANYWHERE_123"),
    "boolean-looking-column-name": (VALID.replace("      id: keep", "      id: keep\n      no: keep"), 6,
                                    "'no' is read by YAML as a bool.*Quote"),
    "numeric-table-name": (_with("  2024:\n    columns: {id: keep}\n"), 12, "'2024' is read by YAML as a int"),
}


@pytest.mark.parametrize(("text", "line", "message"), list(CASES.values()), ids=list(CASES))
def test_a_bad_policy_fails_closed_with_file_and_line(tmp_path: Path, planted_sqlite: tuple[str, Path], text: str,
                                                      line: int, message: str) -> None:
    source, _ = planted_sqlite
    policy = tmp_path / "policy.yaml"
    policy.write_text(text, encoding="utf-8")
    checked = assert_clean(cli("check", str(policy), "--source", source), 2, expect=message)
    assert f"policy.yaml:{line}" in checked, checked
    assert_clean(cli("run", str(policy), "--source", source, "--out", str(tmp_path / "out")), 2, expect=message)
    assert not (tmp_path / "out").exists()
    assert not Path("/tmp/pwned").exists()


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage\x00", b""], ids=["binary-file", "empty-file"])
def test_unreadable_or_empty_policy_files(tmp_path: Path, planted_sqlite: tuple[str, Path], content: bytes) -> None:
    source, _ = planted_sqlite
    policy = tmp_path / "policy.yaml"
    policy.write_bytes(content)
    assert_clean(cli("check", str(policy), "--source", source), 2, expect="policy")


@pytest.mark.parametrize("where", ["file", "device"])
def test_a_policy_over_10_mb_is_refused_unread(tmp_path: Path, where: str) -> None:
    if where == "file":   # a valid start, then comments past the limit
        policy = tmp_path / "policy.yaml"
        policy.write_text(VALID + ("#" + "x" * 1023 + "\n") * (10 * 1024 + 1), encoding="utf-8")
    else:                 # endless: only the limit is read
        policy = Path("/dev/zero")
    assert_clean(cli("check", str(policy)), 2, expect=r"larger than 10 MB: refused unread")


def test_a_directory_or_a_missing_file_as_the_policy(tmp_path: Path) -> None:
    assert_clean(cli("check", str(tmp_path)), 2, expect="policy")
    assert_clean(cli("check", str(tmp_path / "nope.yaml")), 2, expect="not found.*anonymiser scan")


def test_anchors_and_merge_keys_are_not_duplicates(tmp_path: Path, planted_sqlite: tuple[str, Path]) -> None:
    source, _ = planted_sqlite
    text = VALID.replace("{mask: person_name}", "&name {mask: person_name}").replace(
        "{mask: postcode}", "{<<: {mask: postcode}, <<: {reason: kept coarse}}") + \
        "quasi_identifiers: [customer.postcode]\n"
    policy = tmp_path / "policy.yaml"
    policy.write_text(text, encoding="utf-8")
    assert_clean(cli("check", str(policy), "--source", source), 0, expect="valid and complete")
