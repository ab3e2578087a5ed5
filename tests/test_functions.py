import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from nn import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy_error,
    log_softmax,
    mean_squared_error,
    relu,
    sigmoid,
    softmax,
)
from nn._checks import check_finite

finite = st.floats(-1e4, 1e4, allow_nan=False, width=64)
batches = arrays(np.float64, array_shapes(min_dims=2, max_dims=2, max_side=8), elements=finite)


@given(batches)
def test_softmax_rows_sum_to_one(x):
    p = softmax(x)
    assert p.shape == x.shape
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(p >= 0)


@given(batches, st.floats(-1e3, 1e3))
def test_softmax_ignores_a_constant_shift_per_row(x, c):
    np.testing.assert_allclose(softmax(x + c), softmax(x), atol=1e-12)


def test_softmax_is_row_wise_on_a_batch():
    # The popular bug: subtracting the max of the whole batch and summing over all rows.
    x = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    expected = np.array([np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), [1 / 3] * 3])
    np.testing.assert_allclose(softmax(x), expected)


def test_softmax_is_finite_for_huge_logits_without_warnings():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        p = softmax(x)
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])


def test_naive_softmax_overflows_where_ours_does_not():
    x = np.array([1010.0, 1000.0, 990.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(x) / np.sum(np.exp(x))
    assert np.isnan(naive).all()
    assert np.isfinite(softmax(x)).all()


def test_sigmoid_saturates_without_overflow_warning():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = sigmoid(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]))
    assert y[0] == 0.0 and y[2] == 0.5 and y[-1] == 1.0
    np.testing.assert_allclose(y[1], np.exp(-30.0), rtol=1e-12)  # tiny values keep precision


@given(arrays(np.float64, array_shapes(max_dims=3, max_side=6), elements=finite))
def test_sigmoid_is_symmetric(x):
    np.testing.assert_allclose(sigmoid(-x), 1.0 - sigmoid(x), atol=1e-15)


@pytest.mark.parametrize("f", [sigmoid, relu, softmax, log_softmax])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_keep_dtype(f, dtype):
    x = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    assert f(x).dtype == dtype


def test_integer_input_becomes_float64():
    assert sigmoid(np.array([0, 1])).dtype == np.float64
    assert relu([1, -1]).dtype == np.float64


@pytest.mark.parametrize("f", [sigmoid, relu, softmax])
def test_functions_do_not_mutate_input(f):
    x = np.array([[1.0, -2.0, 3.0]])
    before = x.copy()
    f(x)
    np.testing.assert_array_equal(x, before)


def test_check_finite_names_the_value_plainly():
    x = np.zeros((2, 3))
    x[1, 2] = np.nan
    with pytest.raises(
        ValueError, match=r"^x must be finite, but x\[1, 2\] = nan \(shape \(2, 3\)\)$"
    ):
        check_finite(x, "x")  # before: "= np.float64(nan)", NumPy 2's repr


def test_cross_entropy_is_finite_when_a_probability_is_zero():
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = cross_entropy_error(y, np.array([0, 0]))
    assert np.isfinite(loss) and loss > 300  # -log(tiny) / 2, about 354


def test_cross_entropy_labels_and_one_hot_agree():
    y = softmax(np.array([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]]))
    t = np.array([1, 2])
    one_hot = np.eye(3)[t]
    expected = -np.mean(np.log(y[[0, 1], t]))
    assert cross_entropy_error(y, t) == pytest.approx(expected)
    assert cross_entropy_error(y, one_hot) == pytest.approx(expected)
    assert cross_entropy_error(y[0], 1) == pytest.approx(-np.log(y[0, 1]))
    assert cross_entropy_error(y[0], one_hot[0]) == pytest.approx(-np.log(y[0, 1]))


def test_cross_entropy_rejects_bad_labels():
    y = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"label 3 is out of range for 3 classes"):
        cross_entropy_error(y, [0, 3])
    with pytest.raises(ValueError, match=r"labels of shape \(2,\).*got shape \(3,\)"):
        cross_entropy_error(y, [0, 1, 2])
    with pytest.raises(TypeError, match="integers"):
        cross_entropy_error(y, [0.5, 1.0])


