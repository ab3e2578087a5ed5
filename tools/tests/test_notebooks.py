"""Every page with code is a Jupyter notebook in both languages, and every notebook runs.

tools/site/notebooks.py makes the notebooks when the site is built; tools/site/page_notebooks.py
makes the same ones without a build (tools/tests/test_site.py checks that the site serves exactly
these). Here each notebook is checked twice:

- as a file: its code cells are the page's ```` ```python ```` blocks, in order, with the
  snippets expanded; the output stored with a cell is the page's checked output; its Markdown
  keeps nothing Jupyter cannot show (snippet lines, pytest markers, `\\(` math, links to `.md`
  files, figures that are not embedded);
- as a learner runs it: `nox -s notebooks` runs every notebook the built site serves in a
  fresh Jupyter kernel each (a Chinese one whose code cells are its English twin's shares that
  run, which this test checks), in an empty folder, in an environment holding
  only the wheel the site serves (with its `train` extra) and the kernel, and records what each
  cell printed. Here every code cell must print exactly what the page shows, write nothing to
  stderr and raise nothing, and the notebook must leave no file behind. This is also the
  reader's check of a page: its blocks, run top to bottom in one session, print what it says.

A cell that needs a module `nn` does not install (scikit-learn, for one comparison) is marked
on its page with `<!--pytest-codeblocks:importorskip(sklearn)-->`: in the notebook it says so,
and without the module it may stop with that `ModuleNotFoundError` only, the cells after it
running on. The `pages` session checks its output, with scikit-learn installed.
"""

from __future__ import annotations

import hashlib
import re

import nbformat
import pytest

from tools.site.page_notebooks import DOCS, hook, notebook_for, notebook_text, pages_with_code
from tools.site.pytest_pages import extract_from_file

PAGES = pages_with_code("en") + pages_with_code("zh")
IDS = [p.relative_to(DOCS).as_posix() for p in PAGES]


def _squeeze(code: str) -> str:
    """Code without blank lines: pytest-codeblocks drops them from indented blocks."""
    return "\n".join(line for line in code.split("\n") if line.strip())


def blocks_and_cells(page, nb):
    """The page's python blocks, each with the notebook's code cells that make it up.

    pytest-codeblocks joins a `cont` block to the one before it; the notebook keeps them as
    cells of their own, so one block may be several cells.
    """
    blocks = [b for b in extract_from_file(page) if b.syntax == "python"]
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    pairs, k = [], 0
    for block in blocks:
        taken, joined = [], ""
        while k < len(cells) and _squeeze(joined) != _squeeze(block.code):
            taken.append(cells[k])
            joined += cells[k][1].source + "\n"
            k += 1
        assert _squeeze(joined) == _squeeze(block.code), (
            f"{page.name}: the notebook's code cells do not make up the block at line "
            f"{block.lineno}:\n{block.code}\n--- cells:\n{joined}"
        )
        pairs.append((block, taken))
    assert k == len(cells), f"{page.name}: the notebook has {len(cells) - k} code cells too many"
    return pairs


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_the_notebook_is_the_page(page):
    nb = notebook_for(page)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert hook.INSTALL in nb.cells[0].source, "the first cell says how to install nn"
    for block, cells in blocks_and_cells(page, nb):
        stored = "".join(o.text for _, c in cells for o in c.outputs)
        assert stored == (block.expected_output or ""), (
            f"{page.name}, block at line {block.lineno}: the notebook stores\n{stored}\n"
            f"instead of the page's output\n{block.expected_output}"
        )
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        text = cell.source
        for leftover, why in [
            ("8<-", "a snippet line"),
            ("<!--pytest", "a pytest-codeblocks marker"),
            ("\\(", "math in \\( \\), which Jupyter does not render"),
            ("\\[", "math in \\[ \\], which Jupyter does not render"),
            ('"Solution"', "an admonition's title line"),
            ("??? ", "an admonition"),
            ("!!! ", "an admonition"),
        ]:
            prose = re.sub(r"`[^`\n]*`", "", text)  # code spans may show anything
            assert leftover not in prose, f"{page.name}: {why} in a Markdown cell:\n{text}"
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            assert not re.match(r"^[^#:]*\.md(#|$)", target), (
                f"{page.name}: a link to {target}, which is a file of the docs, not a page"
            )
            if target.startswith("attachment:"):
                assert target.removeprefix("attachment:") in cell.get("attachments", {})
        assert not re.search(r"!\[[^\]]*\]\((?!attachment:)", text), (
            f"{page.name}: a figure that is not embedded:\n{text}"
        )


