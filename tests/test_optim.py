import numpy as np
import pytest

from nn import TwoLayerNet
from nn.optim import SGD, AdaGrad, Adam, Momentum, RMSprop

ALL = [SGD, Momentum, AdaGrad, RMSprop, Adam]


def reference(name, p, grads, lr):
    """The book's formulas, step by step, in plain float64."""
    v = h = m = 0.0
    for t, g in enumerate(grads, start=1):
        if name == "SGD":
            p = p - lr * g
        elif name == "Momentum":
            v = 0.9 * v - lr * g
            p = p + v
        elif name == "AdaGrad":
            h = h + g * g
            p = p - lr * g / (np.sqrt(h) + 1e-7)
        elif name == "RMSprop":
            h = 0.99 * h + 0.01 * g * g
            p = p - lr * g / (np.sqrt(h) + 1e-7)
        else:
            m = m + 0.1 * (g - m)
            v = v + 0.001 * (g * g - v)
            p = p - lr * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-7)
    return p


@pytest.mark.parametrize("cls", ALL)
def test_updates_follow_the_formula(cls):
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(4)]
    params = {"W": p0.copy()}
    opt = cls(lr=0.05)
    for g in grads:
        opt.update(params, {"W": g})
    np.testing.assert_allclose(params["W"], reference(cls.__name__, p0, grads, 0.05), rtol=1e-12)


@pytest.mark.parametrize("cls", ALL)
def test_float32_parameters_stay_float32(cls):
    params = {"W": np.ones(3, np.float32)}
    opt = cls(lr=0.1)
    opt.update(params, {"W": np.full(3, 0.5, np.float32)})
    assert params["W"].dtype == np.float32
    state = opt.state_dict()
    assert all(a.dtype == np.float32 for k, a in state.items() if k != "t" and "hyper/" not in k)


@pytest.mark.parametrize("cls", ALL)
def test_state_dict_round_trip_resumes_exactly(cls):
    rng = np.random.default_rng(1)
    grads = [{"W": rng.standard_normal(4)} for _ in range(6)]
    a = {"W": np.zeros(4)}
    opt_a = cls(lr=0.1)
    for g in grads:
        opt_a.update(a, g)
    b = {"W": np.zeros(4)}
    opt_b = cls(lr=0.1)
    for g in grads[:3]:
        opt_b.update(b, g)
    opt_c = cls(lr=0.1)
    opt_c.load_state_dict(opt_b.state_dict())
    for g in grads[3:]:
        opt_c.update(b, g)
    np.testing.assert_array_equal(a["W"], b["W"])


def test_state_dict_is_a_copy_and_load_checks_before_changing():
    opt = Adam()
    params = {"W": np.ones(2)}
    opt.update(params, {"W": np.ones(2)})
    state = opt.state_dict()
    state["m/W"][:] = 99
    assert not np.any(opt.state["m"]["W"] == 99)
    with pytest.raises(ValueError, match="unexpected key 'q/W'"):
        opt.load_state_dict({"t": np.array(1), "q/W": np.ones(2)})
    with pytest.raises(ValueError, match="no step count"):
        opt.load_state_dict({"m/W": np.ones(2)})
    assert opt.t == 1 and set(opt.state["m"]) == {"W"}


def test_bad_use_gets_clear_errors():
    with pytest.raises(ValueError, match="lr must be positive, got 0"):
        SGD(lr=0)
    with pytest.raises(ValueError, match=r"params \['W'\] and grads \['V'\] differ"):
        SGD().update({"W": np.ones(2)}, {"V": np.ones(2)})
    with pytest.raises(ValueError, match=r"shape \(3,\), params \(2,\)"):
        SGD().update({"W": np.ones(2)}, {"W": np.ones(3)})


@pytest.mark.parametrize("cls", ALL)
def test_optimizers_train_a_network(cls):
    rng = np.random.default_rng(2)
    x, t = rng.standard_normal((20, 4)), rng.integers(0, 3, 20)
    net = TwoLayerNet(4, 16, 3, weight_init_std=0.3, rng=3)
    opt = cls(lr={"SGD": 0.5, "Momentum": 0.1, "AdaGrad": 0.1}.get(cls.__name__, 0.01))
    before = net.loss(x, t)
    for _ in range(150):
        opt.update(net.params, net.gradient(x, t))
    assert net.loss(x, t) < 0.5 * before


def test_state_dict_carries_the_settings_so_a_resumed_run_keeps_them():
    opt = Adam(lr=0.005, beta1=0.8)
    opt.update({"W": np.ones(2)}, {"W": np.ones(2)})
    state = opt.state_dict()
    assert float(state["hyper/lr"]) == 0.005 and float(state["hyper/beta1"]) == 0.8
    fresh = Adam()
    fresh.load_state_dict(state)
    assert (fresh.lr, fresh.beta1, fresh.beta2) == (0.005, 0.8, 0.999)
