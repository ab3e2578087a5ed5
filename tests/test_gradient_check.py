"""gradient_check at scale: kinks left out, three planted bugs caught, nothing changed."""

import numpy as np
import pytest

from nn import TwoLayerNet, gradient_check, rel_error
from tests.gradient_at_scale import BUGS, counts, network


def test_correct_passes_and_each_bug_fails_for_every_seed():
    # The at-scale run (784-50-10, 100 images, 20 seeds) is `python -m tests.gradient_at_scale`;
    # here 784-10-10 on 30 images, where Affine2's W is square and `dout @ W` runs as written.
    result = counts(hidden_size=10, n_images=30, seeds=range(4), entries=30)
    assert {case: passed for case, (passed, _) in result.items()} == {
        "correct": 4,
        "dropped transpose": 0,
        "missing 1/N": 0,
        "wrong ReLU mask": 0,
    }


def test_a_crossed_kink_is_left_out_and_counted():
    # Seed 1 on 100 images: a b1 entry whose nudge of 1e-5 moves a ReLU input across 0.
    from nn.datasets import load_mnist

    (x_train, t_train), _ = load_mnist()
    rng = np.random.default_rng(1)
    batch = rng.choice(len(x_train), 100, replace=False)
    net, x, t = TwoLayerNet(784, 50, 10, rng=1), x_train[batch], t_train[batch]
    errors = gradient_check(net, x, t, entries=50, rng=rng)
    assert errors.kinks["b1"] >= 1 and errors.checked["b1"] == 50 - errors.kinks["b1"]
    assert max(errors.values()) < 1e-3
    # Without leaving it out, the plain comparison of b1 fails the rule on correct code.
    a = x @ net.params["W1"] + net.params["b1"]
    unit = int(np.argmin(np.abs(a).min(axis=0)))
    b1 = net.params["b1"]
    analytic, original = net.gradient(x, t)["b1"][unit], b1[unit]
    b1[unit] = original + 1e-5
    f_plus = net.loss(x, t)
    b1[unit] = original - 1e-5
    f_minus = net.loss(x, t)
    b1[unit] = original
    assert rel_error(analytic, (f_plus - f_minus) / 2e-5) > 1e-3


def test_parameters_restored_bit_for_bit_and_global_state_untouched():
    net = network(10, seed=0)
    before = {k: v.copy() for k, v in net.params.items()}
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (the global state stays untouched)
    x, t = np.random.default_rng(0).random((5, 784)), np.arange(5)
    a = gradient_check(net, x, t, entries=5, rng=3)
    b = gradient_check(net, x, t, entries=5, rng=np.random.default_rng(3))
    assert a == b and a.checked == b.checked
    for name, value in before.items():
        assert np.array_equal(net.params[name], value) and net.params[name].dtype == value.dtype
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_parameters_restored_when_the_loss_raises():
    net = TwoLayerNet(4, 3, 2, rng=0)
    before = {k: v.copy() for k, v in net.params.items()}
    loss, calls = net.loss, []

    def failing_loss(x, t, train_flg=False):
        calls.append(1)
        if len(calls) == 3:  # the first nudged evaluation
            raise RuntimeError("the loss broke")
        return loss(x, t, train_flg)

    net.loss = failing_loss
    with pytest.raises(RuntimeError, match="broke"):
        gradient_check(net, np.ones((2, 4)), np.array([0, 1]))
    for name, value in before.items():
        assert np.array_equal(net.params[name], value)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"h": 0.0}, ValueError, "h must be a positive finite step, got 0.0"),
        ({"entries": 0, "rng": 0}, ValueError, "entries must be at least 1, got 0"),
        ({"entries": 2.5, "rng": 0}, TypeError, "entries must be an int or None, got 2.5"),
        ({"entries": True, "rng": 0}, TypeError, "entries must be an int or None, got True"),
        ({"entries": 3}, ValueError, "pass rng="),
        ({"entries": 3, "rng": "0"}, TypeError, "rng must be an int seed or a numpy Generator"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(kwargs, error, match):
    net = TwoLayerNet(4, 3, 2, rng=0)
    with pytest.raises(error, match=match):
        gradient_check(net, np.ones((2, 4)), np.array([0, 1]), **kwargs)
    assert net.layers["Affine1"].x is None  # not even a forward pass ran


def test_float32_parameters_are_refused():
    net = TwoLayerNet(4, 3, 2, rng=0, dtype=np.float32)
    with pytest.raises(TypeError, match="needs float64 parameters, 'W1' is float32"):
        gradient_check(net, np.ones((2, 4), np.float32), np.array([0, 1]))


def test_all_entries_of_a_parameter_at_a_kink_give_nan_not_a_pass():
    # One ReLU input exactly at 0: every nudge of b1 crosses the kink.
    class Tiny:
        def __init__(self):
            self.params = {"b": np.zeros(1)}

        def loss(self, x, t):
            a = x + self.params["b"]
            self.mask = a > 0
            return float(np.sum(np.maximum(a, 0)))

        def gradient(self, x, t):
            self.loss(x, t)
            return {"b": np.array([float(np.sum(self.mask))])}

    errors = gradient_check(Tiny(), np.zeros(1), None)
    assert np.isnan(errors["b"]) and errors.kinks == {"b": 1} and errors.checked == {"b": 0}
    assert not max(errors.values()) < 1e-3


def test_rel_error_floor_must_be_positive():
    with pytest.raises(ValueError, match="floor must be a positive finite number, got 0"):
        rel_error([1.0], [1.0], floor=0)
    assert rel_error([1e-9], [2e-9], floor=1e-6) == pytest.approx(1e-3)


def test_every_bug_name_is_planted():
    assert set(BUGS) == {"dropped transpose", "missing 1/N", "wrong ReLU mask"}
