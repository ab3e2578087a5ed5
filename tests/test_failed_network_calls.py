"""A refused call changes nothing, for networks: random bad inputs, whole state compared.

Each example builds a small network, maybe trains it one step (so that caches, gradients,
running averages and `last_loss` hold values), then makes one bad call of `predict`, `loss`,
`gradient` or `accuracy`. The call must raise a `ValueError` or `TypeError`, and every attribute
of the network and of each of its layers (parameters, gradients, buffers, caches, settings,
the state of every generator) must be exactly what it was.

Bad means refused by every network here: NaN reaches the scores whatever the weights, so
`loss`, `gradient` and `accuracy` refuse it, and so does `predict` in training mode where a
batch norm sees it. inf is refused where a batch norm sees it first: elsewhere a ReLU may turn
-inf into 0, and the network gives a finite answer, as PyTorch does. `predict` in evaluation
mode passes NaN through, as PyTorch does. Integer inputs are valid (converted to float); an
integer dtype is drawn among the wrong shapes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.refused import (
    BAD,
    CLASSES,
    SAMPLE,
    array,
    assert_net_refused,
    bad_labels,
    good_batch,
    make,
    not_real,
    shapes,
)


def wrong_shape(name):
    sample = SAMPLE[name]
    if name != "SimpleConvNet":  # one axis, or not 6 values per sample
        return shapes(side=(1, 5)).filter(lambda s: len(s) < 2 or np.prod(s[1:]) != 6)
    other = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 8), st.integers(1, 8))
    return st.one_of(shapes(side=(1, 4)), other).filter(lambda s: s[1:] != sample)


CALLS = {
    "predict": lambda net, x, t: net.predict(x),
    "predict, training": lambda net, x, t: net.predict(x, train_flg=True),
    "loss": lambda net, x, t: net.loss(x, t),
    "loss, training": lambda net, x, t: net.loss(x, t, train_flg=True),
    "gradient": lambda net, x, t: net.gradient(x, t),
    "accuracy": lambda net, x, t: net.accuracy(x, t),
}


def batch_norm_first(net):
    return "BatchNorm1" in net.layers


@st.composite
def bad_call(draw, name, net):
    """A call and its arguments, wrong in one way that this network refuses."""
    call = draw(st.sampled_from(list(CALLS)), label="call")
    n = draw(st.integers(1, 4), label="n")
    x, t = good_batch(name, n, seed=draw(st.integers(0, 9)))
    kinds = ["shape", "empty", "dtype"]
    if not call.startswith("predict"):
        kinds += ["labels", "non-finite"]
    elif call == "predict, training" and "BatchNorm1" in net.layers:
        kinds += ["non-finite"]
    if name == "SimpleConvNet":
        kinds += ["channels"]
    kind = draw(st.sampled_from(kinds), label="kind")
    if kind == "shape":
        x = draw(array(draw(wrong_shape(name))), label="x")
    elif kind == "channels":
        x = np.ones((n, draw(st.sampled_from([1, 3, 4])), 6, 6))
    elif kind == "empty":
        x, t = x[:0], t[:0]
    elif kind == "dtype":
        x = draw(not_real(x.shape), label="x")
    elif kind == "labels":
        t = draw(bad_labels(n, CLASSES), label="t")
    else:  # NaN anywhere; inf only where a batch norm sees it before a ReLU can drop it
        sees_inf = batch_norm_first(net) and ("training" in call or call == "gradient")
        value = draw(st.sampled_from(BAD if sees_inf else [np.nan]), label="value")
        x = x.astype(draw(st.sampled_from([np.float64, np.float32])))
        x[tuple(draw(st.integers(0, k - 1)) for k in x.shape)] = value
    return call, x, t


@pytest.mark.parametrize("name", list(SAMPLE))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_refused_network_call_changes_nothing(name, data):
    net = make(name, data.draw)
    for _ in range(data.draw(st.integers(0, 2), label="steps before")):
        net.gradient(*good_batch(name, 4))  # caches, gradients, running averages, last_loss
    call, x, t = data.draw(bad_call(name, net))
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf on the way: NaN, as in NumPy
        assert_net_refused(net, lambda: CALLS[call](net, x, t))
