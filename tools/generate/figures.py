"""The site's figures, drawn from what the pages' own code computes, in both languages and
both colour schemes.

    python -m tools.generate.figures    # rewrite docs/assets/figures/*.png

For each page, its ```python blocks run once, in order, in one namespace, the way the tests
run them (snippet includes expanded, `<!--pytest-codeblocks:cont-->` blocks joined to the
block before), until the variables its figures need are defined. Each figure is drawn from
that one run four times: `NAME.png` as the page drew it, `NAME.zh.png` with its axis labels
and legends in Chinese (TRANSLATIONS) in a CJK font, and both again under the dark theme,
`NAME-dark.png` and `NAME-dark.zh.png` (figures_style.py: the same function inside
`style("dark")`; a page that draws a figure itself runs again under it). With
`fallback_to_default: false`, mkdocs-static-i18n gives the Chinese build only files with its
suffix, so a Chinese page's `![...](NAME.png)` is served `NAME.zh.png`; tools/site/figures.py
shows the `-dark` copy in the dark scheme.

Each PNG records in its text chunks a digest of the data it plots (`data_digest`: every line,
scatter, contour and image, rounded to 5 significant digits so that the last bits of floating
point do not matter), the texts drawn on it, its smallest font in its own pixels
(`nn:smallest-text-px`) and the density the site shows it at (`nn:density`, PNG pixels per CSS
px). `tools/tests/test_figures.py` runs the pages once more, computes the digests afresh and
fails when a committed figure plots anything else, or when its text, shown at the column's
width, would be smaller than 9 CSS px.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import font_manager
from matplotlib.collections import Collection, PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.text import Text

from nn.plot import plot_history
from tools.generate.figures_activations import LOCALIZED as ACTIVATION_FIGURES
from tools.generate.figures_gradient_descent import LOCALIZED as GRADIENT_DESCENT_FIGURES
from tools.generate.figures_numerical_gradient import LOCALIZED as NUMERICAL_GRADIENT_FIGURES
from tools.generate.figures_optimizers import LOCALIZED as OPTIMIZER_FIGURES
from tools.generate.figures_pictures import LOCALIZED as PICTURE_FIGURES
from tools.generate.figures_style import (
    COLUMN_INCHES,
    DENSITY,
    DPI,
    THEMES,
    colour,
    current_theme,
    greys,
    smallest_text_px,
    style,
    unreadable_texts,
)
from tools.generate.figures_training import LOCALIZED
from tools.site.config import ROOT

# Not from tests.codeblocks_snippets, which needs the docs toolchain: digests_in() runs in the
# notebooks' kernels, whose environment has only nn and matplotlib (tools/notebook_runner.py).
OUT = ROOT / "docs" / "assets" / "figures"
LANGUAGES = ("en", "zh")
DIGEST_KEY = "nn:data-sha256"  # PNG text chunks written with every figure
TEXTS_KEY = "nn:texts"
SMALLEST_KEY = "nn:smallest-text-px"  # the smallest font on it, in the PNG's pixels
DENSITY_KEY = "nn:density"  # PNG pixels per CSS px where the site shows it (figures_style)
THEME_KEY = "nn:theme"
CJK_FONT = "Noto Sans CJK SC"  # Debian: fonts-noto-cjk

# Every label, legend entry and title the figures show, in Chinese (GLOSSARY.md). A figure
# with a word not listed here cannot be drawn in Chinese: add the word.
TRANSLATIONS = {
    "zh": {
        "epoch": "epoch",
        "train_loss": "训练损失",
        "test_loss": "测试损失",
        "train_acc": "训练识别精度",
        "test_acc": "测试识别精度",
        "val_loss": "验证损失",
        "val_acc": "验证识别精度",
        "train_rmse": "训练 RMSE",
        "data": "数据",
        "model": "网络的预测",
        "nn train_loss": "nn 的训练损失",
        "MLPClassifier loss_curve_": "MLPClassifier 的训练损失",
        "full-batch GD loss": "全批量梯度下降的损失",
        "mini-batch SGD loss": "小批量 SGD 的损失",
        "Momentum loss": "Momentum 的损失",
        "Adam loss": "Adam 的损失",
        "Training loss per epoch, learning rates chosen on validation data": (
            "每个 epoch 的训练损失，学习率在验证集上选定"
        ),
        "training loss": "训练损失",
        "SGD, lr=0.1": "SGD（lr=0.1）",
        "Momentum, lr=0.1": "Momentum（lr=0.1）",
        "AdaGrad, lr=0.03": "AdaGrad（lr=0.03）",
        "RMSprop, lr=0.003": "RMSprop（lr=0.003）",
        "Adam, lr=0.01": "Adam（lr=0.01）",
        "Before training": "训练前",
        "After training": "训练后",
        "The change: after − before (red: up, blue: down)": (
            "变化：训练后 − 训练前（红：增大，蓝：减小）"
        ),
        "Test digits SimpleConvNet reads wrong (label → prediction)": (
            "SimpleConvNet 识别错误的测试数字（标签 → 预测）"
        ),
        "Where the two-layer network's output is above 0.5": "两层网络的输出大于 0.5 的区域",
        "XOR = 0": "XOR = 0",
        "XOR = 1": "XOR = 1",
        "accuracy": "识别精度",
        "cross-entropy error": "交叉熵误差",
        "bias b": "偏置 b",
    }
}
WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile("[\u4e00-\u9fff]")


def fit_column(fig: Any) -> Any:
    """A figure wider than the content column made as wide as the column, so that the page does
    not shrink it (and its text); its layout, constrained, reflows."""
    width, height = fig.get_size_inches()
    if width > COLUMN_INCHES:
        fig.set_size_inches(COLUMN_INCHES, height)
    return fig


def as_figure(value: Any) -> Any:
    """A figure the page drew itself with nn.plot (under the theme's style: make() runs the
    page in each theme). On the dark page its scattered points get a thin outline in the
    theme's ink: nn.plot colours them for a white background."""
    if current_theme() == "dark":
        for ax in value.axes:
            for points in ax.collections:
                if isinstance(points, PathCollection) and len(points.get_offsets()):
                    points.set_edgecolor(colour("ink"))
                    points.set_linewidth(0.3)
    return fit_column(value)


