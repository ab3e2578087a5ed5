"""Run the notebooks the site serves as a learner's Jupyter does; write what every cell printed.

    python -m tools.notebook_runner SITE_DIR RESULTS.json      (nox -s notebooks)

SITE_DIR is a built site (`nox -s build`): every `*.ipynb` in it runs in a fresh kernel
(nbclient, the Python running this script, whose environment holds the wheel the site serves
and the kernel, nothing of the checkout) in a new empty folder. RESULTS.json holds, per page
(`tutorials/two-layer-net.zh.md`), the notebook's SHA-256, and per code cell in order what it
wrote to stdout and stderr and the error it raised, if any; the error that stopped the
notebook; the files it left in its folder; how long it took; and the value of its probe (null
if its names were never all defined). `NN_NOTEBOOK_KERNELS` (default 2) kernels run at once.
A Chinese notebook whose code cells are its English twin's, source and tags alike, is not run
a second time: it is recorded as `{"same_code_as": "tutorials/x.md"}` and checked against
that run (a fresh kernel running the same cells prints the same).

A probe reads the kernel's state without running a cell: after each cell, until the kernel
defines all of `names`, then once to evaluate `expression` there (Jupyter's user_expressions:
nothing is printed, counted or assigned). It takes the digests of a page's figures
(tools/generate/figures.py) from the notebook's own run. tools/tests/test_notebooks.py and
tools/tests/test_figures.py check the results against the pages and the figures.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNELS_AT_ONCE = int(os.environ.get("NN_NOTEBOOK_KERNELS", "2"))


def cell_results(nb) -> list[dict]:
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        streams = {"stdout": "", "stderr": ""}
        error = None
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                streams[out.name] += out.text
            elif out.output_type == "error":
                error = f"{out.ename}: {out.evalue}"
        cells.append({**streams, "error": error, "ran": cell.get("execution_count") is not None})
    return cells


async def evaluate(client: NotebookClient, expression: str):
    """`expression` evaluated in the kernel's namespace, as a Python value (its repr parsed)."""
    msg_id = client.kc.execute(
        "", silent=True, store_history=False, user_expressions={"x": expression}
    )
    reply = await client.async_wait_for_reply(msg_id)
    found = reply["content"]["user_expressions"]["x"]
    if found["status"] != "ok":
        raise RuntimeError(f"{expression}: {found.get('ename')}: {found.get('evalue')}")
    return ast.literal_eval(found["data"]["text/plain"])


def prober(probe: dict | None, found: dict):
    """nbclient's on_cell_executed hook that evaluates `probe` once its names exist."""

    async def after_cell(cell, cell_index, execute_reply):
        if probe is None or "value" in found or cell.cell_type != "code":
            return
        client = found["client"]
        names = probe["names"]
        if await evaluate(client, f"all(n in globals() for n in {names!r})"):
            found["value"] = await evaluate(client, probe["expression"])

    return after_cell


async def run_one(path: Path, probe: dict | None, limit: asyncio.Semaphore) -> dict:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # run from nothing: not the page's output stored in the notebook
        if cell.cell_type == "code":
            cell.outputs = []
    folder = Path(tempfile.mkdtemp(prefix="nn-notebook-"))
    found: dict = {}
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        on_cell_executed=prober(probe, found),
    )
    found["client"] = client
    stopped = None
    async with limit:
        start = time.monotonic()
        try:
            await client.async_execute()
        except CellExecutionError as exc:
            stopped = str(exc)
        except Exception as exc:  # the kernel died, a timeout: say so, do not lose the others
            stopped = f"{type(exc).__name__}: {exc}"
        took = time.monotonic() - start
    left = sorted(p.name for p in folder.iterdir())
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "cells": cell_results(nb),
        "stopped": stopped,
        "left": left,
        "seconds": took,
        "probe": found.get("value"),
    }


