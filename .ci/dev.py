"""Set up and run the project with nothing but python3 and git.

    python3 .ci/dev.py serve   # serve the site on http://127.0.0.1:8000/nn/ (or the next free port)
    python3 .ci/dev.py test    # lint, strict build, every test and every code block

The first run makes a virtual environment in .venv and installs the project into it (about
75 s and 800 MB); later runs reinstall only when pyproject.toml changes. The test command also
builds the wheel and tests it in environments of its own under .venvs/ (tests/test_wheel.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import venv
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-pyproject-sha256"


def run(*cmd: str | Path, **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kwargs)


def ensure_venv() -> None:
    """Create .venv and install the project with its docs and test extras when needed."""
    first = not PY.exists()
    if first:
        print(
            f"First run: creating {VENV} and installing nn with the tools for the site and\n"
            "the tests into it (about 75 s and 800 MB; nothing outside this folder).\n"
            "Later runs skip this.",
            flush=True,
        )
        try:
            venv.create(VENV, with_pip=True)
        except Exception as exc:  # e.g. Debian's python3 without python3-venv
            sys.exit(
                f"Could not create {VENV}: {exc}\nOn Debian/Ubuntu: apt-get install python3-venv"
            )
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    if not first:
        print("pyproject.toml changed: updating .venv (usually under a minute) ...", flush=True)
    start = time.monotonic()
    with heartbeat("installing into .venv"):
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        # The package was called "nn" before it got a name of its own on PyPI: drop that copy.
        if list(VENV.glob("lib/python*/site-packages/nn-*.dist-info")):
            run(PY, "-m", "pip", "uninstall", "--quiet", "--yes", "nn")
        run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(digest)
    size = sum(f.stat().st_size for f in VENV.rglob("*") if f.is_file() and not f.is_symlink())
    took = time.monotonic() - start
    print(f"{VENV} is ready: {size / 1e6:.0f} MB, installed in {took:.0f} s.", flush=True)


@contextlib.contextmanager
def heartbeat(what: str, every: float = 15) -> Iterator[None]:
    """Say every 15 s that `what` is still going: a long, quiet pip run is not a hang."""
    done = threading.Event()
    start = time.monotonic()

    def beat() -> None:
        while not done.wait(every):
            print(f"  ... still {what} ({time.monotonic() - start:.0f} s)", flush=True)

    threading.Thread(target=beat, daemon=True).start()
    try:
        yield
    finally:
        done.set()


CHROMIUM = Path("/usr/bin/chromium")  # where tests/test_site.py looks for it
NO_CHROMIUM = (
    f"Chromium is not installed ({CHROMIUM} is missing), so the real-browser tests in\n"
    "tests/test_site.py are skipped (in CI they fail). To run them: apt-get install chromium\n"
    "chromium-driver, or run this command as root, which installs them."
)


def ensure_chromium() -> bool:
    """Install Debian's Chromium and ChromeDriver for the browser test when missing and allowed.

    Returns whether it is there for the browser test.
    """
    if CHROMIUM.exists():
        return True
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        print(NO_CHROMIUM, flush=True)
        return False
    print(f"Installing Debian's Chromium for the browser test ({CHROMIUM} is missing) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(apt, "update", "-q", env=env)
    run(apt, "install", "-y", "-q", "chromium", "chromium-driver", env=env)
    return CHROMIUM.exists()


def ensure_cjk_font() -> None:
    """Install Debian's Noto CJK fonts, which the Chinese figures and the browser test need."""
    fc_list = shutil.which("fc-list")
    if fc_list and subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True).stdout:
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        print("No Chinese font (fonts-noto-cjk) and no root apt-get to install it:")
        print("the Chinese figures and the font check of the browser test will fail.")
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(apt, "update", "-q", env=env)
    run(apt, "install", "-y", "-q", "fonts-noto-cjk", env=env)


def free_port(first: int = 8000, tries: int = 20) -> int:
    """The first port from `first` on that nothing listens on, so a second serve still starts."""
    for port in range(first, first + tries):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"ports {first}-{first + tries - 1} are all in use")


def serve(argv: list[str], env: dict[str, str]) -> int:
    """`mkdocs serve`: print the address once it answers; stop it, and all it started, on exit.

    mkdocs runs in a process group of its own, so that Ctrl-C or a SIGTERM to this script
    reaches every process it started (its file watcher and the server holding the port) and
    the port is free again when this script ends.
    """
    addr = f"127.0.0.1:{free_port(int(os.environ.get('NN_SERVE_PORT', '8000')))}"
    url = f"http://{addr}/nn/"  # mkdocs serves under site_url's path (/nn/), as GitHub Pages will
    print(f"Building the site, then serving it on {addr} (the first build takes about 15 s) ...")
    cmd = [BIN / "mkdocs", "serve", "--dev-addr", addr, *argv]
    child = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, env=env, start_new_session=True)

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    try:
        while child.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except urllib.error.HTTPError:  # it answers, if not with the page
                break
            except OSError:  # not listening yet: mkdocs builds the site first
                time.sleep(0.3)
        if child.poll() is None:
            print(f"Serving the site on {url} (English) and {url}zh/ (中文). Ctrl-C stops it.")
            print(flush=True)
        return child.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        stop_group(child)


def stop_group(child: subprocess.Popen, grace: float = 5) -> None:
    """End `child` and every process of its group: SIGTERM, then SIGKILL after `grace` s.

    Not SIGINT: a process started from a non-interactive shell's background job ignores it.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:  # the group is gone
            break
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader has gone; a straggler of its group may still hold the port.
        try:
            os.killpg(child.pid, 0)
        except ProcessLookupError:
            break


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"serve", "test"}:
        print(__doc__)
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 (this script runs before any venv exists)
        sys.exit(f"nn needs Python 3.11 or newer; this python3 is {sys.version.split()[0]}")
    ensure_venv()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["NO_MKDOCS_2_WARNING"] = "1"  # Material's notice about MkDocs 2: mkdocs is pinned < 2
    if argv[0] == "serve":
        return serve(argv[1:], env)
    chromium = ensure_chromium()
    ensure_cjk_font()
    steps = [
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [PY, "-m", "pytest", *argv[1:]],
    ]
    code = 0
    for cmd in steps:
        print("+", " ".join(str(c) for c in cmd), flush=True)
        code = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env).returncode
        if code != 0:
            break
    if not chromium:
        print(f"\nNOTE: {NO_CHROMIUM}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
