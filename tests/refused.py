"""What a refused call must leave as it was, and the bad inputs that make calls fail.

`snapshot` records an object's whole state: every attribute, arrays copied, generators as their
state. `assert_refused` makes a call that must raise and checks the state is exactly as before.
The strategies draw inputs that are wrong in one way: shape, values, dtype or labels.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

from nn import MultiLayerNet, SimpleConvNet, TwoLayerNet

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


def parts(net):
    """A network's parts by name: the network itself, each layer, the loss layer."""
    return {"net": net, **net.layers, "last_layer": net.last_layer}


def net_snapshot(net):
    """The whole state of a network: a `snapshot` of each of its parts."""
    return {name: snapshot(part) for name, part in parts(net).items()}


def assert_net_unchanged(net, before):
    assert parts(net).keys() == before.keys()
    for name, part in parts(net).items():
        try:
            assert_unchanged(part, before[name])
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None


def assert_net_refused(net, call, match=None):
    before = net_snapshot(net)
    with pytest.raises((ValueError, TypeError), match=match):
        call()
    assert_net_unchanged(net, before)


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
def bad_labels(draw, n, c):
    """Labels for n samples of c classes that are wrong: length, range, kind or one-hot rows."""
    kinds = ["length", "range", "fraction", "one-hot", "width", "text", "axes"]
    kind = draw(st.sampled_from(kinds))
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
    if kind == "width":  # one-hot rows for another number of classes
        width = draw(st.sampled_from([1, c - 1, c + 1, c + 5]))
        return np.eye(width)[np.zeros(n, dtype=int)]
    if kind == "text":
        return np.full(n, draw(st.sampled_from(["0", "cat"])))
    return np.zeros((n, c, 1), dtype=int)


# -- small networks of each kind, and a good batch for them --------------------------------------

CLASSES = 3
SAMPLE = {"TwoLayerNet": (6,), "MultiLayerNet": (6,), "SimpleConvNet": (2, 6, 6)}


def make(name, draw):
    """A small network of kind `name`; `draw` picks its variant (hypothesis's `data.draw`)."""
    if name == "TwoLayerNet":
        return TwoLayerNet(6, 5, CLASSES, weight_init_std="he", rng=0)
    if name == "MultiLayerNet":  # a batch norm first, or after a Dropout has drawn its mask
        norms = draw(st.sampled_from([[True, True], [False, True]]), label="batch_norm")
        return MultiLayerNet(6, [5, 4], CLASSES, batch_norm=norms, dropout=0.3, rng=0)
    # 6x6 images, 3x3 filters, 2x2 pooling: every pixel reaches the scores
    return SimpleConvNet((2, 6, 6), 2, 3, hidden_size=4, output_size=CLASSES, rng=0)


def good_batch(name, n, seed=0):
    """`n` random samples for a network of kind `name`, and a label of each class in turn."""
    x = np.random.default_rng(seed).standard_normal((n, *SAMPLE[name]))
    return x, np.arange(n) % CLASSES
