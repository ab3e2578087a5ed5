"""Checks and helpers the modules of `nn` share. Private: not part of the API.

Input conversion (`as_float`), finiteness and label checks, the one positive-integer check,
and `atomic_write`, the temporary-file-and-rename that checkpoints, figures and downloads use.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray


# --8<-- [start:as_float]
def as_float(x: ArrayLike) -> NDArray[np.floating]:
    """`x` as a float array: its own float dtype, or float64 for booleans and integers."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        if x.dtype.kind not in "biu":  # complex would lose its imaginary part, text be parsed
            raise TypeError(f"expected real numbers, got an array of dtype {x.dtype}")
        x = x.astype(np.float64)
    return x


# --8<-- [end:as_float]


def check_finite(x: NDArray, name: str) -> None:
    """Raise ValueError if `x` holds NaN or infinity, naming where the first one is."""
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(
            f"{name} must be finite, but {name}[{', '.join(map(str, bad))}] = "
            f"{x[tuple(bad)]} (shape {x.shape})"
        )


# --8<-- [start:labels_from]
def labels_from(t: ArrayLike, x_shape: tuple[int, ...]) -> NDArray[np.intp]:
    """Integer labels `(N,)` from labels `(N,)` or one-hot rows `(N, C)`, checked against scores."""
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


# --8<-- [end:labels_from]


# --8<-- [start:check_sizes]
def check_sizes(**sizes: object) -> None:
    """Raise ValueError unless every size given by name is a positive integer."""
    for name, n in sizes.items():
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")


# --8<-- [end:check_sizes]


# --8<-- [start:check_int]
def check_int(n: object, name: str) -> None:
    """A TypeError unless `n` is an integer (not a bool), a ValueError unless it is positive."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"{name} must be an int, got {n!r}")
    if n <= 0:
        raise ValueError(f"{name} must be positive, got {n}")


# --8<-- [end:check_int]


# --8<-- [start:atomic_write]
@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[str]:
    """A temporary file beside `path` to write; it replaces `path` only if the block ends well."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; ours are ordinary files
        os.replace(tmp, path)  # atomic: readers see the old file or the new, never half of one
    except BaseException:  # also Ctrl-C: never leave a half-written temporary file behind
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# --8<-- [end:atomic_write]
