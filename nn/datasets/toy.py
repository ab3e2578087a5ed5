"""Small synthetic datasets for the tutorials, and a train/test split to go with them."""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn.datasets.mnist import stratified_split
from nn.init import as_rng


def make_moons(
    n_samples: int = 100,
    noise: float = 0.0,
    rng: np.random.Generator | int | None = None,
    *,
    shuffle: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Two interleaving half circles, by the formula of scikit-learn's `make_moons`.

    Args:
        n_samples: N; `N // 2` points on the upper unit half circle (class 0), the rest on
            the lower half of the unit circle around (1, 0.5) (class 1).
        noise: standard deviation of Gaussian noise added to every coordinate.
        rng: a `numpy.random.Generator` or an int seed, for the order and the noise.
        shuffle: mix the two classes; if False, class 0 comes first.

    Returns:
        `(x, t)`: points `(N, 2)` and labels 0 / 1 `(N,)`.

    Raises:
        ValueError: `n_samples` is not a non-negative integer, or `noise` not a finite
            number >= 0.
        TypeError: `rng` is not a Generator, an int seed or None.

    Examples:
        >>> x, t = make_moons(1000, noise=0.2, rng=0)
        >>> x.shape, t.shape, np.bincount(t)
        ((1000, 2), (1000,), array([500, 500]))
    """
    _check_count(n_samples)
    _check_noise(noise)
    rng = as_rng(rng)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    x = np.column_stack(
        [
            np.concatenate([np.cos(outer), 1 - np.cos(inner)]),
            np.concatenate([np.sin(outer), 1 - np.sin(inner) - 0.5]),
        ]
    )
    t = np.concatenate([np.zeros(n_out, np.intp), np.ones(n_in, np.intp)])
    if shuffle:
        order = rng.permutation(n_samples)
        x, t = x[order], t[order]
    if noise > 0:
        x += rng.normal(scale=noise, size=x.shape)
    return x, t


def make_sine(
    start: float = 0.0,
    stop: float = 2.0,
    step: float = 0.01,
    amplitude: float = 20.0,
    noise: float = 0.0,
    rng: np.random.Generator | int | None = None,
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    """Points `x` on `[start, stop)` and targets `t = amplitude * sin(2 pi x)`, for regression.

    Args:
        start: the first x.
        stop: the end of the interval, left out as in `np.arange`.
        step: the distance between neighbouring points.
        amplitude: the sine's amplitude.
        noise: standard deviation of Gaussian noise added to `t`; 0 for none.
        rng: a `numpy.random.Generator` or an int seed for the noise.

    Returns:
        `(x, t)`, both `(N, 1)`; N is 200 for the defaults.

    Raises:
        ValueError: a bound, the step or the amplitude is not a finite number, `step <= 0`,
            `stop <= start`, or `noise` is not a finite number >= 0.

    Examples:
        >>> x, t = make_sine()
        >>> x.shape, t.shape, round(float(x[-1, 0]), 2)
        ((200, 1), (200, 1), 1.99)
    """
    for name, value in {"start": start, "stop": stop, "step": step, "amplitude": amplitude}.items():
        if not _is_finite_number(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not step > 0 or not stop > start:
        raise ValueError(f"need step > 0 and stop > start, got {start=}, {stop=}, {step=}")
    _check_noise(noise)
    # Count the points first and multiply: adding `step` again and again drifts, and
    # (2.0 - 0.0) / 0.01 is 199.99999999999997 in floating point, hence the rounding.
    n = math.ceil(round((stop - start) / step, 9))
    x = (start + np.arange(n) * step).reshape(n, 1)
    t = amplitude * np.sin(2 * np.pi * x)
    if noise > 0:
        t += as_rng(rng).normal(scale=noise, size=t.shape)
    return x, t


def train_test_split(
    x: ArrayLike,
    t: ArrayLike,
    test_fraction: float = 0.2,
    rng: np.random.Generator | int | None = None,
    *,
    stratify: bool | None = None,
) -> tuple[tuple[NDArray, NDArray], tuple[NDArray, NDArray]]:
    """Split samples at random into a training and a test set, by `stratified_split`.

    Args:
        x: inputs `(N, ...)`.
        t: targets `(N, ...)`.
        test_fraction: the share of samples for the test set, in `[0, 1]`.
        rng: a `numpy.random.Generator` or an int seed.
        stratify: keep each class's share; by default when `t` is integer labels `(N,)`.

    Returns:
        `(x_train, t_train), (x_test, t_test)`, with round(test_fraction * N) test samples.

    Raises:
        ValueError: `x` and `t` differ in length, `test_fraction` is outside [0, 1], or
            `stratify=True` with targets that are not labels `(N,)` (see `stratified_split`).

    Examples:
        >>> (x_train, t_train), (x_test, t_test) = train_test_split(*make_moons(100), 0.2, rng=0)
        >>> x_train.shape, x_test.shape
        ((80, 2), (20, 2))
    """
    x, t = np.asarray(x), np.asarray(t)
    if x.ndim == 0 or t.ndim == 0 or len(x) != len(t):
        raise ValueError(f"x and t must have one entry per sample, got {x.shape} and {t.shape}")
    if stratify is None:
        stratify = t.ndim == 1 and np.issubdtype(t.dtype, np.integer)
    elif stratify and t.ndim != 1:
        raise ValueError(f"stratify=True needs class labels of shape (N,), got t of {t.shape}")
    # Without strata, everything is one class: stratified_split then draws a plain random split.
    labels = t if stratify else np.zeros(len(t), np.intp)
    train, test = stratified_split(labels, test_fraction, as_rng(rng))
    return (x[train], t[train]), (x[test], t[test])


def _is_finite_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_noise(noise: float) -> None:
    if not _is_finite_number(noise) or noise < 0:
        raise ValueError(f"noise must be a finite, non-negative standard deviation, got {noise!r}")


def _check_count(n: int) -> None:
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n_samples must be a non-negative integer, got {n!r}")
