"""The figures of the "Training well" pages (the book's chapter 6), in each language of the site.

Each function draws one figure from the variable its page's code computes, with its titles,
axes and legends in `language`; `tools/generate/figures.py` runs the page and saves `NAME.png`
(English) and `NAME.zh.png` (Chinese). Chinese text needs a CJK font (Debian: `fonts-noto-cjk`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps, font_manager
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from tools.generate.figures_style import COLUMN_INCHES, Localized, colour, cycle

CJK_FONT = "Noto Sans CJK SC"

TEXT = {
    "en": {
        "epoch": "epoch",
        "train_accuracy": "training accuracy",
        "with_bn": "with batch norm",
        "without_bn": "without batch norm",
        "diverged": "{run}:\ndiverged in epoch {epoch}",
        "weight_std": "weight std {scale:g}",
        "accuracy": "accuracy",
        "train": "training data",
        "test": "test data",
        "no regularization": "no regularization",
        "weight decay": "weight decay",
        "dropout": "dropout",
        "step": "step",
        "loss": "training loss",
        "learning_rate": "learning rate",
        "val_accuracy": "validation accuracy",
        "best": "best {count}",
        "diverged_trials": "diverged",
    },
    "zh": {
        "epoch": "epoch",
        "train_accuracy": "训练集的识别精度",
        "with_bn": "使用 Batch Norm",
        "without_bn": "不使用 Batch Norm",
        "diverged": "{run}：\n第 {epoch} 个 epoch 发散",
        "weight_std": "权重标准差 {scale:g}",
        "accuracy": "识别精度",
        "train": "训练集",
        "test": "测试集",
        "no regularization": "不做正则化",
        "weight decay": "权值衰减",
        "dropout": "Dropout",
        "step": "步",
        "loss": "训练损失",
        "learning_rate": "学习率",
        "val_accuracy": "验证集的识别精度",
        "best": "最好的 {count} 次",
        "diverged_trials": "发散",
    },
}


@functools.cache
def cjk_font() -> str:
    """Register Debian's Noto CJK fonts with matplotlib (its font cache may predate them)."""
    files = sorted(Path("/usr/share/fonts").rglob("NotoSansCJK-Regular.tt[cf]"))
    if not files:
        raise RuntimeError("Chinese figures need a CJK font: apt-get install fonts-noto-cjk")
    font_manager.fontManager.addfont(str(files[0]))
    return CJK_FONT


def fonts(language: str, size: float = 11) -> dict[str, Any]:
    """Font properties for `language`: a CJK family for Chinese, matplotlib's default otherwise.

    11 pt for titles and axis labels, 10 for legends and notes (figures_style.FONTS)."""
    return {"family": cjk_font(), "size": size} if language == "zh" else {"size": size}


