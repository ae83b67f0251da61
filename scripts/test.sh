#!/usr/bin/env bash
# Install everything the suite needs, start the database services if they are down, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev,ner
scripts/system-deps.sh
scripts/services.sh
.venv/bin/ruff check anonymiser tests benchmarks
.venv/bin/mypy
.venv/bin/lint-imports
exec .venv/bin/python -m pytest -n auto --dist loadgroup -q "$@"
