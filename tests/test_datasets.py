"""Tests for nn.datasets: the shipped MNIST subset and the full download, served from 127.0.0.1."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import inspect
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn.datasets import load_mnist, mnist, one_hot, stratified_split

SHIPPED = Path(mnist.__file__).with_name("mnist-10k.npz")
CLASS_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]  # PROVENANCE.md
TEST_COUNTS = [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]  # 20% each, largest remainder
FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]

_real_create_connection = socket.create_connection


class NetworkBlocked(OSError):
    """Raised instead of connecting anywhere but 127.0.0.1."""


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch, tmp_path):
    """Fail any connection that is not to 127.0.0.1, and keep caches and proxies out of the way."""
    attempts: list[tuple[str, int]] = []

    def create_connection(address, *args, **kwargs):
        attempts.append(address)
        if address[0] != "127.0.0.1":
            raise NetworkBlocked(f"test tried to reach the network: {address}")
        return _real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    for var in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    monkeypatch.setenv("NN_DATA_DIR", str(tmp_path / "nn-data"))
    return attempts


@pytest.fixture(scope="module")
def shipped():
    with np.load(SHIPPED, allow_pickle=False) as data:
        return data["images"], data["labels"]


# --- the shipped subset -----------------------------------------------------------------------


def test_subset_loads_offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("load_mnist() opened a connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    (x_train, t_train), (x_test, t_test) = load_mnist()
    assert x_train.shape == (8000, 784) and x_test.shape == (2000, 784)
    assert t_train.shape == (8000,) and t_test.shape == (2000,)
    assert x_train.dtype == x_test.dtype == np.float64, "normalized images default to float64"
    assert t_train.dtype == t_test.dtype == np.uint8
    for x in (x_train, x_test):
        assert x.min() == 0.0 and x.max() == 1.0, f"range {x.min()}..{x.max()}, expected 0..1"
    assert set(np.unique(t_train)) == set(np.unique(t_test)) == set(range(10))


def test_subset_split_is_stratified_8000_2000():
    (_, t_train), (_, t_test) = load_mnist()
    train_counts = np.bincount(t_train, minlength=10)
    test_counts = np.bincount(t_test, minlength=10)
    assert (train_counts + test_counts).tolist() == CLASS_COUNTS
    assert test_counts.sum() == 2000 and train_counts.sum() == 8000
    off = np.abs(test_counts - 0.2 * np.array(CLASS_COUNTS))
    assert off.max() < 1, f"test counts {test_counts.tolist()} stray from 20% by {off.max()}"
    assert test_counts.tolist() == TEST_COUNTS


def test_subset_split_is_fixed_and_ignores_global_random_state():
    # Legacy global state on purpose: load_mnist must neither read nor move it.
    np.random.seed(1)  # noqa: NPY002
    state = np.random.get_state()  # noqa: NPY002
    first = load_mnist(normalize=False)
    assert np.array_equal(np.random.get_state()[1], state[1]), "load_mnist used np.random"  # noqa: NPY002
    np.random.seed(2)  # noqa: NPY002
    second = load_mnist(normalize=False)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]), "split changed"


def test_subset_split_is_disjoint_covers_all_and_matches_the_file(shipped):
    images, labels = shipped
    train_idx, test_idx = stratified_split(labels, 0.2, mnist.SUBSET_SPLIT_SEED)
    assert len(np.intersect1d(train_idx, test_idx)) == 0, "an image is in both train and test"
    assert np.array_equal(np.sort(np.concatenate([train_idx, test_idx])), np.arange(10_000))
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=False, flatten=False)
    assert np.array_equal(x_train[:, 0], images[train_idx])
    assert np.array_equal(t_train, labels[train_idx])
    assert np.array_equal(x_test[:, 0], images[test_idx])
    assert np.array_equal(t_test, labels[test_idx])
    assert not np.all(np.diff(t_train.astype(int)) >= 0), "training labels come sorted by class"


def test_normalize_flatten_and_dtype_options():
    (raw, _), _ = load_mnist(normalize=False)
    assert raw.dtype == np.uint8 and raw.shape == (8000, 784) and raw.max() == 255
    (x, _), _ = load_mnist()
    np.testing.assert_array_equal(x, raw / 255.0)
    (x32, _), _ = load_mnist(dtype=np.float32)
    assert x32.dtype == np.float32
    (x4, _), (x4_test, _) = load_mnist(flatten=False)
    assert x4.shape == (8000, 1, 28, 28) and x4_test.shape == (2000, 1, 28, 28)
    assert np.array_equal(x4.reshape(8000, 784), x)


def test_one_hot_label_option():
    (_, t), (_, t_test) = load_mnist()
    (_, y), (_, y_test) = load_mnist(one_hot_label=True)
    assert y.shape == (8000, 10) and y_test.shape == (2000, 10) and y.dtype == np.float64
    assert np.array_equal(y.argmax(axis=1), t) and np.array_equal(y_test.argmax(axis=1), t_test)
    assert np.all(y.sum(axis=1) == 1) and set(np.unique(y)) == {0.0, 1.0}
    (_, y32), _ = load_mnist(normalize=False, one_hot_label=True, dtype=np.float32)
    assert y32.dtype == np.float32


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="'subset' or 'full'"):
        load_mnist(source="mnist")
    with pytest.raises(TypeError, match="floating"):
        load_mnist(dtype=np.int32)


def test_tampered_subset_is_refused(monkeypatch, tmp_path):
    data = bytearray(SHIPPED.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy = tmp_path / "mnist-10k.npz"
    copy.write_bytes(bytes(data))
    monkeypatch.setattr(mnist, "SUBSET_PATH", copy)
    actual = hashlib.sha256(data).hexdigest()
    with pytest.raises(ValueError, match=f"sha256 {actual}, expected {mnist.SUBSET_SHA256}"):
        load_mnist()


def test_shipped_file_and_notice_agree_with_the_constant():
    assert hashlib.sha256(SHIPPED.read_bytes()).hexdigest() == mnist.SUBSET_SHA256
    notice = SHIPPED.with_name("NOTICE.md").read_text(encoding="utf-8")
    for needle in (mnist.SUBSET_SHA256, "LeCun", "Cortes", "Burges", "CC BY-SA 3.0", "Cazala"):
        assert needle in notice, f"NOTICE.md does not mention {needle}"


# --- helpers ----------------------------------------------------------------------------------


def test_one_hot():
    assert one_hot([2, 0], 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert one_hot(np.array([1], np.uint8), 2, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="label 3 is out of range for 3 classes"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="integers"):
        one_hot([0.5], 3)


@given(
    labels=st.lists(st.integers(0, 4), max_size=60),
    fraction=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratified_split_properties(labels, fraction, seed):
    labels = np.array(labels, dtype=int)
    train, test = stratified_split(labels, fraction, seed)
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(len(labels)))
    assert len(test) == round(len(labels) * fraction)
    for c in range(5):
        n_c, k_c = np.sum(labels == c), np.sum(labels[test] == c)
        assert abs(k_c - fraction * n_c) < 1, f"class {c}: {k_c} of {n_c} to test at {fraction}"
    again = stratified_split(labels, fraction, seed)
    assert np.array_equal(again[0], train) and np.array_equal(again[1], test)


# --- the full download, from a server on 127.0.0.1 ----------------------------------------------


def idx_gz(array: np.ndarray) -> bytes:
    """A gzipped IDX file of unsigned bytes holding `array`."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


