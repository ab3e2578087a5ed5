"""What the site's tests share: the built site, served on 127.0.0.1, and its notebooks' runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tools.site.config import HOST, MOUNT, ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Every host but this one is unreachable: a request elsewhere fails, whatever made it.
    f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {HOST}",
]


@pytest.fixture(scope="session")
def notebook_runs() -> dict[str, dict]:
    """What `nox -s notebooks` (tools/notebook_runner.py) recorded of every served notebook."""
    path = Path(os.environ.get("NN_NOTEBOOK_RUNS", "build/notebook-runs.json"))
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `nox -s notebooks` (or `nox -s site`)")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The built site: `nox -s build`'s (NN_BUILT_SITE), or `mkdocs build --strict` into a
    folder of its own, once per test session. Either way it sits at webroot/<site_url path>."""
    built = os.environ.get("NN_BUILT_SITE")
    if built:
        return Path(built)
    out = tmp_path_factory.mktemp("webroot") / MOUNT.strip("/")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return out


@pytest.fixture(scope="session")
def webroot(site) -> Path:
    """The folder a web server serves, so that the site is under the site_url path."""
    root = site
    for _ in MOUNT.strip("/").split("/"):
        root = root.parent
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(site, webroot):
    """The built site over HTTP on 127.0.0.1, under the same path as on GitHub Pages."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", HOST, "-d", str(webroot), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://{HOST}:{port}{MOUNT}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(base, timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"http.server did not start on {base}")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------
# A real browser


@pytest.fixture(scope="session")
def browser_requests() -> list[str]:
    """Every request of every browser test, for the summary test of test_site.py."""
    return []


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        reason = (
            f"Chromium is not installed ({CHROMIUM} is missing), so the real-browser tests did "
            "not run. Install it (Debian or Ubuntu, as root): apt-get install chromium "
            "fonts-noto-cjk; .ci/run does this in CI"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Material puts each Mermaid diagram in a *closed* shadow root, which no selector can enter.
# Open it for the test, so that the rendered <svg> can be found.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attach.call(this, { ...init, mode: "open" });
};
"""


@dataclass
class Visit:
    page: object
    requests: list[str]
    offsite: list[str]
    errors: list[str]  # uncaught exceptions and console errors
    failed: list[str] = field(default_factory=list)  # requests that failed or got 4xx/5xx

    def assert_offline(self):
        offsite, errors, failed = self.offsite, self.errors, self.failed
        assert not offsite, (
            f"{len(offsite)} of {len(self.requests)} requests went to other hosts "
            "(they were blocked):\n" + "\n".join(offsite)
        )
        assert not failed, "failed requests:\n" + "\n".join(failed)
        assert not errors, "errors in the console:\n" + "\n".join(errors)


@pytest.fixture
def visit(browser, server, browser_requests):
    """Open a path of the site in a fresh browser context; on teardown, assert a clean visit:
    no request to another host, no failed request, nothing in the console's error level."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(OPEN_SHADOW_ROOTS)
    record = Visit(page=None, requests=[], offsite=[], errors=[])

    def route(route):
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).hostname != HOST:
            record.offsite.append(url)
            route.abort()  # never wait on the network: fail fast, and list it
        else:
            route.continue_()

    def failed(request):
        # ERR_ABORTED: the page navigated away while the request was in flight (a click).
        if request.url not in record.offsite and request.failure != "net::ERR_ABORTED":
            record.failed.append(f"{request.url}: {request.failure}")

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("request", lambda r: record.requests.append(r.url))
    page.on("requestfailed", failed)
    page.on(
        "response", lambda r: r.status >= 400 and record.failed.append(f"{r.url}: HTTP {r.status}")
    )
    page.on(
        "websocket", lambda ws: urlsplit(ws.url).hostname != HOST and record.offsite.append(ws.url)
    )
    page.on("pageerror", lambda e: record.errors.append(f"{page.url}: {e}"))
    page.on(
        "console",
        lambda m: m.type == "error" and record.errors.append(f"{page.url}: console: {m.text}"),
    )
    record.page = page

    def go(path: str):
        page.goto(server + path.lstrip("/"))
        return record

    yield go
    page.wait_for_load_state("networkidle")
    browser_requests.extend(record.requests)
    context.close()
    record.assert_offline()
