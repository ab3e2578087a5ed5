"""Run notebooks as a learner's Jupyter does, and write what every code cell printed as JSON.

    python tests/notebook_runner.py RESULTS.json NOTEBOOK.ipynb ...

Each notebook runs in a fresh kernel (nbclient, the Python running this script) whose working
folder is a new empty folder. For each notebook the JSON holds, per code cell in order, what it
wrote to stdout and stderr and the error it raised, if any; the error that stopped the
notebook; the files it left in its folder; and how long it took. `NN_NOTEBOOK_KERNELS`
(default 2) kernels run at once.

tests/wheel_jobs.py runs this with the Python of `.venvs/wheel` (the wheel, its plotting extra
and the Jupyter kernel, nothing else), so the notebooks run with only `nn` installed;
tests/test_notebooks.py checks the results against the pages.
"""

from __future__ import annotations

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


async def run_one(path: Path, limit: asyncio.Semaphore) -> dict:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # run from nothing: not the page's output stored in the notebook
        if cell.cell_type == "code":
            cell.outputs = []
    folder = Path(tempfile.mkdtemp(prefix="nn-notebook-"))
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
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
    return {"cells": cell_results(nb), "stopped": stopped, "left": left, "seconds": took}


async def run_all(paths: list[Path]) -> dict[str, dict]:
    limit = asyncio.Semaphore(KERNELS_AT_ONCE)
    results = await asyncio.gather(*(run_one(p, limit) for p in paths))
    return {str(p): r for p, r in zip(paths, results, strict=True)}


def main(argv: list[str]) -> int:
    out, *paths = argv
    results = asyncio.run(run_all([Path(p) for p in paths]))
    Path(out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
