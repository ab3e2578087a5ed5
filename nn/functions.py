"""Activation and loss functions, batched and numerically stable.

Every function keeps a floating input's dtype (float32 in, float32 out) and turns any other
input into float64; input that is not real numbers (complex, text) raises `TypeError`. None of
them writes into its arguments.

- `sigmoid` computes only `exp(-|x|)`, which is at most 1, on both sides of 0: it never
  overflows, so `sigmoid(-1000.0)` is 0 without a warning.
- `softmax` and `log_softmax` work on the last axis, scores `(C,)` or a batch `(N, C)`, and
  subtract each row's maximum first, so no score can overflow; a scalar or an empty last axis
  raises `ValueError`. `log_softmax` never takes the log of a probability that rounded to 0.
- `cross_entropy_error(y, t)` takes probabilities `y` of shape `(C,)` or `(N, C)` (the output
  of `softmax`) and targets `t` as integer labels `(N,)` (or one label for one sample) or as
  one-hot rows of `y`'s shape, and returns the mean over the batch. It is always finite: a
  probability of 0 costs `-log(tiny)`, with `tiny` the smallest positive normal float of `y`'s
  dtype, where the book adds `1e-7` to every probability. It raises `ValueError` when `y` is not
  `(C,)` or `(N, C)` with N >= 1, holds a value outside [0, 1] (NaN too), or `t` does not fit
  it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn._checks import as_float, labels_from


# --8<-- [start:sigmoid]
def sigmoid(x: ArrayLike) -> NDArray[np.floating]:
    """Logistic sigmoid `1 / (1 + exp(-x))`, elementwise, without overflow.

    Examples:
        >>> sigmoid([-1000.0, 0.0, 1000.0])
        array([0. , 0.5, 1. ])
    """
    x = as_float(x)
    # exp(-|x|) is at most 1, so it never overflows. For x >= 0 use 1 / (1 + e^-x);
    # for x < 0 the same value is e^x / (1 + e^x), i.e. e * r with e = e^-|x|.
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


# --8<-- [end:sigmoid]


# --8<-- [start:relu]
def relu(x: ArrayLike) -> NDArray[np.floating]:
    """Rectified linear unit `max(x, 0)`, elementwise.

    Examples:
        >>> relu([-2.0, 0.0, 3.0])
        array([0., 0., 3.])
    """
    return np.maximum(as_float(x), 0)


# --8<-- [end:relu]


# --8<-- [start:softmax]
def softmax(x: ArrayLike) -> NDArray[np.floating]:
    """Softmax over the last axis: each row of a batch `(N, C)` sums to 1.

    Examples:
        >>> softmax([1000.0, 1000.0])
        array([0.5, 0.5])
    """
    x = as_float(x)
    # Subtracting each row's max changes nothing mathematically (it cancels in the ratio)
    # but keeps exp() at most 1, so large scores cannot overflow to inf / inf = nan.
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --8<-- [end:softmax]


# --8<-- [start:log_softmax]
def log_softmax(x: ArrayLike) -> NDArray[np.floating]:
    """`log(softmax(x))` over the last axis, without taking the log of a probability.

    Examples:
        >>> log_softmax([0.0, -1000.0])
        array([    0., -1000.])
    """
    x = as_float(x)
    shifted = x - x.max(axis=-1, keepdims=True)  # the largest is 0, so the sum is at least 1
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


# --8<-- [end:log_softmax]


# --8<-- [start:probabilities_and_labels]
def _probabilities_and_labels(
    y: ArrayLike, t: ArrayLike
) -> tuple[NDArray[np.floating], NDArray[np.intp]]:
    """`y` as a batch `(N, C)` of probabilities and `t` as its integer labels `(N,)`, checked."""
    y = as_float(y)
    if y.ndim == 1:  # one sample: make it a batch of one
        t = np.asarray(t)
        y, t = y[np.newaxis], (t[np.newaxis] if t.ndim == 1 else t.reshape(1))
    if y.ndim != 2 or len(y) == 0:
        raise ValueError(f"y must have shape (C,) or (N, C) with N >= 1, got {y.shape}")
    if not np.all((y >= 0) & (y <= 1)):  # NaN fails both comparisons
        raise ValueError(f"y must be probabilities in [0, 1], got {y[~((y >= 0) & (y <= 1))][0]}")
    return y, labels_from(t, y.shape)


# --8<-- [end:probabilities_and_labels]


# --8<-- [start:cross_entropy_error]
def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> float:
    """Mean of `-log y[correct class]` over a batch of probabilities `y`, labels or one-hot `t`.

    Examples:
        >>> round(cross_entropy_error([[0.1, 0.9], [0.8, 0.2]], [1, 0]), 4)
        0.1643
    """
    y, labels = _probabilities_and_labels(y, t)  # y (N, C), labels (N,)
    p = y[np.arange(len(labels)), labels]  # the probability of the correct class
    # log(0) = -inf; the smallest positive float keeps the loss finite and is exact otherwise.
    return float(-np.log(np.maximum(p, np.finfo(y.dtype).tiny)).mean())


# --8<-- [end:cross_entropy_error]


def mean_squared_error(y: ArrayLike, t: ArrayLike) -> float:
    """Mean of `(y - t) ** 2` over every element.

    Note that the book's `mean_squared_error` is `0.5 * sum((y - t) ** 2)`, a sum, not a mean.

    Raises:
        ValueError: `y` and `t` differ in shape (no broadcasting), are empty or not finite.

    Examples:
        >>> mean_squared_error([1.0, 2.0], [1.0, 4.0])
        2.0
    """
    y, t = _loss_inputs(y, t, "y")
    return float(np.mean((y - t) ** 2))


def binary_cross_entropy(p: ArrayLike, t: ArrayLike) -> float:
    """Mean `-(t log p + (1 - t) log(1 - p))` for probabilities `p` and 0/1 targets `t`.

    Both logs are clipped at the smallest positive float, so `p` of exactly 0 or 1 stays finite.

    Raises:
        ValueError: `p` and `t` differ in shape (no broadcasting) or are empty, or a value of
            either is outside [0, 1] (NaN too).

    Examples:
        >>> round(binary_cross_entropy([0.9, 0.2], [1, 0]), 4)
        0.1643
    """
    p, t = _loss_inputs(p, t, "p", unit=True)
    tiny = np.finfo(p.dtype).tiny
    return float(
        -np.mean(t * np.log(np.maximum(p, tiny)) + (1 - t) * np.log(np.maximum(1 - p, tiny)))
    )


# --8<-- [start:bce_with_logits]
def binary_cross_entropy_with_logits(z: ArrayLike, t: ArrayLike) -> float:
    """`binary_cross_entropy(sigmoid(z), t)` computed from the scores `z` directly.

    Uses `max(z, 0) - z * t + log(1 + exp(-|z|))`, which is exact and never overflows.

    Raises:
        ValueError: `z` and `t` differ in shape: they are never broadcast.

    Examples:
        >>> round(binary_cross_entropy_with_logits([1000.0, -1000.0], [1, 0]), 4)
        0.0
    """
    z, t = as_float(z), np.asarray(t)
    if z.shape != t.shape:
        raise ValueError(f"z and t must have the same shape, got {z.shape} and {t.shape}")
    return float(np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))))


# --8<-- [end:bce_with_logits]


def _loss_inputs(
    y: ArrayLike, t: ArrayLike, name: str, unit: bool = False
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    """`(y, t)` as float arrays of one shape, non-empty and finite (or in [0, 1] if `unit`)."""
    y, t = as_float(y), as_float(t)
    if y.shape != t.shape:
        raise ValueError(f"{name} and t must have the same shape, got {y.shape} and {t.shape}")
    if y.size == 0:
        raise ValueError(f"{name} and t are empty: a mean over no values is not a loss")
    for key, a in ((name, y), ("t", t)):
        bad = ~((a >= 0) & (a <= 1)) if unit else ~np.isfinite(a)  # NaN fails both tests
        if bad.any():
            where = tuple(np.argwhere(bad)[0])
            expected = "in [0, 1]" if unit else "finite"
            raise ValueError(
                f"{key} must be {expected}, but {key}[{', '.join(map(str, where))}] = {a[where]}"
            )
    return y, t
