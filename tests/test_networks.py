from collections import OrderedDict

import numpy as np
import pytest

from nn import MultiLayerNet, Parameters, TwoLayerNet, gradient_check, numerical_gradient
from tests.refused import assert_net_refused


@pytest.fixture
def batch():
    rng = np.random.default_rng(7)
    return rng.standard_normal((6, 5)), rng.integers(0, 3, 6)


def test_two_layer_net_has_the_books_structure():
    net = TwoLayerNet(784, 50, 10, rng=0)
    assert list(net.params) == ["W1", "b1", "W2", "b2"]
    assert [p.shape for p in net.params.values()] == [(784, 50), (50,), (50, 10), (10,)]
    assert isinstance(net.layers, OrderedDict)
    assert list(net.layers) == ["Affine1", "Relu1", "Affine2"]
    assert np.all(net.params["b1"] == 0)
    assert net.params["W1"].std() == pytest.approx(0.01, rel=0.02)


def test_two_layer_net_backprop_equals_numerical_gradient(batch):
    x, t = batch
    net = TwoLayerNet(5, 4, 3, weight_init_std=0.5, rng=1)
    backprop = net.gradient(x, t)
    numeric = net.numerical_gradient(x, t)
    assert set(backprop) == set(numeric) == {"W1", "b1", "W2", "b2"}
    for name in backprop:
        np.testing.assert_allclose(backprop[name], numeric[name], rtol=1e-6, atol=1e-9)
    errors = gradient_check(net, x, t)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("loss", ["softmax", "sigmoid", "mse"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", ["relu", "sigmoid"]])
def test_multi_layer_net_gradient_check(batch, loss, activation):
    x, t = batch
    out = 3 if loss == "softmax" else 1
    if loss == "sigmoid":
        t = t % 2
    if loss == "mse":
        t = np.sin(x[:, :1])
    net = MultiLayerNet(5, [4, 4], out, activation=activation, loss=loss, rng=2)
    errors = gradient_check(net, x, t)
    assert set(errors) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    # Through two sigmoids some first-layer gradients are ~1e-5, where the central difference's
    # rounding error (~1e-11) alone is a relative 1e-6: elementwise, that is the floor.
    assert max(errors.values()) < 1e-6, errors
    assert np.median(list(errors.values())) < 1e-7, errors


def test_three_layer_example_is_one_call():
    net = MultiLayerNet(2, [3, 3], 2, activation=["relu", "sigmoid"], rng=0)
    kinds = [type(layer).__name__ for layer in net.layers.values()]
    assert kinds == ["Affine", "Relu", "Affine", "Sigmoid", "Affine"]


def test_activation_names_are_compared_by_value():
    # A string built at run time is equal to, but not the same object as, the literal "relu":
    # code that tests `name is "relu"` silently picks the wrong branch for it.
    name = "".join(["re", "lu"])
    net = MultiLayerNet(2, [3], 2, activation=name, rng=0)
    assert type(net.layers["Relu1"]).__name__ == "Relu"


def test_same_seed_same_network_and_global_state_untouched():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (checking it is untouched)
    a, b = TwoLayerNet(4, 3, 2, rng=42), TwoLayerNet(4, 3, 2, rng=42)
    c = TwoLayerNet(4, 3, 2, rng=np.random.default_rng(42))
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
        np.testing.assert_array_equal(a.params[name], c.params[name])
    assert not np.array_equal(a.params["W1"], TwoLayerNet(4, 3, 2, rng=43).params["W1"])
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_step_keeps_dtype(batch, dtype):
    x, t = batch
    net = TwoLayerNet(5, 4, 3, rng=0, dtype=dtype)
    grads = net.gradient(x.astype(dtype), t)
    for name, g in grads.items():
        assert g.dtype == dtype, name
        net.params[name] -= 0.1 * g
        assert net.params[name].dtype == dtype, name


def test_parameters_are_one_copy_with_the_layers():
    net = TwoLayerNet(3, 2, 2, rng=0)
    layer = net.layers["Affine1"]
    assert net.params["W1"] is layer.W
    net.params["W1"] = np.ones((3, 2))  # assignment copies into the layer's array
    assert net.params["W1"] is layer.W and np.all(layer.W == 1)
    with pytest.raises(ValueError, match=r"W1 has shape \(3, 2\), got an array of shape \(2, 3\)"):
        net.params["W1"] = np.ones((2, 3))
    with pytest.raises(KeyError, match="W9"):
        net.params["W9"]
    with pytest.raises(KeyError, match="w1"):  # a typo'd name is refused, not added silently
        net.params["w1"] = np.zeros((3, 2))
    assert list(net.params) == ["W1", "b1", "W2", "b2"]
    with pytest.raises(TypeError):
        del net.params["W1"]
    assert isinstance(net.params, Parameters)


def test_learning_reduces_the_loss(batch):
    x, t = batch
    net = TwoLayerNet(5, 10, 3, weight_init_std=0.5, rng=3)
    before = net.loss(x, t)
    for _ in range(200):
        for name, g in net.gradient(x, t).items():
            net.params[name] -= 0.5 * g
    assert net.loss(x, t) < before / 4
    assert net.accuracy(x, t) == 1.0
    assert net.accuracy(x, np.eye(3)[t]) == 1.0  # one-hot targets too


def test_accuracy_of_a_one_unit_sigmoid_classifier():
    net = MultiLayerNet(1, [2], 1, loss="sigmoid", rng=0)
    x = np.array([[1.0], [-1.0]])
    expected = (net.predict(x)[:, 0] > 0).astype(int)
    assert net.accuracy(x, expected) == 1.0
    with pytest.raises(TypeError, match="classifier"):
        MultiLayerNet(1, [2], 1, loss="mse", rng=0).accuracy(x, x)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"activation": "tanh"}, ValueError, r"activation 0 is 'tanh'; choose one of \['relu'"),
        ({"activation": ["relu"]}, ValueError, "got 1 activations for 2 hidden layers"),
        ({"hidden_sizes": [3, 0]}, ValueError, r"hidden_sizes\[1\] must be a positive integer"),
        ({"loss": "hinge"}, ValueError, "loss is 'hinge'"),
        ({"weight_init_std": "lecun"}, ValueError, "'he' or 'xavier', got 'lecun'"),
        ({"weight_init_std": -1.0}, ValueError, "must be positive"),
        ({"rng": "seed"}, TypeError, "rng must be a numpy.random.Generator"),
        ({"dtype": np.int32}, TypeError, "floating type"),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, error, message):
    args = {"input_size": 2, "hidden_sizes": [3, 3], "output_size": 2, "rng": 0} | kwargs
    with pytest.raises(error, match=message):
        MultiLayerNet(**args)


