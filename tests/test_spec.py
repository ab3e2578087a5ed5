"""Tests for nn.spec: networks from lists of layer dicts, and every way such a list can be wrong."""

import numpy as np
import pytest

from nn import MSELoss, MultiLayerNet, SigmoidWithLoss, SoftmaxWithLoss, gradient_check
from nn.spec import build_network, validate_spec


def layer(n_in, n_out, activation="relu"):
    return {"input_dim": n_in, "output_dim": n_out, "activation": activation}


# The architecture of the write-up this format comes from: two moons, four hidden layers.
WRITE_UP = [
    layer(2, 25),
    layer(25, 50),
    layer(50, 50),
    layer(50, 25),
    layer(25, 1, "sigmoid"),
]


def test_builds_the_write_ups_network():
    net = build_network(WRITE_UP, rng=0)
    assert isinstance(net, MultiLayerNet)
    assert isinstance(net.last_layer, SigmoidWithLoss)
    assert list(net.layers) == [
        *("Affine1", "Relu1", "Affine2", "Relu2", "Affine3", "Relu3", "Affine4", "Relu4"),
        "Affine5",
    ]
    weights = [net.params[f"W{i}"].shape for i in range(1, 6)]
    biases = [net.params[f"b{i}"].shape for i in range(1, 6)]
    assert weights == [(2, 25), (25, 50), (50, 50), (50, 25), (25, 1)]
    assert biases == [(25,), (50,), (50,), (25,), (1,)]


def test_is_the_same_network_multi_layer_net_builds():
    spec = [layer(3, 4, "sigmoid"), layer(4, 5), layer(5, 2, "softmax")]
    a = build_network(spec, rng=7, weight_init_std="xavier", dtype=np.float32)
    b = MultiLayerNet(3, [4, 5], 2, ["sigmoid", "relu"], "xavier", rng=7, dtype=np.float32)
    assert repr(a) == repr(b)
    for name in b.params:
        assert a.params[name].dtype == np.float32
        np.testing.assert_array_equal(a.params[name], b.params[name])


@pytest.mark.parametrize(
    ("activation", "n_out", "loss"),
    [
        ("sigmoid", 1, SigmoidWithLoss),
        ("softmax", 3, SoftmaxWithLoss),
        ("identity", 2, MSELoss),
        ("linear", 2, MSELoss),
        (None, 1, MSELoss),
    ],
)
def test_the_last_activation_chooses_the_loss(activation, n_out, loss):
    net = build_network([layer(2, 4), layer(4, n_out, activation)], rng=0)
    assert type(net.last_layer) is loss
    x = np.random.default_rng(1).standard_normal((5, 2))
    t = np.random.default_rng(2).integers(0, 2 if loss is not MSELoss else 9, 5)
    if loss is MSELoss:
        t = np.random.default_rng(2).standard_normal((5, n_out))
    assert max(gradient_check(net, x, t).values()) < 1e-6


def test_a_single_layer_is_logistic_regression():
    net = build_network([layer(2, 1, "sigmoid")], rng=0)
    assert list(net.layers) == ["Affine1"] and isinstance(net.last_layer, SigmoidWithLoss)


def test_names_are_compared_by_value_not_identity():
    relu = "".join(["re", "lu"])  # equal to "relu" but a different object
    assert relu == WRITE_UP[0]["activation"] and relu is not WRITE_UP[0]["activation"]
    net = build_network([layer(2, 3, relu), layer(3, 1, "".join(["sig", "moid"]))], rng=0)
    assert "Relu1" in net.layers and isinstance(net.last_layer, SigmoidWithLoss)


def test_numpy_integers_are_dims_too():
    net = build_network([layer(np.int64(2), np.int32(3)), layer(3, 1, "sigmoid")], rng=0)
    assert net.params["W1"].shape == (2, 3)


