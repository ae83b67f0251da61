"""The report: schema, all sections, never a source value, re-rendered identically from its JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from anonymiser.mask.keys import generate_key, key_id, remember_key
from anonymiser.report import build_report, read_report, render_from_json, write_report
from anonymiser.report.model import Report
from anonymiser.report.schema_file import generate, shipped
from anonymiser.verify import verify_output
from tests.unit.verify.builder import BUILDER_KEY, FINDINGS, build_output, source_frames

PERSONAL = sorted({f.column for f in FINDINGS if f.personal})
SECTIONS = ["Verdict", "Provenance", "Column inventory", "Subset", "Residual risk", "Leak scan",
            "Privacy Act 2020 mapping", "Retention and handling", "Sign-off"]


@pytest.fixture(params=["clean", "keep_email", "leak_in_notes"])
def written(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Report]:
    faults = {} if request.param == "clean" else {request.param: True}
    built = build_output(tmp_path, **faults)
    engine = sa.create_engine(built.source_url)
    with engine.connect() as conn:
        result = verify_output(built.directory, built.manifest, source=conn)
    engine.dispose()
    report = build_report(built.directory, built.manifest, result)
    write_report(built.directory, report)
    return built.directory, report


def _files(directory: Path) -> dict[str, str]:
    return {name: (directory / "report" / name).read_text("utf-8") for name in ("report.json", "report.md",
                                                                                "report.html")}


def test_shipped_schema_is_current() -> None:
    assert shipped() == generate(), "run: python -m anonymiser.report.schema_file"


def test_json_validates_against_shipped_schema(written: tuple[Path, Report]) -> None:
    directory, _ = written
    data = json.loads(_files(directory)["report.json"])
    jsonschema.Draft202012Validator(shipped()).validate(data)
    assert data["schema_version"] == shipped()["version"]


def test_no_source_value_in_any_file(written: tuple[Path, Report]) -> None:
    directory, _ = written
    customer = source_frames()["customer"]
    values = {str(v) for c in PERSONAL for v in customer[c].dropna()}
    # Whole notes and also every name/phone inside them.
    values |= {w for v in customer["notes"] for w in re.findall(r"[A-Z][a-z]{3,}|\d{3} \d{4}", v)}
    for name, text in _files(directory).items():
        lowered = text.lower()
        found = sorted(v for v in values if len(v) >= 4 and v.lower() in lowered)
        if found:  # never print the values themselves
            pytest.fail(f"{name} contains {len(found)} source value(s)")


def test_never_called_anonymous(written: tuple[Path, Report]) -> None:
    directory, _ = written
    for name, text in _files(directory).items():
        for match in re.finditer(r"anonymous", text, flags=re.I):
            assert text[max(0, match.start() - 4):match.start()].lower() == "not ", name
        assert "pseudonymised" in text and key_id(BUILDER_KEY) in text, name


@pytest.mark.parametrize("name", ["report.md", "report.html"])
def test_all_nine_sections(written: tuple[Path, Report], name: str) -> None:
    directory, _ = written
    text = _files(directory)[name]
    positions = [text.find(f"{i}. {title}") for i, title in enumerate(SECTIONS, start=1)]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)


def test_verdict_and_failures_in_every_format(written: tuple[Path, Report]) -> None:
    directory, report = written
    files = _files(directory)
    for failure in report.verification.failures:
        assert failure.reason in files["report.md"] and failure.reason in files["report.html"]
    assert json.loads(files["report.json"])["verdict"] == report.verdict
    assert f"Verdict: **{report.verdict}**" in files["report.md"]


def test_html_is_self_contained(written: tuple[Path, Report]) -> None:
    directory, _ = written
    html = _files(directory)["report.html"]
    assert "default-src 'none'" in html
    assert not re.search(r"<(script|link|img|iframe|object)\b", html, flags=re.I)
    assert not re.search(r"(src|href)=\"(?!#)", html)
    assert "@media print" in html and "<svg" in html


def test_render_from_json_reproduces_the_files(written: tuple[Path, Report]) -> None:
    directory, _ = written
    before = _files(directory)
    paths = render_from_json(directory, read_report(directory))
    assert [p.name for p in paths] == ["report.md", "report.html"]
    assert _files(directory) == before


def test_inventory_statuses(written: tuple[Path, Report]) -> None:
    _, report = written
    status = {(r.table, r.column): r.status for r in report.inventory}
    assert status[("customer", "first_name")] == "Protected"
    assert status[("customer", "postcode")] == "Kept with justification"   # declared quasi-identifier
    assert status[("orders", "amount")] == "Not personal"
    kept_email = report.verification.at_risk_columns == ["customer.email"]
    assert status[("customer", "email")] == ("At risk" if kept_email else "Protected")
    assert report.retention.expiry_date == "2026-02-05"


def test_provenance_names_faker_and_dictionary_versions(written: tuple[Path, Report]) -> None:
    directory, _ = written
    files = _files(directory)
    for name in ("report.md", "report.html"):
        assert "Faker 40.0.0 · dictionaries 1+0123456789ab" in files[name], name


def test_an_accepted_residual_risk_is_shown_beside_its_figure(written: tuple[Path, Report]) -> None:
    directory, report = written
    files = _files(directory)
    (customer,) = report.residual_risk.tables
    assert customer.records_below_k_target == 60 and customer.accepted
    gate = next(g for g in report.verification.gates if g.id == "residual_risk")
    assert gate.status == "accepted"
    for name in ("report.md", "report.html"):
        assert "Reviewer: Privacy Officer (2026-01-01). Reason: staging copy for the billing team only" in files[name]
    assert "100.0% (ACCEPTED by Privacy Officer)" in files["report.md"]
    assert '100.0% <span class="badge accepted">ACCEPTED</span><br><small>by Privacy Officer</small>' in \
        files["report.html"]
    assert "Privacy Officer accepted this residual risk on 2026-01-01" in customer.sentence
    if report.verdict == "PASS":
        assert "1 by a recorded acceptance" in report.summary


def test_a_remembered_secret_never_reaches_the_report_files(tmp_path: Path) -> None:
    # The last line of defence behind check/run refusing a policy that holds the key (F15).
    secret = "Zq" + generate_key()
    remember_key(secret)
    built = build_output(tmp_path)
    report = build_report(built.directory, built.manifest, verify_output(built.directory, built.manifest, source=None))
    report = report.model_copy(update={"signoff": report.signoff.model_copy(update={"data_owner": f"owner {secret}"})})
    write_report(built.directory, report)
    for name, text in _files(built.directory).items():
        assert secret not in text and secret[:20] not in text, name
        assert "owner ***" in text, name


@pytest.mark.parametrize(("kind", "sql_type", "shown"), [
    ("enum", "ENUM('Aroha Ngata','Mere O''Brien','x')", "ENUM(3 labels)"),
    ("set", "SET('Tama','Hemi')", "SET(2 labels)"),
    ("enum", "mood", "mood"),                      # a PostgreSQL enum: the type's name only
    ("string", "VARCHAR(40)", "VARCHAR(40)"),
])
def test_the_inventory_shows_no_enum_label(kind: str, sql_type: str, shown: str) -> None:
    from anonymiser.report.build import shown_type
    from anonymiser.schema import ColumnInfo

    assert shown_type(ColumnInfo(name="c", kind=kind, sql_type=sql_type)) == shown  # type: ignore[arg-type]
