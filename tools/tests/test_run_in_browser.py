"""The Run buttons: every Python block, run in a real browser, prints what its page shows.

Chromium runs the built site from 127.0.0.1 with every other host unreachable, clicks Run on
each block in page order, as a reader would, and compares what appears under the block with the
page's output block (or, for a docstring's example on the API page, with the output the example
itself shows). Blocks that cannot run in the browser must say why on a disabled button.

The whole run (every block of every English page; the Chinese pages' blocks are the same, as
test_site's parity test holds) takes several minutes, and Python starts again on every page
(about 3 s), so the README's test command runs a fixed sample: on each page of SAMPLE_PAGES,
chosen so that every kind of block is met (a plain one, a docstring example, a smaller setting,
a block that cannot run, a Tensor), its first block that stands alone and shows an output, and
the same on one Chinese page. `NN_RUN_ALL_BLOCKS=1` runs everything (`.ci/run` does);
`NN_RUN_PAGES` names the pages to run (`api/,tutorials/two-layer-net/`). Either way the times are
written to build/browser-runs.json: Python's load time, each block's, and page weights.

Numbers: Pyodide's NumPy 2.0.2 without an optimized BLAS can round the last digit of a printed
number differently; a number may differ from the page's by one unit in its last printed digit,
and the report lists every block where one did.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import statistics
from doctest import ELLIPSIS, OutputChecker
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tools.site.config import MOUNT, ROOT
from tools.site.wheel import wheel_name

RUN_ALL = os.environ.get("NN_RUN_ALL_BLOCKS") == "1"
# The pages the test command's sample visits (CI runs every block of every page).
SAMPLE_PAGES = [
    "getting-started/",  # the first page a reader runs
    "tutorials/network-as-data/",  # a block that cannot run: its disabled button says why
    "tutorials/regularization/",  # a block that runs a smaller setting, with its note
    "tutorials/autograd/",  # nn.autograd's Tensor
    "api/",  # docstring examples, run as doctest runs them
]
REPORT = Path(os.environ.get("NN_BROWSER_RUNS", ROOT / "build" / "browser-runs.json"))
BLOCK_TIMEOUT_MS = 300_000  # a hang, not a slow block: the report gives the times
PYODIDE = "/assets/vendor/pyodide/"

# Each Python block of the page as run.js numbered it, with the page's output block for it:
# the ```text block after the <!--pytest-codeblocks:expected-output--> comment that follows.
BLOCKS = """() => [...document.querySelectorAll("div.highlight[data-nn-block]")].map((b) => {
  let expected = null, marked = false;
  for (let n = b.nextSibling; n; n = n.nextSibling) {
    if (n.nodeType === Node.TEXT_NODE && !n.data.trim()) continue;
    if (n.nodeType === Node.COMMENT_NODE) {
      if (n.data.includes("pytest-codeblocks:expected-output")) { marked = true; continue; }
      break;
    }
    if (n.nodeType !== Node.ELEMENT_NODE) break;
    if (n.matches(".nn-run, .nn-run__output")) continue;
    if (n.matches("p") && !n.textContent.trim() && n.innerHTML.includes("expected-output")) {
      marked = true; // inside an admonition, Markdown puts the comment in a paragraph
      continue;
    }
    if (marked && n.matches("div.language-text")) expected = n.querySelector("code").textContent;
    break;
  }
  const button = b.nextElementSibling.querySelector("button");
  const output = b.nextElementSibling.nextElementSibling;
  return {
    index: Number(b.dataset.nnBlock),
    chain: Number(b.dataset.nnChain),
    norun: b.dataset.nnNorun || null,
    note: b.dataset.nnNote || null,
    disabled: button.disabled,
    said: b.nextElementSibling.textContent,
    kind: b.classList.contains("language-pycon") ? "pycon" : "python",
    code: b.querySelector("code").textContent,
    expected,
    // before any run, nothing of the output area shows
    outputShown: output && output.matches(".nn-run__output") && output.offsetHeight > 0,
  };
})"""

# doctest compares an exception by its first and last lines: the frames between may differ.
TRACEBACK = re.compile(r"^(Traceback \(most recent call last\):\n)(?:(?:[ \t].*|\.\.\.)\n)*", re.M)
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


def compare(expected: str, printed: str, doctest: bool = False) -> str | None:
    """'exact', 'last digit' (numbers one unit apart in their last printed digit), or None.
    A docstring's example is compared as doctest compares it, `...` matching anything."""
    expected, printed = TRACEBACK.sub(r"\1", expected), TRACEBACK.sub(r"\1", printed)
    if doctest and OutputChecker().check_output(expected, printed, ELLIPSIS):
        return "exact"
    want, got = _lines(expected), _lines(printed)
    if want == got:
        return "exact"
    if len(want) != len(got):
        return None
    for a, b in zip(want, got, strict=True):
        if NUMBER.sub("#", a) != NUMBER.sub("#", b):
            return None
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b), strict=True):
            if x == y:
                continue
            decimals = len(x.split(".")[1]) if "." in x and "e" not in x.lower() else 0
            if "e" in x.lower() or abs(float(x) - float(y)) > 1.01 * 10.0**-decimals:
                return None
    return "last digit"


