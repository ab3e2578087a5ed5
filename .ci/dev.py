"""Set up and run the project with nothing but python3 and git.

    python3 .ci/dev.py serve   # serve the site on http://127.0.0.1:8000/nn/ (or the next free port)
    python3 .ci/dev.py test    # lint, strict build, every test and every code block

The first run makes a virtual environment in .venv and installs the project into it;
later runs reinstall only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
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
    if not PY.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except Exception as exc:  # e.g. Debian's python3 without python3-venv
            sys.exit(
                f"Could not create {VENV}: {exc}\nOn Debian/Ubuntu: apt-get install python3-venv"
            )
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(digest)


def ensure_chromium() -> None:
    """Install Debian's Chromium and ChromeDriver for the browser test when missing and allowed."""
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        print("Chromium is missing and cannot be installed here (needs root and apt-get):")
        print("the browser test will be skipped. Install Debian's 'chromium' to run it.")
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(apt, "update", "-q", env=env)
    run(apt, "install", "-y", "-q", "chromium", "chromium-driver", env=env)


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
        addr = f"127.0.0.1:{free_port()}"
        # mkdocs serves under site_url's path (/nn/), as GitHub Pages will.
        print(f"Serving the site on http://{addr}/nn/ (English) and http://{addr}/nn/zh/ (中文)")
        cmd = [BIN / "mkdocs", "serve", "--dev-addr", addr, *argv[1:]]
        return subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env).returncode
    ensure_chromium()
    ensure_cjk_font()
    steps = [
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [PY, "-m", "pytest", *argv[1:]],
    ]
    for cmd in steps:
        print("+", " ".join(str(c) for c in cmd), flush=True)
        code = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env).returncode
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
