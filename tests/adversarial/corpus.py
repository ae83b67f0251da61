"""List and count the adversarial corpus (issue 11, item 9: at least 75 cases), each parametrised case once.

    .venv/bin/python -m tests.adversarial.corpus          # per file, then the total
    .venv/bin/python -m tests.adversarial.corpus --list   # every case id
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

MINIMUM = 75
HERE = Path(__file__).parent


def case_ids() -> list[str]:
    """Every test id pytest collects under tests/adversarial (parametrised cases counted one by one)."""
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                             "-n", "0", str(HERE)], capture_output=True, text=True, cwd=HERE.parent.parent,
                            check=True)
    return [line for line in result.stdout.splitlines() if "::" in line and "test_corpus.py" not in line]


def main(argv: list[str]) -> int:
    ids = case_ids()
    if "--list" in argv:
        print("\n".join(ids))
    for file, count in sorted(Counter(i.split("::", 1)[0] for i in ids).items()):
        print(f"{count:5d}  {file}")
    print(f"{len(ids):5d}  cases in total (at least {MINIMUM} required)")
    return 0 if len(ids) >= MINIMUM else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
