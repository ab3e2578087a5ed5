"""Random generators and weight initialization: randomness always comes in as an argument."""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import DTypeLike, NDArray

from nn._checks import check_sizes


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Turn a seed or a Generator into a Generator; NumPy's global random state is never used.

    Args:
        rng: a `numpy.random.Generator` (used as is), an int seed, or None for fresh entropy.

    Raises:
        TypeError: `rng` is anything else, such as a legacy `RandomState` or a float.
        ValueError: a negative seed.

    Examples:
        >>> int(as_rng(0).integers(10))
        8
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {rng!r}")


def float_dtype(dtype: DTypeLike) -> np.dtype:
    """`dtype` as a NumPy floating dtype.

    Raises:
        TypeError: `dtype` is not a dtype, or not a floating one.
    """
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"dtype must be a floating type such as float32 or float64, got {dt}")
    return dt


def init_weight(
    rng: np.random.Generator | int, n_in: int, n_out: int, std: float | str, dtype: DTypeLike
) -> NDArray[np.floating]:
    """A `(n_in, n_out)` weight matrix drawn from a normal distribution.

    Args:
        rng: the generator to draw from, or an int seed.
        n_in: inputs of the layer.
        n_out: outputs of the layer.
        std: the standard deviation, or `"he"` (`sqrt(2 / n_in)`, for ReLU) or
            `"xavier"` (`sqrt(1 / n_in)`, for sigmoid).
        dtype: a float dtype.

    Raises:
        TypeError: `rng` is not a Generator or seed, or `dtype` not a float dtype.
        ValueError: `n_in` or `n_out` is not a positive integer, or `std` is not a positive
            finite number, "he" or "xavier". Nothing is drawn from `rng` then.

    Examples:
        >>> W = init_weight(0, 784, 100, "he", np.float32)  # std sqrt(2/784)
        >>> W.shape, W.dtype, round(float(W.std()), 3)
        ((784, 100), dtype('float32'), 0.05)
    """
    check_sizes(n_in=n_in, n_out=n_out)
    if isinstance(std, str):
        scales = {"he": 2.0, "xavier": 1.0}
        if std not in scales:
            raise ValueError(f"weight_init_std must be a number, 'he' or 'xavier', got {std!r}")
        scale: float | np.floating = np.sqrt(scales[std] / n_in)
    elif isinstance(std, bool) or not isinstance(std, numbers.Real) or not 0 < std < np.inf:
        raise ValueError(f"weight_init_std must be positive and finite, got {std!r}")
    else:
        scale = std
    generator, dt = as_rng(rng), float_dtype(dtype)
    w = generator.standard_normal((n_in, n_out), dtype=dt)
    w *= scale
    return w
