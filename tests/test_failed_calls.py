"""A refused call changes nothing: random bad inputs through every layer, whole state compared.

Each test builds a layer, maybe runs one good forward and backward first (so that caches,
gradients and running averages hold values), then makes one bad call drawn by hypothesis. The
call must raise a `ValueError` or `TypeError`, and every attribute of the layer (parameters,
gradients, running averages, caches, settings, and the state of any random generator) must be
exactly what it was, down to the identity of the arrays a network shares with the layer.

Bad means bad for that layer: Relu, Sigmoid, Affine, Dropout, Convolution and Pooling pass
NaN through as NumPy and PyTorch do (the loss layer names it), and an empty batch is a
valid input to a layer that does not need a sample (Relu, Convolution, Pooling).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import (
    Affine,
    BatchNormalization,
    Convolution,
    Dropout,
    Pooling,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
)

# -- the state of a layer, and comparing two of them --------------------------------------------


def snapshot(layer):
    """Every attribute of `layer`, with arrays copied and generators as their state."""
    state = {}
    for key, value in vars(layer).items():
        if isinstance(value, np.ndarray):
            state[key] = ("array", id(value), value.copy())
        elif isinstance(value, np.random.Generator):
            state[key] = ("rng", id(value), value.bit_generator.state)
        else:
            state[key] = ("value", id(value), value)
    return state


def assert_unchanged(layer, before):
    after = snapshot(layer)
    assert after.keys() == before.keys(), f"attributes added or removed: {after.keys() ^ before}"
    for key, (kind, ident, value) in before.items():
        kind2, ident2, value2 = after[key]
        assert (kind2, ident2) == (kind, ident), f"{key} was replaced"
        if kind == "array":
            assert value2.dtype == value.dtype and value2.shape == value.shape, key
            np.testing.assert_array_equal(value2, value, err_msg=key)
        else:
            assert value2 == value, key


def assert_refused(layer, call):
    before = snapshot(layer)
    with pytest.raises((ValueError, TypeError)):
        call()
    assert_unchanged(layer, before)


# -- bad inputs ---------------------------------------------------------------------------------

seeds = st.integers(0, 2**32 - 1)
FLOATS = (np.float64, np.float32)
BAD = [np.nan, np.inf, -np.inf]


@st.composite
def array(draw, shape, dtypes=(*FLOATS, np.int64)):
    """Random values of `shape` in a float or integer dtype (integers are valid input)."""
    x = np.random.default_rng(draw(seeds)).standard_normal(shape) * 3
    return x.astype(draw(st.sampled_from(dtypes)))


@st.composite
def not_real(draw, shape):
    """The right shape, but complex numbers, text or objects: no float means the same."""
    kind = draw(st.sampled_from(["complex", "text", "object"]))
    if kind == "complex":
        return np.ones(shape) + 1j * draw(st.floats(-2, 2))
    if kind == "text":
        return np.full(shape, draw(st.sampled_from(["1.0", "a", ""])))
    return np.full(shape, None, dtype=object)


@st.composite
def with_non_finite(draw, shape):
    """Finite values but one NaN, inf or -inf at a random place."""
    x = draw(array(shape, FLOATS))
    x[tuple(draw(st.integers(0, n - 1)) for n in shape)] = draw(st.sampled_from(BAD))
    return x


def shapes(ndims=(1, 5), side=(0, 5)):
    """Shapes of `ndims[0]` to `ndims[1]` axes, each of `side[0]` to `side[1]` entries."""
    return st.integers(*ndims).flatmap(lambda n: st.tuples(*[st.integers(*side)] * n))


@st.composite
def wrong_dout(draw, layer, out_shape):
    """A dout of another shape than the output's, or of the right shape but not real."""
    if out_shape is not None and out_shape != () and draw(st.booleans()):
        return draw(not_real(out_shape))
    shape = draw(shapes(ndims=(0, 5)).filter(lambda s: s != out_shape))
    return draw(array(shape))


# -- the layers, fresh or after one good call ---------------------------------------------------


def prime(layer, x, draw, **kw):
    """Maybe run one good forward and backward, so caches and gradients hold values."""
    if draw(st.booleans()):
        out = layer.forward(x, **kw)
        layer.backward(np.ones(np.shape(out)) if np.ndim(out) else 1.0)
        return np.shape(out)
    return None