def batch_norm_scales(results: dict[tuple[float, bool], list[float]], language: str) -> Figure:
    """One panel per initial weight scale, two rows of three: training accuracy per epoch with
    and without BN; the sixth cell holds the legend. A run that diverged says so in its panel."""
    text, font = TEXT[language], fonts(language)
    scales = sorted({scale for scale, _ in results}, reverse=True)
    epochs = max(len(v) for v in results.values())
    columns = 3
    rows = -(-(len(scales) + 1) // columns)
    fig = Figure(figsize=(COLUMN_INCHES, 2.75 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, sharey=True).ravel()
    runs = ((True, "-", text["with_bn"]), (False, "--", text["without_bn"]))
    for ax, scale in zip(axes, scales, strict=False):
        diverged = []
        for index, (batch_norm, style, label) in enumerate(runs):
            values = results[scale, batch_norm]
            epoch = np.arange(1, len(values) + 1)
            ax.plot(epoch, values, style, color=cycle(index), marker="o", ms=3, label=label)
            if len(values) < epochs:
                diverged.append(text["diverged"].format(run=label, epoch=len(values) + 1))
        if diverged:
            ax.text(
                0.04,
                0.95,
                "\n".join(diverged),
                transform=ax.transAxes,
                ha="left",
                va="top",
                fontproperties=fonts(language, 10),
            )
        ax.set_title(text["weight_std"].format(scale=scale), fontproperties=font)
        ax.set_ylim(0, 1)
        ax.set_xlim(0.5, epochs + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in axes[len(scales) - columns :]:
        if ax.has_data():
            ax.set_xlabel(text["epoch"], fontproperties=font)
    for ax in axes[::columns]:
        ax.set_ylabel(text["train_accuracy"], fontproperties=font)
    legend = axes[len(scales)]
    handles = [
        Line2D([], [], linestyle=style, color=cycle(index), marker="o", ms=3)
        for index, (_, style, _) in enumerate(runs)
    ]
    legend.legend(handles, [label for *_, label in runs], loc="center", prop=font, frameon=False)
    for ax in axes[len(scales) :]:
        ax.set_axis_off()
    return fig


def regularization_gap(histories: dict[str, dict[str, list[float]]], language: str) -> Figure:
    """One panel per run ("weight decay 0.02", ...): training and test accuracy per epoch."""
    text, font = TEXT[language], fonts(language)
    fig = Figure(figsize=(min(3.1 * len(histories), COLUMN_INCHES), 3.3), layout="constrained")
    axes = fig.subplots(1, len(histories), sharey=True)
    for ax, (name, history) in zip(axes, histories.items(), strict=True):
        kind, _, value = name.rpartition(" ") if name[-1].isdigit() else (name, "", "")
        ax.set_title(f"{text[kind]} {value}".strip(), fontproperties=font)
        for key, style in (("train", "-"), ("test", "--")):
            values = history[f"{key}_accuracy"]
            ax.plot(np.arange(1, len(values) + 1), values, style, label=text[key])
        ax.set_xlabel(text["epoch"], fontproperties=font)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(text["accuracy"], fontproperties=font)
    axes[0].legend(loc="lower right", prop=fonts(language, 10))
    return fig


def scale_name(scale: float | str) -> str:
    return {"xavier": "Xavier", "he": "He"}.get(
        scale, f"{scale:g}" if not isinstance(scale, str) else scale
    )


def initial_weights_mnist(losses: dict[float | str, list[float]], language: str) -> Figure:
    """The training loss of every step, one curve per initial weight scale."""
    text, font = TEXT[language], fonts(language)
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.subplots()
    for scale, values in losses.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=scale_name(scale))
    ax.set_xlabel(text["step"], fontproperties=font)
    ax.set_ylabel(text["loss"], fontproperties=font)
    ax.grid(alpha=0.3)
    ax.legend(prop=fonts(language, 10))
    return fig


def hyperparameter_search(trials: list[dict], language: str, best: int = 5) -> Figure:
    """Left: every trial at its (lr, weight decay), coloured by validation accuracy; right: the
    validation curves of the best trials."""
    text, font = TEXT[language], fonts(language)
    fig = Figure(figsize=(COLUMN_INCHES, 4.0), layout="constrained")
    fig.get_layout_engine().set(wspace=0.08)  # the colour bar's label apart from the right panel
    left, right = fig.subplots(1, 2)
    ok = [t for t in trials if np.isfinite(t["val_accuracy"])]
    failed = [t for t in trials if not np.isfinite(t["val_accuracy"])]
    points = left.scatter(
        [t["lr"] for t in ok],
        [t["weight_decay"] for t in ok],
        c=[t["val_accuracy"] for t in ok],
        cmap=colormaps["viridis"].resampled(10),  # one colour per tenth of accuracy
        vmin=0,
        vmax=1,
        edgecolors=colour("ink"),  # the dark end of viridis on the dark page
        linewidths=0.5,
    )
    if failed:
        lrs, wds = [t["lr"] for t in failed], [t["weight_decay"] for t in failed]
        left.scatter(lrs, wds, marker="x", color=colour("red"), label=text["diverged_trials"])
        left.legend(loc="lower left", prop=fonts(language, 10))
    ranked = sorted(ok, key=lambda t: t["val_accuracy"], reverse=True)[:best]
    left.scatter(
        [t["lr"] for t in ranked],
        [t["weight_decay"] for t in ranked],
        s=170,
        facecolors="none",
        edgecolors=colour("ink"),
    )
    left.set(xscale="log", yscale="log")
    left.tick_params(labelsize=11)  # exponents are drawn smaller: 7.7 pt
    left.set_xlabel(text["learning_rate"], fontproperties=font)
    left.set_ylabel(text["weight decay"], fontproperties=font)
    fig.colorbar(points, ax=left).set_label(text["val_accuracy"], fontproperties=font)
    for t in ranked:
        curve = t["curve"]
        label = f"lr {t['lr']:.2g}, λ {t['weight_decay']:.1e}"
        right.plot(np.arange(1, len(curve) + 1), curve, marker="o", ms=3, label=label)
    right.set_title(text["best"].format(count=len(ranked)), fontproperties=font)
    right.set_xlabel(text["epoch"], fontproperties=font)
    right.set_ylabel(text["val_accuracy"], fontproperties=font)
    right.set_ylim(0, 1)
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.grid(alpha=0.3)
    right.legend(loc="lower right", prop=fonts(language, 10))
    return fig


LOCALIZED: Localized = {
    "batch-norm-scales.png": ("docs/tutorials/batch-norm.md", "bn_results", batch_norm_scales),
    "initial-weights-mnist.png": (
        "docs/tutorials/initial-weights.md",
        "init_losses",
        initial_weights_mnist,
    ),
    "hyperparameter-search.png": (
        "docs/tutorials/hyperparameter-search.md",
        "search_trials",
        hyperparameter_search,
    ),
    "regularization-gap.png": (
        "docs/tutorials/regularization.md",
        "overfit_histories",
        regularization_gap,
    ),
}
