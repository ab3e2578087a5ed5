"""How every figure of the site looks: its two themes, its sizes in CSS pixels, its colours.

Each figure is drawn twice from the same data by the same function: once under the light
theme (`NAME.png`, for Material's light scheme) and once under the dark one (`NAME-dark.png`,
on the dark scheme's background, #1e2129), inside `style(theme)`. A function that picks a
colour itself asks `colour("blue")` or `readable(c)`, which answer for the theme being drawn.

Sizes: a figure is saved at DPI = 200 and shown at half its pixels (DENSITY = 2, so it stays
sharp on high-density screens and a click shows it twice as large), so one inch of figsize is
100 CSS px on the page and a font of `s` points is `s * 100 / 72` CSS px. The content column
is about 930 CSS px at 1280 px (COLUMN_INCHES): a figure up to 9.2 inches wide is shown at
its size, a wider one is shrunk to the column, and so is its text.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text

# Each figure module's LOCALIZED: figure file name -> (its page, the variable the page's code
# defines, draw(value, language) -> Figure); tools/generate/figures.py registers them all.
Localized = dict[str, tuple[str, str, Callable[[Any, str], Figure]]]

DPI = 200  # pixels per inch in the PNG files
DENSITY = 2  # PNG pixels per CSS px: the site shows a figure at half its pixel size
COLUMN_INCHES = 9.2  # the content column at 1280 px is about 930 CSS px: 9.2 in and margins
THEMES = ("light", "dark")
BACKGROUND = {"light": "#ffffff", "dark": "#1e2129"}  # Material's default and slate pages
MIN_CONTRAST = 4.5  # WCAG AA for text

# One font scale for all: labels and titles 11 pt (15 CSS px), ticks and legends 10 pt (14 CSS px).
FONTS = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.titlesize": 12,
}
# matplotlib's tab10 on white; on the dark page the same hues, lighter (contrast 3:1 or more).
CYCLE = {
    "light": [
        *("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"),
        *("#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"),
    ],
    "dark": [
        *("#5fa8e0", "#ffa04d", "#5cc65c", "#f06566", "#b898dd"),
        *("#c08a7e", "#f19ad6", "#b0b0b0", "#d6d74a", "#4fd6e5"),
    ],
}
# Named colours the figures use, in each theme.
PALETTE = {
    "light": {
        "ink": "#1f1f1f",  # text, reference marks
        "muted": "#808080",  # zero lines, light reference lines
        "contour": "#b0b0b0",  # contour lines behind data
        "blue": "#3b5ba5",
        "red": "#c0392b",
        "fill_blue": "#dbe4f5",  # regions under points
        "fill_red": "#f6d5cf",
        "pale_blue": "#7fa7d9",  # a noisy series behind its mean
        "deep_blue": "#1f3f7a",
    },
    "dark": {
        "ink": "#d3d5db",
        "muted": "#8a8f9c",
        "contour": "#59606e",
        "blue": "#7ea2e6",
        "red": "#f07a6b",
        "fill_blue": "#27324d",
        "fill_red": "#4a2e2e",
        "pale_blue": "#4a6d9c",
        "deep_blue": "#a8c8ff",
    },
}
GREYS = {"light": "gray_r", "dark": "gray"}  # pictures of digits: the ink darker than the paper


def rc(theme: str) -> dict[str, Any]:
    """The matplotlib settings of a theme."""
    ink, bg = PALETTE[theme]["ink"], BACKGROUND[theme]
    dark = theme == "dark"
    return {
        **FONTS,
        "figure.facecolor": bg,
        "axes.facecolor": bg,
        "savefig.facecolor": bg,
        "savefig.edgecolor": bg,
        "text.color": ink,
        "axes.labelcolor": ink,
        "axes.titlecolor": ink,
        "axes.edgecolor": "#8a8f9c" if dark else "#4d4d4d",
        "xtick.color": "#b8bcc6" if dark else "#333333",
        "ytick.color": "#b8bcc6" if dark else "#333333",
        "grid.color": "#9aa0ad" if dark else "#b0b0b0",
        "legend.facecolor": "inherit",
        "legend.edgecolor": "#4a5060" if dark else "0.8",
        "axes.prop_cycle": cycler(color=CYCLE[theme]),
        "image.cmap": "viridis",
    }


@contextlib.contextmanager
def style(theme: str) -> Iterator[None]:
    """Draw under `theme`: figures, texts and lines made inside take its colours."""
    with mpl.rc_context(rc(theme)):
        yield


def current_theme() -> str:
    """The theme being drawn, told by the figure background of the settings in force."""
    return "dark" if luminance(mpl.rcParams["figure.facecolor"]) < 0.5 else "light"


def colour(name: str) -> str:
    """A named colour of PALETTE in the theme being drawn."""
    return PALETTE[current_theme()][name]


def cycle(index: int) -> str:
    """The theme's `index`-th line colour (C0, C1, ... of its cycle)."""
    colours = CYCLE[current_theme()]
    return colours[index % len(colours)]


