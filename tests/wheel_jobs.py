"""pytest plugin: the slow part of tests/test_wheel.py, started in the background.

Building the sdist and the wheel, setting up their environments and running the unit tests
against the oldest NumPy take half a minute, mostly waiting on pip and subprocesses. When
tests/test_wheel.py is among the selected tests, this plugin starts that work in a thread as
soon as collection ends, so it runs beside the rest of the suite; the tests then collect the
results. Without the plugin (or run alone) the same jobs simply run when first asked for.

The environments live in `.venvs/NAME/` and are made again, from nothing, only when what they
hold would change: their requirements or the Python running the tests, hashed into a stamp
file as `.ci/dev.py` does for `.venv`. The wheel changes with the code: it is installed on
every run. Loaded with `-p tests.wheel_jobs` (see addopts in pyproject.toml).
"""

from __future__ import annotations

import email
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import venv
import zipfile
from concurrent.futures import Future
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".venvs"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DIST_NAME = PYPROJECT["project"]["name"]
NO_DEADLINES = "NN_TESTS_NO_HYPOTHESIS_DEADLINE"
# Tests of the site, its pages and figures, and of .ci/dev.py and the wheel, not of nn: they need
# the docs toolchain (mkdocs, pymdown-extensions, a browser) and run in .venv only. Every other
# tests/test_*.py is a unit test.
SITE_TESTS = {
    "test_site.py",
    "test_notebooks.py",
    "test_figures.py",
    "test_dev.py",
    "test_wheel.py",
    "test_listings.py",
    "test_pages.py",
}


def requirement(name: str, extra: str | None = None) -> str:
    """The requirement string for `name` in pyproject.toml: a dependency, or one of an extra."""
    project = PYPROJECT["project"]
    found = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    for spec in found:
        if Requirement(spec).name == name:
            return spec
    raise LookupError(f"pyproject.toml lists no {name!r} in {extra or 'dependencies'}")


def oldest(spec: str) -> str:
    """`numpy>=1.26` -> `numpy==1.26`: the lower bound of a requirement, pinned."""
    req = Requirement(spec)
    lower = [s.version for s in req.specifier if s.operator in (">=", "~=", "==")]
    if len(lower) != 1:
        raise ValueError(f"{spec!r} has no single lower bound to test")
    return f"{req.name}=={lower[0]}"


def run(
    *cmd: str | Path, check: bool = True, capture: bool = True, **kwargs
) -> subprocess.CompletedProcess:
    """Run `cmd` with its output captured; fail with that output when `check` and it fails."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=capture, text=True, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(str(c) for c in cmd)} exited with {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


class Log:
    """What the jobs did and how long it took, for the tests to print."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def timed(self, what: str, start: float) -> None:
        self.lines.append(f"{what} ({time.monotonic() - start:.0f} s)")


def ensure_env(name: str, requirements: list[str], log: Log) -> Path:
    """The Python of `.venvs/NAME`, made with `requirements` installed unless it already is."""
    env = VENVS / name
    python = env / "bin" / "python"
    stamp = env / ".requirements-sha256"
    digest = hashlib.sha256(json.dumps([sys.version, requirements]).encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    start = time.monotonic()
    shutil.rmtree(env, ignore_errors=True)
    venv.create(env, with_pip=True)
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements)
    stamp.write_text(digest)
    log.timed(f"made .venvs/{name} with {' '.join(requirements)} (kept for later runs)", start)
    return python


def install_wheel(python: Path, wheel: Path) -> None:
    """Install this run's `wheel` into the environment of `python`, then check its dependencies."""
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run(*pip, "--force-reinstall", "--no-deps", wheel)
    run(python, "-m", "pip", "check")


def requires_dist(wheel: Path, extras: tuple[str, ...] = ("train",)) -> list[str]:
    """The wheel's dependencies, with those of `extras`, read from its METADATA."""
    with zipfile.ZipFile(wheel) as whl:
        (name,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        meta = email.message_from_bytes(whl.read(name))
    keep = []
    for spec in meta.get_all("Requires-Dist", []):
        req = Requirement(spec)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras):
            req.marker = None
            keep.append(str(req))
    return sorted(keep)


def copy_source(dest: Path) -> None:
    """The checkout as a fresh clone with this run's changes would have it, into `dest`.

    Not the checkout itself: an `*.egg-info/SOURCES.txt` left there by an earlier build or the
    editable install lists files that setuptools then puts in the sdist and the wheel whatever
    pyproject.toml says, which would hide a file missing from the package data.
    """
    try:
        files = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
        names = [n for n in files.stdout.split("\0") if n and (ROOT / n).is_file()]
    except (OSError, AssertionError):  # not a git checkout
        names = []
    if not names:
        junk = (".*", "site", "build", "dist", "*.egg-info", "__pycache__")
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(*junk))
        return
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)