def test_same_seed_same_weights():
    a, b, c = (build_network(WRITE_UP, rng=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.params["W3"], b.params["W3"])
    assert not np.array_equal(a.params["W3"], c.params["W3"])


BAD_SPECS = [
    ("relu", TypeError, "spec must be a list of layer dicts, got str"),
    (layer(2, 1, "sigmoid"), TypeError, "spec must be a list of layer dicts, got dict"),
    (None, TypeError, "spec must be a list"),
    ([], ValueError, "spec has no layers"),
    ([[2, 1, "sigmoid"]], TypeError, "layer 0 must be a dict, got list"),
    (
        [layer(2, 3), {"input_dim": 3, "output_dim": 1}],
        ValueError,
        r"layer 1 is missing \['activation'\]",
    ),
    (
        [{**layer(2, 3), "units": 3}, layer(3, 1, "sigmoid")],
        ValueError,
        r"layer 0 has unknown keys \['units'\]",
    ),
    ([layer(2, 0), layer(0, 1, "sigmoid")], ValueError, "layer 0 output_dim must be positive"),
    ([layer(-2, 3), layer(3, 1, "sigmoid")], ValueError, "layer 0 input_dim must be positive"),
    ([layer(2, 3), layer(3.0, 1, "sigmoid")], TypeError, "layer 1 input_dim must be an int"),
    ([layer(2, True), layer(1, 1, "sigmoid")], TypeError, "layer 0 output_dim must be an int"),
    ([layer("2", 3), layer(3, 1, "sigmoid")], TypeError, "layer 0 input_dim must be an int"),
    (
        [layer(2, 25), layer(4, 1, "sigmoid")],
        ValueError,
        "layer 1 input_dim 4 != layer 0 output_dim 25",
    ),
    (
        [layer(2, 3, "tanh"), layer(3, 1, "sigmoid")],
        ValueError,
        r"layer 0 activation 'tanh' is unknown; choose one of \['relu', 'sigmoid'\]",
    ),
    ([layer(2, 3, "ReLU"), layer(3, 1, "sigmoid")], ValueError, "layer 0 activation 'ReLU'"),
    ([layer(2, 3, None), layer(3, 1, "sigmoid")], ValueError, "layer 0 activation None"),
    ([layer(2, 3, "softmax"), layer(3, 2, "softmax")], ValueError, "layer 0 activation 'softmax'"),
    (
        [layer(2, 3), layer(3, 1, "relu")],
        ValueError,
        r"layer 1 \(the output layer\) activation 'relu' is unknown; choose one of "
        r"\['sigmoid', 'softmax', 'identity', 'linear', None\]",
    ),
    ([layer(2, 3, 1), layer(3, 1, "sigmoid")], TypeError, "layer 0 activation must be a string"),
    ([layer(2, 3, ["relu"]), layer(3, 1)], TypeError, "layer 0 activation must be a string"),
    (
        [layer(2, 3), layer(3, 2, "sigmoid")],
        ValueError,
        "layer 1 activation 'sigmoid' needs output_dim 1",
    ),
    (
        [layer(2, 3), layer(3, 1, "softmax")],
        ValueError,
        "layer 1 activation 'softmax' needs output_dim >= 2",
    ),
]


@pytest.mark.parametrize(("spec", "error", "match"), BAD_SPECS)
def test_every_mistake_is_named(spec, error, match):
    with pytest.raises(error, match=match):
        validate_spec(spec)
    with pytest.raises(error, match=match):
        build_network(spec, rng=0)


def test_the_index_points_at_the_faulty_layer():
    spec = [layer(2, 8), layer(8, 8), layer(8, 8, "gelu"), layer(8, 1, "sigmoid")]
    with pytest.raises(ValueError, match=r"^layer 2 activation 'gelu'"):
        validate_spec(spec)


def test_nothing_is_built_or_drawn_before_the_spec_is_valid():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    # The last layer is wrong: a builder that drew the first layers' weights first would fail.
    with pytest.raises(ValueError, match="layer 2"):
        build_network([layer(2, 8), layer(8, 8), layer(8, 1, "tanh")], rng=rng)
    assert rng.bit_generator.state == state


def test_validate_spec_accepts_a_good_spec_and_changes_nothing():
    spec = [dict(d) for d in WRITE_UP]
    assert validate_spec(spec) is None
    assert spec == WRITE_UP
