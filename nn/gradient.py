"""Numerical differentiation and the gradient check that compares it with backpropagation."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray


class Differentiable(Protocol):
    """What `gradient_check` needs of a network: named parameters, a loss and its gradients."""

    params: MutableMapping[str, NDArray]

    def loss(self, x: ArrayLike, t: ArrayLike) -> float: ...

    def gradient(self, x: ArrayLike, t: ArrayLike) -> Mapping[str, NDArray]: ...


def check_differentiable(x: NDArray, h: float) -> None:
    """What `numerical_gradient` needs: a writable float array `x` and a positive finite `h`.

    Raises:
        TypeError: `x` is not a floating NumPy array.
        ValueError: `x` is read-only, or `h` is not a positive finite step.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be a floating NumPy array, got {type(x).__name__}")
    if not x.flags.writeable:
        raise ValueError("x must be writable: numerical_gradient nudges it in place")
    if not 0 < h < np.inf:  # h = 0 would divide by 0, and NaN fails this test too
        raise ValueError(f"h must be a positive finite step, got {h!r}")


# --8<-- [start:numerical_gradient]
def numerical_gradient(f, x, h=1e-5):
    """Central differences `(f(x + h) - f(x - h)) / 2h`, nudging one entry of `x` at a time."""
    check_differentiable(x, h)  # a writable float array, a positive finite h
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        try:
            x[idx] = original + h
            f_plus = f(x)
            x[idx] = original - h
            f_minus = f(x)
        finally:
            x[idx] = original  # restore exactly, also when f raises
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


# --8<-- [end:numerical_gradient]


def rel_error(a: ArrayLike, b: ArrayLike) -> float:
    """Largest elementwise relative error `|a - b| / max(|a| + |b|, 1e-8)`.

    Raises:
        ValueError: the arrays differ in shape, or are not numbers.

    Examples:
        >>> rel_error([1.0, 2.0], [1.0, 2.0])
        0.0
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


def gradient_check(
    net: Differentiable, x: ArrayLike, t: ArrayLike, h: float = 1e-5
) -> dict[str, float]:
    """Compare backpropagation with numerical differentiation for every parameter of `net`.

    Args:
        net: anything with `params` (name -> array), `loss(x, t)` and `gradient(x, t)`.
        x: a small input batch.
        t: its targets.
        h: the finite-difference step.

    Returns:
        The largest relative error per parameter name, e.g. `{"W1": 3e-10, ...}`.

    Raises:
        ValueError: `net.gradient` gives no gradient, or one of another shape, for a parameter;
            or `h` is not a positive finite step. Every parameter is restored exactly.
    """
    backprop = {k: np.array(v, copy=True) for k, v in net.gradient(x, t).items() if v is not None}
    errors = {}
    for name, param in net.params.items():
        if name not in backprop or backprop[name].shape != param.shape:
            got = backprop[name].shape if name in backprop else "none"
            raise ValueError(
                f"net.gradient gives {got} for {name!r}, which has shape {param.shape}"
            )
    for name, param in net.params.items():
        numeric = numerical_gradient(lambda _: net.loss(x, t), param, h)
        errors[name] = rel_error(backprop[name], numeric)
    return errors
