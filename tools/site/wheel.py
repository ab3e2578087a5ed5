"""The wheel of nn that the site serves, so that its install lines work before any release.

`mkdocs build` and `mkdocs serve` put `nn_numpy_tutorial-<version>-py3-none-any.whl` next to
the pages of each language and into each zip of notebooks; Getting started, the README and
every notebook's first cell install from it. It is built with `python -m build` from a copy of
the files a wheel needs (not from the checkout, whose leftover `*.egg-info` could add files),
and kept in `build/site-wheel/` under a digest of those files, so a rebuild of the site
rebuilds the wheel only when the package changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from tools.site.config import ROOT

CACHE = ROOT / "build" / "site-wheel"
SOURCES = ("pyproject.toml", "README.md", "LICENSE")


def source_files() -> list[Path]:
    """The files the wheel is built from, relative to the checkout."""
    package = [
        p.relative_to(ROOT)
        for p in sorted((ROOT / "nn").rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]
    return [Path(name) for name in SOURCES] + package


def wheel_name() -> str:
    """`nn_numpy_tutorial-0.1.0-py3-none-any.whl`: the name pyproject.toml gives the wheel."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return f"{project['name'].replace('-', '_')}-{project['version']}-py3-none-any.whl"


def build_wheel() -> Path:
    """The wheel of the package as it is now: built if the files changed, else the kept one."""
    digest = hashlib.sha256()
    for name in source_files():
        digest.update(name.as_posix().encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
    folder = CACHE / digest.hexdigest()[:16]
    wheel = folder / wheel_name()
    if wheel.is_file():
        return wheel
    CACHE.mkdir(parents=True, exist_ok=True)
    # Built beside the cache and moved in with one rename, so that two builds of the site at
    # once (the test command runs two lanes) never see half a wheel.
    with tempfile.TemporaryDirectory(prefix="nn-wheel-", dir=CACHE) as tmp:
        source = Path(tmp) / "source"
        for name in source_files():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
        cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp, source]
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
        built = Path(tmp) / wheel.name
        if proc.returncode != 0 or not built.is_file():
            raise RuntimeError(f"building {wheel.name} failed:\n{proc.stdout}\n{proc.stderr}")
        folder.mkdir(exist_ok=True)
        os.replace(built, wheel)
    for old in CACHE.iterdir():  # the wheels of earlier versions of the package
        if old.is_dir() and old != folder and not old.name.startswith("nn-wheel-"):
            shutil.rmtree(old, ignore_errors=True)
    return wheel
