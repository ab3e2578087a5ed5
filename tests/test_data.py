"""Tests for nn.data (Dataset, ArrayDataset, DataLoader) and the toy sets in nn.datasets.toy."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn.data import ArrayDataset, DataLoader, Dataset
from nn.datasets import make_moons, make_sine, train_test_split


def labels_of(loader):
    """One epoch of the loader as a list of the label arrays of its batches."""
    return [t for _, t in loader]


def counting(n):
    """A dataset whose sample i is (i, i), so a batch's t says which samples it holds."""
    return ArrayDataset(np.arange(n), np.arange(n))


# --- ArrayDataset


def test_array_dataset_returns_the_indexed_rows():
    x, t = np.arange(12.0).reshape(6, 2), np.arange(6) * 10
    x_batch, t_batch = ArrayDataset(x, t)[np.array([5, 1])]
    np.testing.assert_array_equal(x_batch, [[10.0, 11.0], [2.0, 3.0]])
    np.testing.assert_array_equal(t_batch, [50, 10])
    assert len(ArrayDataset(x, t)) == 6


def test_array_dataset_names_both_shapes_when_lengths_differ():
    with pytest.raises(ValueError, match=r"x of shape \(100, 2\) and t of shape \(99,\)"):
        ArrayDataset(np.zeros((100, 2)), np.zeros(99))
    with pytest.raises(ValueError, match=r"x of shape \(\)"):
        ArrayDataset(np.float64(1.0), np.zeros(1))


# --- DataLoader


@pytest.mark.parametrize("bad", [0, -1])
def test_batch_size_must_be_positive(bad):
    with pytest.raises(ValueError, match=f"batch_size must be positive, got {bad}"):
        DataLoader(counting(4), batch_size=bad)


@pytest.mark.parametrize("bad", [2.0, True, "4", None])
def test_batch_size_must_be_an_int(bad):
    with pytest.raises(TypeError, match="batch_size must be an int"):
        DataLoader(counting(4), batch_size=bad)


def test_batch_size_accepts_numpy_integers():
    assert DataLoader(counting(10), batch_size=np.int64(4)).batch_size == 4


@given(
    n=st.integers(0, 60),
    batch_size=st.integers(1, 25),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_sample_exactly_once_per_epoch(n, batch_size, shuffle, seed):
    loader = DataLoader(counting(n), batch_size, shuffle=shuffle, rng=seed)
    for _ in range(2):  # and again in the second epoch
        batches = labels_of(loader)
        assert len(batches) == len(loader) == math.ceil(n / batch_size)
        assert all(len(b) == batch_size for b in batches[:-1])
        seen = np.concatenate([np.empty(0, int), *batches])
        np.testing.assert_array_equal(np.sort(seen), np.arange(n))
        if not shuffle:
            np.testing.assert_array_equal(seen, np.arange(n))


@given(n=st.integers(0, 60), batch_size=st.integers(1, 25), seed=st.integers(0, 2**32 - 1))
def test_drop_last_leaves_out_only_the_short_batch(n, batch_size, seed):
    loader = DataLoader(counting(n), batch_size, shuffle=True, drop_last=True, rng=seed)
    batches = labels_of(loader)
    assert len(batches) == len(loader) == n // batch_size
    assert all(len(b) == batch_size for b in batches)
    seen = np.concatenate([np.empty(0, int), *batches])
    assert len(np.unique(seen)) == len(seen) == n - n % batch_size


def test_drop_last_example():
    assert [list(t) for t in labels_of(DataLoader(counting(7), 3, drop_last=True))] == [
        [0, 1, 2],
        [3, 4, 5],
    ]
    assert [len(t) for t in labels_of(DataLoader(counting(7), 3))] == [3, 3, 1]


def test_iterates_again_every_epoch():
    loader = DataLoader(counting(10), batch_size=4, shuffle=True, rng=0)
    epochs = [labels_of(loader) for _ in range(3)]
    assert [len(e) for e in epochs] == [3, 3, 3]
    # Two loops running at once are independent too: each `iter` starts its own epoch.
    a, b = iter(loader), iter(loader)
    assert len(list(a)) == len(list(b)) == 3


def test_shuffle_differs_between_epochs_and_repeats_from_the_seed():
    def orders(seed, epochs=3):
        loader = DataLoader(counting(50), batch_size=7, shuffle=True, rng=seed)
        return [np.concatenate(labels_of(loader)) for _ in range(epochs)]

    first = orders(0)
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[1], first[2])
    assert not np.array_equal(first[0], np.arange(50))
    for a, b in zip(first, orders(0), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], orders(1)[0])


