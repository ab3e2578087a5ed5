"""Every way this project is run: one session each, in an environment of its own (.nox/).

    python3 .ci/dev.py test          # all of them but serve, figures and diagrams
    python3 .ci/dev.py serve         # the site with live reload
    .venv/bin/nox -s tests -- tests/test_layers.py -q     # one session, pytest arguments after --
    .venv/bin/nox -l                 # the list

The environments are made with uv and kept; a session installs again only what changed in
pyproject.toml. CONTRIBUTING.md says what each session checks.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # the project's own tools, e.g. the served wheel's name
from tools.site.wheel import wheel_name  # noqa: E402

nox.needs_version = ">=2025.2.9"  # PEP 735 dependency groups
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
# `pages` runs every block alone, as a page's Run button does; the notebooks run the same code
# top to bottom and the browser runs one block of each page alone, so the test command leaves
# it to CI (.ci/run), which also runs every block in the browser.
nox.options.sessions = ["lint", "tests", "wheel", "tools", "notebooks", "site"]

PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
DIST_NAME = PYPROJECT["project"]["name"]
BUILD = ROOT / "build"
MOUNT = "nn"  # the path of site_url in mkdocs.yml: GitHub Pages serves the site under /nn/
SITE = BUILD / "webroot" / MOUNT  # `nox -s build` writes the site here, the tests read it
NOTEBOOK_RUNS = BUILD / "notebook-runs.json"
DIST = BUILD / "dist"
# The notebooks' run against the pages and the figures (`nox -s notebooks`, after the run).
NOTEBOOK_TESTS = ["tools/tests/test_notebooks.py", "tools/tests/test_figures.py"]
# The built site in a real browser: its pages, and the Run buttons (`nox -s site`), against a
# build of its own, so that it can run beside `build` and `notebooks`.
SITE_TESTS = ["tools/tests/test_site.py", "tools/tests/test_run_in_browser.py"]
BROWSER_SITE = BUILD / "browser-webroot" / MOUNT
# The rest of tools/tests but the wheel's (`nox -s wheel`): `nox -s tools`.
TOOLS_TESTS = ["tools/tests", "--ignore=tools/tests/test_wheel.py"]
TOOLS_TESTS += [f"--ignore={path}" for path in NOTEBOOK_TESTS + SITE_TESTS]
QUIET = {"NO_MKDOCS_2_WARNING": "1"}  # Material's notice about MkDocs 2: mkdocs is pinned < 2


def group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


def oldest_numpy() -> str:
    """1.26 from `numpy>=1.26`: the lower bound pyproject.toml states, pinned."""
    (spec,) = [d for d in PYPROJECT["project"]["dependencies"] if d.startswith("numpy")]
    return spec.split(">=")[1].split(",")[0].strip() + ".0"


def site_wheel() -> Path:
    """The wheel the built site serves (tools/site/wheel.py)."""
    wheel = SITE / wheel_name()
    if not wheel.is_file():
        raise FileNotFoundError(f"{wheel} is missing: run `nox -s build` first")
    return wheel


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) on everything, mypy on nn."""
    session.install(*group("lint"), ".[train]")  # mypy reads NumPy's and matplotlib's types
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
@nox.parametrize("numpy", ["newest", oldest_numpy()])
def tests(session: nox.Session, numpy: str) -> None:
    """nn's unit tests and doctests, with the newest NumPy and with the oldest supported."""
    pin = "numpy" if numpy == "newest" else f"numpy=={numpy}"
    session.install(".[train]", pin, *group("test"))
    session.run("python", "-c", "import numpy; print('NumPy', numpy.__version__)")
    session.run("pytest", "-q", "-p", "no:cacheprovider", *session.posargs)


@nox.session
def pages(session: nox.Session) -> None:
    """Every code block of every page, its printed output compared with the page's."""
    session.install(".[train]", *group("pages"))
    args = session.posargs or ["docs", "--ignore=docs/hooks"]
    session.run("pytest", "-q", "-p", "tools.site.pytest_pages", "--codeblocks", *args, env=QUIET)


