"""Bad input to nn.gradient and nn.init: clear errors, and nothing nudged or drawn."""

import numpy as np
import pytest

from nn import MultiLayerNet, gradient_check, init_weight, numerical_gradient


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0])
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 2:  # while x[0] is nudged down by h
            raise RuntimeError("the loss function broke")
        return float(np.sum(v**2))

    with pytest.raises(RuntimeError, match="broke"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])  # before: x[0] was left at 1 - h


@pytest.mark.parametrize("h", [0.0, -1e-5, float("nan"), float("inf")])
def test_numerical_gradient_needs_a_positive_finite_step(h):
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="h must be a positive finite step"):
        numerical_gradient(lambda v: float(np.sum(v)), x, h)
    np.testing.assert_array_equal(x, [1.0, 2.0])


class NoGradientFor:
    """A network whose gradient leaves out one parameter, or gives it the wrong shape."""

    def __init__(self, grads):
        self.params = {"W": np.ones((2, 2)), "b": np.zeros(2)}
        self.grads = grads

    def loss(self, x, t):
        return float(np.sum(self.params["W"]) + np.sum(self.params["b"]))

    def gradient(self, x, t):
        return self.grads


@pytest.mark.parametrize(
    ("grads", "match"),
    [
        ({"W": np.ones((2, 2)), "b": None}, r"gives none for 'b', which has shape \(2,\)"),
        ({"W": np.ones((2, 2))}, r"gives none for 'b'"),
        ({"W": np.ones(4), "b": np.ones(2)}, r"gives \(4,\) for 'W', which has shape \(2, 2\)"),
    ],
)
def test_gradient_check_names_a_missing_or_misshapen_gradient(grads, match):
    net = NoGradientFor(grads)
    with pytest.raises(ValueError, match=match):
        gradient_check(net, None, None)
    np.testing.assert_array_equal(net.params["W"], 1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_in": 0}, "n_in must be a positive integer, got 0"),  # before: ZeroDivisionError
        ({"n_out": 2.5}, "n_out must be a positive integer, got 2.5"),
        ({"std": float("inf")}, "weight_init_std must be positive and finite, got inf"),
        ({"std": float("nan")}, "weight_init_std must be positive and finite, got nan"),
        ({"std": "He"}, "weight_init_std must be a number, 'he' or 'xavier', got 'He'"),
    ],
)
def test_init_weight_refuses_bad_sizes_and_spreads_without_drawing(kwargs, match):
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    args = {"n_in": 3, "n_out": 2, "std": "he", "dtype": np.float64} | kwargs
    with pytest.raises(ValueError, match=match):
        init_weight(rng, **args)
    assert rng.bit_generator.state == state


def test_an_infinite_weight_spread_is_refused_by_the_network_too():
    # Before: a network of infinite weights, whose first forward pass gives NaN.
    with pytest.raises(ValueError, match="weight_init_std must be positive and finite"):
        MultiLayerNet(2, [4], 2, weight_init_std=float("inf"), rng=0)