def test_chinese_notebooks_hold_the_chinese_figures():
    """A figure with a Chinese version (x.zh.png) is embedded in its Chinese version."""
    page = DOCS / "tutorials" / "two-layer-net.zh.md"
    figure = DOCS / "assets" / "figures" / "two-layer-net-history.zh.png"
    english = DOCS / "assets" / "figures" / "two-layer-net-history.png"
    found = [
        data["image/png"]
        for cell in notebook_for(page).cells
        for data in cell.get("attachments", {}).values()
    ]
    import base64

    assert base64.b64encode(figure.read_bytes()).decode() in found
    assert base64.b64encode(english.read_bytes()).decode() not in found


def test_solutions_stay_collapsed():
    nb = notebook_for(DOCS / "tutorials" / "two-layer-net.md")
    hidden = [c for c in nb.cells if c.get("metadata", {}).get("jupyter", {}).get("source_hidden")]
    assert len(hidden) == 3, "the page's three solutions are collapsed code cells"
    assert all(c.metadata.jupyter.outputs_hidden for c in hidden)
    folded = [c for c in nb.cells if c.cell_type == "markdown" and "<details>" in c.source]
    assert len(folded) == 4, "three solutions' explanations and 'How this page is tested'"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_the_notebook_runs_in_a_fresh_kernel_and_prints_what_the_page_shows(page, notebook_runs):
    rel = page.relative_to(DOCS).as_posix()
    result = notebook_runs[rel]
    digest = hashlib.sha256(notebook_text(page).encode()).hexdigest()
    assert result["sha256"] == digest, f"{rel}: the notebook changed since it ran: nox -s site"
    if "same_code_as" in result:  # a Chinese notebook with its English twin's code: one run
        english = DOCS / result["same_code_as"]
        assert code_of(notebook_for(page)) == code_of(notebook_for(english)), (
            f"{rel}: recorded as running {english.name}'s code, but its code cells differ"
        )
        result = notebook_runs[result["same_code_as"]]
    assert result["stopped"] is None, f"{rel}: the notebook stopped:\n{result['stopped']}"
    nb = notebook_for(page)
    code = [c for c in nb.cells if c.cell_type == "code"]
    printed = dict(zip((id(c) for c in code), result["cells"], strict=True))
    for block, cells in blocks_and_cells(page, nb):
        outs = [printed[id(c)] for _, c in cells]
        assert all(o["ran"] for o in outs), f"{rel}, block at line {block.lineno} did not run"
        errors = [o["error"] for o in outs if o["error"]]
        needs = [c.metadata.get("tags") == ["raises-exception"] for _, c in cells]
        if errors:
            module = re.search(r"importorskip\((\w+)\)", block_marker(page, block.lineno) or "")
            assert module and all(needs), f"{rel}, block at line {block.lineno} raised {errors}"
            assert errors == [f"ModuleNotFoundError: No module named '{module[1]}'"], errors
            continue
        stderr = "".join(o["stderr"] for o in outs)
        assert not stderr, f"{rel}, block at line {block.lineno} wrote to stderr:\n{stderr}"
        if block.expected_output is not None:
            stdout = "".join(o["stdout"] for o in outs)
            assert stdout == block.expected_output, (
                f"{rel}, block at line {block.lineno}, run in the notebook after the cells "
                f"above it, printed\n{stdout}\ninstead of\n{block.expected_output}"
            )
    assert not result["left"], f"{rel} left files in its folder: {result['left']}"


def code_of(nb) -> list[tuple[str, list]]:
    """Each code cell's source and tags, in order: what a kernel runs."""
    return [(c.source, c.metadata.get("tags", [])) for c in nb.cells if c.cell_type == "code"]


def block_marker(page, lineno: int) -> str | None:
    """The marker comment on the line before the block that starts at `lineno`, if any."""
    lines = page.read_text(encoding="utf-8").split("\n")
    for line in reversed(lines[: lineno - 1]):
        if line.strip():
            return line if line.strip().startswith("<!--") else None
    return None
