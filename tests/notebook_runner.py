"""Run notebooks as a learner's Jupyter does, and write what every code cell printed as JSON.

    python tests/notebook_runner.py JOBS.json RESULTS.json

JOBS.json lists the notebooks: `[{"notebook": path, "probe": null or {"names": [...],
"expression": "..."}}, ...]`. Each notebook runs in a fresh kernel (nbclient, the Python running
this script) whose working folder is a new empty folder. For each notebook RESULTS.json holds,
per code cell in order, what it wrote to stdout and stderr and the error it raised, if any; the
error that stopped the notebook; the files it left in its folder; how long it took; and the
value of its probe (null if its names were never all defined). `NN_NOTEBOOK_KERNELS`
(default 2) kernels run at once.

A probe reads the kernel's state without running a cell: after each cell, until the kernel
defines all of `names`, then once to evaluate `expression` there (Jupyter's user_expressions:
nothing is printed, counted or assigned). tests/wheel_jobs.py uses it to take the digests of a
page's figures (tests/figures.py) from the notebook's own run.

tests/wheel_jobs.py runs this with the Python of `.venvs/wheel` (the wheel, its plotting extra
and the Jupyter kernel, nothing else), so the notebooks run with only `nn` installed;
tests/test_notebooks.py checks the results against the pages.
"""

from __future__ import annotations

import ast
import asyncio
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


def main(argv: list[str]) -> int:
    jobs, out = argv
    results = asyncio.run(run_all(json.loads(Path(jobs).read_text(encoding="utf-8"))))
    Path(out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
