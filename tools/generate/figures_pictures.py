"""Pictures of what happens inside a network, drawn from the runs of the chapter 6 and 7 pages.

- `initial-weights-sigmoid.png`, `initial-weights-relu.png`: histograms of the outputs of five
  layers (columns) for each initial weight scale (rows), from the page's `activations`.
- `batch-norm-distributions.png`: a hidden layer's values before and after batch normalization
  for three weight scales, from the page's `bn_layer3`.
- `simple-convnet-filters-small-init.png`: the 30 first-layer filters of a SimpleConvNet trained
  from weights of standard deviation 0.01, before and after, on one scale (`small_filters`).
- `simple-convnet-feature-maps.png`: one test digit, six of those filters and what each makes of
  the digit, its feature map after ReLU (`feature_maps`).

Each function draws in `language` ("en" or "zh"), with matplotlib's default colours and text
colours, so that a style set around the call applies; `tools/generate/figures.py` registers them.
Histograms are drawn with `fill_between`, whose outline `figures.data_digest` records (bars
would not be). Text is 10 pt or more on figures about 9.3 inches wide, so that it is at least
9 CSS px where the column is 930 px wide.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from tools.generate.figures_style import Localized
from tools.generate.figures_training import fonts

TEXT = {
    "en": {
        "layer": "layer {number}",
        "scale": "scale {scale}",
        "std": "std {value}",
        "positive": "ReLU: positive outputs only (about half are 0)",
        "weight_std": "weight std {scale:g}",
        "before_bn": "Affine3's output\n(batch norm's input)",
        "after_bn": "BatchNorm3's output",
        "filters_before": "Before training: weights of std 0.01",
        "filters_after": "After two epochs (160 steps): each filter on its grey scale above",
        "digit": "test digit ({label})",
        "filter": "filter {number}",
        "map": "feature map",
    },
    "zh": {
        "layer": "第 {number} 层",
        "scale": "尺度 {scale}",
        "std": "标准差 {value}",
        "positive": "ReLU：只统计正的输出（约一半为 0）",
        "weight_std": "权重标准差 {scale:g}",
        "before_bn": "Affine3 的输出\n（Batch Norm 的输入）",
        "after_bn": "BatchNorm3 的输出",
        "filters_before": "训练前：权重的标准差为 0.01",
        "filters_after": "训练两个 epoch（160 步）后：每个滤波器的灰度与上图相同",
        "digit": "测试数字（{label}）",
        "filter": "滤波器 {number}",
        "map": "特征图",
    },
}
WIDTH = 9.3  # inches: 1,116 px at the 120 dpi figures.save() uses, shown 930 px wide


def histogram(ax: Any, values: Any, bins: int, limits: tuple[float, float]) -> None:
    """A filled step histogram of `values` (a polygon, which the data digest records)."""
    counts, edges = np.histogram(np.ravel(values), bins=bins, range=limits)
    ax.fill_between(edges, np.append(counts, counts[-1]), step="post", linewidth=0)
    ax.set_xlim(*limits)
    ax.set_ylim(0, 1.35 * max(counts.max(), 1))  # room at the top for the label
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:g}"))  # 0 and 1, not 0.0 and 1.0


def scale_name(scale: float | str) -> str:
    return {"xavier": "Xavier", "he": "He"}.get(scale) or f"{scale:g}"


def activation_histograms(activations: dict, name: str, language: str) -> Figure:
    """One row per weight scale, one column per layer: histograms of `name`'s outputs, each
    labelled with the standard deviation of all its outputs, as the page prints it."""
    text, font = TEXT[language], fonts(language, 11)
    rows = [(scale, outputs) for (act, scale), outputs in activations.items() if act == name]
    fig = Figure(figsize=(WIDTH, 1.75 * len(rows) + 0.6), layout="constrained")
    axes = fig.subplots(len(rows), 5, squeeze=False)
    for (scale, outputs), row in zip(rows, axes, strict=True):
        shown = [a[a > 0] if name == "relu" else a for a in outputs]  # ReLU: leave out the zeros
        high = 1.0 if name == "sigmoid" else float(np.quantile(shown[0], 0.99))
        for number, (ax, a, v) in enumerate(zip(row, outputs, shown, strict=True), start=1):
            histogram(ax, v, 30, (0.0, high))
            label = text["std"].format(value=f"{a.std():.3g}")
            ax.text(0.97, 0.95, label, transform=ax.transAxes, ha="right", va="top", **font)
            ax.tick_params(labelsize=10)
            if scale == rows[0][0]:
                ax.set_title(text["layer"].format(number=number), fontdict=font)
        row[0].set_ylabel(text["scale"].format(scale=scale_name(scale)), fontdict=font)
    if name == "relu":
        fig.suptitle(text["positive"], **font)
    return fig


def initial_weights_sigmoid(activations: dict, language: str) -> Figure:
    return activation_histograms(activations, "sigmoid", language)


def initial_weights_relu(activations: dict, language: str) -> Figure:
    return activation_histograms(activations, "relu", language)


def batch_norm_distributions(layers: dict[float, tuple[Any, Any]], language: str) -> Figure:
    """Columns: weight scales; top: a layer's values before batch norm (each panel on its own
    axis), bottom: after it (one axis for all three). Every panel shows its standard deviation."""
    text, font = TEXT[language], fonts(language, 11)
    fig = Figure(figsize=(WIDTH, 4.6), layout="constrained")
    axes = fig.subplots(2, len(layers))
    for (scale, (before, after)), (top, bottom) in zip(layers.items(), axes.T, strict=True):
        reach = float(np.max(np.abs(np.quantile(before, [0.001, 0.999]))))
        histogram(top, before, 40, (-reach, reach))
        histogram(bottom, after, 40, (-4.0, 4.0))
        bottom.set_xticks([-3, 0, 3])  # not -4 and 4, which would touch the next panel's
        top.set_title(text["weight_std"].format(scale=scale), fontdict=font)
        for ax, values in ((top, before), (bottom, after)):
            value = f"{values.std():.2g}" if ax is top else f"{values.std():.2f}"
            label = text["std"].format(value=value)
            ax.text(0.97, 0.95, label, transform=ax.transAxes, ha="right", va="top", **font)
            ax.tick_params(labelsize=10)
            ax.xaxis.get_offset_text().set_fontsize(10)
    axes[0, 0].set_ylabel(text["before_bn"], fontdict=font, linespacing=1.5)
    axes[1, 0].set_ylabel(text["after_bn"], fontdict=font)
    return fig


def small_init_filters(filters: Any, language: str) -> Figure:
    """The 30 filters `(2, 30, 1, 5, 5)` before (top) and after (bottom) training. Each filter is
    drawn on one grey scale before and after (dark: positive, mid-grey: 0), that of its largest
    weight after training, so that the small start looks as faint as it is."""
    text, font = TEXT[language], fonts(language, 11)
    limits = np.abs(filters[1]).max(axis=(1, 2, 3))  # one per filter
    fig = Figure(figsize=(WIDTH, 3.9), layout="constrained")
    titles = (text["filters_before"], text["filters_after"])
    for subfig, weights, title in zip(fig.subfigures(2, 1), filters, titles, strict=True):
        subfig.suptitle(title, **font)
        for ax, w, limit in zip(subfig.subplots(2, 15).ravel(), weights, limits, strict=True):
            ax.imshow(w[0], cmap="gray_r", vmin=-limit, vmax=limit, interpolation="nearest")
            ax.set_axis_off()
    return fig


def feature_maps(found: dict[str, Any], language: str) -> Figure:
    """The digit, then each chosen filter (its own grey scale, dark: positive) above its feature
    map after ReLU (white: 0, dark: a strong response)."""
    text, font = TEXT[language], fonts(language, 11)
    count = len(found["numbers"])
    fig = Figure(figsize=(WIDTH, 3.2), layout="constrained")
    grid = fig.add_gridspec(2, count + 2, width_ratios=[2, 0.15] + [1] * count)
    digit = fig.add_subplot(grid[:, 0])
    digit.imshow(found["digit"], cmap="gray_r", interpolation="nearest")
    digit.set_title(text["digit"].format(label=found["label"]), fontdict=font)
    digit.set_axis_off()
    for column, (number, w, feature_map) in enumerate(
        zip(found["numbers"], found["filters"], found["maps"], strict=True), start=2
    ):
        top, bottom = fig.add_subplot(grid[0, column]), fig.add_subplot(grid[1, column])
        limit = float(np.abs(w).max())
        top.imshow(w, cmap="gray_r", vmin=-limit, vmax=limit, interpolation="nearest")
        top.set_title(text["filter"].format(number=number), fontdict=font)
        bottom.imshow(feature_map, cmap="gray_r", vmin=0, interpolation="nearest")
        top.set_axis_off()
        if column == 2:  # one label for the row, left of its first map
            bottom.set(xticks=[], yticks=[])
            bottom.spines[:].set_visible(False)
            bottom.set_ylabel(text["map"], fontdict=font)
        else:
            bottom.set_axis_off()
    return fig


LOCALIZED: Localized = {
    "initial-weights-sigmoid.png": (
        "docs/tutorials/initial-weights.md",
        "activations",
        initial_weights_sigmoid,
    ),
    "initial-weights-relu.png": (
        "docs/tutorials/initial-weights.md",
        "activations",
        initial_weights_relu,
    ),
    "batch-norm-distributions.png": (
        "docs/tutorials/batch-norm.md",
        "bn_layer3",
        batch_norm_distributions,
    ),
    "simple-convnet-filters-small-init.png": (
        "docs/tutorials/simple-convnet.md",
        "small_filters",
        small_init_filters,
    ),
    "simple-convnet-feature-maps.png": (
        "docs/tutorials/simple-convnet.md",
        "feature_maps",
        feature_maps,
    ),
}
