"""The HTML report in headless Chromium: no console errors, no network requests, prints on A4.

Talks the Chrome DevTools Protocol over ``--remote-debugging-pipe`` (fds 3/4, NUL-separated
JSON), so nothing beyond Debian's ``chromium`` package is needed. Set
``ANONYMISER_UPDATE_SCREENSHOT=1`` to refresh ``docs/report-first-page.png`` from a demo run.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anonymiser.report import build_report, write_report
from anonymiser.verify import verify_output
from tests.unit.verify.builder import build_output

pytestmark = pytest.mark.slow
DOCS_SHOT = Path(__file__).resolve().parents[2] / "docs" / "report-first-page.png"
A4_CSS_PX = (794, 1123)  # 210 x 297 mm at 96 dpi


class Browser:
    def __init__(self, profile: Path) -> None:
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if binary is None:
            pytest.fail("headless Chromium is needed: apt-get update && apt-get install -y chromium")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # runs in the child: CDP reads fd 3, writes fd 4
            # Move both out of the way first: either pipe end may itself be fd 3 or 4.
            high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)  # dup2 leaves the copies inheritable
            os.dup2(high_w, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", f"--user-data-dir={profile}", "about:blank"],
            close_fds=False, preexec_fn=wire,  # noqa: PLW1509 - fd plumbing must happen in the child
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_chrome], [], [], max(left, 0))
            if not ready:
                raise AssertionError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise AssertionError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(raw))

    def close(self) -> None:
        with contextlib.suppress(AssertionError, OSError):
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def open_page(html: Path, profile: Path) -> tuple[Browser, str]:
    browser = Browser(profile)
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Runtime", "Log", "Network", "Page"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Emulation.setDeviceMetricsOverride", {"width": A4_CSS_PX[0], "height": A4_CSS_PX[1],
                                                         "deviceScaleFactor": 1, "mobile": False}, session=session)
    browser.send("Emulation.setScrollbarsHidden", {"hidden": True}, session=session)
    browser.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
    browser.wait_for("Page.loadEventFired")
    browser.send("Runtime.evaluate", {"expression": "1"}, session=session)  # drain late console events
    return browser, session


def problems(browser: Browser, page_url: str) -> tuple[list[str], list[str]]:
    errors, requests = [], []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown" or (
                method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert")):
            errors.append(method)
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(params["entry"].get("text", "")[:200])
        elif method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            if url != page_url and not url.startswith("data:"):
                requests.append(url)
    return errors, requests


def _report(tmp_path: Path) -> Path:
    built = build_output(tmp_path, keep_email=True)  # a FAIL report: every section is populated
    engine = sa.create_engine(built.source_url)
    with engine.connect() as conn:
        result = verify_output(built.directory, built.manifest, source=conn)
    engine.dispose()
    write_report(built.directory, build_report(built.directory, built.manifest, result))
    return built.directory / "report" / "report.html"


def test_report_loads_clean_and_prints(tmp_path: Path) -> None:
    html = _report(tmp_path)
    browser, session = open_page(html, tmp_path / "profile")
    try:
        errors, requests = problems(browser, html.resolve().as_uri())
        pdf = base64.b64decode(browser.send("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69,
                                                                "printBackground": True}, session=session)["data"])
        title = browser.send("Runtime.evaluate", {"expression": "document.title"}, session=session)
    finally:
        browser.close()
    assert errors == [] and requests == []
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert pdf.startswith(b"%PDF") and pages >= 3  # nine sections do not fit on one A4 page
    assert title["result"]["value"].startswith("Privacy compliance report")


@pytest.mark.parametrize("tamper", ["external-image", "script-error"])
def test_the_check_catches_outside_resources(tmp_path: Path, tamper: str) -> None:
    html = _report(tmp_path)
    text = html.read_text("utf-8")
    if tamper == "external-image":
        text = text.replace("<body>", '<body><img src="http://192.0.2.1/pixel.png" alt="">')
    else:  # without the CSP meta, an inline script runs and logs an error
        text = text.replace("default-src 'none'; style-src 'unsafe-inline'; img-src data:", "default-src *; "
                            "script-src 'unsafe-inline'").replace("<body>", "<body><script>console.error('x')</script>")
    html.write_text(text, "utf-8")
    browser, _ = open_page(html, tmp_path / "profile")
    try:
        errors, requests = problems(browser, html.resolve().as_uri())
    finally:
        browser.close()
    assert errors or requests


def test_demo_report_first_page_screenshot(tmp_path: Path) -> None:
    """Screenshot of the first A4 page of a real demo report (refreshes docs/ on request)."""
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "anonymiser", "--quiet", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    html = out / "report" / "report.html"
    browser, session = open_page(html, tmp_path / "profile")
    try:
        errors, requests = problems(browser, html.resolve().as_uri())
        shot = base64.b64decode(browser.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"])
    finally:
        browser.close()
    assert errors == [] and requests == []
    assert shot.startswith(b"\x89PNG")
    if os.environ.get("ANONYMISER_UPDATE_SCREENSHOT"):
        DOCS_SHOT.parent.mkdir(exist_ok=True)
        DOCS_SHOT.write_bytes(shot)
