"""The optimizers page's valley figure: five optimizers' paths on the book's f(x, y) = x²/20 + y².

`valley_paths` (what the page's code computes) maps "SGD, lr=0.95" and so on to the points
`(steps + 1, 2)` one optimizer visits from the book's start. Each path gets a panel of its own
over the contour lines of f; the sixth panel shows f along all five paths per step, in the
same colours. `tools/generate/figures.py` registers the figure and saves it in each language.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from tools.generate.figures_style import Localized, colour, cycle, readable
from tools.generate.figures_training import fonts

TEXT = {
    "en": {"loss": "f(x, y) at each step", "step": "step", "comma": ", "},
    "zh": {"loss": "每一步的 f(x, y)", "step": "步", "comma": "，"},
}
X_RANGE, Y_RANGE = (-8.0, 2.0), (-2.5, 2.5)


def valley(x: Any, y: Any) -> Any:
    """The book's f(x, y) = x²/20 + y²: 20 times more curved across (y) than along (x)."""
    return x**2 / 20 + y**2


def optimizer_paths(paths: dict[str, np.ndarray], language: str) -> Figure:
    """Five panels, one path each over the contours of f, and f per step for all five."""
    text, font = TEXT[language], fonts(language, 11)
    fig = Figure(figsize=(6.8, 6.6), layout="constrained")
    axes = fig.subplots(3, 2).ravel()
    colours = [cycle(i) for i in range(5)]  # as the loss curves' figure
    gx, gy = np.meshgrid(np.linspace(*X_RANGE, 201), np.linspace(*Y_RANGE, 101))
    levels = valley(np.array([0.5, 1.5, 3.0, 5.0, 7.0]), 0.0)  # ellipses through these x
    for ax, (name, points), line in zip(axes, paths.items(), colours, strict=False):
        ax.contour(gx, gy, valley(gx, gy), levels=levels, colors=colour("contour"), linewidths=0.8)
        ax.plot(points[:, 0], points[:, 1], "o-", color=line, ms=3, lw=1.2)
        ax.plot(0, 0, "+", color=colour("ink"), ms=10, mew=1.5)
        title = name.replace(", ", text["comma"])
        # the path's colour, darker on the light page (lighter on the dark one) for contrast
        ax.set_title(title, fontproperties=font, color=readable(line))
        ax.set(xlim=X_RANGE, ylim=Y_RANGE, aspect="equal")
        ax.set_xlabel("$x$", fontsize=11)
        ax.set_ylabel("$y$", fontsize=11)
        ax.tick_params(labelsize=10)
    last = axes[-1]
    for points, line in zip(paths.values(), colours, strict=False):
        f = valley(points[:, 0], points[:, 1])
        last.plot(np.arange(len(f)), f, color=line, lw=1.5)
    last.set_yscale("log")
    last.set_title(text["loss"], fontproperties=font)
    last.set_xlabel(text["step"], fontproperties=font)
    last.xaxis.set_major_locator(MaxNLocator(integer=True))
    last.tick_params(labelsize=10)
    last.tick_params(axis="y", labelsize=11)  # exponents are drawn smaller: 7.7 pt
    last.grid(alpha=0.3)
    return fig


LOCALIZED: Localized = {
    "optimizers-valley.png": ("docs/tutorials/optimizers.md", "valley_paths", optimizer_paths),
}
