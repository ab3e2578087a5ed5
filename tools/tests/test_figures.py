"""Every figure shows what its page computes now, in both languages (redraw: nox -s figures).

Each committed PNG carries the digest of the data it plots (tools/generate/figures.py). Here
each page's code runs once, in its notebook (`nox -s notebooks`), its figures are built from that
run,
and their digests are compared with the ones in the PNGs: a page whose training changed fails
until its figures are drawn again. Pixels are not compared, so fonts and matplotlib versions do
not matter.
"""

import json
import os
import re

import pytest
from PIL import Image

from tools.generate.figures import (
    DIGEST_KEY,
    FIGURES,
    LANGUAGES,
    OUT,
    ROOT,
    TEXTS_KEY,
    figures_by_page,
    filename_in,
    page_digests,
)

CJK = re.compile("[\u4e00-\u9fff]")


def recorded(path) -> dict[str, str]:
    assert path.is_file(), f"{path} is missing: run nox -s figures"
    with Image.open(path) as image:
        assert image.format == "PNG", f"{path} is not a PNG file"
        info = dict(image.text)
    assert DIGEST_KEY in info, f"{path} records no data digest: run nox -s figures"
    return info


@pytest.fixture(scope="module")
def figure_digests(notebook_runs) -> dict[str, str]:
    """The data digest of every figure, taken from its page's notebook as the tests run it.

    The English notebooks run every block of their page in order, in a fresh kernel
    (`nox -s notebooks`, tools/notebook_runner.py), which takes the digests there, once the cells
    have defined what the figures plot, instead of running the pages a second time.
    """
    runs = notebook_runs
    found = {}
    for page, filenames in figures_by_page().items():
        run = runs[page.removeprefix("docs/")]
        missing = [c["error"] for c in run["cells"] if "ModuleNotFoundError" in (c["error"] or "")]
        if run["probe"] is None and missing:
            # The notebooks run with only nn installed; a figure of a cell that needs more
            # (scikit-learn's curve) is drawn from a run of the page here, where it is.
            digests = page_digests(page)
        else:
            assert run["probe"], f"{page}: no digests from its notebook ({run['stopped']})"
            digests = json.loads(run["probe"])
        assert sorted(digests) == sorted(filenames), digests
        found.update(digests)
    return found


@pytest.mark.parametrize("filename", sorted(FIGURES))
def test_figure_plots_what_its_page_computes_in_both_languages(filename, figure_digests):
    for language in LANGUAGES:
        path = OUT / filename_in(filename, language)
        assert recorded(path)[DIGEST_KEY] == figure_digests[filename], (
            f"{path.name} plots other data than {FIGURES[filename][0]} computes now: "
            "run nox -s figures"
        )


@pytest.mark.parametrize("filename", sorted(FIGURES))
def test_chinese_figure_is_in_chinese(filename):
    english = recorded(OUT / filename)[TEXTS_KEY]
    chinese = recorded(OUT / filename_in(filename, "zh"))[TEXTS_KEY]
    assert not CJK.search(english), f"{filename} has Chinese words: {english!r}"
    if not english:
        return  # nothing but numbers and math, e.g. the axes x1 and x2
    assert CJK.search(chinese), f"{filename_in(filename, 'zh')} has no Chinese: {chinese!r}"


@pytest.mark.parametrize("filename", sorted(FIGURES))
def test_both_pages_show_the_figure(filename):
    page = ROOT / FIGURES[filename][0]
    link = f"]({os.path.relpath(OUT / filename, page.parent)})"  # e.g. ](../assets/figures/x.png)
    for version in (page, page.with_suffix(".zh.md")):
        text = version.read_text(encoding="utf-8")
        assert link in text, f"{version.name} does not show {filename} with {link}"


def test_every_figure_file_is_made_by_the_generator():
    made = {filename_in(f, language) for f in FIGURES for language in LANGUAGES}
    assert {p.name for p in OUT.glob("*.png")} == made