class Mirror:
    """Serves a folder on 127.0.0.1 and counts the requests."""

    def __init__(self, root: Path) -> None:
        self.root, self.requests = root, []
        mirror = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                mirror.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        handler = functools.partial(Handler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/mnist/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def put(self, name: str, data: bytes) -> None:
        (self.root / "mnist" / name).write_bytes(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """Small MNIST-like files (30 train, 10 test) served over HTTP, with their MD5s patched in."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 30, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 10, dtype=np.uint8),
    }
    (tmp_path / "www" / "mnist").mkdir(parents=True)
    server = Mirror(tmp_path / "www")
    md5 = {}
    for name, array in arrays.items():
        data = idx_gz(array)
        server.put(name, data)
        md5[name] = hashlib.md5(data).hexdigest()
    monkeypatch.setattr(mnist, "FULL_MD5", md5)
    server.arrays = arrays
    yield server
    server.close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def cache_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_full_downloads_verifies_and_caches(mirror, tmp_path):
    cache = tmp_path / "cache"
    calls = []
    (x_train, t_train), (x_test, t_test) = load_mnist(
        source="full", cache_dir=cache, base_url=mirror.url, progress=lambda *a: calls.append(a)
    )
    a = mirror.arrays
    assert x_train.shape == (30, 784) and x_test.shape == (10, 784) and x_train.dtype == np.float64
    np.testing.assert_array_equal(x_train, a["train-images-idx3-ubyte.gz"].reshape(30, -1) / 255)
    np.testing.assert_array_equal(x_test, a["t10k-images-idx3-ubyte.gz"].reshape(10, -1) / 255)
    assert np.array_equal(t_train, a["train-labels-idx1-ubyte.gz"])
    assert np.array_equal(t_test, a["t10k-labels-idx1-ubyte.gz"])
    assert sorted(mirror.requests) == sorted(f"/mnist/{name}" for name in FILES)
    assert cache_files(cache) == sorted(FILES), "temp files or missing files in the cache"
    sizes = {name: (cache / name).stat().st_size for name in FILES}
    last = {name: done for name, done, _ in calls}
    assert last == sizes, "progress did not reach the end of each file"
    assert all(total == sizes[name] for name, _, total in calls)

    again = load_mnist(source="full", cache_dir=cache, base_url=mirror.url, normalize=False)
    assert len(mirror.requests) == 4, f"second call downloaded again: {mirror.requests}"
    assert np.array_equal(again[0][0], a["train-images-idx3-ubyte.gz"].reshape(30, -1))


def test_full_default_cache_dir_comes_from_nn_data_dir(mirror, tmp_path):
    load_mnist(source="full", base_url=mirror.url)
    assert cache_files(tmp_path / "nn-data" / "mnist") == sorted(FILES)


def test_full_damaged_cache_file_is_fetched_again(mirror, tmp_path):
    cache = tmp_path / "cache"
    load_mnist(source="full", cache_dir=cache, base_url=mirror.url)
    (cache / FILES[1]).write_bytes(b"damaged")
    (_, t_train), _ = load_mnist(source="full", cache_dir=cache, base_url=mirror.url)
    assert mirror.requests.count(f"/mnist/{FILES[1]}") == 2 and len(mirror.requests) == 5
    assert np.array_equal(t_train, mirror.arrays[FILES[1]])


def test_full_checksum_mismatch_leaves_nothing(mirror, tmp_path):
    cache = tmp_path / "cache"
    tampered = idx_gz(np.zeros((30, 28, 28), np.uint8))
    mirror.put(FILES[0], tampered)
    actual, expected = hashlib.md5(tampered).hexdigest(), mnist.FULL_MD5[FILES[0]]
    with pytest.raises(ValueError, match=f"{FILES[0]}.*expected MD5 {expected}, got {actual}"):
        load_mnist(source="full", cache_dir=cache, base_url=mirror.url)
    assert cache_files(cache) == [], "a bad download or its temp file was left in the cache"


def test_full_unreachable_server_names_the_subset(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match=r"load_mnist\(\) with the default source='subset'") as err:
        load_mnist(source="full", cache_dir=cache, base_url=closed_port_url())
    assert FILES[0] in str(err.value)
    assert cache_files(cache) == [], "a failed download left a file in the cache"


def test_full_missing_file_on_the_mirror_is_a_download_error(mirror, tmp_path):
    (mirror.root / "mnist" / FILES[3]).unlink()
    with pytest.raises(ConnectionError, match=f"{FILES[3]}.*404"):
        load_mnist(source="full", cache_dir=tmp_path / "cache", base_url=mirror.url)
    assert sorted(cache_files(tmp_path / "cache")) == sorted(FILES[:3])


def test_full_falls_back_to_the_next_mirror(mirror, tmp_path):
    (x_train, _), _ = load_mnist(
        source="full", cache_dir=tmp_path / "cache", base_url=(closed_port_url(), mirror.url)
    )
    assert x_train.shape == (30, 784) and len(mirror.requests) == 4


def test_full_default_mirrors_are_tried_in_order(loopback_only, tmp_path):
    # The loopback_only fixture refuses these connections before any DNS lookup.
    assert inspect.signature(load_mnist).parameters["base_url"].default == mnist.MIRRORS
    assert mnist.MIRRORS == (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    )
    with pytest.raises(ConnectionError, match=r"(?s)s3\.amazonaws\.com.*storage\.googleapis\.com"):
        load_mnist(source="full", cache_dir=tmp_path / "cache")
    hosts = [host for host, _ in loopback_only]
    assert hosts == ["ossci-datasets.s3.amazonaws.com", "storage.googleapis.com"]
    assert cache_files(tmp_path / "cache") == []


def test_full_real_checksums_are_the_published_ones():
    assert mnist.FULL_MD5 == {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }


LABELS = np.zeros(30, np.uint8).tobytes()
MALFORMED = {  # what the train labels file holds -> what the error must say
    "not gzip": (b"plain bytes, not gzip", "not a valid gzip"),
    "truncated gzip": (idx_gz(np.zeros(30, np.uint8))[:-6], "not a valid gzip"),
    "image magic": (gzip.compress(b"\0\0\x08\x03" + struct.pack(">I", 30) + LABELS), "magic"),
    "int32 type": (gzip.compress(b"\0\0\x0c\x01" + struct.pack(">I", 30) + LABELS), "magic"),
    "short header": (gzip.compress(b"\0\0\x08\x01\0\0"), "header cut short"),
    "short data": (gzip.compress(b"\0\0\x08\x01" + struct.pack(">I", 31) + LABELS), "shape"),
    "count mismatch": (idx_gz(np.zeros(29, np.uint8)), "30 images but 29 labels"),
    "label above 9": (idx_gz(np.full(30, 10, np.uint8)), "digits 0 to 9, found 10"),
}


@pytest.mark.parametrize("kind", MALFORMED)
def test_full_malformed_idx_raises_value_error(mirror, tmp_path, kind):
    data, message = MALFORMED[kind]
    mirror.put(FILES[1], data)
    mnist.FULL_MD5[FILES[1]] = hashlib.md5(data).hexdigest()  # the fixture's own copy
    with pytest.raises(ValueError, match=message):
        load_mnist(source="full", cache_dir=tmp_path / "cache", base_url=mirror.url)
