"""Figures with matplotlib's object-oriented API: no pyplot, no global state, no display needed.

Every function returns a `matplotlib.figure.Figure` and, given `path`, also saves it, to a
temporary file that replaces `path` only once complete: a failed save leaves the old file.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn._checks import atomic_write

try:  # optional: the `train` extra, not a core dependency
    from matplotlib import rcParams
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
except ImportError as exc:
    raise ImportError("nn.plot needs matplotlib: pip install matplotlib") from exc


def _save(fig: Figure, path: str | os.PathLike[str] | None) -> Figure:
    if path is None:
        return fig
    path = Path(path)
    fmt = path.suffix[1:] or rcParams["savefig.format"]  # as savefig: no suffix means .png
    if not path.suffix:
        path = path.with_name(f"{path.name}.{fmt}")
    with atomic_write(path, suffix=path.suffix) as tmp:  # the old figure or the new one
        fig.savefig(tmp, format=fmt, dpi=120, bbox_inches="tight")
    return fig


def plot_history(
    history: Mapping[str, Sequence[float]],
    path: str | os.PathLike[str] | None = None,
    xlabel: str = "epoch",
) -> Figure:
    """Curves of a training history: keys with "loss" on the left, the rest on the right.

    Args:
        history: name -> one value per epoch, e.g. `{"train_loss": [...], "test_acc": [...]}`.
        path: where to save a PNG (or any format matplotlib knows by the suffix).
        xlabel: the x axis label.

    Returns:
        The figure.

    Raises:
        TypeError: `history` is not a mapping.
        ValueError: `history` is empty, or `path` has a suffix matplotlib cannot write; a
            failed save leaves an existing file at `path` as it was.
    """
    if not isinstance(history, Mapping):
        raise TypeError(f"history must map names to values per epoch, got {type(history).__name__}")
    if not history:
        raise ValueError("history is empty: nothing to plot")
    losses = {k: v for k, v in history.items() if "loss" in k}
    others = {k: v for k, v in history.items() if "loss" not in k}
    groups = [g for g in (losses, others) if g]
    fig = Figure(figsize=(5 * len(groups), 3.6), layout="constrained")
    for ax, group in zip(fig.subplots(1, len(groups), squeeze=False)[0], groups, strict=True):
        for name, values in group.items():
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=name)
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(fig, path)


def plot_decision_boundary(
    predict: Callable[[NDArray], NDArray],
    x: ArrayLike,
    t: ArrayLike,
    path: str | os.PathLike[str] | None = None,
    resolution: int = 200,
) -> Figure:
    """Colour the plane by `predict` (class labels for `(M, 2)` points) and scatter the data.

    Args:
        predict: maps points `(M, 2)` to labels `(M,)`.
        x: the data points `(N, 2)`.
        t: their labels `(N,)`.
        path: where to save the figure.
        resolution: grid points per axis.

    Raises:
        ValueError: `x` is not `(N, 2)` with N >= 1 and finite, `t` is not `(N,)`,
            `resolution` is not an integer >= 2, or `predict` does not give one label per point.
    """
    x, t = np.asarray(x), np.asarray(t)
    if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0 or t.shape != (len(x),):
        raise ValueError(f"need x of shape (N, 2) and t of shape (N,), got {x.shape} and {t.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"x must be finite, but x[{np.argwhere(~np.isfinite(x))[0][0]}] is not")
    if not isinstance(resolution, numbers.Integral) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    pad = 0.1 * (x.max(axis=0) - x.min(axis=0))
    lo, hi = x.min(axis=0) - pad, x.max(axis=0) + pad
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    labels = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()])))
    if labels.size != gx.size:
        raise ValueError(
            f"predict must give one label per point: {gx.size} points gave shape {labels.shape}"
        )
    labels = labels.reshape(gx.shape)
    fig = Figure(figsize=(5, 4), layout="constrained")
    ax = fig.subplots()
    ax.contourf(gx, gy, labels, alpha=0.25, cmap="coolwarm")
    ax.scatter(x[:, 0], x[:, 1], c=t, s=8, cmap="coolwarm", edgecolors="none")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return _save(fig, path)


def plot_fit(
    x: ArrayLike,
    t: ArrayLike,
    y: ArrayLike,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """The data `t` over `x` as dots and the model's prediction `y` as a line.

    Args:
        x: inputs `(N,)` or `(N, 1)`.
        t: targets of the same length.
        y: predictions of the same length.
        path: where to save the figure.

    Raises:
        ValueError: `x`, `t` and `y` differ in length.
    """
    x, t, y = (np.ravel(a) for a in (x, t, y))
    if not len(x) == len(t) == len(y):
        raise ValueError(f"x, t and y must have one value each, got {len(x)}, {len(t)}, {len(y)}")
    order = np.argsort(x)
    fig = Figure(figsize=(5, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.scatter(x, t, s=6, color="0.6", label="data")
    ax.plot(x[order], y[order], color="C3", label="model")
    ax.set_xlabel("x")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)
