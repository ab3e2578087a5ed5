"""BatchNormalization, Dropout, weight decay, and networks that switch between training and
evaluation: gradients, dtypes, errors, modes, and checkpoints that resume bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from nn import (
    SGD,
    Adam,
    ArrayDataset,
    BatchNormalization,
    DataLoader,
    Dropout,
    MultiLayerNet,
    Trainer,
    build_network,
    load_checkpoint,
    numerical_gradient,
    rel_error,
    save_checkpoint,
    validate_spec,
)


def batch_norm(d=4, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    gamma = (1 + 0.5 * rng.standard_normal(d)).astype(dtype)
    return BatchNormalization(gamma, (0.1 * rng.standard_normal(d)).astype(dtype))


def numeric(f, x):
    return numerical_gradient(lambda _: f(x), x)


@pytest.mark.parametrize("train_flg", [True, False])
def test_batch_norm_gradient_check(train_flg):
    rng = np.random.default_rng(1)
    layer = batch_norm()
    layer.running_mean[:] = rng.standard_normal(4)
    layer.running_var[:] = rng.uniform(0.5, 2, 4)
    x = rng.standard_normal((5, 4)) * 3 + 1
    dout = rng.standard_normal((5, 4))
    saved = layer.running_mean.copy(), layer.running_var.copy()

    def f(_):
        layer.running_mean[:], layer.running_var[:] = saved  # each forward starts alike
        return float(np.sum(layer.forward(x, train_flg) * dout))

    num_x = numerical_gradient(f, x)
    num_gamma = numerical_gradient(f, layer.gamma)
    num_beta = numerical_gradient(f, layer.beta)
    f(None)
    dx = layer.backward(dout)
    assert rel_error(dx, num_x) < 1e-7, rel_error(dx, num_x)
    assert rel_error(layer.dgamma, num_gamma) < 1e-7
    assert rel_error(layer.dbeta, num_beta) < 1e-7


def test_batch_norm_normalizes_and_keeps_running_averages():
    rng = np.random.default_rng(0)
    layer = batch_norm()
    x = rng.standard_normal((64, 4)) * 5 + 3
    out = layer.forward(x)
    xn = (out - layer.beta) / layer.gamma
    np.testing.assert_allclose(xn.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(xn.var(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * x.var(axis=0))
    before = layer.running_mean.copy()
    layer.forward(x[:3], train_flg=False)  # evaluation: the averages are used, not changed
    np.testing.assert_array_equal(layer.running_mean, before)


def test_batch_norm_is_per_activation_for_image_shaped_input():
    layer = batch_norm(d=2 * 3 * 3)
    x = np.random.default_rng(0).standard_normal((8, 2, 3, 3))
    out = layer.forward(x)
    assert out.shape == x.shape and layer.backward(np.ones_like(x)).shape == x.shape
    assert layer.running_mean.shape == (18,)  # one per activation, not one per channel


@pytest.mark.parametrize("make", [batch_norm, lambda: Dropout(0.3, rng=0)])
@pytest.mark.parametrize("train_flg", [True, False])
def test_float32_stays_float32_and_dout_is_not_written(make, train_flg):
    layer = make() if make is not batch_norm else batch_norm(dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    out = layer.forward(x, train_flg)
    assert out.dtype == np.float32, out.dtype
    dout = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    copy = dout.copy()
    dx = layer.backward(dout)
    assert dx.dtype == np.float32, dx.dtype
    np.testing.assert_array_equal(dout, copy)
    assert dx is not dout


def test_dropout_gradient_check():
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((5, 6)), rng.standard_normal((5, 6))
    layer = Dropout(0.4, rng=7)
    layer.forward(x)
    dx = layer.backward(dout)
    num = numeric(lambda x: float(np.sum(Dropout(0.4, rng=7).forward(x) * dout)), x)
    assert rel_error(dx, num) < 1e-7, rel_error(dx, num)
    assert np.any(dx == 0) and np.any(dx != 0)


def test_dropout_inverted_and_test_time_scaling_agree_in_expectation():
    x = np.linspace(0.5, 2.0, 8).reshape(2, 4)
    ratio, draws = 0.5, 20000
    layer = Dropout(ratio, rng=0)
    inverted = np.mean([layer.forward(x) for _ in range(draws)], axis=0)
    np.testing.assert_allclose(inverted, layer.forward(x, train_flg=False), rtol=0.03)
    np.testing.assert_array_equal(layer.forward(x, train_flg=False), x)
    # The book's: drop without scaling in training, multiply by 1 - ratio at test time.
    book = np.mean([x * (layer.rng.random(x.shape) > ratio) for _ in range(draws)], axis=0)
    np.testing.assert_allclose(book, x * (1 - ratio), rtol=0.03)
    np.testing.assert_allclose(inverted * (1 - ratio), book, rtol=0.05)


def test_dropout_draws_from_its_own_rng():
    x = np.ones((3, 5))
    a, b = Dropout(0.5, rng=3).forward(x), Dropout(0.5, rng=3).forward(x)
    np.testing.assert_array_equal(a, b)
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (checking it stays untouched)
    Dropout(0.5, rng=None).forward(x)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: BatchNormalization(np.ones(3), np.zeros(4)),
            ValueError,
            r"gamma .*\(3,\).*\(4,\)",
        ),
        (lambda: BatchNormalization(np.ones((3, 1)), np.zeros(3)), ValueError, "gamma with 1 axes"),
        (
            lambda: BatchNormalization(np.ones(3, np.float32), np.zeros(3)),
            TypeError,
            "gamma and beta must share one float dtype, got float32 and float64",
        ),
        (lambda: batch_norm().forward(np.ones((2, 5))), ValueError, r"\(N, 4\).*\(2, 5\)"),
        (lambda: batch_norm().backward(np.ones((2, 4))), ValueError, "before forward"),
        (lambda: Dropout(1.0), ValueError, r"\[0, 1\), got 1.0"),
        (lambda: Dropout(-0.1), ValueError, r"\[0, 1\), got -0.1"),
        (lambda: Dropout(0.5, rng="seed"), TypeError, "rng must be"),
        (lambda: Dropout(0.5).backward(np.ones(3)), ValueError, "before forward"),
    ],
)
def test_mistakes_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_failed_call_leaves_the_layer_unchanged():
    layer = batch_norm()
    x = np.random.default_rng(0).standard_normal((5, 4))
    layer.forward(x)
    state = [a.copy() for a in (layer.running_mean, layer.running_var, layer.xn)]
    with pytest.raises(ValueError, match="values per sample"):
        layer.forward(np.ones((5, 3)))
    with pytest.raises(ValueError, match="shape"):
        layer.backward(np.ones((4, 4)))
    for a, b in zip(state, (layer.running_mean, layer.running_var, layer.xn), strict=True):
        np.testing.assert_array_equal(a, b)
    drop = Dropout(0.5, rng=0)
    drop.forward(x)
    mask = drop.mask.copy()
    with pytest.raises(ValueError, match="shape"):
        drop.backward(np.ones((2, 2)))
    np.testing.assert_array_equal(drop.mask, mask)


def small_net(**kwargs):
    return MultiLayerNet(5, [6, 4], 3, rng=0, **kwargs)


def test_parameters_are_named_as_in_the_book():
    net = small_net(batch_norm=True, dropout=0.2)
    assert list(net.params) == [
        *("W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3")
    ]
    assert list(net.buffers) == ["running_mean1", "running_var1", "running_mean2", "running_var2"]
    assert net.weight_decay.decayed(net.params) == ["W1", "W2", "W3"]
    assert repr(net).startswith("MultiLayerNet(Affine1 -> BatchNorm1 -> Relu1 -> Dropout1")


def test_network_with_batch_norm_and_weight_decay_gradient_check():
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((7, 5)), rng.integers(0, 3, 7)
    net = small_net(batch_norm=True, weight_decay=0.3)
    grads = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t)
    for name in net.params:
        assert rel_error(grads[name], numerical[name]) < 1e-6, (
            name,
            rel_error(grads[name], numerical[name]),
        )


def test_weight_decay_adds_to_the_loss_and_the_weights_gradients_only():
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((7, 5)), rng.integers(0, 3, 7)
    plain, decayed = small_net(), small_net(weight_decay=0.1)
    penalty = 0.05 * sum(np.sum(plain.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert decayed.loss(x, t) == pytest.approx(plain.loss(x, t) + penalty, rel=1e-12)
    g_plain, g_decay = plain.gradient(x, t), decayed.gradient(x, t)
    for name in plain.params:
        extra = 0.1 * plain.params[name] if name.startswith("W") else 0
        np.testing.assert_allclose(g_decay[name], g_plain[name] + extra, rtol=1e-12)
    assert decayed.layers["Affine1"].dW is not g_decay["W1"]  # the layer keeps the data's dW
    with pytest.raises(ValueError, match="weight_decay must be a number >= 0"):
        small_net(weight_decay=-1)


def test_gradient_trains_predict_evaluates():
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    net = small_net(batch_norm=True, dropout=0.5)
    before = net.buffers["running_mean1"].copy()
    first = net.predict(x)
    np.testing.assert_array_equal(net.predict(x), first)  # evaluation: no dropout, no updates
    np.testing.assert_array_equal(net.buffers["running_mean1"], before)
    net.accuracy(x, t), net.loss(x, t)
    np.testing.assert_array_equal(net.buffers["running_mean1"], before)
    net.gradient(x, t)  # training mode: the running averages move
    assert not np.array_equal(net.buffers["running_mean1"], before)
    a, b = net.predict(x, train_flg=True), net.predict(x, train_flg=True)
    assert not np.array_equal(a, b)  # training mode on request: new dropout masks


def moons_data(n=120):
    from nn.datasets import make_moons

    x, t = make_moons(n, noise=0.2, rng=0)
    return x, t


def test_trainer_evaluates_in_evaluation_mode():
    x, t = moons_data()
    net = MultiLayerNet(2, [16, 16], 2, batch_norm=True, dropout=0.5, rng=0)
    loader = DataLoader(ArrayDataset(x, t), batch_size=20, shuffle=True, rng=0)
    history = Trainer(net, Adam(lr=0.01), loader, test_data=(x, t)).fit(2)
    assert history["test_accuracy"][-1] == net.accuracy(x, t)
    assert history["train_accuracy"][-1] == net.accuracy(x, t)
    assert history["test_loss"][-1] == net.loss(x, t)


def test_trainer_train_loss_includes_the_penalty():
    x, t = moons_data()
    net = MultiLayerNet(2, [8], 2, weight_decay=0.5, rng=0)
    loader = DataLoader(ArrayDataset(x, t), batch_size=len(x))
    expected = net.loss(x, t)  # the loss before the one step of the epoch, penalty included
    history = Trainer(net, SGD(lr=0.1), loader).fit(1)
    assert history["train_loss"][0] == pytest.approx(expected, rel=1e-12)


def test_checkpoint_resumes_batch_norm_and_dropout_bit_for_bit(tmp_path):
    x, t = moons_data()

    def setup(seed):
        rng = np.random.default_rng(seed)  # one generator: the weights, the masks, the order
        net = MultiLayerNet(
            2, [16, 16], 2, batch_norm=True, dropout=0.3, weight_decay=0.01, rng=rng
        )
        loader = DataLoader(ArrayDataset(x, t), batch_size=16, shuffle=True, rng=rng)
        return net, Adam(lr=0.01), loader, rng

    net, opt, loader, rng = setup(0)
    trainer = Trainer(net, opt, loader, test_data=(x, t))
    trainer.fit(4)
    uninterrupted = {k: v.copy() for k, v in [*net.params.items(), *net.buffers.items()]}

    net, opt, loader, rng = setup(0)
    trainer = Trainer(net, opt, loader, test_data=(x, t))
    trainer.fit(2)
    save_checkpoint(tmp_path / "c.npz", net, opt, epoch=2, rng=rng, history=trainer.history)
    net2, opt2, loader2, rng2 = setup(123)  # other weights, other state
    info = load_checkpoint(tmp_path / "c.npz", net2, opt2, rng=rng2)
    np.testing.assert_array_equal(net2.buffers["running_var2"], net.buffers["running_var2"])
    Trainer(net2, opt2, loader2, test_data=(x, t), history=info.history).fit(2)
    for name, value in [*net2.params.items(), *net2.buffers.items()]:
        np.testing.assert_array_equal(value, uninterrupted[name], err_msg=name)


def test_checkpoint_without_running_averages_does_not_fit_a_batch_norm_net(tmp_path):
    save_checkpoint(tmp_path / "c.npz", small_net())
    with pytest.raises(ValueError, match="missing parameters"):
        load_checkpoint(tmp_path / "c.npz", small_net(batch_norm=True))
    net = small_net(batch_norm=True)
    save_checkpoint(tmp_path / "d.npz", net)
    net.buffers["running_var1"] = np.full(6, 2.0)
    other = small_net(batch_norm=True)
    load_checkpoint(tmp_path / "d.npz", other)
    np.testing.assert_array_equal(other.buffers["running_var1"], np.ones(6))


def test_spec_keys_for_batch_norm_and_dropout():
    spec = [
        {"input_dim": 5, "output_dim": 6, "activation": "relu", "batch_norm": True, "dropout": 0.5},
        {"input_dim": 6, "output_dim": 3, "activation": "softmax"},
    ]
    net = build_network(spec, rng=0, weight_decay=0.1)
    assert repr(net) == (
        "MultiLayerNet(Affine1 -> BatchNorm1 -> Relu1 -> Dropout1 -> Affine2 -> SoftmaxWithLoss)"
    )
    assert net.weight_decay.lam == 0.1
    assert build_network(spec[1:], rng=0).weight_decay.lam == 0.0
    bad = [
        ({**spec[0], "batch_norm": 1}, TypeError, "layer 0 batch_norm must be True or False"),
        ({**spec[0], "dropout": 1.5}, ValueError, r"layer 0 dropout must be in \[0, 1\)"),
        ({**spec[0], "dropout": "0.5"}, TypeError, "layer 0 dropout must be a number"),
    ]
    for layer, error, match in bad:
        with pytest.raises(error, match=match):
            validate_spec([layer, spec[1]])
    with pytest.raises(ValueError, match=r"layer 1 \(the output layer\) has unknown keys"):
        validate_spec([spec[0], {**spec[1], "dropout": 0.5}])


def test_multi_layer_net_options_are_checked():
    with pytest.raises(ValueError, match="dropout ratio 1 must be a number in"):
        small_net(dropout=[0.5, 1.0])
    with pytest.raises(ValueError, match="got 3 batch_norm flags for 2 hidden layers"):
        small_net(batch_norm=[True, False, True])
    with pytest.raises(TypeError, match="batch_norm must be True, False"):
        small_net(batch_norm="yes")
    net = small_net(batch_norm=[True, False], dropout=[0.0, 0.5])
    assert list(net.layers) == [
        *("Affine1", "BatchNorm1", "Relu1", "Affine2", "Relu2", "Dropout2", "Affine3")
    ]


# -- refused calls and settings (issue 21) ------------------------------------------------------


def bn_state(layer):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(layer).items()}


def assert_same_state(layer, before):
    after = vars(layer)
    assert after.keys() == before.keys()
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[key], value, err_msg=key)
            assert after[key].dtype == value.dtype, key
        else:
            assert after[key] == value, key


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_batch_norm_refuses_nan_and_inf_in_training_before_the_running_averages_move(bad):
    layer = BatchNormalization(np.ones(2), np.zeros(2))
    before = bn_state(layer)
    with pytest.raises(ValueError, match=rf"x must be finite, but x\[0, 1\] = {bad}"):
        layer.forward([[1, bad], [2, 3]])
    assert_same_state(layer, before)
    assert np.isfinite(layer.running_mean).all() and np.isfinite(layer.running_var).all()


def test_batch_norm_refuses_a_float64_too_large_for_its_float32_weights():
    layer = BatchNormalization(np.ones(2, np.float32), np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="must be finite"), np.errstate(over="ignore"):
        layer.forward(np.array([[1e300, 1.0], [2.0, 3.0]]))  # inf once cast to float32
    np.testing.assert_array_equal(layer.running_var, np.ones(2, np.float32))


@pytest.mark.parametrize("train_flg", [True, False])
def test_an_empty_batch_is_a_clear_error_naming_its_shape(train_flg):
    layer = batch_norm()
    before = bn_state(layer)
    with pytest.raises(
        ValueError, match=r"BatchNormalization needs at least one sample, got x of shape \(0, 4\)"
    ):
        layer.forward(np.zeros((0, 4)), train_flg)
    assert_same_state(layer, before)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"momentum": 1.5}, ValueError, r"momentum must be in \[0, 1\], got 1.5"),
        ({"momentum": -0.1}, ValueError, r"momentum must be in \[0, 1\], got -0.1"),
        ({"momentum": np.nan}, ValueError, r"momentum must be in \[0, 1\], got nan"),
        ({"momentum": "0.9"}, TypeError, r"momentum must be a real number, got '0.9' \(str\)"),
        ({"eps": -1e-7}, ValueError, r"eps must be in \(0, inf\), got -1e-07"),
        ({"eps": 0}, ValueError, r"eps must be in \(0, inf\), got 0.0"),
        ({"eps": np.nan}, ValueError, r"eps must be in \(0, inf\), got nan"),
        ({"eps": np.inf}, ValueError, r"eps must be in \(0, inf\), got inf"),
        ({"eps": None}, TypeError, r"eps must be a real number, got None"),
    ],
)
def test_batch_norm_settings_are_checked_when_set(kwargs, error, match):
    with pytest.raises(error, match=match):
        BatchNormalization(np.ones(2), np.zeros(2), **kwargs)
    layer = BatchNormalization(np.ones(2), np.zeros(2))
    ((name, value),) = kwargs.items()
    with pytest.raises(error, match=match):
        setattr(layer, name, value)  # later too: the setting keeps its old value
    assert (layer.momentum, layer.eps) == (0.9, 1e-7)


def test_batch_norm_accepts_the_ends_of_momentums_range_and_a_large_eps():
    for momentum in (0, 1, np.float32(0.5)):
        assert BatchNormalization(np.ones(2), np.zeros(2), momentum=momentum).momentum == momentum
    assert BatchNormalization(np.ones(2), np.zeros(2), eps=1.5).eps == 1.5  # any eps > 0 is valid


@pytest.mark.parametrize(
    ("ratio", "error", "match"),
    [
        ("0.5", TypeError, r"dropout_ratio must be a real number, got '0.5' \(str\)"),
        (None, TypeError, "dropout_ratio must be a real number, got None"),
        (True, TypeError, r"dropout_ratio must be a real number, got True \(bool\)"),
        (np.nan, ValueError, r"dropout_ratio must be in \[0, 1\), got nan"),
        (1, ValueError, r"dropout_ratio must be in \[0, 1\), got 1.0"),
    ],
)
def test_dropout_ratio_is_a_real_number_in_0_1(ratio, error, match):
    with pytest.raises(error, match=match):
        Dropout(ratio)
    layer = Dropout(0.25, rng=0)
    with pytest.raises(error, match=match):
        layer.dropout_ratio = ratio
    assert layer.dropout_ratio == 0.25


@pytest.mark.parametrize(
    "bad",
    [np.ones((2, 2), complex), np.array([["a", "b"]]), object()],
    ids=["complex", "text", "object"],
)
def test_a_refused_dropout_call_leaves_its_generator_alone(bad):
    layer = Dropout(0.5, rng=0)
    layer.forward(np.ones((2, 3)))
    state, mask = layer.rng.bit_generator.state, layer.mask.copy()
    with pytest.raises(TypeError, match="expected real numbers"):
        layer.forward(bad)
    assert layer.rng.bit_generator.state == state
    np.testing.assert_array_equal(layer.mask, mask)