def test_log_softmax_matches_log_of_softmax_and_stays_finite():
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(log_softmax(x), np.log(softmax(x)))
    assert np.isfinite(log_softmax(np.array([0.0, -1e4]))).all()


def test_mean_squared_error_is_a_mean():
    assert mean_squared_error([1.0, 2.0, 3.0], [1.0, 2.0, 6.0]) == 3.0
    with pytest.raises(ValueError, match=r"\(3,\) and \(3, 1\)"):
        mean_squared_error(np.zeros(3), np.zeros((3, 1)))


def test_binary_cross_entropy_forms_agree_and_stay_finite():
    z = np.array([-3.0, 0.0, 2.0])
    t = np.array([0.0, 1.0, 1.0])
    assert binary_cross_entropy(sigmoid(z), t) == pytest.approx(
        binary_cross_entropy_with_logits(z, t)
    )
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert np.isfinite(binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0])))
        big = binary_cross_entropy_with_logits(np.array([1e4, -1e4]), np.array([0.0, 1.0]))
    assert big == pytest.approx(1e4)


@pytest.mark.parametrize(
    "loss", [binary_cross_entropy, binary_cross_entropy_with_logits, mean_squared_error]
)
def test_elementwise_losses_refuse_shapes_that_would_broadcast(loss):
    # (3,) against (3, 1) broadcasts to (3, 3): a silent mean over nine pairs, not three.
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(3, 1\)"):
        loss(np.full(3, 0.5), np.ones((3, 1)))


@pytest.mark.parametrize(
    ("y", "match"),
    [
        ([[np.nan, 0.5]], "probabilities in \\[0, 1\\], got nan"),
        ([[np.inf, 0.0]], "probabilities in \\[0, 1\\], got inf"),
        ([[2.5, -1.5]], "probabilities in \\[0, 1\\], got 2.5"),  # scores, not probabilities
        (np.zeros((0, 2)), r"\(N, C\) with N >= 1, got \(0, 2\)"),
    ],
)
def test_cross_entropy_refuses_what_has_no_finite_loss(y, match):
    # Before: NaN for NaN or an empty batch, -inf for an infinite probability, a negative
    # "loss" for scores; the docstring promises a finite value.
    with pytest.raises(ValueError, match=match):
        cross_entropy_error(np.array(y), np.zeros(len(y), int))


@pytest.mark.parametrize(
    ("loss", "args", "match"),
    [
        (mean_squared_error, ([1.0, np.nan], [1.0, 2.0]), r"y must be finite, but y\[1\] = nan"),
        (mean_squared_error, ([1.0, 2.0], [np.inf, 2.0]), r"t must be finite, but t\[0\] = inf"),
        (mean_squared_error, ([], []), "empty: a mean over no values is not a loss"),
        (binary_cross_entropy, ([0.5, np.nan], [1, 0]), r"p must be in \[0, 1\], but p\[1\] = nan"),
        (binary_cross_entropy, ([0.5, 1.5], [1, 0]), r"p\[1\] = 1.5"),
        (binary_cross_entropy, ([0.5, 0.5], [2, 0]), r"t must be in \[0, 1\], but t\[0\] = 2.0"),
        (binary_cross_entropy, ([], []), "empty"),
    ],
)
def test_elementwise_losses_refuse_nan_empty_and_out_of_range_inputs(loss, args, match):
    with pytest.raises(ValueError, match=match):
        loss(*(np.array(a, dtype=float) for a in args))


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["1.5"]), np.array([None])])
def test_as_float_refuses_what_is_not_a_real_number(bad):
    # Before: complex lost its imaginary part (with a ComplexWarning), "1.5" was parsed.
    with pytest.raises(
        TypeError, match=f"expected real numbers, got an array of dtype {bad.dtype}"
    ):
        sigmoid(bad)
