"""What the site's tests share: the built site, served on 127.0.0.1, and its notebooks' runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tools.site.config import HOST, MOUNT, ROOT


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
