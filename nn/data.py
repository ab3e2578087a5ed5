"""Datasets and a DataLoader: mini-batches by fancy indexing with one index array per batch."""

from __future__ import annotations

import abc
import math
from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn._checks import check_int
from nn.init import as_rng

Batch = tuple[NDArray, NDArray]


# --8<-- [start:dataset]
class Dataset(abc.ABC):
    """Samples with targets: a length, and a batch `(x, t)` for an array of indices."""

    @abc.abstractmethod
    def __len__(self) -> int: ...

    @abc.abstractmethod
    def __getitem__(self, index: NDArray[np.intp]) -> Batch: ...


class ArrayDataset(Dataset):
    """Inputs and targets held as two arrays whose first axis counts the samples.

    Args:
        x: inputs `(N, ...)`, e.g. `(N, in_features)`.
        t: targets `(N, ...)`: labels `(N,)`, one-hot `(N, C)` or values `(N, out_features)`.

    Raises:
        ValueError: `x` or `t` is a scalar, or their lengths differ.

    Examples:
        >>> data = ArrayDataset(np.zeros((5, 2)), np.arange(5))
        >>> x, t = data[np.array([4, 0])]
        >>> x.shape, t
        ((2, 2), array([4, 0]))
    """

    def __init__(self, x: ArrayLike, t: ArrayLike) -> None:
        self.x, self.t = np.asarray(x), np.asarray(t)
        if self.x.ndim == 0 or self.t.ndim == 0 or len(self.x) != len(self.t):
            raise ValueError(
                f"x and t must have one entry per sample, got x of shape {self.x.shape} "
                f"and t of shape {self.t.shape}"
            )

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: NDArray[np.intp]) -> Batch:
        return self.x[index], self.t[index]


# --8<-- [end:dataset]


# --8<-- [start:data_loader]
class DataLoader:
    """Mini-batches of a dataset, reshuffled every epoch when `shuffle` is True.

    Every `for` loop over the loader is one epoch; the loader can be iterated again and again.

    Args:
        dataset: a `Dataset`, or anything with `len()` and indexing by an integer array.
        batch_size: samples per batch; the last batch of an epoch may be smaller.
        shuffle: draw a new order from `rng` at the start of every epoch.
        drop_last: leave out the last batch if it is smaller than `batch_size`.
        rng: a `numpy.random.Generator` or an int seed, kept as `self.rng`.

    Raises:
        TypeError: `batch_size` is not an int, or `rng` not a Generator, an int seed or None.
        ValueError: `batch_size` is not positive.

    Examples:
        >>> loader = DataLoader(ArrayDataset(np.arange(10), np.arange(10)), batch_size=4)
        >>> len(loader), [len(x) for x, t in loader]
        (3, [4, 4, 2])
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        check_int(batch_size, "batch_size")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self.rng = as_rng(rng)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        # A generator: each `for` loop gets a fresh one, so every epoch starts from the top
        # (a loader that is its own iterator would be empty after the first epoch).
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        stop = len(self) * self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            yield self.dataset[order[start : start + self.batch_size]]


# --8<-- [end:data_loader]