def backward_call(layer, out_shape, data):
    """`backward` before any forward, or with a wrong dout."""
    if out_shape is None:
        dout = data.draw(array(data.draw(shapes(ndims=(0, 4)))), label="dout")
    else:
        dout = data.draw(wrong_dout(layer, out_shape), label="dout")
    return lambda: layer.backward(dout)


@pytest.mark.parametrize("make", [Relu, Sigmoid], ids=["Relu", "Sigmoid"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_activations(make, data):
    layer = make()
    out_shape = prime(layer, np.linspace(-2, 2, 12).reshape(3, 4), data.draw)
    if data.draw(st.booleans(), label="forward"):
        x = data.draw(not_real(data.draw(shapes(side=(1, 4)))), label="x")
        assert_refused(layer, lambda: layer.forward(x))
    else:
        assert_refused(layer, backward_call(layer, out_shape, data))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_affine(data):
    rng = np.random.default_rng(0)
    layer = Affine(rng.standard_normal((6, 3)), rng.standard_normal(3))
    out_shape = prime(layer, rng.standard_normal((4, 2, 3)), data.draw)
    kind = data.draw(st.sampled_from(["shape", "empty", "dtype", "backward"]))
    if kind == "shape":  # one axis, or not 6 values per sample
        shape = data.draw(shapes(side=(1, 5)).filter(lambda s: len(s) < 2 or np.prod(s[1:]) != 6))
        x = data.draw(array(shape), label="x")
    elif kind == "empty":
        x = np.zeros(data.draw(st.sampled_from([(0, 6), (0, 2, 3)])))
    elif kind == "dtype":
        x = data.draw(not_real((2, 6)), label="x")
    else:
        return assert_refused(layer, backward_call(layer, out_shape, data))
    assert_refused(layer, lambda: layer.forward(x))


@st.composite
def bad_labels(draw, n, c):
    """Labels for n samples of c classes that are wrong: length, range, kind or one-hot rows."""
    kind = draw(st.sampled_from(["length", "range", "fraction", "one-hot", "text", "axes"]))
    if kind == "length":
        m = draw(st.integers(0, 8).filter(lambda m: m != n))
        return np.zeros(m, dtype=int)
    if kind == "range":
        t = np.zeros(n, dtype=int)
        t[draw(st.integers(0, n - 1))] = draw(st.sampled_from([-1, c, c + 7, -100]))
        return t
    if kind == "fraction":
        t = np.zeros(n)
        t[draw(st.integers(0, n - 1))] = draw(st.sampled_from([0.5, np.nan, np.inf, 1.25]))
        return t
    if kind == "one-hot":
        t = np.eye(c)[np.zeros(n, dtype=int)]
        t[draw(st.integers(0, n - 1))] = draw(st.sampled_from([0, 2, 0.5])) * np.eye(c)[1]
        return t
    if kind == "text":
        return np.full(n, draw(st.sampled_from(["0", "cat"])))
    return np.zeros((n, c, 1), dtype=int)


@pytest.mark.parametrize("kinds", [["labels"], ["shape", "empty", "nan", "dtype", "backward"]])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_softmax_with_loss(kinds, data):
    layer = SoftmaxWithLoss()
    scores = np.random.default_rng(0).standard_normal((5, 4))
    out_shape = prime(layer, scores, data.draw, t=np.arange(5) % 4)
    kind = data.draw(st.sampled_from(kinds))
    x, t = scores, np.zeros(5, dtype=int)
    if kind == "labels":
        t = data.draw(bad_labels(5, 4), label="t")
    elif kind == "shape":
        x = data.draw(array(data.draw(shapes(side=(1, 4)).filter(lambda s: len(s) != 2))))
        t = np.zeros(len(x) if x.ndim else 1, dtype=int)
    elif kind == "empty":
        x, t = np.zeros((0, 4)), np.zeros(0, dtype=int)
    elif kind == "nan":
        x = data.draw(with_non_finite((5, 4)), label="x")
    elif kind == "dtype":
        x = data.draw(not_real((5, 4)), label="x")
    else:
        return assert_refused(layer, backward_call(layer, out_shape, data))
    assert_refused(layer, lambda: layer.forward(x, t))


def batch_norm(dtype):
    rng = np.random.default_rng(1)
    gamma, beta = rng.uniform(0.5, 2, 6).astype(dtype), rng.standard_normal(6).astype(dtype)
    layer = BatchNormalization(gamma, beta, momentum=0.8)
    layer.running_mean[:] = rng.standard_normal(6)  # not the initial zeros and ones
    layer.running_var[:] = rng.uniform(0.5, 2, 6)
    return layer


@pytest.mark.parametrize("train_flg", [True, False], ids=["training", "inference"])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_batch_norm(train_flg, data):
    layer = batch_norm(data.draw(st.sampled_from(FLOATS), label="dtype"))
    x_good = np.random.default_rng(2).standard_normal((4, 2, 3))
    out_shape = prime(layer, x_good, data.draw, train_flg=train_flg)
    kinds = ["shape", "empty", "dtype", "backward"] + ["nan"] * train_flg
    kind = data.draw(st.sampled_from(kinds))
    if kind == "shape":
        shape = data.draw(shapes(side=(1, 5)).filter(lambda s: len(s) < 2 or np.prod(s[1:]) != 6))
        x = data.draw(array(shape), label="x")
    elif kind == "empty":
        x = np.zeros(data.draw(st.sampled_from([(0, 6), (0, 2, 3)])))
    elif kind == "nan":  # NaN in training would stay in the running averages
        x = data.draw(with_non_finite(data.draw(st.sampled_from([(4, 6), (3, 2, 3), (1, 6)]))))
    elif kind == "dtype":
        x = data.draw(not_real((4, 6)), label="x")
    else:
        return assert_refused(layer, backward_call(layer, out_shape, data))
    assert_refused(layer, lambda: layer.forward(x, train_flg))


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_dropout_in_training(data):
    layer = Dropout(0.4, rng=data.draw(seeds, label="seed"))
    out_shape = prime(layer, np.ones((3, 5)), data.draw)
    if data.draw(st.booleans(), label="forward"):
        x = data.draw(not_real(data.draw(shapes(side=(1, 4)))), label="x")
        assert_refused(layer, lambda: layer.forward(x, True))  # no mask drawn: same rng state
    else:
        assert_refused(layer, backward_call(layer, out_shape, data))


@st.composite
def bad_images(draw, channels, window):
    """Images the layer cannot take: other axes, other channels, or smaller than the window."""
    kind = draw(st.sampled_from(["ndim", "channels", "small", "dtype"]))
    if kind == "ndim":
        shape = draw(shapes(ndims=(1, 6), side=(1, 6)).filter(lambda s: len(s) != 4))
    elif kind == "channels" and channels is not None:
        other = draw(st.integers(1, 5).filter(lambda c: c != channels))
        shape = (draw(st.integers(0, 3)), other, *draw(st.tuples(*[st.integers(3, 8)] * 2)))
    elif kind == "dtype":
        return draw(not_real((2, channels or 2, 6, 6)))
    else:  # smaller than the window on one side or both
        small = st.integers(0, window - 1)
        h, w = draw(st.sampled_from([(small, st.integers(0, 8)), (st.integers(0, 8), small)]))
        shape = (draw(st.integers(1, 3)), channels or 2, draw(h), draw(w))
    return draw(array(shape))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_convolution(data):
    rng = np.random.default_rng(3)
    layer = Convolution(rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2), stride=2)
    out_shape = prime(layer, rng.standard_normal((2, 3, 7, 6)), data.draw)
    if data.draw(st.booleans(), label="forward"):
        x = data.draw(bad_images(3, 3), label="x")
        assert_refused(layer, lambda: layer.forward(x))
    else:
        assert_refused(layer, backward_call(layer, out_shape, data))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_pooling(data):
    layer = Pooling(3, 3, stride=2)
    out_shape = prime(layer, np.random.default_rng(4).standard_normal((2, 2, 7, 6)), data.draw)
    if data.draw(st.booleans(), label="forward"):
        x = data.draw(bad_images(None, 3), label="x")
        assert_refused(layer, lambda: layer.forward(x))
    else:
        assert_refused(layer, backward_call(layer, out_shape, data))