def greys() -> str:
    """The colour map for pictures of digits and filters in the theme being drawn."""
    return GREYS[current_theme()]


def luminance(c: Any) -> float:
    """WCAG 2 relative luminance of a colour."""
    rgb = np.array(to_rgb(c))
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(a: Any, b: Any) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable(c: Any, background: Any = None) -> tuple[float, float, float]:
    """`c`, darkened on a light background or lightened on a dark one until it has text
    contrast (MIN_CONTRAST) with the background: a line's colour for its label."""
    bg = to_rgb(background if background is not None else mpl.rcParams["figure.facecolor"])
    target = np.zeros(3) if luminance(bg) > 0.5 else np.ones(3)
    rgb = np.array(to_rgb(c))
    for step in np.linspace(0, 1, 41):
        shade = (1 - step) * rgb + step * target
        if contrast(shade, bg) >= MIN_CONTRAST:
            return tuple(float(v) for v in shade)
    return tuple(float(v) for v in target)


def composed(c: Any, below: Any) -> tuple[float, float, float]:
    """A colour with alpha, as seen over the opaque colour `below`."""
    r, g, b, a = to_rgba(c)
    under = np.array(to_rgb(below))
    return tuple(float(v) for v in a * np.array([r, g, b]) + (1 - a) * under)


SUBSCRIPT = re.compile(r"\$[^$]*[_^][^$]*\$")
SHRINK = 0.7  # mathtext draws a sub- or superscript at 0.7 of the font size


def drawn_texts(fig: Any) -> list[Text]:
    """The texts the figure shows: visible, not empty, inside the saved figure."""
    found = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        axes = text.axes
        if axes is not None and not axes.get_visible():
            continue
        found.append(text)
    return found


def smallest_text_px(fig: Any, dpi: float = DPI) -> float:
    """The smallest font size on the figure in pixels of the PNG saved at `dpi`."""
    sizes = []
    for text in drawn_texts(fig):
        size = text.get_fontsize() * dpi / 72
        if SUBSCRIPT.search(text.get_text()):
            size *= SHRINK
        sizes.append(size)
    if not sizes:
        raise ValueError("the figure shows no text: nothing says what it plots")
    return min(sizes)


def background_of(text: Text, fig: Any) -> tuple[float, float, float]:
    """The colour behind a text: its box's, its legend's, its axes' or the figure's."""
    below = to_rgb(fig.get_facecolor())
    if text.axes is not None and text.axes.patch.get_visible():
        below = composed(text.axes.patch.get_facecolor(), below)
    for legend in fig.findobj(Legend):
        if text in legend.get_texts() or text is legend.get_title():
            frame = legend.get_frame()
            if frame.get_visible():
                below = composed(frame.get_facecolor(), below)
    box = text.get_bbox_patch()
    if box is not None:
        below = composed(box.get_facecolor(), below)
    return below


def unreadable_texts(fig: Any) -> list[str]:
    """Each text whose colour has less than text contrast with what is behind it."""
    bad = []
    for text in drawn_texts(fig):
        below = background_of(text, fig)
        ratio = contrast(composed(text.get_color(), below), below)
        if ratio < MIN_CONTRAST:
            bad.append(f"{text.get_text()!r}: contrast {ratio:.2f}")
    return bad