@nox.session
def wheel(session: nox.Session) -> None:
    """The sdist and the wheel a release publishes: built, checked, installed and tested."""
    session.install(*group("wheel"), "uv")
    shutil.rmtree(DIST, ignore_errors=True)
    source = BUILD / "wheel-source"
    shutil.rmtree(source, ignore_errors=True)
    # From the files git knows (not an *.egg-info left in the checkout); without --sdist or
    # --wheel, build makes the sdist, then the wheel from it: a file missing from the sdist fails.
    files = session.run(
        "git", "ls-files", "--cached", "--others", "--exclude-standard", silent=True, external=True
    )
    for name in files.split("\n"):
        if name and (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    session.run(
        "python",
        "-m",
        "build",
        "--installer",
        "uv",
        "--outdir",
        str(DIST),
        str(source),
        silent=True,
    )
    session.run("twine", "check", "--strict", *map(str, DIST.iterdir()))
    (whl,) = DIST.glob("*.whl")
    session.install("--reinstall-package", DIST_NAME, f"{whl}[train]")  # same version, new code
    session.run(
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tools/tests/test_wheel.py",
        env={"NN_DIST": str(DIST)},
    )


@nox.session
def build(session: nox.Session) -> None:
    """`mkdocs build --strict`: both languages, the notebooks and the wheel, into build/webroot."""
    session.install(*group("docs"))
    session.run("mkdocs", "build", "--strict", "--site-dir", str(SITE), env=QUIET)


@nox.session(requires=["build"])
def notebooks(session: nox.Session) -> None:
    """The notebooks the site serves, each in a fresh kernel, with the wheel the site serves;
    then their outputs against the pages, and the figures' data against what they computed."""
    # --reinstall-package: the version stays, the code changes.
    wheel = f"{site_wheel()}[train]"
    session.install("--reinstall-package", DIST_NAME, wheel, *group("notebooks"), *group("pages"))
    session.run("python", "-m", "tools.notebook_runner", str(SITE), str(NOTEBOOK_RUNS))
    env = {**QUIET, "NN_BUILT_SITE": str(SITE), "NN_NOTEBOOK_RUNS": str(NOTEBOOK_RUNS)}
    tests = session.posargs or NOTEBOOK_TESTS
    session.run("pytest", "-q", "-p", "no:cacheprovider", *tests, env=env)


@nox.session
def site(session: nox.Session) -> None:
    """The built site in a real browser: every page in both languages, light and dark, offline
    (test_site.py), and the Run buttons (test_run_in_browser.py: one block of every page;
    `NN_RUN_ALL_BLOCKS=1` runs every block, several minutes, as CI does).

    It builds the site into a folder of its own (a few seconds), so what it tests is the pages
    as they are, and it can run beside `build` and `notebooks`.
    """
    session.install(".[train]", *group("site"))
    session.run(
        "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(BROWSER_SITE), env=QUIET
    )
    env = {**QUIET, "NN_BUILT_SITE": str(BROWSER_SITE)}
    session.run("pytest", "-q", "-p", "no:cacheprovider", *(session.posargs or SITE_TESTS), env=env)


@nox.session
def tools(session: nox.Session) -> None:
    """The tooling's tests: prose of both languages, diagrams, listings, install lines, serve."""
    session.install(".[train]", *group("site"))
    session.run(
        "pytest", "-q", "-p", "no:cacheprovider", *(session.posargs or TOOLS_TESTS), env=QUIET
    )


@nox.session
def serve(session: nox.Session) -> None:
    """The site on http://127.0.0.1:8000/nn/ with live reload (the next free port if taken)."""
    session.install(*group("docs"))
    session.run("python", "tools/serve.py", *session.posargs, env=QUIET)


@nox.session
def figures(session: nox.Session) -> None:
    """Draw docs/assets/figures/ again from the pages' code (commit the result)."""
    session.install(".[train]", *group("pages"))
    session.run("python", "-m", "tools.generate.figures", *session.posargs)


@nox.session
def diagrams(session: nox.Session) -> None:
    """Write docs/diagrams/ again from what nn computes (commit the result)."""
    session.install(".")
    session.run("python", "-m", "tools.generate.diagrams", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """The speed ratios of README's "Speed", on a quiet machine: `nox -s bench -- conv` for one."""
    session.install(".")
    benchmarks = ("step", "conv", "autograd")
    names = [a for a in session.posargs if a in benchmarks] or list(benchmarks)
    rest = [a for a in session.posargs if a not in benchmarks]
    for name in names:
        session.run("python", "-m", f"benchmarks.bench_{name}", *rest)
