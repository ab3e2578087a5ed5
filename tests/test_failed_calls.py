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
from tests.refused import (
    FLOATS,
    array,
    assert_refused,
    bad_labels,
    not_real,
    seeds,
    shapes,
    with_non_finite,
)

# -- bad douts, and the layers fresh or after one good call -------------------------------------


@st.composite
def wrong_dout(draw, layer, out_shape):
    """A dout of another shape than the output's, or of the right shape but not real."""
    if out_shape is not None and out_shape != () and draw(st.booleans()):
        return draw(not_real(out_shape))
    shape = draw(shapes(ndims=(0, 5)).filter(lambda s: s != out_shape))
    return draw(array(shape))


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


def refuse_forward_or_backward(layer, bad_x, out_shape, data, **forward_kwargs):
    """A bad input drawn from `bad_x` to forward, or a bad backward call: either is refused."""
    if data.draw(st.booleans(), label="forward"):
        x = data.draw(bad_x, label="x")
        assert_refused(layer, lambda: layer.forward(x, **forward_kwargs))
    else:
        assert_refused(layer, backward_call(layer, out_shape, data))


@pytest.mark.parametrize("make", [Relu, Sigmoid], ids=["Relu", "Sigmoid"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_activations(make, data):
    layer = make()
    out_shape = prime(layer, np.linspace(-2, 2, 12).reshape(3, 4), data.draw)
    refuse_forward_or_backward(layer, not_real(data.draw(shapes(side=(1, 4)))), out_shape, data)


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
    # A refused input draws no mask: the generator's state stays.
    bad_x = not_real(data.draw(shapes(side=(1, 4))))
    refuse_forward_or_backward(layer, bad_x, out_shape, data, train_flg=True)


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
    refuse_forward_or_backward(layer, bad_images(3, 3), out_shape, data)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_pooling(data):
    layer = Pooling(3, 3, stride=2)
    out_shape = prime(layer, np.random.default_rng(4).standard_normal((2, 2, 7, 6)), data.draw)
    refuse_forward_or_backward(layer, bad_images(None, 3), out_shape, data)
