"""Run the real CLI in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# A fixed key for tests only, made by `anonymiser keygen` (a readable passphrase in base64 is refused as weak).
TEST_KEY = "18SCHtxmIO-tYYMMKM2SKqoyfcUOCylkXh-txZ95BkI"


def anonymiser(*args: str, cwd: Path | None = None, key: str | None = TEST_KEY,
               env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")}
    full_env["NO_COLOR"] = "1"
    full_env["COLUMNS"] = "200"
    if key is not None:
        full_env["ANONYMISER_KEY"] = key
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "anonymiser", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int) -> str:
    """Exit code as documented, a short message, no traceback. Returns stdout+stderr."""
    text = result.stdout + result.stderr
    assert result.returncode == code, text
    assert "Traceback" not in text, text
    assert "error:" in text, text
    return text
