"""Activation and loss functions, batched and numerically stable.

Every function keeps a floating input's dtype (float32 in, float32 out) and turns
any other input into float64. None of them writes into its arguments.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_float(x: ArrayLike) -> NDArray[np.floating]:
    """Return `x` as a floating array: its own float dtype, or float64 for booleans and integers.

    Raises:
        TypeError: `x` is complex, text or objects: there is no float that means the same.
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":  # dtype.kind: much cheaper than np.issubdtype on every call
        if x.dtype.kind not in "biu":  # complex would lose its imaginary part, text be parsed
            raise TypeError(f"expected real numbers, got an array of dtype {x.dtype}")
        x = x.astype(np.float64)
    return x


def check_finite(x: NDArray, name: str) -> None:
    """Raise ValueError if `x` holds NaN or infinity, naming where the first one is.

    Raises:
        ValueError: `x` holds NaN or an infinity; the message gives the first one's index.
    """
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(
            f"{name} must be finite, but {name}[{', '.join(map(str, bad))}] = "
            f"{x[tuple(bad)]} (shape {x.shape})"
        )


def labels_from(t: ArrayLike, x_shape: tuple[int, ...]) -> NDArray[np.intp]:
    """Integer class labels `(N,)` from labels `(N,)` or one-hot `(N, C)`, checked against scores.

    Args:
        t: integer labels `(N,)` with values in `[0, C)`, or one-hot rows `(N, C)`.
        x_shape: the shape of the scores, `(N, C)`.

    Returns:
        The labels as an `(N,)` integer array.

    Raises:
        ValueError: `t` has neither shape, a one-hot row is not a single 1, or a label is
            outside `[0, C)`.
        TypeError: labels that are not integers (such as 0.5).
    """
    t = np.asarray(t)
    n, c = x_shape
    if t.shape == (n, c):
        if not np.all((t == 0) | (t == 1)) or not np.all(t.sum(axis=1) == 1):
            raise ValueError(f"one-hot t of shape {t.shape} must hold exactly one 1 per row")
        return t.argmax(axis=1)
    if t.shape != (n,):
        raise ValueError(
            f"t must be labels of shape ({n},) or one-hot of shape ({n}, {c}) "
            f"to match scores of shape {x_shape}, got shape {t.shape}"
        )
    if t.dtype.kind not in "biu":  # floats must be whole and finite; text never is a label
        whole = np.isfinite(t) & (t == np.floor(t)) if t.dtype.kind == "f" else np.zeros(n, bool)
        if not whole.all():
            example = f", such as {t[~whole][0]}" if t.dtype.kind == "f" else ""
            raise TypeError(f"labels t must be integers, got dtype {t.dtype}{example}")
    if n and (t.min() < 0 or t.max() >= c):
        bad = t[(t < 0) | (t >= c)][0]
        raise ValueError(f"label {bad} is out of range for {c} classes (valid: 0 to {c - 1})")
    return t.astype(np.intp, copy=False)


# --8<-- [start:sigmoid]
def sigmoid(x: ArrayLike) -> NDArray[np.floating]:
    """Logistic sigmoid `1 / (1 + exp(-x))`, elementwise, without overflow.

    Args:
        x: any shape.

    Returns:
        An array of the same shape and dtype, values in `[0, 1]`.

    Raises:
        TypeError: `x` is not real numbers (complex, text), as for every function here.

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

    Raises:
        TypeError: `x` is not real numbers.

    Examples:
        >>> relu([-2.0, 0.0, 3.0])
        array([0., 0., 3.])
    """
    return np.maximum(as_float(x), 0)


# --8<-- [end:relu]


# --8<-- [start:softmax]
def softmax(x: ArrayLike) -> NDArray[np.floating]:
    """Softmax over the last axis: each row of a batch `(N, C)` sums to 1.

    Args:
        x: scores `(C,)` or `(N, C)`.

    Returns:
        Probabilities of the same shape and dtype.

    Raises:
        TypeError: `x` is not real numbers.
        ValueError: `x` is a scalar or has no classes.

    Examples:
        >>> softmax([[1000.0, 1000.0], [0.0, 0.0]])
        array([[0.5, 0.5],
               [0.5, 0.5]])
    """
    x = as_float(x)
    # Subtracting each row's max changes nothing mathematically (it cancels in the ratio)
    # but keeps exp() at most 1, so large scores cannot overflow to inf / inf = nan.
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --8<-- [end:softmax]


def log_softmax(x: ArrayLike) -> NDArray[np.floating]:
    """`log(softmax(x))` over the last axis, computed without taking the log of a 0.

    Raises:
        TypeError: `x` is not real numbers.
        ValueError: `x` is a scalar or has no classes.
    """
    x = as_float(x)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


# --8<-- [start:cross_entropy_error]
def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> float:
    """Mean cross-entropy `-sum(t * log y) / N` of probabilities `y` against labels `t`.

    Args:
        y: probabilities `(C,)` or `(N, C)`, e.g. the output of `softmax`.
        t: integer labels `(N,)` (or a single label) or one-hot rows of `y`'s shape.

    Returns:
        The mean over the batch, always finite (a probability of 0 costs `-log(tiny)`).

    Raises:
        ValueError: `y` is not `(C,)` or `(N, C)` with N >= 1, holds a value outside [0, 1]
            or NaN, or `t` does not fit it (see `labels_from`).

    Examples:
        >>> round(cross_entropy_error([[0.1, 0.9], [0.8, 0.2]], [1, 0]), 4)
        0.1643
    """
    y = as_float(y)
    if y.ndim == 1:  # one sample: make it a batch of one
        t = np.asarray(t)
        y, t = y[np.newaxis], (t[np.newaxis] if t.ndim == 1 else t.reshape(1))
    if y.ndim != 2 or len(y) == 0:
        raise ValueError(f"y must have shape (C,) or (N, C) with N >= 1, got {y.shape}")
    if not np.all((y >= 0) & (y <= 1)):  # NaN fails both comparisons
        raise ValueError(f"y must be probabilities in [0, 1], got {y[~((y >= 0) & (y <= 1))][0]}")
    labels = labels_from(t, y.shape)
    # log(0) = -inf; the smallest positive float keeps the loss finite and is exact otherwise.
    p = np.maximum(y[np.arange(len(labels)), labels], np.finfo(y.dtype).tiny)
    return float(-np.log(p).mean())


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


def _loss_inputs(y: ArrayLike, t: ArrayLike, name: str, unit: bool = False) -> tuple:
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