def test_a_generator_is_used_as_is_and_advanced():
    rng = np.random.default_rng(5)
    loader = DataLoader(counting(20), batch_size=5, shuffle=True, rng=rng)
    assert loader.rng is rng
    state = rng.bit_generator.state
    labels_of(loader)
    assert rng.bit_generator.state != state
    # Without shuffling the loader draws nothing.
    state = rng.bit_generator.state
    labels_of(DataLoader(counting(20), batch_size=5, rng=rng))
    assert rng.bit_generator.state == state


def test_numpy_global_random_state_is_never_touched():
    # The legacy global API on purpose: it is the state the library must leave alone.
    np.random.seed(123)  # noqa: NPY002
    expected = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    for rng in (None, 0, np.random.default_rng(1)):
        labels_of(DataLoader(counting(30), batch_size=4, shuffle=True, rng=rng))
    assert np.random.random() == expected  # noqa: NPY002


class RecordingDataset(Dataset):
    """Records every index it is asked for, to show how the loader reads."""

    def __init__(self, n):
        self.n, self.requests = n, []

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        self.requests.append(index)
        return np.asarray(index, float)[:, None], np.asarray(index)


def test_one_fancy_index_per_batch_not_one_call_per_sample():
    data = RecordingDataset(10)
    batches = list(DataLoader(data, batch_size=4, shuffle=True, rng=0))
    assert len(data.requests) == len(batches) == 3
    for index in data.requests:
        assert isinstance(index, np.ndarray) and np.issubdtype(index.dtype, np.integer)
    assert [len(i) for i in data.requests] == [4, 4, 2]


def test_dataset_interface_cannot_be_half_implemented():
    class NoGetItem(Dataset):
        def __len__(self):
            return 0

    with pytest.raises(TypeError, match="abstract"):
        NoGetItem()


# --- make_moons


def test_moons_shapes_dtypes_and_labels():
    x, t = make_moons(1001, noise=0.2, rng=0)
    assert x.shape == (1001, 2) and x.dtype == np.float64
    assert t.shape == (1001,) and np.issubdtype(t.dtype, np.integer)
    assert np.bincount(t).tolist() == [500, 501]  # n // 2 in class 0, as in scikit-learn


def test_moons_without_noise_lie_on_the_two_half_circles():
    x, t = make_moons(200, rng=0)
    upper, lower = x[t == 0], x[t == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_moons_follow_scikit_learns_formula_point_by_point():
    x, t = make_moons(6, shuffle=False)
    # cos/sin of linspace(0, pi, 3) for the outer moon; 1 - cos, 1 - sin - 0.5 for the inner.
    expected = [[1, 0], [0, 1], [-1, 0], [0, 0.5], [1, -0.5], [2, 0.5]]
    np.testing.assert_allclose(x, expected, atol=1e-15)
    assert t.tolist() == [0, 0, 0, 1, 1, 1]


def test_moons_are_reproducible_from_the_seed_and_noise_has_the_asked_spread():
    a, b, c = (make_moons(4000, noise=0.1, rng=s, shuffle=False) for s in (0, 0, 1))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    clean, _ = make_moons(4000, shuffle=False)
    assert np.std(a[0] - clean) == pytest.approx(0.1, rel=0.05)
    _, labels = make_moons(4000, rng=0)
    assert not np.array_equal(labels, np.sort(labels))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": -1}, "n_samples"),
        ({"n_samples": 2.5}, "n_samples"),
        ({"noise": -0.1}, "noise"),
    ],
)
def test_moons_reject_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_moons(**kwargs)


# --- make_sine


def test_sine_has_exactly_200_points_on_0_to_2():
    x, t = make_sine()
    assert x.shape == t.shape == (200, 1)
    np.testing.assert_array_equal(x[:, 0], np.arange(200) * 0.01)  # no accumulated error
    assert x[0, 0] == 0.0 and x[-1, 0] == 1.99 and np.all(x < 2.0)
    np.testing.assert_array_equal(t, 20.0 * np.sin(2 * np.pi * x))
    np.testing.assert_array_equal(make_sine()[1], t)