def expected_output(block: dict) -> str | None:
    if block["kind"] == "pycon":  # the example's own output, as doctest checks it
        examples = doctest.DocTestParser().get_examples(block["code"])
        return "".join(example.want for example in examples)
    return block["expected"]


def pages_with_blocks(site: Path) -> list[str]:
    """Site paths of the English pages with a Python block, in the navigation's order."""
    nav = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    paths = []
    for doc in nav["docs"]:
        path = doc["location"].split("#")[0]
        if path not in paths and not path.startswith("zh/"):
            paths.append(path)
    return [p for p in paths if "data-nn-block" in (site / p / "index.html").read_text("utf-8")]


def sample(blocks: list[dict]) -> list[dict]:
    """A page's first block that stands alone (not continued from one before) and shows an
    output, or its first runnable block."""
    runnable = [b for b in blocks if not b["norun"]]
    alone = [b for b in runnable if b["chain"] == b["index"] and expected_output(b)]
    return (alone or runnable)[:1]


def run_block(page, index: int) -> dict:
    block = page.locator(f'div.highlight[data-nn-block="{index}"]')
    # A reader opens a folded solution first.
    block.evaluate(
        """(b) => {
        for (let d = b.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
        b.scrollIntoView({block: "center"});
    }"""
    )
    page.locator(f'div.highlight[data-nn-block="{index}"] + .nn-run > button').first.click()
    page.wait_for_function(
        f"document.querySelector('div.highlight[data-nn-block=\"{index}\"]').dataset.nnRan",
        timeout=BLOCK_TIMEOUT_MS,
    )
    return block.evaluate(
        """(b) => ({
        ran: b.dataset.nnRan,
        seconds: Number(b.dataset.nnSeconds),
        waited: Number(b.dataset.nnWaited),
        printed: b.nextElementSibling.nextElementSibling.textContent,
        status: b.nextElementSibling.querySelector(".nn-run__status").textContent,
    })"""
    )


def transferred(page) -> dict:
    """What the page has loaded so far: requests and bytes (http.server sends no gzip)."""
    return page.evaluate(
        """() => {
        const entries = [...performance.getEntriesByType("navigation"),
                         ...performance.getEntriesByType("resource")];
        return {requests: entries.length,
                bytes: entries.reduce((sum, e) => sum + (e.encodedBodySize || 0), 0),
                urls: entries.map((e) => e.name)};
    }"""
    )


