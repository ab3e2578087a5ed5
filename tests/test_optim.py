import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- a failed update is no update at all


def snapshot(params, opt):
    """Everything an update may change, as bytes: equal snapshots are bit-identical states."""
    arrays = {f"param/{k}": v for k, v in params.items()} | opt.state_dict()
    return {k: (a.dtype.str, a.shape, a.tobytes()) for k, a in arrays.items()}


SHAPES = {"W1": (3, 2), "b1": (2,), "W2": (2, 2), "b2": (2,)}
FAULTS = ["wrong shape", "None", "nan", "inf", "missing", "text", "overflow"]


def spoil(grads, name, fault, position):
    """`grads` with the gradient for `name` spoiled in the way `fault` says."""
    bad = dict(grads)
    g = grads[name].copy()
    if fault == "wrong shape":
        bad[name] = np.ones(g.size + 1)
    elif fault == "None":
        bad[name] = None
    elif fault in ("nan", "inf", "overflow"):
        # 1e308 is finite, but lr * g or g * g is not: the step itself overflows.
        g.flat[position % g.size] = {"nan": np.nan, "inf": -np.inf, "overflow": 1e308}[fault]
        bad[name] = g
    elif fault == "missing":
        del bad[name]
    else:
        bad[name] = np.full(g.shape, "0.5")
    return bad


@pytest.mark.parametrize("cls", ALL)
@settings(max_examples=25, deadline=None)
@given(
    steps=st.integers(0, 3),
    name=st.sampled_from(list(SHAPES)),
    fault=st.sampled_from(FAULTS),
    position=st.integers(0, 5),
    seed=st.integers(0, 2**16),
)
def test_a_failed_update_leaves_params_state_and_t_bit_identical(
    cls, steps, name, fault, position, seed
):
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(s) for k, s in SHAPES.items()}
    opt = cls(lr=1e3)  # large, so that a gradient of 1e308 overflows in every optimizer
    for _ in range(steps):
        opt.update(params, {k: rng.standard_normal(s) for k, s in SHAPES.items()})
    grads = {k: rng.standard_normal(s) for k, s in SHAPES.items()}
    before = snapshot(params, opt)
    with pytest.raises((ValueError, TypeError, FloatingPointError)):
        opt.update(params, spoil(grads, name, fault, position))
    assert snapshot(params, opt) == before
    assert opt.t == steps
    opt.update(params, grads)  # and the optimizer still works: the next step is a normal one
    assert opt.t == steps + 1


def test_a_bad_gradient_for_a_later_parameter_is_refused_before_any_step():
    params = {"W": np.ones(2), "b": np.ones(3)}
    opt = Adam()
    opt.update(params, {"W": np.ones(2), "b": np.ones(3)})
    before = snapshot(params, opt)
    with pytest.raises(ValueError, match=r"grads\['b'\] has shape \(2,\), params \(3,\)"):
        opt.update(params, {"W": np.ones(2), "b": np.ones(2)})
    assert snapshot(params, opt) == before and opt.t == 1


def test_update_before_any_gradient_names_the_missing_call():
    net = TwoLayerNet(4, 5, 3, rng=0)
    opt = SGD()
    with pytest.raises(ValueError, match=r"grads\['W1'\] is None.*net\.gradient\(x, t\)"):
        opt.update(net.params, net.params.grads())
    assert opt.t == 0


def test_non_finite_and_non_numeric_gradients_are_named():
    params = {"W": np.ones((2, 3))}
    g = np.zeros((2, 3))
    g[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"grads\['W'\]\[1, 2\] = nan"):
        SGD().update(params, {"W": g})
    with pytest.raises(TypeError, match=r"grads\['W'\] must be numeric, got dtype <U1"):
        SGD().update(params, {"W": np.full((2, 3), "1")})
    with pytest.raises(TypeError, match=r"params\['W'\] must be a writable float array, got int64"):
        SGD().update({"W": np.ones(2, np.int64)}, {"W": np.ones(2)})
    with pytest.raises(TypeError, match="must be name -> array mappings, got dict and list"):
        SGD().update(params, [g])
    np.testing.assert_array_equal(params["W"], 1.0)


def test_an_overflowing_step_is_undone_and_says_so():
    params = {"W": np.ones(2), "b": np.ones(2)}
    opt = AdaGrad(lr=0.1)
    with pytest.raises(FloatingPointError, match=r"AdaGrad.update overflowed .* undone"):
        opt.update(params, {"W": np.ones(2), "b": np.full(2, 1e200)})  # 1e200 ** 2 = inf
    np.testing.assert_array_equal(params["W"], 1.0)
    assert opt.t == 0 and opt.state["h"] == {}


def test_state_for_other_shapes_is_refused_by_update():
    opt = Momentum()
    opt.load_state_dict({"t": np.array(1), "v/W": np.ones(3)})
    with pytest.raises(ValueError, match=r"state v/W has shape \(3,\), params\['W'\] \(2,\)"):
        opt.update({"W": np.ones(2)}, {"W": np.ones(2)})
    assert opt.t == 1


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: SGD(lr=float("inf")), ValueError, "lr must be finite, got inf"),
        (lambda: SGD(lr=float("nan")), ValueError, "lr must be positive, got nan"),
        (lambda: SGD(lr="0.1"), TypeError, "lr must be a real number, got '0.1'"),
        (lambda: SGD(lr=True), TypeError, "lr must be a real number, got True"),
        (lambda: Momentum(momentum=1.0), ValueError, r"momentum must be in \[0, 1\), got 1.0"),
        (lambda: RMSprop(decay_rate=-0.1), ValueError, r"decay_rate must be in \[0, 1\)"),
        (lambda: Adam(beta1=1.0), ValueError, r"beta1 must be in \[0, 1\), got 1.0"),
        (lambda: Adam(beta2=2), ValueError, r"beta2 must be in \[0, 1\), got 2"),
    ],
)
def test_settings_out_of_range_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_setting_assigned_later_is_checked_and_the_old_value_kept():
    opt = Adam(lr=0.01)
    with pytest.raises(ValueError, match="lr must be positive, got -1"):
        opt.lr = -1
    with pytest.raises(ValueError, match=r"beta1 must be in \[0, 1\)"):
        opt.beta1 = 1
    assert (opt.lr, opt.beta1) == (0.01, 0.9)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda s: s.update(t=np.array(-1)), "'t' must be a non-negative integer"),
        (lambda s: s.update(t=np.array(1.5)), "'t' must be a non-negative integer"),
        (lambda s: s.update({"hyper/lr": np.array(np.nan)}), "lr must be positive, got nan"),
        (lambda s: s.update({"hyper/beta2": np.array(1.0)}), r"beta2 must be in \[0, 1\)"),
        (lambda s: s["m/W"].fill(np.inf), "'m/W' must be a finite float array"),
        (lambda s: s.update({"v/W": np.ones(3)}), "slots name different parameters or shapes"),
        (lambda s: s.update({"m/W": np.array(["a", "b"])}), "'m/W' must be a finite float array"),
    ],
)
def test_load_state_dict_refuses_bad_values_and_changes_nothing(change, match):
    params = {"W": np.ones(2)}
    source = Adam(lr=0.01)
    source.update(params, {"W": np.ones(2)})
    state = source.state_dict()
    change(state)
    opt = Adam(lr=0.02)
    opt.update({"W": np.zeros(2)}, {"W": np.ones(2)})
    before = snapshot({}, opt)
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(state)
    assert snapshot({}, opt) == before
    with pytest.raises(TypeError, match="Adam state must be a mapping, got list"):
        opt.load_state_dict([1, 2])
