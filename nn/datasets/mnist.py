"""MNIST handwritten digits as NumPy arrays, in the spirit of the book's `dataset/mnist.py`.

Two sources, the same return value:

- `"subset"` (default, offline): the 10,000 digits shipped in `mnist-10k.npz` (see `NOTICE.md`),
  checked against `SUBSET_SHA256` on every load and split by `stratified_split` with the fixed
  seed `SUBSET_SPLIT_SEED` into 8,000 training and 2,000 test images.
- `"full"`: the original 60,000 / 10,000 IDX files, downloaded once from the first mirror that
  answers, checked against `FULL_MD5` and cached outside the package folder.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import math
import numbers
import os
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from nn._checks import atomic_write, check_sizes
from nn.init import as_rng, float_dtype

SUBSET_PATH = Path(__file__).with_name("mnist-10k.npz")
SUBSET_SHA256 = "0217e13bd0668deb198aa7d305edbf0331eb89f8a6e7dd226e03d1aa3a9bd4ef"
# 1998: the year of LeCun, Bottou, Bengio and Haffner's paper that introduced MNIST.
SUBSET_SPLIT_SEED = 1998
SUBSET_TEST_FRACTION = 0.2

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# The MD5 digests torchvision and others verify; tests monkeypatch this table.
FULL_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
TIMEOUT = 30.0  # seconds to wait for a mirror before trying the next one

Progress = Callable[[str, int, int | None], None]
Arrays = tuple[tuple[NDArray, NDArray], tuple[NDArray, NDArray]]


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    source: str = "subset",
    dtype: DTypeLike = np.float64,
    cache_dir: str | os.PathLike[str] | None = None,
    base_url: str | Sequence[str] = MIRRORS,
    progress: Progress | None = None,
) -> Arrays:
    """Load MNIST as `(x_train, t_train), (x_test, t_test)`, like the book's `load_mnist`.

    Args:
        normalize: images as `dtype` in `[0, 1]`; if False, uint8 grey levels 0 to 255.
        flatten: images as `(N, 784)`; if False, as `(N, 1, 28, 28)`.
        one_hot_label: labels as one-hot `(N, 10)` of `dtype`; if False, uint8 `(N,)`.
        source: `"subset"`: the shipped 10,000 digits, split 8,000 / 2,000 by `stratified_split`
            with seed `SUBSET_SPLIT_SEED`, no network; `"full"`: 60,000 / 10,000, downloaded once.
        dtype: float dtype of normalized images and one-hot labels. Float64 by default, like
            `nn`'s networks (the book uses float32).
        cache_dir: folder for `"full"`; default `$NN_DATA_DIR/mnist`, else `~/.cache/nn/mnist`.
        base_url: a mirror or mirrors, tried in order, for `"full"`.
        progress: called as `progress(filename, bytes_done, bytes_total or None)` while downloading.

    Returns:
        `(x_train, t_train), (x_test, t_test)`; N is 8,000 / 2,000, or 60,000 / 10,000 for `"full"`.

    Raises:
        ConnectionError: (an OSError) no mirror answered; the message names the offline subset.
        ValueError: a checksum mismatch (the bad download is deleted) or a malformed file.

    Examples:
        >>> (x_train, t_train), (x_test, t_test) = load_mnist()
        >>> x_train.shape, t_train.shape, x_test.shape, x_train.dtype
        ((8000, 784), (8000,), (2000, 784), dtype('float64'))
    """
    dtype = float_dtype(dtype)
    if source == "subset":
        (x_train, t_train), (x_test, t_test) = _load_subset()
    elif source == "full":
        (x_train, t_train), (x_test, t_test) = _load_full(cache_dir, base_url, progress)
    else:
        raise ValueError(f"source must be 'subset' or 'full', got {source!r}")

    def images(x: NDArray[np.uint8]) -> NDArray:
        y: NDArray = x.astype(dtype) if normalize else x
        if normalize:
            y /= 255.0
        return y.reshape(len(y), -1) if flatten else y.reshape(len(y), 1, *y.shape[1:])

    def labels(t: NDArray[np.uint8]) -> NDArray:
        return one_hot(t, 10, dtype=dtype) if one_hot_label else t

    return (images(x_train), labels(t_train)), (images(x_test), labels(t_test))


def one_hot(labels: ArrayLike, num_classes: int, *, dtype: DTypeLike = np.float64) -> NDArray:
    """One-hot rows from integer class labels.

    Args:
        labels: integer labels `(N,)` in `[0, num_classes)`.
        num_classes: the number of classes C.
        dtype: dtype of the result.

    Returns:
        `(N, C)` array with a single 1 per row, at the column of its label.

    Raises:
        ValueError: `labels` are not integers `(N,)` or a label is outside `[0, num_classes)`,
            or `num_classes` is not a positive integer.

    Examples:
        >>> one_hot([2, 0], 3)
        array([[0., 0., 1.],
               [1., 0., 0.]])
    """
    check_sizes(num_classes=num_classes)
    t = np.asarray(labels)
    if t.ndim != 1 or not (np.issubdtype(t.dtype, np.integer) or t.size == 0):
        raise ValueError(f"labels must be integers of shape (N,), got {t.dtype} {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        bad = t[(t < 0) | (t >= num_classes)][0]
        raise ValueError(f"label {bad} is out of range for {num_classes} classes")
    out = np.zeros((t.size, num_classes), dtype=dtype)
    out[np.arange(t.size), t] = 1
    return out


def stratified_split(
    labels: ArrayLike, test_fraction: float, rng: np.random.Generator | int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Indices for a train/test split that keeps each class's share.

    Each class c with n_c items gives floor(test_fraction * n_c) items to test, chosen by `rng`;
    the items still missing from round(test_fraction * N) go one each to the classes with the
    largest remainders (ties: lower class first). Both index arrays are then shuffled by `rng`.

    Args:
        labels: class labels `(N,)`.
        test_fraction: share of each class that goes to test, in `[0, 1]`.
        rng: a `numpy.random.Generator` or an int seed.

    Returns:
        `(train_idx, test_idx)`: disjoint index arrays that together cover `range(N)`.

    Raises:
        ValueError: `labels` are not `(N,)` or hold NaN (a NaN sample would be in neither
            part), or `test_fraction` is not a number in [0, 1].
        TypeError: `rng` is not a Generator, an int seed or None.

    Examples:
        >>> train_idx, test_idx = stratified_split([0, 0, 0, 0, 1, 1, 1, 1, 1, 1], 0.5, rng=0)
        >>> len(train_idx), len(test_idx)
        (5, 5)
    """
    t = np.asarray(labels)
    if t.ndim != 1:
        raise ValueError(f"labels must have shape (N,), got {t.shape}")
    if t.dtype.kind in "fc" and not np.isfinite(t).all():
        raise ValueError(f"labels must not be NaN or infinite, got {t[~np.isfinite(t)][0]}")
    if (
        isinstance(test_fraction, bool)
        or not isinstance(test_fraction, numbers.Real)
        or not 0 <= test_fraction <= 1
    ):
        raise ValueError(f"test_fraction must be a number in [0, 1], got {test_fraction!r}")
    rng = as_rng(rng)
    classes, counts = np.unique(t, return_counts=True)
    quota = counts * test_fraction
    n_test = np.floor(quota).astype(np.intp)
    missing = round(len(t) * test_fraction) - int(n_test.sum())
    n_test[np.argsort(n_test - quota, kind="stable")[:missing]] += 1
    train, test = [np.empty(0, np.intp)], [np.empty(0, np.intp)]  # for labels of length 0
    for c, k in zip(classes, n_test, strict=True):
        members = rng.permutation(np.flatnonzero(t == c))
        test.append(members[:k])
        train.append(members[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _load_subset() -> Arrays:
    """The shipped 10,000 digits, checked and split 8,000 / 2,000."""
    raw = SUBSET_PATH.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SUBSET_SHA256:
        raise ValueError(
            f"{SUBSET_PATH} is damaged or was changed: sha256 {digest}, expected {SUBSET_SHA256}. "
            "Reinstall nn to restore it."
        )
    with np.load(io.BytesIO(raw), allow_pickle=False) as data:
        x, t = data["images"], data["labels"]
    train, test = stratified_split(t, SUBSET_TEST_FRACTION, SUBSET_SPLIT_SEED)
    return (x[train], t[train]), (x[test], t[test])


def _load_full(
    cache_dir: str | os.PathLike[str] | None,
    base_url: str | Sequence[str],
    progress: Progress | None,
) -> Arrays:
    """The original 60,000 / 10,000, fetched into `cache_dir` when not there yet."""
    if cache_dir is None:
        root = os.environ.get("NN_DATA_DIR")
        cache_dir = Path(root) / "mnist" if root else Path.home() / ".cache" / "nn" / "mnist"
    cache = Path(cache_dir)
    mirrors = (base_url,) if isinstance(base_url, str) else tuple(base_url)
    arrays = []
    for prefix in ("train", "t10k"):
        x = _read_idx(_fetch(f"{prefix}-images-idx3-ubyte.gz", cache, mirrors, progress), ndim=3)
        t = _read_idx(_fetch(f"{prefix}-labels-idx1-ubyte.gz", cache, mirrors, progress), ndim=1)
        if len(x) != len(t):
            raise ValueError(f"{prefix} files disagree: {len(x)} images but {len(t)} labels")
        if t.size and t.max() > 9:
            raise ValueError(f"{prefix} labels must be digits 0 to 9, found {t.max()}")
        arrays.append((x, t))
    return arrays[0], arrays[1]


def _md5(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "md5").hexdigest()


def _fetch(name: str, cache: Path, mirrors: tuple[str, ...], progress: Progress | None) -> Path:
    """`cache / name`, downloaded first unless a copy with the right MD5 is already there."""
    expected = FULL_MD5[name]
    path = cache / name
    if path.is_file() and _md5(path) == expected:
        return path
    cache.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            with atomic_write(path, suffix=".part") as tmp, open(tmp, "wb") as f:
                digest = _download(url, f, name, progress)
                if digest != expected:  # raised inside: the download is deleted
                    raise ValueError(
                        f"checksum mismatch for {name} from {url}: expected MD5 {expected}, "
                        f"got {digest}; the download was deleted"
                    )
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()  # an HTTP error response holds its connection open
            failures.append(f"{url}: {exc}")
            continue
        return path
    raise ConnectionError(
        f"could not download {name} for load_mnist(source='full'):\n  "
        + "\n  ".join(failures or ["no mirror given"])
        + "\nWithout network access, use load_mnist() with the default source='subset': "
        "10,000 MNIST digits shipped with nn."
    )


def _download(url: str, f: BinaryIO, name: str, progress: Progress | None) -> str:
    """Stream `url` into the open file `f`; return the MD5 of what was written."""
    md5 = hashlib.md5()
    # A fresh opener reads the proxy settings of the moment, not those of the first call.
    with urllib.request.build_opener().open(url, timeout=TIMEOUT) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        while chunk := response.read(1 << 16):
            f.write(chunk)
            md5.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(name, done, total)
    return md5.hexdigest()


def _read_idx(path: Path, ndim: int) -> NDArray[np.uint8]:
    """A gzipped IDX file of unsigned bytes as an array whose shape comes from its header."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path} is not a valid gzip file: {exc}") from exc
    # Header: two zero bytes, type code 0x08 (unsigned byte), ndim, then ndim big-endian uint32.
    if len(raw) < 4 or raw[:4] != bytes([0, 0, 0x08, ndim]):
        raise ValueError(
            f"{path}: not an IDX file of {ndim}-D unsigned bytes (magic {raw[:4].hex() or 'none'}, "
            f"expected {bytes([0, 0, 0x08, ndim]).hex()})"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: IDX header cut short ({len(raw)} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    if len(raw) - header != math.prod(shape):
        raise ValueError(
            f"{path}: header says shape {shape} ({math.prod(shape)} bytes), "
            f"but {len(raw) - header} bytes of data follow"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()