def test_two_layer_net_rejects_bad_sizes():
    with pytest.raises(ValueError, match=r"hidden_size must be a positive integer, got 2\.5"):
        TwoLayerNet(4, 2.5, 3)


def test_numerical_gradient_restores_its_input_and_rejects_non_float():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(v**3)), x), 3 * x**2)
    np.testing.assert_array_equal(x, before)
    with pytest.raises(TypeError, match="floating NumPy array"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2]))


def test_a_refused_target_leaves_every_cache_as_it_was(batch):
    x, t = batch
    net = TwoLayerNet(5, 4, 3, rng=0)
    net.gradient(x, t)
    before = [{k: np.copy(v) for k, v in vars(ly).items()} for ly in net.layers.values()]
    with pytest.raises(ValueError, match="out of range"):
        net.loss(x[:2] + 1.0, [0, 7])  # a new batch, and a label for a class that is not there
    after = [{k: np.copy(v) for k, v in vars(ly).items()} for ly in net.layers.values()]
    for b, a in zip(before, after, strict=True):
        assert b.keys() == a.keys()
        for k in b:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)


# A refused call changes nothing, state that is not a cache included. Before: batch norm's
# running averages had moved and dropout's generator had drawn by the time the loss layer, or
# a later layer, refused the call; and accuracy left the caches of its forward pass behind.
X4 = np.arange(16.0).reshape(4, 4) % 5


def x_with(value):
    x = X4.copy()
    x[1, 2] = value
    return x


@pytest.mark.parametrize("norm", [{"batch_norm": True}, {"dropout": 0.5}])
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda net: net.gradient(X4, [0, 1, 2, 7]), "label 7 is out of range"),
        (lambda net: net.gradient(X4, [0, 1, 2]), r"labels of shape \(4,\)"),
        (lambda net: net.loss(X4, [0, 1, 2], train_flg=True), r"labels of shape \(4,\)"),
        (lambda net: net.loss(X4, [0.5, 1, 2, 0], train_flg=True), "must be integers"),
    ],
    ids=["gradient, label out of range", "gradient, 3 labels", "loss, 3 labels", "loss, 0.5"],
)
def test_refused_labels_leave_running_averages_and_dropout_rng(norm, call, match):
    net = MultiLayerNet(4, [6], 3, rng=0, **norm)
    net.gradient(X4, [0, 1, 2, 0])  # caches, gradients and running averages hold values
    assert_net_refused(net, lambda: call(net), match)


