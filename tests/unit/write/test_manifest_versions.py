"""An output written by another version of anonymiser is named as such, in one line (trial F38: a dataset
from an hour earlier, same manifest_version, failed with 174 raw pydantic errors after an upgrade)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anonymiser.errors import OutputError
from anonymiser.write.manifest import MANIFEST_NAME, MANIFEST_VERSION, Manifest
from tests.unit.write_sql import dataset


def _edited(tmp_path: Path, **changes: object) -> Path:
    dataset.nasty(tmp_path)
    data = json.loads((tmp_path / MANIFEST_NAME).read_text())
    data.update(changes)
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(data))
    return tmp_path


@pytest.mark.parametrize(("version", "said"), [(MANIFEST_VERSION - 1, "an older"), (MANIFEST_VERSION + 1, "a newer")])
def test_another_manifest_version_is_one_clear_error(tmp_path: Path, version: int, said: str) -> None:
    with pytest.raises(OutputError) as raised:
        Manifest.read(_edited(tmp_path, manifest_version=version))
    assert f"written by {said} anonymiser (manifest version {version}" in raised.value.message
    assert "anonymiser run" in (raised.value.hint or "")


def test_a_damaged_manifest_names_its_first_problem_not_a_wall_of_errors(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as raised:
        Manifest.read(_edited(tmp_path, run_id=None, key_id=None))
    message = raised.value.message
    assert "2 problem(s), the first at 'run_id'" in message and "errors.pydantic.dev" not in message
    assert "\n" not in message


def test_the_current_version_reads(tmp_path: Path) -> None:
    assert Manifest.read(_edited(tmp_path)).manifest_version == MANIFEST_VERSION
