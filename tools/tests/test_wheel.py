"""What a learner installs is what is tested (`nox -s wheel`).

`pip install nn-numpy-tutorial` gives a learner the wheel, not this checkout. The session builds
the sdist and, from the sdist, the wheel (`python -m build`), checks both with `twine check
--strict`, and installs the wheel into its environment; these tests then check the wheel's
metadata and files and run nn's doctests against it from an empty folder, so that nothing of the
checkout is on `sys.path`. A file left out of the wheel (the MNIST subset, its NOTICE) fails
them. The pages run against the wheel the site serves (`nox -s notebooks`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST_NAME = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]


def outside_env() -> dict[str, str]:
    """The environment for a Python that must not see the checkout."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONSAFEPATH"] = "1"  # no current folder or script folder on sys.path
    return env


def run(*cmd, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=outside_env(), capture_output=True, text=True
    )
    assert proc.returncode == 0, (
        f"{cmd} exited with {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


@pytest.fixture(scope="module")
def dist() -> dict[str, Path]:
    """The sdist and the wheel `nox -s wheel` built."""
    folder = Path(os.environ.get("NN_DIST", ROOT / "build" / "dist"))
    found = {"sdist": sorted(folder.glob("*.tar.gz")), "wheel": sorted(folder.glob("*.whl"))}
    if not all(len(files) == 1 for files in found.values()):
        pytest.fail(f"{folder} holds {found}, not one sdist and one wheel: run `nox -s wheel`")
    return {kind: files[0] for kind, files in found.items()}


@pytest.fixture(scope="module")
def wheel_python(dist) -> Path:
    """This Python, into whose environment `nox -s wheel` installed the wheel."""
    where = run(sys.executable, "-c", "import nn; print(nn.__file__)", cwd=dist["wheel"].parent)
    if "site-packages" not in where.stdout:
        pytest.fail(f"nn is imported from {where.stdout.strip()}, not from an installed wheel")
    return Path(sys.executable)


def _installed(python: Path, code: str, cwd: Path):
    """What `code` prints as JSON, run by `python` from `cwd`, outside the checkout."""
    return json.loads(run(python, "-c", code, cwd=cwd).stdout)


def test_the_sdist_and_the_wheel_are_this_version(dist):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    for path in dist.values():
        assert f"-{version}" in path.name, f"{path.name} is not version {version}"


def test_the_wheel_carries_the_metadata_a_pypi_page_shows(wheel_python, tmp_path):
    code = (
        "import json, importlib.metadata as m\n"
        f"d = m.metadata({DIST_NAME!r})\n"
        "print(json.dumps({k: d.get_all(k) for k in d.keys()}))\n"
    )
    meta = _installed(wheel_python, code, tmp_path)
    assert meta["License-Expression"] == ["MIT AND CC-BY-SA-3.0"], meta.get("License-Expression")
    assert sorted(meta["License-File"]) == ["LICENSE", "nn/datasets/NOTICE.md"], meta
    assert meta["Requires-Python"] == [">=3.11"], meta
    urls = dict(u.split(", ", 1) for u in meta["Project-URL"])
    assert urls["Source"].startswith("https://github.com/"), urls
    python = [c for c in meta["Classifier"] if c.startswith("Programming Language :: Python :: 3.")]
    assert python, "no Python version classifiers"
    assert meta["Description-Content-Type"] == ["text/markdown"], meta


def test_the_wheel_holds_every_file_of_the_package(wheel_python, tmp_path):
    code = (
        "import json, importlib.metadata as m\n"
        f"print(json.dumps([str(f) for f in m.files({DIST_NAME!r})]))\n"
    )
    installed = set(_installed(wheel_python, code, tmp_path))
    missing = sorted(set(_package_files()) - installed)
    assert not missing, f"the wheel lacks {missing}: list them under [tool.setuptools.package-data]"


def _package_files() -> list[str]:
    """Every file of nn/ in the checkout: what git tracks, or what is on disk without git."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "nn"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = []
    if out:
        return [f for f in out if (ROOT / f).exists()]  # not a file deleted but not yet committed
    return [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "nn").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]


def test_doctests_run_against_the_wheel(wheel_python, tmp_path):
    """From an empty folder, so `import nn` can only find the installed wheel."""
    work = tmp_path / "work"
    work.mkdir()
    # The doctests' namespace (conftest.py at the checkout's root) goes with them.
    shutil.copy(ROOT / "conftest.py", work / "conftest.py")
    (work / "pytest.ini").write_text(
        "[pytest]\naddopts = --strict-markers -p no:cacheprovider\nfilterwarnings = error\n"
    )
    cmd = [wheel_python, "-m", "pytest", "-q", "--doctest-modules", "--pyargs", "nn"]
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=work, env=outside_env(), capture_output=True, text=True
    )
    assert proc.returncode == 0, f"against the wheel:\n{proc.stdout}\n{proc.stderr}"
    assert " passed" in proc.stdout.strip().splitlines()[-1], proc.stdout