def build(out: Path, log: Log) -> dict[str, Path]:
    """The sdist and the wheel, built into `out` as the release workflow builds them."""
    start = time.monotonic()
    source = out / "source"
    copy_source(source)
    # Without --sdist/--wheel, build makes the sdist, then the wheel from the unpacked sdist:
    # a file missing from the sdist fails here too.
    run(sys.executable, "-m", "build", "--outdir", out, source)
    found = {"sdist": list(out.glob("*.tar.gz")), "wheel": list(out.glob("*.whl"))}
    assert all(len(files) == 1 for files in found.values()), f"build made {found}"
    log.timed("built " + " and ".join(f[0].name for f in found.values()), start)
    return {kind: files[0] for kind, files in found.items()}


def wheel_env(dist: dict[str, Path], log: Log) -> Path:
    """An environment with the wheel, its dependencies, pytest and a Jupyter kernel: nothing
    else of the checkout (no scikit-learn, no docs toolchain)."""
    tools = [requirement(name, "test") for name in ("pytest", "pytest-codeblocks")]
    tools += [requirement(name, "test") for name in ("nbclient", "ipykernel")]
    python = ensure_env("wheel", tools + requires_dist(dist["wheel"]), log)
    install_wheel(python, dist["wheel"])
    return python


def unit_tests(python: Path, capture: bool = True) -> subprocess.CompletedProcess:
    """nn's unit tests and doctests, run by `python` on the checkout's nn."""
    unit = sorted(f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py"))
    unit = [path for path in unit if path.removeprefix("tests/") not in SITE_TESTS]
    # pythonpath = ["."] in pyproject.toml: pytest imports the checkout's nn. Only the plugins
    # that need nothing but nn and NumPy.
    cmd = [python, "-m", "pytest", "-q", "-o", "addopts=--strict-markers -p no:cacheprovider"]
    cmd += ["--doctest-modules", "-p", "tests.doctests", "-p", "tests.wheel_jobs", "nn", *unit]
    env = {**os.environ, NO_DEADLINES: "1"}
    return run(*cmd, cwd=ROOT, env=env, check=False, capture=capture)


def oldest_numpy(dist: dict[str, Path], log: Log) -> tuple[str, subprocess.CompletedProcess]:
    """The NumPy version and the unit-test run in an environment with the oldest NumPy allowed."""
    numpy = oldest(requirement("numpy"))
    tools = [requirement(name, "test") for name in ("pytest", "hypothesis")]
    train = PYPROJECT["project"]["optional-dependencies"]["train"]
    python = ensure_env(numpy.replace("==", "-"), [numpy, *tools, *train], log)
    # Scripts the tests start (tests/bench_step.py) import the installed nn: this run's wheel.
    install_wheel(python, dist["wheel"])
    version = run(python, "-c", "import numpy; print(numpy.__version__)").stdout.strip()
    start = time.monotonic()
    proc = unit_tests(python)
    log.timed(f"unit tests and doctests with NumPy {version}", start)
    return version, proc


def write_notebooks(folder: Path) -> dict[str, Path]:
    """Every page's notebook in both languages, as the site build makes them, into `folder`.

    Keyed by the page's path under docs/ (`tutorials/two-layer-net.zh.md`).
    """
    # needs the docs toolchain: only in .venv
    from tests.page_notebooks import DOCS, notebook_text, pages_with_code

    written = {}
    for page in pages_with_code("en") + pages_with_code("zh"):
        rel = page.relative_to(DOCS).as_posix()
        path = folder / rel.removesuffix(".md").replace("/", "--")
        path = path.with_name(path.name + ".ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebook_text(page), encoding="utf-8")
        written[rel] = path
    return written


def run_notebooks(
    notebooks: dict[str, Path], python: Path, log: Log, kernels: int
) -> dict[str, dict]:
    """What the cells of every notebook printed, each run in a fresh kernel of `python`."""
    start = time.monotonic()
    folder = notebooks[next(iter(notebooks))].parent
    jobs, results = folder / "jobs.json", folder / "results.json"
    jobs.write_text(
        json.dumps(
            [{"notebook": str(p), "probe": figure_probe(page)} for page, p in notebooks.items()]
        ),
        encoding="utf-8",
    )
    env = outside_env(folder)
    env["NN_NOTEBOOK_KERNELS"] = str(kernels)
    run(python, ROOT / "tests" / "notebook_runner.py", jobs, results, cwd=folder, env=env)
    by_path = json.loads(results.read_text(encoding="utf-8"))
    log.timed(
        f"{len(notebooks)} notebooks run in fresh Jupyter kernels with only the wheel installed,"
        f" {kernels} at a time",
        start,
    )
    return {page: by_path[str(path)] for page, path in notebooks.items()}


def figure_probe(page: str) -> dict | None:
    """For an English page with figures: the digests of their data, taken in its notebook's
    kernel once the cells have defined what the figures plot (tests/test_figures.py)."""
    from tests.figures import names_for

    names = names_for(f"docs/{page}")
    if not names:
        return None
    # An expression, so that the probe assigns nothing in the notebook's namespace. The
    # checkout goes at the end of sys.path: `nn` stays the wheel's, `tests` is found.
    root = str(ROOT)
    expression = (
        f"(__import__('sys').path.append({root!r}) if {root!r} not in __import__('sys').path"
        " else None, __import__('tests.figures', fromlist=['digests_in'])"
        f".digests_in(globals(), {'docs/' + page!r}))[1]"
    )
    return {"names": names, "expression": expression}


def outside_env(home: Path | None = None) -> dict[str, str]:
    """The environment for a Python that must not see the checkout.

    With `home`, also for its Jupyter kernels: none of the user's Jupyter and IPython settings
    and kernels (they live under `home` instead), and one BLAS thread each, since other jobs
    and the suite share the cores (threads waiting on a busy core cost more than they win).
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONSAFEPATH"] = "1"  # no current folder or script folder on sys.path
    if home is None:
        return env
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        env[var] = str(home / var.lower())
    env["JUPYTER_PLATFORM_DIRS"] = "1"  # jupyter_core's future default, without its warning
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
    return env


class Jobs:
    """build, then the wheel's environment beside the oldest-NumPy run, then the notebooks in
    the wheel's environment, in background threads."""

    NAMES = ("dist", "wheel_python", "oldest_numpy", "notebooks")

    def __init__(self) -> None:
        self.log = Log()
        self.futures = {name: Future() for name in self.NAMES}
        self._started = False
        self._lock = threading.Lock()
        self.out: Path | None = None  # made when the jobs start

    def start(self, background: bool = True) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        if background:
            threading.Thread(target=self._work, name="wheel_jobs", daemon=True).start()
        else:
            self._work(kernels=2)

    def _work(self, kernels: int = 1) -> None:
        self.out = out = Path(tempfile.mkdtemp(prefix="nn-dist-"))
        notebooks = Future()
        self._step_into(notebooks, lambda: write_notebooks(out / "notebooks"))
        self._step("dist", lambda: build(out, self.log))
        # The two environments need only the wheel: set them up side by side.
        dist = self.futures["dist"]

        def oldest():
            return oldest_numpy(dist.result(), self.log)

        other = threading.Thread(target=self._step, args=("oldest_numpy", oldest), daemon=True)
        other.start()
        self._step("wheel_python", lambda: wheel_env(dist.result(), self.log))
        wheel = self.futures["wheel_python"]
        self._step(
            "notebooks",
            lambda: run_notebooks(notebooks.result(), wheel.result(), self.log, kernels),
        )
        other.join()

    def _step(self, name: str, step) -> None:
        self._step_into(self.futures[name], step)

    @staticmethod
    def _step_into(future: Future, step) -> None:
        try:
            future.set_result(step())
        except BaseException as exc:  # handed to the test that asks for it
            future.set_exception(exc)

    def result(self, name: str):
        self.start(background=False)  # no-op once started in the background
        return self.futures[name].result()


JOBS = Jobs()


def pytest_configure(config) -> None:
    """No hypothesis deadlines, in the main suite and in the oldest-NumPy run beside it.

    A hypothesis example that takes over 200 ms fails with DeadlineExceeded; with both cores
    busy (the wheel's jobs run beside the suite), a first example can. Speed is for
    benchmarks, not tests (STYLE.md).
    """
    from hypothesis import settings

    settings.register_profile("no-deadlines", deadline=None)
    settings.load_profile("no-deadlines")


def _waits_for_jobs(item) -> bool:
    waiting = {"notebook_runs", "figure_digests"}
    return item.nodeid.startswith("tests/test_wheel.py") or bool(
        waiting & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(session, config, items) -> None:
    """The tests that wait for the jobs' results run last, so the suite runs beside the jobs
    instead of waiting for them (the notebooks take about two minutes of one core)."""
    if any(_waits_for_jobs(item) for item in items):
        items.sort(key=_waits_for_jobs)  # stable: the order within each group is kept


def pytest_collection_finish(session) -> None:
    """Start the jobs in the background if any test that uses them will run."""
    users = ("tests/test_wheel.py", "tests/test_notebooks.py", "tests/test_figures.py")
    if any(item.nodeid.startswith(users) for item in session.items):
        if not session.config.option.collectonly:
            JOBS.start()
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None and not (VENVS / "wheel").exists():
                reporter.write_line(
                    "tests/test_wheel.py: building the wheel and making .venvs/ (first run only: "
                    "about 1 minute and 530 MB) in the background, beside the other tests"
                )


def pytest_unconfigure(config) -> None:
    if JOBS.out is not None:
        shutil.rmtree(JOBS.out, ignore_errors=True)


if __name__ == "__main__":  # .github/workflows/tests.yml: the unit tests on this Python
    sys.exit(unit_tests(Path(sys.executable), capture=False).returncode)