def history_figure(history: dict[str, list[float]]) -> Any:
    """nn.plot.plot_history's figure of a training history, as wide as the column at most."""
    return fit_column(plot_history(history))


def plot_optimizer_losses(losses: dict[str, list[float]]) -> Any:
    """The optimizers page's loss curves, one line per optimizer with its learning rate."""
    fig = plot_history(losses)
    fig.set_size_inches(6.6, 4.0)  # room for the title
    ax = fig.axes[0]
    ax.set_title("Training loss per epoch, learning rates chosen on validation data")
    ax.set_ylabel("training loss")
    return fig


def plot_conv_filters(filters: Any) -> Any:
    """The first layer's filters `(2, FN, 1, FH, FW)` before and after training, and the change."""
    before, after = filters
    # Dark: positive, in both themes, as the page's other filter figures (figures_pictures.py).
    panels = [("Before training", before, "gray_r"), ("After training", after, "gray_r")]
    # The change around 0: white on the light page, black on the dark one (matplotlib's berlin).
    change = "RdBu_r" if current_theme() == "light" else "berlin"
    panels.append(("The change: after − before (red: up, blue: down)", after - before, change))
    fig = Figure(figsize=(8, 7.6), layout="constrained")
    for subfig, (title, weights, cmap) in zip(fig.subfigures(3, 1), panels, strict=True):
        subfig.suptitle(title)
        for ax, w in zip(subfig.subplots(3, 10).ravel(), weights, strict=True):
            # each filter on its own scale; a change symmetric around 0
            limit = np.abs(w).max() if cmap == change else None
            vmin = None if limit is None else -limit
            ax.imshow(w[0], cmap=cmap, vmin=vmin, vmax=limit, interpolation="nearest")
            ax.set_axis_off()
    return fig


def plot_conv_mistakes(mistakes: Any) -> Any:
    """The first 24 test digits the network reads wrong, each titled `label → prediction`."""
    fig = Figure(figsize=(8, 3.9), layout="constrained")
    axes = fig.subplots(3, 8)
    shown = zip(mistakes["images"], mistakes["labels"], mistakes["predicted"], strict=True)
    for ax, (image, label, predicted) in zip(axes.ravel(), shown, strict=False):  # the first 24
        ax.imshow(image[0], cmap=greys(), interpolation="nearest")
        ax.set_title(f"{label} → {predicted}")
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.suptitle("Test digits SimpleConvNet reads wrong (label → prediction)")
    return fig


