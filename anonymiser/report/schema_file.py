"""The versioned JSON Schema of ``report.json``, generated from the report model.

Regenerate after changing the model: ``python -m anonymiser.report.schema_file``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from anonymiser.report.model import REPORT_SCHEMA_VERSION, SCHEMA_ID, Report

SCHEMA_FILE = "schema/report.schema.json"


def generate() -> dict[str, Any]:
    schema = Report.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "version": REPORT_SCHEMA_VERSION, **schema}


def shipped() -> dict[str, Any]:
    text = resources.files("anonymiser.report").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def main() -> None:
    path = Path(__file__).parent / SCHEMA_FILE
    path.write_text(json.dumps(generate(), indent=2) + "\n", encoding="utf-8")
    print(path)


if __name__ == "__main__":
    main()
