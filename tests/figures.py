"""The site's figures, drawn from what the pages' own code computes.

    python -m tests.figures    # rewrite docs/assets/figures/*.png

For each figure, the ```python blocks of its page run in order in one namespace, the way the
tests run them (snippet includes expanded, `<!--pytest-codeblocks:cont-->` blocks joined to the
block before), until a block defines the variable the figure needs; then the figure is drawn
from that variable. A page that changes its training therefore changes its figure the next
time this runs. `tests/test_figures.py` checks that every figure exists and that both language
versions of its page show it.

Each figure is written twice, as `NAME.png` and `NAME.zh.png`, with the same bytes: with
`fallback_to_default: false`, mkdocs-static-i18n gives the Chinese build only the files with
its own suffix, so a Chinese page's `![...](NAME.png)` finds `NAME.zh.png`, and nothing else.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nn.plot import plot_history
from tests.codeblocks_snippets import ROOT, extract_from_file
from tests.figures_training import LOCALIZED

OUT = ROOT / "docs" / "assets" / "figures"
TRANSLATIONS = ("zh",)  # the site's other languages: each gets a copy of every figure


def save_figure(fig: Any, path: Path) -> None:
    """Save a figure the page drew itself with nn.plot, the way nn.plot saves figures."""
    fig.savefig(path, dpi=120, bbox_inches="tight")


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
}


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
    draw(value, path)
    copies = [translated(path, language) for language in TRANSLATIONS]
    for copy in copies:
        shutil.copyfile(path, copy)
    return [path, *copies]


def make_localized(filename: str) -> list[Path]:
    """A figure of `LOCALIZED` (tests/figures_training.py), drawn once per language."""
    page, name, draw = LOCALIZED[filename]
    value = run_page_until(ROOT / page, name)
    OUT.mkdir(parents=True, exist_ok=True)
    paths = [OUT / filename, *(translated(OUT / filename, lang) for lang in TRANSLATIONS)]
    for language, path in zip(("en", *TRANSLATIONS), paths, strict=True):
        save_figure(draw(value, language), path)
    return paths


if __name__ == "__main__":
    for filename in FIGURES:
        for path in make(filename):
            print(f"wrote {path.relative_to(ROOT)}")
    for filename in LOCALIZED:
        for path in make_localized(filename):
            print(f"wrote {path.relative_to(ROOT)}")