def run_page(record, path: str, everything: bool) -> dict:
    page = record.page  # loaded: page.goto waits for the load event
    before = transferred(page)
    early = [u for u in before["urls"] if PYODIDE in u or u.endswith("/run-worker.js")]
    assert not early, f"/{path} loads Python before any click: {early}"
    blocks = page.evaluate(BLOCKS)
    problems, runs = [], []
    for block in blocks:
        where = f"/{path}, block {block['index'] + 1} of {len(blocks)}"
        if block["norun"]:
            if not block["disabled"] or block["norun"] not in block["said"]:
                problems.append(f"{where}: cannot run, but its button does not say why")
        elif block["outputShown"]:
            problems.append(f"{where}: its output area shows before it ran")
    todo = blocks if everything else sample(blocks)
    for block in todo:
        if block["norun"]:
            continue
        where = f"/{path}, block {block['index'] + 1} of {len(blocks)}"
        result = run_block(page, block["index"])
        with REPORT.with_suffix(".log").open("a", encoding="utf-8") as log:  # to follow a long run
            print(where, result["ran"], result["seconds"], "s", file=log)
        want = expected_output(block)
        if block["note"]:  # a smaller setting, or what WebAssembly cannot do: said on the page
            match = "differs, as its note says"
            if want is not None and compare(want, result["printed"]) is not None:
                problems.append(f"{where}: its note says it prints otherwise, but it does not")
        elif want is None:
            match = "not compared"
        else:
            match = compare(want, result["printed"], doctest=block["kind"] == "pycon")
        runs.append({"block": block["index"] + 1, **result, "match": match})
        if result["ran"] != "ok":
            problems.append(f"{where} raised an error in the browser:\n{result['printed']}")
        elif match is None:
            problems.append(
                f"{where} printed something else than the page shows:\n--- page\n{want}"
                f"--- browser\n{result['printed']}"
            )
    return {
        "path": path,
        "blocks": len(blocks),
        "cannot_run": sum(1 for b in blocks if b["norun"]),
        "differ": sum(1 for b in blocks if b["note"] and not b["norun"]),
        "before_click": {"requests": before["requests"], "bytes": before["bytes"]},
        "runs": runs,
        "problems": problems,
    }


def summary(pages: list[dict]) -> dict:
    runs = [r for p in pages for r in p["runs"]]
    firsts = [p["runs"][0]["waited"] for p in pages if p["runs"]]
    slowest = sorted(runs, key=lambda r: -r["seconds"])[:5]
    paths = {id(r): p["path"] for p in pages for r in p["runs"]}
    return {
        "blocks": sum(p["blocks"] for p in pages),
        "cannot_run": sum(p["cannot_run"] for p in pages),
        "differ": sum(p["differ"] for p in pages),
        "ran": len(runs),
        "python_ready_seconds": {"median": statistics.median(firsts), "max": max(firsts)}
        if firsts
        else None,
        "block_seconds_median": statistics.median(r["seconds"] for r in runs) if runs else None,
        "slowest": [f"/{paths[id(r)]} block {r['block']}: {r['seconds']} s" for r in slowest],
        "last_digit": [
            f"/{paths[id(r)]} block {r['block']}" for r in runs if r["match"] == "last digit"
        ],
    }


