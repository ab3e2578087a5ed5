"""What a learner installs is what is tested, at both ends of the supported NumPy range.

`pip install nn-numpy-tutorial` gives a learner the wheel, not this checkout. These tests build
the sdist and, from the sdist, the wheel (`python -m build`), check both with `twine check`,
install the wheel into an environment of its own, and run nn's doctests and one tutorial page
against it from an empty folder, so that nothing of the checkout is on `sys.path`. A file left
out of the wheel (the MNIST subset, its NOTICE) fails them.

The main run (`.venv`) has the newest NumPy; `test_unit_tests_pass_on_the_oldest_numpy` runs
nn's unit tests and doctests again with the oldest NumPy that pyproject.toml allows. The slow
part runs in the background, beside the other tests: see tests/wheel_jobs.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.codeblocks_snippets import expand_snippets
from tests.wheel_jobs import DIST_NAME, JOBS, ROOT, outside_env, run

# The first tutorial. (The doctest of nn.datasets loads the MNIST subset from the wheel.)
PAGE = ROOT / "docs" / "tutorials" / "computational-graphs.md"


@pytest.fixture(scope="module")
def say(pytestconfig):
    """Print a line to the terminal past pytest's capture: what the packaging jobs did."""
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    said = 0

    def say(message: str | None = None) -> None:
        nonlocal said
        lines = JOBS.log.lines[said:] + ([message] if message else [])
        said = len(JOBS.log.lines)
        with capture.global_and_fixture_disabled():
            for line in lines:
                reporter.write_line(f"\n[test_wheel] {line}")

    return say


@pytest.fixture(scope="module")
def dist(say) -> dict[str, Path]:
    result = JOBS.result("dist")
    say()
    return result


@pytest.fixture(scope="module")
def wheel_python(dist, say) -> Path:
    """The Python of an environment holding the wheel and its dependencies, nothing else of ours."""
    python = JOBS.result("wheel_python")
    say()
    return python


def _installed(python: Path, code: str, cwd: Path):
    """What `code` prints as JSON, run by `python` from `cwd`, outside the checkout."""
    return json.loads(run(python, "-c", code, cwd=cwd, env=outside_env()).stdout)


def test_twine_accepts_the_sdist_and_the_wheel(dist):
    proc = run(sys.executable, "-m", "twine", "check", "--strict", *dist.values())
    assert proc.stdout.count("PASSED") == 2, proc.stdout


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


def test_doctests_and_a_tutorial_page_run_against_the_wheel(wheel_python, tmp_path, say):
    """From an empty folder, so `import nn` can only find the installed wheel."""
    work, plugins = tmp_path / "work", tmp_path / "plugins"
    work.mkdir()
    plugins.mkdir()
    env = {**outside_env(), "PYTHONPATH": str(plugins)}
    where = run(wheel_python, "-c", "import nn; print(nn.__file__)", cwd=work, env=env).stdout
    assert Path(where.strip()).is_relative_to(wheel_python.parent.parent), where
    # The doctests' namespace plugin, and the page as the site shows it (snippets expanded).
    shutil.copy(ROOT / "tests" / "doctests.py", plugins / "nn_doctests.py")
    page = work / PAGE.name
    page.write_text(expand_snippets(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    (work / "pytest.ini").write_text(
        "[pytest]\naddopts = --strict-markers -p no:cacheprovider\nfilterwarnings = error\n"
    )
    start = time.monotonic()
    cmd = [wheel_python, "-m", "pytest", "-q", "-p", "nn_doctests", "--codeblocks"]
    cmd += ["--doctest-modules", "--pyargs", "nn", page.name]
    proc = run(*cmd, cwd=work, env=env, check=False)
    assert proc.returncode == 0, f"against the wheel:\n{proc.stdout}\n{proc.stderr}"
    summary = proc.stdout.strip().splitlines()[-1]
    took = time.monotonic() - start
    say(f"against the wheel, nn's doctests and {PAGE.relative_to(ROOT)}: {summary} ({took:.0f} s)")


def test_unit_tests_pass_on_the_oldest_numpy(say):
    version, proc = JOBS.result("oldest_numpy")
    say()
    assert proc.returncode == 0, f"with NumPy {version}:\n{proc.stdout}\n{proc.stderr}"
    say(f"with NumPy {version}: {proc.stdout.strip().splitlines()[-1]}")
