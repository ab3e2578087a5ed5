"""Every figure shows what its page computes now, in both languages and both colour schemes,
with text large enough to read and a caption (redraw: nox -s figures).

Each committed PNG carries the digest of the data it plots (tools/generate/figures.py). Here
each page's code runs once, in its notebook (`nox -s notebooks`), its figures are built from that
run, and their digests are compared with the ones in the PNGs, the light and the dark copy of
each: a page whose training changed fails until its figures are drawn again. Pixels are not
compared, so fonts and matplotlib versions do not matter. Each PNG also records its smallest
font in pixels and the density the site shows it at, so the size of its text on the page follows
from its width (the browser test in test_site.py measures the same on the built site).
"""

import json
import os
import re

import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from tools.generate.figures import (
    DENSITY_KEY,
    DIGEST_KEY,
    FIGURES,
    LANGUAGES,
    OUT,
    ROOT,
    SMALLEST_KEY,
    TEXTS_KEY,
    THEME_KEY,
    figures_by_page,
    filename_in,
    files_of,
    page_digests,
    themed,
)
from tools.generate.figures_style import BACKGROUND, THEMES

COLUMN_AT_1280 = 930  # CSS px of the content column at 1280 px (toc.integrate)
SMALLEST_TEXT = 9  # CSS px: the smallest text a figure may show at 1280 px

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
    for name in files_of(filename):  # light and dark, English and Chinese
        assert recorded(OUT / name)[DIGEST_KEY] == figure_digests[filename], (
            f"{name} plots other data than {FIGURES[filename][0]} computes now: run nox -s figures"
        )


@pytest.mark.parametrize("filename", sorted(FIGURES))
@pytest.mark.parametrize("theme", THEMES)
def test_chinese_figure_is_in_chinese(filename, theme):
    english = recorded(OUT / themed(filename, theme))[TEXTS_KEY]
    chinese = recorded(OUT / filename_in(themed(filename, theme), "zh"))[TEXTS_KEY]
    assert not CJK.search(english), f"{themed(filename, theme)} has Chinese words: {english!r}"
    if not english:
        return  # nothing but numbers and math, e.g. the axes x1 and x2
    assert CJK.search(chinese), f"the Chinese {themed(filename, theme)} has no Chinese: {chinese!r}"


@pytest.mark.parametrize("filename", sorted(FIGURES))
def test_figure_text_is_readable_at_1280_px(filename):
    """The site shows a figure at its PNG width / density, or shrunk to the column if wider:
    its smallest text, so scaled, is at least SMALLEST_TEXT CSS px."""
    for name in files_of(filename):
        path = OUT / name
        info = recorded(path)
        assert SMALLEST_KEY in info, f"{name} records no smallest text size: run nox -s figures"
        with Image.open(path) as image:
            width = image.width / float(info[DENSITY_KEY])  # CSS px
        scale = min(1, COLUMN_AT_1280 / width)  # shrunk to the column if wider
        shown = float(info[SMALLEST_KEY]) / float(info[DENSITY_KEY]) * scale
        assert shown >= SMALLEST_TEXT, (
            f"{name}: its smallest text is {shown:.1f} CSS px at 1280 px (figure {width:.0f} px "
            f"wide, in a {COLUMN_AT_1280} px column): draw larger text or a narrower figure"
        )


@pytest.mark.parametrize("filename", sorted(FIGURES))
def test_each_colour_scheme_has_its_own_figure(filename):
    """The dark copy is drawn on the dark page's background, the light one on white."""
    for theme in THEMES:
        for language in LANGUAGES:
            path = OUT / filename_in(themed(filename, theme), language)
            assert recorded(path)[THEME_KEY] == theme, f"{path.name} is not the {theme} figure"
            with Image.open(path) as image:
                corner = image.convert("RGB").getpixel((0, 0))
            page = tuple(round(255 * c) for c in to_rgb(BACKGROUND[theme]))
            assert corner == page, f"{path.name}'s background {corner} is not the page's {page}"


CAPTION = re.compile(r"\n/// caption\n(?P<text>(?:(?!///).+\n)+)///\n")


@pytest.mark.parametrize("filename", sorted(FIGURES))
def test_both_pages_show_the_figure(filename):
    """On the English page and its Chinese twin, with a caption right under it."""
    page = ROOT / FIGURES[filename][0]
    link = f"]({os.path.relpath(OUT / filename, page.parent)})"  # e.g. ](../assets/figures/x.png)
    for version in (page, page.with_suffix(".zh.md")):
        text = version.read_text(encoding="utf-8")
        assert link in text, f"{version.name} does not show {filename} with {link}"
        after = text[text.index(link) + len(link) :]
        caption = CAPTION.match(after)
        assert caption, (
            f"{version.name}: {filename} has no caption right under it (/// caption ... ///)"
        )
        if version.name.endswith(".zh.md"):
            assert CJK.search(caption["text"]), f"{version.name}: {filename}'s caption is English"


def test_every_figure_file_is_made_by_the_generator():
    made = {name for f in FIGURES for name in files_of(f)}
    assert {p.name for p in OUT.glob("*.png")} == made