@pytest.mark.parametrize("language", ["en", "zh"])
def test_run_buttons_print_what_the_pages_show(visit, site, language):
    """English: the sample pages' sample block (every page's every block, with
    NN_RUN_ALL_BLOCKS=1); Chinese: one
    page, with its interface in Chinese. Nothing of Python loads before a click, no
    request leaves 127.0.0.1 (the visit fixture), and each block prints its page's output."""
    paths = pages_with_blocks(site)
    assert set(SAMPLE_PAGES) <= set(paths), sorted(set(SAMPLE_PAGES) - set(paths))
    if not RUN_ALL:
        paths = SAMPLE_PAGES
    if os.environ.get("NN_RUN_PAGES"):  # e.g. "api/,tutorials/two-layer-net/": those only
        paths = os.environ["NN_RUN_PAGES"].split(",")
    if language == "zh":
        paths = ["zh/tutorials/computational-graphs/"]
    pages = []
    for path in paths:
        record = visit(path)
        pages.append(run_page(record, path, everything=RUN_ALL))
        if language == "zh":
            status = record.page.locator(".nn-run__status").first.text_content()
            assert "运行完毕" in status, f"/{path}: the status is not in Chinese: {status!r}"
    result = {"everything": RUN_ALL, "summary": summary(pages), "pages": pages}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    report = json.loads(REPORT.read_text("utf-8")) if REPORT.is_file() else {}
    report[language] = result
    REPORT.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    problems = [p for page in pages for p in page["problems"]]
    assert not problems, "\n\n".join(problems)
    total, counts = result["summary"]["blocks"], result["summary"]
    if language == "zh" or os.environ.get("NN_RUN_PAGES") or not RUN_ALL:
        return  # the share is of all the pages of a language
    assert counts["cannot_run"] + counts["differ"] <= 0.1 * total, (
        f"of {total} blocks, {counts['cannot_run']} cannot run in the browser and"
        f" {counts['differ']} print otherwise there: more than a tenth"
    )


STATED_SIZE = re.compile(r"(?:about|约) (\d+) MB")


def test_a_block_can_be_edited_run_stopped_and_reset(visit, site):
    """Edit a block, run the edit, copy it, stop a loop that never ends, and reset the block.
    The first run fetches what Getting started and the loading message say it does."""
    record = visit("tutorials/computational-graphs/")
    page = record.page
    first = run_block(page, 0)
    assert first["ran"] == "ok", first
    fetched = {urlsplit(u).path for u in record.requests if PYODIDE in u or u.endswith(".whl")}
    size = sum((site / path.removeprefix(MOUNT)).stat().st_size for path in fetched)
    names = {path.rsplit("/", 1)[1] for path in fetched}
    for name in ("pyodide.asm.wasm", "python_stdlib.zip", wheel_name()):
        assert name in names, f"the first run did not fetch {name}: {sorted(names)}"
    assert any(n.startswith("numpy-") for n in names), f"no NumPy wheel among {sorted(names)}"
    sources = [ROOT / "docs/assets/javascripts/run.js"]
    sources += [ROOT / "docs/getting-started.md", ROOT / "docs/getting-started.zh.md"]
    for source in sources:
        stated = STATED_SIZE.findall(source.read_text("utf-8"))
        assert stated and {int(n) for n in stated} == {round(size / 1e6)}, (
            f"{source.name} says {stated} MB; the first run fetches {size / 1e6:.1f} MB"
        )

    block = page.locator('div.highlight[data-nn-block="0"]')
    bar = page.locator('div.highlight[data-nn-block="0"] + .nn-run')
    original = block.locator("code").text_content()
    bar.get_by_role("button", name="Edit").click()
    code = block.locator("code")
    code.evaluate("(c) => { c.textContent = 'print(6 * 7)\\n'; }")
    result = run_block(page, 0)
    assert (result["ran"], result["printed"]) == ("ok", "42\n"), result
    # Material's copy button copies the block as it is now.
    copy = block.locator('button[data-md-type="copy"]')
    target = copy.get_attribute("data-clipboard-target")
    assert page.locator(target).text_content().strip() == "print(6 * 7)"

    code.evaluate("(c) => { c.textContent = 'while True:\\n    pass\\n'; }")
    bar.get_by_role("button", name="Run").click()
    page.wait_for_function(
        '() => document.querySelector(\'div.highlight[data-nn-block="0"] + .nn-run'
        " .nn-run__status').textContent === 'Running…'"
    )
    bar.get_by_role("button", name="Stop").click()
    assert block.get_attribute("data-nn-ran") == "stopped"
    assert "Stopped" in bar.locator(".nn-run__status").text_content()

    bar.get_by_role("button", name="Reset").click()
    assert block.locator("code").text_content() == original
    assert block.locator("code span").count() > 0, "the highlighting is back"
    result = run_block(page, 0)  # Python starts again after Stop
    assert result["ran"] == "ok", result