async def run_all(jobs: list[dict]) -> dict[str, dict]:
    limit = asyncio.Semaphore(KERNELS_AT_ONCE)
    runs = (run_one(Path(job["notebook"]), job.get("probe"), limit) for job in jobs)
    results = await asyncio.gather(*runs)
    return {job["notebook"]: r for job, r in zip(jobs, results, strict=True)}


ROOT = Path(__file__).resolve().parent.parent


def page_of(notebook: Path, site: Path) -> str:
    """`zh/tutorials/x.ipynb` -> `tutorials/x.zh.md`: the page a served notebook was made from."""
    rel = notebook.relative_to(site).as_posix().removesuffix(".ipynb")
    if rel.startswith("zh/"):
        return rel.removeprefix("zh/") + ".zh.md"
    return rel + ".md"


def figure_probe(page: str) -> dict | None:
    """For an English page with figures: the digests of their data, taken in its notebook's
    kernel once the cells have defined what the figures plot (tools/tests/test_figures.py)."""
    from tools.generate.figures import names_for

    names = names_for(f"docs/{page}")
    if not names:
        return None
    # An expression, so that the probe assigns nothing in the notebook's namespace. The
    # checkout goes at the end of sys.path: `nn` stays the wheel's, `tools` is found.
    root = str(ROOT)
    expression = (
        f"(__import__('sys').path.append({root!r}) if {root!r} not in __import__('sys').path"
        " else None, __import__('tools.generate.figures', fromlist=['digests_in'])"
        f".digests_in(globals(), {'docs/' + page!r}))[1]"
    )
    return {"names": names, "expression": expression}


def kernel_env(home: Path) -> None:
    """The kernels see none of the user's Jupyter and IPython settings, nor the checkout, and
    use one BLAS thread each (two kernels share two cores)."""
    os.environ.pop("PYTHONPATH", None)
    os.environ["PYTHONSAFEPATH"] = "1"  # no current folder or script folder on sys.path
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        os.environ[var] = str(home / var.lower())
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"  # jupyter_core's future default, without its warning
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"


def code_cells(notebook: Path) -> list[tuple[str, list]]:
    """What a kernel runs of a notebook: each code cell's source and tags, in order."""
    nb = nbformat.read(notebook, as_version=4)
    return [(c.source, c.metadata.get("tags", [])) for c in nb.cells if c.cell_type == "code"]


def main(argv: list[str]) -> int:
    site, out = Path(argv[0]), Path(argv[1])
    notebooks = sorted(site.rglob("*.ipynb"))
    if not notebooks:
        sys.exit(f"no notebooks in {site}: build the site first (nox -s build)")
    pages = {page_of(p, site): p for p in notebooks}
    # A Chinese notebook runs the English one's code, cell for cell (the pages' code blocks are
    # the same, tools/tests/test_site.py): in a fresh kernel it prints what the English one
    # prints, so it is recorded as the same run instead of run again. One that differs runs.
    same: dict[str, str] = {}
    for page, notebook in pages.items():
        english = page.removesuffix(".zh.md") + ".md"
        if page.endswith(".zh.md") and english in pages:
            if code_cells(notebook) == code_cells(pages[english]):
                same[page] = english
    jobs = [{"notebook": str(p), "page": page} for page, p in pages.items() if page not in same]
    for job in jobs:
        job["probe"] = None if job["page"].endswith(".zh.md") else figure_probe(job["page"])
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nn-jupyter-") as home:
        kernel_env(Path(home))
        runs = asyncio.run(run_all(jobs))
    results = {}
    for page, notebook in pages.items():
        sha256 = hashlib.sha256(notebook.read_bytes()).hexdigest()
        if page in same:
            results[page] = {"same_code_as": same[page], "sha256": sha256}
        else:
            results[page] = {**runs[str(notebook)], "sha256": sha256}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    took = time.monotonic() - start
    print(
        f"{len(jobs)} notebooks run in fresh kernels, {KERNELS_AT_ONCE} at a time ({took:.0f} s); "
        f"{len(same)} Chinese ones have their English twin's code and share its run"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
