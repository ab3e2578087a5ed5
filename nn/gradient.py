"""Numerical differentiation and the gradient check that compares it with backpropagation."""

from __future__ import annotations

import numbers
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


def rel_error(a: ArrayLike, b: ArrayLike, floor: float = 1e-8) -> float:
    """Largest elementwise relative error `|a - b| / max(|a| + |b|, floor)`.

    Entries far below `floor` are judged by their absolute difference against `floor`: for
    them the ratio would measure only rounding noise.

    Raises:
        ValueError: the arrays differ in shape, are not numbers, or `floor` is not positive.

    Examples:
        >>> rel_error([1.0, 2.0], [1.0, 2.0])
        0.0
    """
    if not 0 < floor < np.inf:
        raise ValueError(f"floor must be a positive finite number, got {floor!r}")
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))


class GradientCheck(dict[str, float]):
    """`gradient_check`'s answer: the largest relative error of each parameter, by name.

    `kinks[name]` counts the entries of that parameter left out because nudging them by `h`
    moved a ReLU input across 0; `checked[name]` counts the entries compared. A parameter
    whose entries all crossed a kink has the error `nan`: nothing was compared.
    """

    def __init__(self) -> None:
        super().__init__()
        self.kinks: dict[str, int] = {}
        self.checked: dict[str, int] = {}


def relu_masks(net: object) -> list[NDArray]:
    """Which side of its kink every ReLU input is on, copied.

    That is the boolean `mask` that `Relu.forward` caches (`x > 0`), found on the net itself
    and on each of its `layers` (a dict or a list).
    """
    layers = getattr(net, "layers", ())
    owners = [net, *(layers.values() if isinstance(layers, Mapping) else layers)]
    found = [getattr(owner, "mask", None) for owner in owners]
    return [m.copy() for m in found if isinstance(m, np.ndarray) and m.dtype == np.bool_]


def same_masks(a: list[NDArray], b: list[NDArray]) -> bool:
    """True if every ReLU input is on the same side of its kink in `a` and in `b`."""
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def check_gradient_check(
    net: Differentiable, h: float, entries: int | None, rng: int | np.random.Generator | None
) -> np.random.Generator | None:
    """Refuse what `gradient_check` cannot judge, before anything runs; return the generator.

    Raises:
        TypeError: a parameter is not float64, `entries` is not an int, or `rng` is neither
            a seed nor a Generator.
        ValueError: `h` is not a positive finite step, `entries` is below 1, or `entries`
            is given without `rng`.
    """
    if not 0 < h < np.inf:
        raise ValueError(f"h must be a positive finite step, got {h!r}")
    for name, param in net.params.items():
        if not isinstance(param, np.ndarray) or param.dtype != np.float64:
            dtype = getattr(param, "dtype", type(param).__name__)
            raise TypeError(
                f"gradient_check needs float64 parameters, {name!r} is {dtype}: in float32 "
                "the rounding error of a central difference is 5e8 times larger"
            )
    if entries is None:
        return None
    if isinstance(entries, bool) or not isinstance(entries, numbers.Integral):
        raise TypeError(f"entries must be an int or None, got {entries!r}")
    if entries < 1:
        raise ValueError(f"entries must be at least 1, got {entries}")
    if rng is None:
        raise ValueError("entries are drawn at random: pass rng= (a seed or a Generator)")
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral | np.random.Generator):
        raise TypeError(f"rng must be an int seed or a numpy Generator, got {rng!r}")
    return np.random.default_rng(rng)


def chosen_entries(
    shape: tuple[int, ...], entries: int | None, rng: np.random.Generator | None
) -> list[tuple[int, ...]]:
    """Every index of `shape`, or `entries` of them drawn without replacement, in order."""
    if entries is None or rng is None:
        return list(np.ndindex(shape))
    size = int(np.prod(shape))
    flat = np.sort(rng.choice(size, min(entries, size), replace=False))
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


def backprop_gradients(net: Differentiable, x: ArrayLike, t: ArrayLike) -> dict[str, NDArray]:
    """`net.gradient(x, t)`, copied, after checking it gives every parameter its own shape.

    Raises:
        ValueError: a parameter has no gradient, or one of another shape.
    """
    grads = {k: np.array(v, copy=True) for k, v in net.gradient(x, t).items() if v is not None}
    for name, param in net.params.items():
        if name not in grads or grads[name].shape != param.shape:
            got = grads[name].shape if name in grads else "none"
            raise ValueError(
                f"net.gradient gives {got} for {name!r}, which has shape {param.shape}"
            )
    return grads


# --8<-- [start:gradient_check]
def gradient_check(
    net: Differentiable,
    x: ArrayLike,
    t: ArrayLike,
    h: float = 1e-5,
    *,
    entries: int | None = None,
    rng: int | np.random.Generator | None = None,
) -> GradientCheck:
    """Backpropagation against central differences, per parameter, with crossed kinks left out.

    Args:
        net: float64 `params` (name -> array), `loss(x, t)` and `gradient(x, t)`.
        x: a few samples.
        t: their targets.
        h: the step of the central difference.
        entries: how many entries of each parameter to check, drawn with `rng`; None: all.
        rng: a seed or a `numpy.random.Generator`, needed with `entries`.

    Returns:
        The largest relative error per parameter name, with `kinks` and `checked` counts.
            The parameters are restored bit for bit, also when `net.loss` raises.

    Examples:
        >>> net = TwoLayerNet(4, 5, 3, rng=0)
        >>> errors = gradient_check(net, np.ones((2, 4)), np.array([0, 2]))
        >>> sorted(errors), max(errors.values()) < 1e-7
        (['W1', 'W2', 'b1', 'b2'], True)
    """
    draw = check_gradient_check(net, h, entries, rng)  # float64, h > 0, entries with an rng
    grads = backprop_gradients(net, x, t)  # by backpropagation, copied
    loss = net.loss(x, t)
    before = relu_masks(net)  # the side of its kink every ReLU input is on
    noise = np.finfo(np.float64).eps * max(abs(loss), 1.0) / h  # rounding, as on the page
    result = GradientCheck()
    for name, param in net.params.items():
        errors: list[float] = []
        kinks = 0
        for idx in chosen_entries(param.shape, entries, draw):
            original = param[idx]
            try:
                param[idx] = original + h
                f_plus, masks_plus = net.loss(x, t), relu_masks(net)
                param[idx] = original - h
                f_minus, masks_minus = net.loss(x, t), relu_masks(net)
            finally:
                param[idx] = original  # restore exactly, also when the loss raises
            if not (same_masks(masks_plus, before) and same_masks(masks_minus, before)):
                kinks += 1  # a ReLU input crossed 0: the difference measures the kink
                continue
            numeric = (f_plus - f_minus) / (2 * h)
            # entries below noise / 1e-4 are judged by their absolute difference
            errors.append(rel_error(grads[name][idx], numeric, floor=noise / 1e-4))
        result[name] = max(errors, default=float("nan"))
        result.kinks[name], result.checked[name] = kinks, len(errors)
    return result


# --8<-- [end:gradient_check]
