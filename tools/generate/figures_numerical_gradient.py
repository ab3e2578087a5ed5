"""The numerical-gradient page's figure: the gradient of a bowl as arrows, in each language.

`gradient_field` (what the page's block computes with `numerical_gradient`) holds grid points
of f(x0, x1) = x0² + x1² and minus the gradient at each. The figure draws the arrows over the
contours of f, as the book's figure of chapter 4 does: every arrow points downhill, toward the
lowest point, and is longer where the bowl is steeper.
`tools/generate/figures.py` registers the figure and saves it in each language.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from tools.generate.figures_style import Localized, colour
from tools.generate.figures_training import fonts

TEXT = {
    "en": {"title": "minus the gradient of $f = x_0^2 + x_1^2$, computed numerically"},
    "zh": {"title": "数值计算出的 $f = x_0^2 + x_1^2$ 的负梯度"},
}


def gradient_arrows(gradient_field: dict[str, Any], language: str) -> Figure:
    """Arrows of minus the gradient at the grid points, over circles where f is constant."""
    text, font = TEXT[language], fonts(language, 11)
    points = np.asarray(gradient_field["points"], dtype=float)
    arrows = np.asarray(gradient_field["arrows"], dtype=float)
    fig = Figure(figsize=(5.2, 5.2), layout="constrained")
    ax = fig.subplots()
    grid = np.linspace(-2.6, 2.6, 200)
    x0, x1 = np.meshgrid(grid, grid)
    ax.contour(x0, x1, x0**2 + x1**2, levels=[0.5, 1, 2, 4, 6, 8], colors=colour("contour"))
    # Each arrow a line (which the data digest records) with a head: minus the gradient,
    # drawn at a tenth of its length so that neighbours do not overlap.
    for (x, y), (u, v) in zip(points, arrows / 10, strict=True):
        ax.plot([x, x + u], [y, y + v], color=colour("blue"), linewidth=1.3)
        head = {"arrowstyle": "-|>", "color": colour("blue"), "shrinkA": 0, "shrinkB": 0}
        ax.annotate("", xy=(x + u, y + v), xytext=(x + 0.9 * u, y + 0.9 * v), arrowprops=head)
    ax.plot([0], [0], marker="+", markersize=12, color=colour("ink"))
    ax.set_xlim(-2.6, 2.6)
    ax.set_ylim(-2.6, 2.6)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_0$", fontproperties=font)
    ax.set_ylabel("$x_1$", fontproperties=font)
    ax.set_title(text["title"], fontproperties=font)
    return fig


LOCALIZED: Localized = {
    "numerical-gradient-arrows.png": (
        "docs/tutorials/numerical-gradient.md",
        "gradient_field",
        gradient_arrows,
    ),
}