def test_sine_counts_points_where_arange_would_add_one():
    # (1.3 - 1.0) / 0.1 is 3.0000000000000004, so np.arange gives four points, 1.3 among them.
    assert len(np.arange(1.0, 1.3, 0.1)) == 4
    x, _ = make_sine(1.0, 1.3, 0.1)
    np.testing.assert_allclose(x[:, 0], [1.0, 1.1, 1.2])
    assert len(make_sine(0.0, 0.7, 0.1)[0]) == 7  # 6.999999999999999 steps


def test_sine_noise_is_seeded():
    clean = make_sine()[1]
    a, b, c = (make_sine(noise=1.0, rng=s)[1] for s in (0, 0, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.std(a - clean) == pytest.approx(1.0, rel=0.2)


@pytest.mark.parametrize(
    "kwargs", [{"step": 0}, {"step": -0.1}, {"start": 2.0, "stop": 1.0}, {"noise": -1.0}]
)
def test_sine_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        make_sine(**kwargs)


# --- train_test_split


def test_split_is_disjoint_complete_and_seeded():
    x, t = np.arange(100.0)[:, None], np.arange(100) % 2
    (x_train, t_train), (x_test, _) = train_test_split(x, t, 0.25, rng=0)
    assert len(x_train) == 75 and len(x_test) == 25
    np.testing.assert_array_equal(np.sort(np.concatenate([x_train, x_test])[:, 0]), x[:, 0])
    np.testing.assert_array_equal(t_train, x_train[:, 0].astype(int) % 2)  # rows stay paired
    again = train_test_split(x, t, 0.25, rng=0)
    np.testing.assert_array_equal(again[1][0], x_test)
    assert not np.array_equal(train_test_split(x, t, 0.25, rng=1)[1][0], x_test)


def test_split_keeps_class_shares_for_labels_and_works_for_regression():
    t = np.array([0] * 90 + [1] * 10)
    _, (_, t_test) = train_test_split(np.zeros((100, 2)), t, 0.2, rng=0)
    assert np.bincount(t_test).tolist() == [18, 2]
    x, y = make_sine()
    (x_train, y_train), (x_test, y_test) = train_test_split(x, y, 0.2, rng=0)
    assert x_train.shape == y_train.shape == (160, 1) and x_test.shape == (40, 1)
    np.testing.assert_array_equal(y_test, 20.0 * np.sin(2 * np.pi * x_test))


def test_split_checks_lengths():
    with pytest.raises(ValueError, match=r"\(5, 2\) and \(4,\)"):
        train_test_split(np.zeros((5, 2)), np.zeros(4), 0.2, rng=0)


# --- bad arguments to the toy sets and the split: clear errors, no NaN data


@pytest.mark.parametrize("noise", [float("inf"), float("nan"), "0.1", None])
def test_moons_noise_must_be_a_finite_number(noise):
    # Before: inf gave points at infinity; "0.1" and None a TypeError from a comparison.
    with pytest.raises(ValueError, match="noise must be a finite, non-negative"):
        make_moons(10, noise=noise, rng=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stop": float("inf")}, "stop must be a finite number, got inf"),  # OverflowError
        ({"start": float("-inf")}, "start must be a finite number"),
        ({"amplitude": float("nan")}, "amplitude must be a finite number, got nan"),  # NaN t
        ({"step": float("inf")}, "step must be a finite number"),  # no points at all
    ],
)
def test_sine_bounds_step_and_amplitude_must_be_finite(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_sine(**kwargs)


def test_split_refuses_nan_labels_and_strata_that_are_not_labels():
    from nn.datasets import stratified_split

    labels = np.array([0.0, 1.0, np.nan, 1.0])
    # Before: the NaN sample was in neither part, though both together promise range(N).
    with pytest.raises(ValueError, match="labels must not be NaN or infinite, got nan"):
        stratified_split(labels, 0.5, rng=0)
    with pytest.raises(ValueError, match=r"test_fraction must be a number in \[0, 1\], got '0.2'"):
        stratified_split(np.zeros(4), "0.2", rng=0)
    with pytest.raises(ValueError, match=r"stratify=True needs class labels of shape \(N,\)"):
        train_test_split(np.zeros((6, 2)), np.eye(2)[[0, 1, 0, 1, 0, 1]], 0.5, rng=0, stratify=True)


@pytest.mark.parametrize("num_classes", [0, -1, 2.0, True])
def test_one_hot_needs_a_positive_integer_number_of_classes(num_classes):
    from nn.datasets import one_hot

    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        one_hot([0, 1], num_classes)