def plot_xor_boundary(xor_net: Callable[[Any], Any]) -> Any:
    """The plane coloured by whether the XOR network's output is above 0.5, and the 4 inputs."""
    grid = np.linspace(-0.25, 1.25, 301)
    gx, gy = np.meshgrid(grid, grid)
    above = xor_net(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape) > 0.5
    fig = Figure(figsize=(4.6, 4.6), layout="constrained")
    ax = fig.subplots()
    fills = [colour("fill_blue"), colour("fill_red")]
    ax.contourf(gx, gy, above.astype(float), levels=[-0.5, 0.5, 1.5], colors=fills)
    inputs = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    xor = inputs[:, 0] != inputs[:, 1]
    for value, name, marker in ((False, "blue", "o"), (True, "red", "s")):
        points = inputs[xor == value]
        ax.scatter(
            points[:, 0],
            points[:, 1],
            s=110,
            c=colour(name),
            marker=marker,
            edgecolors=colour("ink"),
            linewidths=0.8,
            label=f"XOR = {int(value)}",
        )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    ax.set_title("Where the two-layer network's output is above 0.5")
    # Below the axes: inside, the legend would cover the input (1, 1).
    fig.legend(loc="outside lower center", ncol=2)
    return fig


def plot_loss_and_accuracy(scan: dict[str, Any]) -> Any:
    """Accuracy (a staircase) and cross-entropy error (smooth) of a classifier against its bias."""
    fig = Figure(figsize=(5.2, 4.4), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(scan["b"], scan["accuracy"], color=colour("blue"), drawstyle="steps-mid")
    top.set_ylabel("accuracy")
    bottom.plot(scan["b"], scan["loss"], color=colour("red"))
    bottom.set_ylabel("cross-entropy error")
    bottom.set_xlabel("bias b")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    return fig


# figure file name -> (page, variable the page's code defines, function making the figure)
FIGURES: dict[str, tuple[str, str, Callable[[Any], Any]]] = {
    "what-a-network-computes-xor.png": (
        "docs/tutorials/what-a-network-computes.md",
        "xor_net",
        plot_xor_boundary,
    ),
    "what-a-network-computes-loss.png": (
        "docs/tutorials/what-a-network-computes.md",
        "scan",
        plot_loss_and_accuracy,
    ),
    "two-layer-net-history.png": ("docs/tutorials/two-layer-net.md", "history", history_figure),
    "regression-checkpoints-fit.png": (
        "docs/tutorials/regression-checkpoints.md",
        "fig_fit",
        as_figure,
    ),
    "regression-checkpoints-history.png": (
        "docs/tutorials/regression-checkpoints.md",
        "fig_history",
        as_figure,
    ),
    "network-as-data-boundary.png": (
        "docs/tutorials/network-as-data.md",
        "fig_boundary",
        as_figure,
    ),
    "network-as-data-sklearn.png": ("docs/tutorials/network-as-data.md", "fig_sklearn", as_figure),
    "optimizers-losses.png": ("docs/tutorials/optimizers.md", "losses", plot_optimizer_losses),
    "simple-convnet-filters.png": (
        "docs/tutorials/simple-convnet.md",
        "filters",
        plot_conv_filters,
    ),
    "simple-convnet-mistakes.png": (
        "docs/tutorials/simple-convnet.md",
        "mistakes",
        plot_conv_mistakes,
    ),
}
# Figures drawn in each language by functions of their own (training, activations, optimizers,
# gradient descent, pictures).
LOCALIZED = {
    **LOCALIZED,
    **ACTIVATION_FIGURES,
    **OPTIMIZER_FIGURES,
    **GRADIENT_DESCENT_FIGURES,
    **NUMERICAL_GRADIENT_FIGURES,
    **PICTURE_FIGURES,
}
for _filename, (_page, _name, _draw) in LOCALIZED.items():
    FIGURES[_filename] = (_page, _name, lambda value, draw=_draw: draw(value, "en"))


def run_page_until(page: Path, names: set[str]) -> dict[str, Any]:
    """Run the page's python blocks in order until all `names` are defined; return them."""
    from tools.site.pytest_pages import extract_from_file

    namespace: dict[str, Any] = {"__name__": "page"}
    for block in extract_from_file(page):
        if block.syntax != "python" or any("skip" in mark for mark in block.marks):
            continue
        with contextlib.redirect_stdout(io.StringIO()):  # the pages' tests check the output
            exec(compile(block.code, f"{page}:{block.lineno}", "exec"), namespace)
        if names <= namespace.keys():
            return {name: namespace[name] for name in names}
    raise LookupError(f"no python block of {page} defines {sorted(names - namespace.keys())}")


def figures_by_page() -> dict[str, list[str]]:
    pages: dict[str, list[str]] = {}
    for filename, (page, _, _) in FIGURES.items():
        pages.setdefault(page, []).append(filename)
    return pages


def compute(page: str) -> dict[str, Any]:
    """Run `page` once; the figure of each of its FIGURES, by file name."""
    wanted = {FIGURES[f][1] for f in figures_by_page()[page]}
    values = run_page_until(ROOT / page, wanted)
    return {f: FIGURES[f][2](values[FIGURES[f][1]]) for f in figures_by_page()[page]}


def page_digests(page: str) -> dict[str, str]:
    """Run `page` once; the data digest of each of its figures, by file name."""
    return {filename: data_digest(fig) for filename, fig in compute(page).items()}


def names_for(page: str) -> list[str]:
    """The variables of `page` (docs/...md) that its figures are drawn from."""
    return sorted({FIGURES[f][1] for f in figures_by_page().get(page, [])})


def digests_in(namespace: dict[str, Any], page: str) -> str:
    """The data digest of each figure of `page`, drawn from `namespace`, as JSON.

    tools/notebook_runner.py calls this in the kernel of the page's notebook, once the cells
    have defined the names the figures need: the same values run_page_until() stops at.
    """
    import json

    from matplotlib import pyplot as plt

    digests = {}
    for filename in figures_by_page()[page]:
        fig = FIGURES[filename][2](namespace[FIGURES[filename][1]])
        digests[filename] = data_digest(fig)
        plt.close(fig)  # not shown by the notebook's inline backend after the next cell
    return json.dumps(digests)


def data_digest(fig: Any) -> str:
    """SHA-256 of what the figure plots: each axes' scales and artists' data, 5 digits."""
    h = hashlib.sha256()

    def add(kind: str, data: Any) -> None:
        array = np.ma.filled(np.ma.asarray(data, dtype=float), np.nan).ravel()
        h.update(f"{kind}{array.size}:".encode())
        h.update(" ".join(np.char.mod("%.4e", array)).encode())

    for ax in fig.axes:
        h.update(f"axes {ax.get_xscale()} {ax.get_yscale()}".encode())
        for artist in ax.get_children():
            if isinstance(artist, Line2D):
                add("line", artist.get_xydata())
            elif isinstance(artist, AxesImage):
                add("image", artist.get_array())
            elif isinstance(artist, Collection):
                add("offsets", artist.get_offsets())
                add("colors", artist.get_array() if artist.get_array() is not None else [])
                for path in artist.get_paths():
                    add("path", path.vertices)
    return h.hexdigest()


def texts(fig: Any) -> list[str]:
    """The words drawn on a figure (labels, legends, titles), not tick numbers or math."""
    found = []
    for artist in fig.findobj(Text):
        text = artist.get_text()
        if (WORD.search(text) or CJK.search(text)) and not text.startswith("$"):
            found.append(text)
    return found


def cjk_font() -> str:
    """The file of the CJK font, or a message saying how to install it."""
    find = FontProperties(family=CJK_FONT)
    with contextlib.suppress(ValueError):
        return font_manager.findfont(find, fallback_to_default=False)
    # Installed after matplotlib cached its font list: add it from the system's fonts.
    for path in font_manager.findSystemFonts():
        if "NotoSansCJK" in Path(path).name or "NotoSansSC" in Path(path).name:
            font_manager.fontManager.addfont(path)
    try:
        return font_manager.findfont(find, fallback_to_default=False)
    except ValueError:
        raise RuntimeError(
            f"matplotlib finds no {CJK_FONT!r} for the Chinese figures: "
            "apt-get install fonts-noto-cjk"
        ) from None


def localize(fig: Any, language: str) -> None:
    """Put the figure's words into `language` and draw its text in a font that has them."""
    table = TRANSLATIONS[language]
    missing = [t for t in texts(fig) if t not in table and t not in table.values()]
    if missing:
        raise LookupError(f"no {language} translation of {missing}: add them to TRANSLATIONS")
    cjk_font()
    for artist in fig.findobj(Text):
        artist.set_text(table.get(artist.get_text(), artist.get_text()))
        artist.set_fontfamily([CJK_FONT, "DejaVu Sans"])


def filename_in(filename: str, language: str) -> str:
    """`x.png` -> `x.zh.png`: the file mkdocs-static-i18n serves to that language's pages."""
    stem, suffix = filename.rsplit(".", 1)
    return filename if language == "en" else f"{stem}.{language}.{suffix}"


def themed(filename: str, theme: str) -> str:
    """`x.png` -> `x-dark.png`: the figure drawn for the dark scheme (tools/site/figures.py
    shows it there in place of `x.png`)."""
    stem, suffix = filename.rsplit(".", 1)
    return filename if theme == "light" else f"{stem}-{theme}.{suffix}"


def files_of(filename: str) -> list[str]:
    """Every file drawn for a figure: each theme in each language."""
    return [filename_in(themed(filename, t), lang) for t in THEMES for lang in LANGUAGES]


def save(
    fig: Any, filename: str, language: str, theme: str = "light", translate: bool = True
) -> Path:
    """Save the figure in `language` and `theme`, recording the digest of its data, its texts,
    its smallest font in the PNG's pixels and the density the site shows it at."""
    if language != "en" and translate:
        localize(fig, language)
    fig.draw_without_rendering()  # the tick labels are written when the figure is drawn
    unreadable = unreadable_texts(fig)
    if unreadable:
        raise ValueError(f"{filename} ({theme}): text too faint on its background: {unreadable}")
    path = OUT / filename_in(themed(filename, theme), language)
    metadata = {
        DIGEST_KEY: data_digest(fig),
        TEXTS_KEY: "\n".join(texts(fig)),
        SMALLEST_KEY: f"{smallest_text_px(fig, DPI):.2f}",
        DENSITY_KEY: str(DENSITY),
        THEME_KEY: theme,
    }
    write_png(fig, path, metadata)
    return path


def write_png(fig: Any, path: Path, metadata: dict[str, str]) -> None:
    """Save the figure as a PNG of at most 256 colours (a third of the bytes of matplotlib's
    own, with no visible difference for plots; a smooth colour scale may show faint steps),
    with `metadata` in its text chunks."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.06)
    buffer.seek(0)
    with Image.open(buffer) as image:
        rgb = image.convert("RGB")
    small = rgb.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    # The palette's colour nearest the background is the background exactly, not a mean of its
    # cluster (#fefefe for #ffffff): the figure shows no box on a page of the same colour.
    background = np.round(np.array(fig.get_facecolor()[:3]) * 255)
    palette = np.array(small.getpalette()[: 3 * 256], dtype=float).reshape(-1, 3)
    palette[np.argmin(np.abs(palette - background).sum(axis=1))] = background
    small.putpalette(palette.astype(np.uint8).ravel().tolist())
    info = PngInfo()
    for key, value in metadata.items():
        info.add_text(key, value)  # iTXt when the value is not Latin-1 (Chinese words)
    small.save(path, format="png", pnginfo=info, optimize=True, dpi=(DPI, DPI))


def draws_itself(filename: str) -> bool:
    """Whether the page's own code draws the figure (nn.plot), not a function here."""
    return FIGURES[filename][2] is as_figure


def make(page: str) -> list[Path]:
    """Run the page and draw each of its figures in every theme and language.

    The page runs once, under the light theme; a page that draws a figure itself runs once
    more under the dark theme, so that its own figure comes out dark too.
    """
    OUT.mkdir(parents=True, exist_ok=True)
    names = figures_by_page()[page]
    wanted = {FIGURES[f][1] for f in names}
    with style("light"):
        runs = {"light": run_page_until(ROOT / page, wanted)}
    if any(draws_itself(f) for f in names):
        with style("dark"):
            runs["dark"] = run_page_until(ROOT / page, wanted)
    paths = []
    for filename in names:
        for theme in THEMES:
            value = runs[theme if draws_itself(filename) else "light"][FIGURES[filename][1]]
            for language in LANGUAGES:
                with style(theme):
                    if filename in LOCALIZED:  # drawn in each language by its own function
                        fig = LOCALIZED[filename][2](value, language)
                        paths.append(save(fig, filename, language, theme, translate=False))
                    else:
                        fig = FIGURES[filename][2](value)
                        paths.append(save(fig, filename, language, theme))
    return paths


if __name__ == "__main__":  # python -m tools.generate.figures [docs/tutorials/PAGE.md ...]
    import sys

    for page in sys.argv[1:] or figures_by_page():
        for path in make(page):
            print(f"wrote {path.relative_to(ROOT)}")
