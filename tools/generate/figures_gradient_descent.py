"""The gradient-descent page's figure: the loss of every mini-batch, step by step, in each language.

`batch_losses` (what the page's training loop records) is the loss of the mini-batch each
step descends on, 16 steps an epoch. The figure draws them as they come, thin, and their mean
over the last 16 steps, thick: the noise of single steps around a loss that falls.
`tools/generate/figures.py` registers the figure and saves it in each language.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from tools.generate.figures_style import Localized, colour
from tools.generate.figures_training import fonts

WINDOW = 16  # steps in the mean: one epoch of the page's loop (800 samples, batches of 50)
TEXT = {
    "en": {
        "step": "step",
        "loss": "loss",
        "batch": "each step's mini-batch (50 samples)",
        "mean": "mean of the last 16 steps",
    },
    "zh": {
        "step": "步",
        "loss": "损失",
        "batch": "每一步的小批量（50 个样本）",
        "mean": "最近 16 步的平均值",
    },
}


def batch_loss_curve(batch_losses: list[float], language: str) -> Figure:
    """The loss of each step's mini-batch against the step, and its running mean."""
    text, font = TEXT[language], fonts(language, 11)
    losses = np.asarray(batch_losses, dtype=float)
    steps = np.arange(1, len(losses) + 1)
    mean = np.convolve(losses, np.ones(WINDOW) / WINDOW, mode="valid")
    fig = Figure(figsize=(5.6, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.plot(steps, losses, color=colour("pale_blue"), linewidth=0.9, label=text["batch"])
    ax.plot(steps[WINDOW - 1 :], mean, color=colour("deep_blue"), linewidth=2.2, label=text["mean"])
    ax.set_xlabel(text["step"], fontproperties=font)
    ax.set_ylabel(text["loss"], fontproperties=font)
    ax.set_xlim(0, len(losses))
    ax.set_ylim(0, None)
    ax.tick_params(labelsize=10)
    ax.grid(alpha=0.3)
    ax.legend(prop=fonts(language, 10), loc="upper right")
    return fig


LOCALIZED: Localized = {
    "gradient-descent-batch-losses.png": (
        "docs/tutorials/gradient-descent.md",
        "batch_losses",
        batch_loss_curve,
    ),
}
