"""Every figure shows what its page computes now, in both languages (python -m tests.figures).

Each committed PNG carries the digest of the data it plots (tests/figures.py). Here each page's
code runs once, its figures are built from that run, and their digests are compared with the
ones in the PNGs: a page whose training changed fails until its figures are drawn again.
Pixels are not compared, so fonts and matplotlib versions do not matter.
"""

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor

import pytest
from PIL import Image

from tests.figures import (
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
    assert path.is_file(), f"{path} is missing: run python -m tests.figures"
    with Image.open(path) as image:
        assert image.format == "PNG", f"{path} is not a PNG file"
        info = dict(image.text)
    assert DIGEST_KEY in info, f"{path} records no data digest: run python -m tests.figures"
    return info


@pytest.fixture(scope="module")
def digests() -> dict[str, str]:
    """The data digest of every figure, from one run of each page, the pages side by side."""
    pages = list(figures_by_page())
    context = multiprocessing.get_context("spawn")  # a fresh interpreter for each page
    workers = min(len(pages), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return {f: d for result in pool.map(page_digests, pages) for f, d in result.items()}


@pytest.mark.parametrize("filename", sorted(FIGURES))
def test_figure_plots_what_its_page_computes_in_both_languages(filename, digests):
    for language in LANGUAGES:
        path = OUT / filename_in(filename, language)
        assert recorded(path)[DIGEST_KEY] == digests[filename], (
            f"{path.name} plots other data than {FIGURES[filename][0]} computes now: "
            "run python -m tests.figures"
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