@pytest.mark.parametrize("value", [np.nan, -np.inf])
@pytest.mark.parametrize(
    "call",
    [
        lambda net, x: net.gradient(x, [0, 1, 2, 0]),
        lambda net, x: net.loss(x, [0, 1, 2, 0], train_flg=True),
        lambda net, x: net.predict(x, train_flg=True),
    ],
    ids=["gradient", "loss", "predict"],
)
def test_non_finite_input_refused_by_a_later_batch_norm_leaves_dropout_rng(value, call):
    # Dropout1 draws its mask before BatchNorm2 refuses the NaN or inf that reaches it (here
    # -inf in x gives +inf in Affine1's output, which ReLU and Dropout pass on).
    net = MultiLayerNet(4, [6, 5], 3, batch_norm=[False, True], dropout=0.3, rng=0)
    net.gradient(X4, [0, 1, 2, 0])
    with np.errstate(invalid="ignore"):  # inf - inf in Affine1: NaN, as in NumPy and PyTorch
        assert_net_refused(net, lambda: call(net, x_with(value)), "x must be finite")


def test_accuracy_with_a_wrong_number_of_labels_leaves_every_cache(batch):
    x, t = batch
    net = TwoLayerNet(5, 4, 3, rng=0)
    net.gradient(x, t)
    assert_net_refused(net, lambda: net.accuracy(x[:4] + 1.0, t), "t has 6 labels for 4 samples")


def test_accuracy_names_a_wrong_number_of_labels(batch):
    x, t = batch
    with pytest.raises(ValueError, match=r"t has 5 labels for 6 samples"):
        TwoLayerNet(5, 4, 3, rng=0).accuracy(x, t[:5])


@pytest.mark.parametrize(
    ("t", "error", "match"),
    [
        ([0, 1, 2, 7, 0, 1], ValueError, "label 7 is out of range for 3 classes"),
        ([0, 1, 2, -1, 0, 1], ValueError, "label -1 is out of range"),
        ([0, 1, 2, 0.5, 0, 1], TypeError, "must be integers, got dtype float64, such as 0.5"),
        (np.eye(4)[[0, 1, 2, 3, 0, 1]], ValueError, r"one-hot of shape \(6, 3\)"),
        (np.full(6, "cat"), TypeError, "must be integers"),
    ],
    ids=["class 7 of 3", "class -1", "0.5", "one-hot of width 4", "text"],
)
def test_accuracy_refuses_the_labels_the_loss_refuses(batch, t, error, match):
    # Before: accuracy compared them with the predicted classes and returned a fraction.
    x, _ = batch
    net = TwoLayerNet(5, 4, 3, rng=0)
    with pytest.raises(error, match=match):
        net.loss(x, t)
    assert_net_refused(net, lambda: net.accuracy(x, t), match)


def test_accuracy_refuses_nan_scores_as_the_loss_does(batch):
    # Before: the argmax of a row of NaN is class 0, and accuracy returned a fraction.
    x, t = batch
    x = x.copy()
    x[2, 3] = np.nan
    net = TwoLayerNet(5, 4, 3, rng=0)
    assert_net_refused(net, lambda: net.accuracy(x, t), r"scores must be finite.* scores\[2, 0\]")


def test_accuracy_of_one_sigmoid_unit_takes_labels_a_column_or_one_hot_rows():
    net = MultiLayerNet(1, [2], 1, loss="sigmoid", rng=0)
    x = np.array([[1.0], [-1.0], [2.0]])
    expected = (net.predict(x)[:, 0] > 0).astype(int)
    for t in (expected, expected[:, None] * 1.0, np.eye(2)[expected]):
        assert net.accuracy(x, t) == 1.0
    assert_net_refused(net, lambda: net.accuracy(x, [0, 2, 1]), "label 2 is out of range")


def test_hidden_sizes_must_be_a_list():
    with pytest.raises(TypeError, match=r"hidden_sizes must be a list of ints, e.g. \[50\], got 5"):
        MultiLayerNet(2, 5, 2)


def test_nan_scores_are_called_scores():
    net = TwoLayerNet(3, 4, 2, rng=0)
    x = np.ones((2, 3))
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"scores must be finite, but scores\[0, 0\] = nan"):
        net.loss(x, [0, 1])
