"""The site's figures, drawn from what the pages' own code computes.

    python -m tests.figures    # rewrite docs/assets/figures/*.png

For each figure, the ```python blocks of its page run in order in one namespace, the way the
tests run them (snippet includes expanded, `<!--pytest-codeblocks:cont-->` blocks joined to the
block before), until a block defines the variable the figure needs; then the figure is drawn
from that variable. A page that changes its training therefore changes its figure the next
time this runs. `tests/test_figures.py` checks that every figure exists and that both language
versions of its page show it.

Each figure is written twice, as `NAME.png` and `NAME.zh.png`: with
`fallback_to_default: false`, mkdocs-static-i18n gives the Chinese build only the files with
its own suffix, so a Chinese page's `![...](NAME.png)` finds `NAME.zh.png`, and nothing else.
Most figures are copied with the same bytes; those in LOCALIZED are drawn once per language,
with titles and labels in that language (Chinese glyphs from Debian's fonts-noto-cjk).
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nn.plot import plot_history
from tests.codeblocks_snippets import ROOT, extract_from_file

OUT = ROOT / "docs" / "assets" / "figures"
TRANSLATIONS = ("zh",)  # the site's other languages: each gets a copy of every figure


def save_figure(fig: Any, path: Path) -> None:
    """Save a figure the page drew itself with nn.plot, the way nn.plot saves figures."""
    fig.savefig(path, dpi=120, bbox_inches="tight")


# A figure drawn per language: its text in each language, and the font that has the glyphs.
FONTS = {"en": ["DejaVu Sans"], "zh": ["Noto Sans CJK SC", "DejaVu Sans"]}
CONV_TEXT = {
    "en": {
        "before": "Before training",
        "after": "After training",
        "change": "The change: after − before (red: up, blue: down)",
        "mistakes": "Test digits SimpleConvNet reads wrong (label → prediction)",
    },
    "zh": {
        "before": "训练前",
        "after": "训练后",
        "change": "变化：训练后 − 训练前（红：增大，蓝：减小）",
        "mistakes": "SimpleConvNet 识别错误的测试数字（标签 → 预测）",
    },
}


def draw_conv_filters(filters: Any, path: Path, language: str = "en") -> None:
    """The first layer's filters `(2, FN, 1, FH, FW)` before and after training, and the change."""
    import matplotlib.pyplot as plt

    text = CONV_TEXT[language]
    before, after = filters
    panels = [("before", before, "gray_r"), ("after", after, "gray_r")]
    panels.append(("change", after - before, "RdBu_r"))
    with plt.rc_context({"font.sans-serif": FONTS[language]}):
        fig = plt.figure(figsize=(8, 7.6))
        for subfig, (key, weights, cmap) in zip(fig.subfigures(3, 1), panels, strict=True):
            subfig.suptitle(text[key])
            for ax, w in zip(subfig.subplots(3, 10).ravel(), weights, strict=True):
                # each filter on its own scale; a change symmetric around 0 (white)
                limit = np.abs(w).max() if key == "change" else None
                vmin = None if limit is None else -limit
                ax.imshow(w[0], cmap=cmap, vmin=vmin, vmax=limit, interpolation="nearest")
                ax.set_axis_off()
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)


def draw_conv_mistakes(mistakes: Any, path: Path, language: str = "en") -> None:
    """The first 24 test digits the network reads wrong, each titled `label → prediction`."""
    import matplotlib.pyplot as plt

    with plt.rc_context({"font.sans-serif": FONTS[language]}):
        fig, axes = plt.subplots(3, 8, figsize=(8, 3.6))
        shown = zip(mistakes["images"], mistakes["labels"], mistakes["predicted"], strict=True)
        for ax, (image, label, predicted) in zip(axes.ravel(), shown, strict=False):  # the first 24
            ax.imshow(image[0], cmap="gray_r", interpolation="nearest")
            ax.set_title(f"{label} → {predicted}", fontsize=10)
        for ax in axes.ravel():
            ax.set_axis_off()
        fig.suptitle(CONV_TEXT[language]["mistakes"])
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)


# figure file name -> (page, variable the page's code defines, function drawing it to a path)
FIGURES: dict[str, tuple[str, str, Callable[[Any, Path], object]]] = {
    "two-layer-net-history.png": ("docs/tutorials/two-layer-net.md", "history", plot_history),
    "regression-checkpoints-fit.png": (
        "docs/tutorials/regression-checkpoints.md",
        "fig_fit",
        save_figure,
    ),
    "regression-checkpoints-history.png": (
        "docs/tutorials/regression-checkpoints.md",
        "fig_history",
        save_figure,
    ),
    "network-as-data-boundary.png": (
        "docs/tutorials/network-as-data.md",
        "fig_boundary",
        save_figure,
    ),
    "network-as-data-sklearn.png": (
        "docs/tutorials/network-as-data.md",
        "fig_sklearn",
        save_figure,
    ),
    "network-as-data-optimizers.png": (
        "docs/tutorials/network-as-data.md",
        "fig_optimizers",
        save_figure,
    ),
    "simple-convnet-filters.png": (
        "docs/tutorials/simple-convnet.md",
        "filters",
        draw_conv_filters,
    ),
    "simple-convnet-mistakes.png": (
        "docs/tutorials/simple-convnet.md",
        "mistakes",
        draw_conv_mistakes,
    ),
}
# Figures whose function takes a language and draws each language's own version.
LOCALIZED = {"simple-convnet-filters.png", "simple-convnet-mistakes.png"}


def run_page_until(page: Path, name: str) -> Any:
    """Run the page's python blocks in order until one defines `name`; return its value."""
    namespace: dict[str, Any] = {"__name__": "page"}
    for block in extract_from_file(page):
        if block.syntax != "python" or any("skip" in mark for mark in block.marks):
            continue
        with contextlib.redirect_stdout(io.StringIO()):  # the pages' tests check the output
            exec(compile(block.code, f"{page}:{block.lineno}", "exec"), namespace)
        if name in namespace:
            return namespace[name]
    raise LookupError(f"no python block of {page} defines {name!r}")


def translated(path: Path, language: str) -> Path:
    """`x.png` -> `x.zh.png`: the file mkdocs-static-i18n serves to that language's pages."""
    return path.with_name(f"{path.stem}.{language}{path.suffix}")


def make(filename: str) -> list[Path]:
    page, name, draw = FIGURES[filename]
    value = run_page_until(ROOT / page, name)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / filename
    copies = [translated(path, language) for language in TRANSLATIONS]
    if filename in LOCALIZED:
        draw(value, path, "en")
        for language, copy in zip(TRANSLATIONS, copies, strict=True):
            draw(value, copy, language)
        return [path, *copies]
    draw(value, path)
    for copy in copies:
        shutil.copyfile(path, copy)
    return [path, *copies]


if __name__ == "__main__":
    for filename in FIGURES:
        for path in make(filename):
            print(f"wrote {path.relative_to(ROOT)}")
