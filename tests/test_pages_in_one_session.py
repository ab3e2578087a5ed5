"""A reader who copies a page's code blocks, in order, into one fresh Python session gets
exactly the output the page shows.

pytest-codeblocks runs each block on its own. This runs them as the reader does: every block of
a page, top to bottom, in one namespace of one new interpreter started in an empty folder, so a
block that leaves state behind (a patched class, a rebound name, print options, a file in the
working directory) and breaks a later block is caught. The Chinese pages have the same code
blocks in the same order (tests/test_site.py checks), so the English ones stand for both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.codeblocks_snippets import ROOT, extract_from_file


def python_blocks(page: Path):
    return [b for b in extract_from_file(page) if b.syntax == "python"]


PAGES = sorted(
    p for p in (ROOT / "docs").rglob("*.md") if not p.name.endswith(".zh.md") and python_blocks(p)
)

# Runs in the new interpreter: the blocks come as JSON on stdin, and each block's stdout, or the
# traceback that stopped the session, goes back as JSON on stdout.
SESSION = """
import contextlib, io, json, sys, traceback
blocks = json.load(sys.stdin)
namespace = {"__name__": "__main__"}
outputs, error = [], None
real_stdout = sys.stdout
for code, where in blocks:
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, where, "exec"), namespace)
    except BaseException:
        error = traceback.format_exc()
    outputs.append(buffer.getvalue())
    if error:
        break
json.dump({"outputs": outputs, "error": error}, real_stdout)
"""


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT / "docs").as_posix())
def test_blocks_in_order_in_one_session_print_what_the_page_shows(page, tmp_path):
    blocks = python_blocks(page)
    rel = page.relative_to(ROOT)
    payload = json.dumps([(b.code, f"{rel}, block at line {b.lineno}") for b in blocks])
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", SESSION],
        input=payload,
        capture_output=True,
        text=True,
        cwd=tmp_path,  # an empty folder: no block may rely on the repository's files
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["error"] is None, (
        f"{rel}: running the blocks in order stopped at block "
        f"{len(result['outputs'])}:\n{result['error']}"
    )
    for block, output in zip(blocks, result["outputs"], strict=True):
        if block.expected_output is not None:
            assert output == block.expected_output, (
                f"{rel}, block at line {block.lineno}, run after the blocks above it in one "
                f"session, printed\n{output}\ninstead of\n{block.expected_output}"
            )
    assert not list(tmp_path.iterdir()), f"{rel} left files in the working folder"
