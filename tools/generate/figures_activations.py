"""The activation-layers page's figure: ReLU and the sigmoid with their slopes, in each language.

`activation_curves(curves, language)` draws what the page's code computes: `curves["x"]`, the
inputs, and for each layer (`"Relu"`, `"Sigmoid"`) its forward output and its backward with
`dout = 1`, the local slope. `tools/generate/figures.py` runs the page and saves `NAME.png`
(English) and `NAME.zh.png` (Chinese); Chinese text needs a CJK font (Debian: `fonts-noto-cjk`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from tools.generate.figures_style import Localized, colour
from tools.generate.figures_training import fonts

TEXT = {
    "en": {"value": "y = f(x)", "slope": "slope dy/dx", "peak": "{slope:g} at x = {x:g}"},
    "zh": {"value": "函数值 y = f(x)", "slope": "导数 dy/dx", "peak": "x = {x:g} 处为 {slope:g}"},
}


def activation_curves(curves: dict[str, Any], language: str) -> Figure:
    """One panel per layer, stacked: its output (solid) and its slope (dashed) against x."""
    text, font = TEXT[language], fonts(language, 11)
    x = curves["x"]
    # Stacked, not side by side, and about 340 CSS px wide: it fits a 390 px phone's column.
    fig = Figure(figsize=(3.4, 5.2), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    for ax, name in zip(axes, ("Relu", "Sigmoid"), strict=True):
        y, slope = curves[name]
        ax.plot(x, y, color=colour("blue"), linewidth=2, label=text["value"])
        ax.plot(x, slope, color=colour("red"), linewidth=2, linestyle="--", label=text["slope"])
        ax.set_title("ReLU" if name == "Relu" else name, fontsize=11)
        ax.axhline(0, color=colour("muted"), linewidth=0.8)
        ax.axvline(0, color=colour("muted"), linewidth=0.8)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(-0.3, 2.3)  # ReLU keeps rising; its slope, 0 or 1, is what matters here
    axes[0].legend(loc="upper left", prop=font)
    top = int(np.argmax(curves["Sigmoid"][1]))
    peak = curves["Sigmoid"][1][top]
    axes[1].plot([x[top]], [peak], "o", color=colour("red"))
    axes[1].annotate(
        text["peak"].format(slope=peak, x=x[top]),
        (x[top], peak),
        xytext=(12, 6),
        textcoords="offset points",
        fontproperties=font,
    )
    axes[1].set_ylim(-0.1, 1.1)
    axes[1].set_xlabel("x", fontsize=11)
    return fig


LOCALIZED: Localized = {
    "activation-layers-curves.png": (
        "docs/tutorials/activation-layers.md",
        "curves",
        activation_curves,
    ),
}
