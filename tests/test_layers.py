import numpy as np
import pytest

from nn import (
    AddLayer,
    Affine,
    MSELoss,
    MulLayer,
    Relu,
    Sigmoid,
    SigmoidWithLoss,
    SoftmaxWithLoss,
    numerical_gradient,
    rel_error,
    softmax,
)
from tests.helpers import check_layer


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


# -- the worked examples -------------------------------------------------------------------


def test_apple_example():
    apple, apple_num, tax = 100, 2, 1.1
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(apple, apple_num), tax)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert price == pytest.approx(220)
    assert (dapple, dapple_num, dtax) == pytest.approx((2.2, 110, 200))


def test_apple_orange_example():
    apple, apple_num, orange, orange_num, tax = 100, 2, 150, 3, 1.1
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    apple_price = mul_apple.forward(apple, apple_num)
    orange_price = mul_orange.forward(orange, orange_num)
    price = mul_tax.forward(add.forward(apple_price, orange_price), tax)
    dall, dtax = mul_tax.backward(1)
    dapple_price, dorange_price = add.backward(dall)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert price == pytest.approx(715)
    assert (dapple_num, dapple, dorange, dorange_num, dtax) == pytest.approx(
        (110, 2.2, 3.3, 165, 650)
    )


# -- gradients against central differences, float64 ---------------------------------------


def test_mul_and_add_gradients_with_arrays_and_broadcasting(rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal(3)
    for layer in (MulLayer(), AddLayer()):
        g = rng.standard_normal((4, 3))
        layer.forward(x, y)
        dx, dy = layer.backward(g)
        assert dx.shape == x.shape and dy.shape == y.shape

        def loss_x(_, layer=layer, g=g):
            return float(np.sum(layer.forward(x, y) * g))

        assert rel_error(dx, numerical_gradient(loss_x, x)) < 1e-7
        assert rel_error(dy, numerical_gradient(loss_x, y)) < 1e-7


def test_relu_gradient(rng):
    x = rng.standard_normal((5, 4))
    x[np.abs(x) < 0.01] = 0.5  # keep away from the kink, where differences are meaningless
    check_layer(Relu(), x, rng)


def test_relu_gradient_at_zero_is_zero():
    layer = Relu()
    layer.forward(np.array([0.0, 0.0]))
    np.testing.assert_array_equal(layer.backward(np.array([3.0, -3.0])), [0.0, 0.0])


def test_sigmoid_gradient(rng):
    check_layer(Sigmoid(), rng.standard_normal((5, 4)), rng)  # unsaturated: well conditioned


def test_affine_gradients(rng):
    layer = Affine(rng.standard_normal((6, 3)), rng.standard_normal(3))
    errors = check_layer(layer, rng.standard_normal((4, 6)), rng)
    assert set(errors) == {"x", "W", "b"}


def test_affine_flattens_images_and_returns_dx_in_their_shape(rng):
    layer = Affine(rng.standard_normal((2 * 3 * 3, 5)), np.zeros(5))
    x = rng.standard_normal((4, 2, 3, 3))
    out = layer.forward(x)
    assert out.shape == (4, 5)
    assert layer.backward(np.ones((4, 5))).shape == x.shape
    check_layer(layer, x, rng)


def test_affine_db_sums_over_the_batch(rng):
    layer = Affine(rng.standard_normal((3, 2)), np.zeros(2))
    layer.forward(rng.standard_normal((5, 3)))
    dout = rng.standard_normal((5, 2))
    layer.backward(dout)
    np.testing.assert_allclose(layer.db, dout.sum(axis=0))


def test_affine_without_input_grad_skips_dx(rng):
    layer = Affine(rng.standard_normal((3, 2)), np.zeros(2), input_grad=False)
    layer.forward(rng.standard_normal((5, 3)))
    assert layer.backward(np.ones((5, 2))) is None
    assert layer.dW.shape == (3, 2)


@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_with_loss_gradient(rng, one_hot):
    x = rng.standard_normal((5, 4))  # moderate scores: no probability near 0 or 1
    t = rng.integers(0, 4, 5)
    if one_hot:
        t = np.eye(4)[t]
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    dx = layer.backward()
    assert rel_error(dx, numerical_gradient(lambda _: layer.forward(x, t), x)) < 1e-7
    labels = t.argmax(axis=1) if one_hot else t
    np.testing.assert_allclose(dx, (softmax(x) - np.eye(4)[labels]) / 5)
    layer.forward(x, t)  # the numerical gradient left the layer at a nudged x
    np.testing.assert_allclose(layer.backward(2.0), 2 * dx)


def test_softmax_with_loss_is_finite_for_huge_logits():
    layer = SoftmaxWithLoss()
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = layer.forward(np.array([[1e4, -1e4], [-1e4, 1e4]]), np.array([1, 1]))
    assert loss == pytest.approx(1e4)  # half the batch is off by 2e4


def test_sigmoid_with_loss_gradient(rng):
    x = rng.standard_normal((6, 1))
    t = rng.integers(0, 2, 6)
    layer = SigmoidWithLoss()
    layer.forward(x, t)
    dx = layer.backward()
    assert dx.shape == x.shape
    assert rel_error(dx, numerical_gradient(lambda _: layer.forward(x, t), x)) < 1e-7


def test_mse_loss_gradient_and_no_broadcasting_trap(rng):
    y = rng.standard_normal((6, 1))
    t = rng.standard_normal(6)  # (N,) targets for (N, 1) outputs: reshaped, not broadcast to (N, N)
    layer = MSELoss()
    assert layer.forward(y, t) == pytest.approx(np.mean((y[:, 0] - t) ** 2))
    dx = layer.backward()
    assert rel_error(dx, numerical_gradient(lambda _: layer.forward(y, t), y)) < 1e-7


# -- nothing is written into the caller's arrays -------------------------------------------


def _layers_and_inputs(rng):
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    return [
        (Relu(), rng.standard_normal((3, 4))),
        (Sigmoid(), rng.standard_normal((3, 4))),
        (Affine(W, b), rng.standard_normal((3, 4))),
    ]


def test_no_backward_modifies_dout(rng):
    for layer, x in _layers_and_inputs(rng):
        x_before = x.copy()
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        dout_before = dout.copy()
        dx = layer.backward(dout)
        assert dx is not dout, type(layer).__name__
        np.testing.assert_array_equal(dout, dout_before, err_msg=type(layer).__name__)
        np.testing.assert_array_equal(x, x_before, err_msg=type(layer).__name__)
    for layer in (MulLayer(), AddLayer()):
        x, y, dout = (rng.standard_normal(3) for _ in range(3))
        before = dout.copy()
        layer.forward(x, y)
        dx, dy = layer.backward(dout)
        np.testing.assert_array_equal(dout, before)
        assert dx is not dout and dy is not dout and dx is not dy, type(layer).__name__
        dx += 1.0  # the caller owns dx: editing it must not reach dy or dout
        np.testing.assert_array_equal(dout, before)
        if isinstance(layer, AddLayer):
            np.testing.assert_array_equal(dy, before)


def test_relu_backward_takes_integer_dout():
    relu = Relu()
    relu.forward(np.array([-1.0, 2.0, 3.0]))
    dx = relu.backward(np.array([5, -5, 7]))
    assert dx.dtype == np.float64
    np.testing.assert_array_equal(dx, [0.0, -5.0, 7.0])
    relu.forward(np.array([-1.0, 2.0], dtype=np.float32))
    assert relu.backward(np.array([1.0, 1.0], dtype=np.float32)).dtype == np.float32


def test_loss_layers_leave_inputs_alone(rng):
    x = rng.standard_normal((4, 3))
    t = np.array([0, 1, 2, 0])
    x_before, t_before = x.copy(), t.copy()
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    layer.backward()
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(t, t_before)


# -- dtype ---------------------------------------------------------------------------------


def test_float32_stays_float32_through_every_layer(rng):
    f32 = np.float32
    x = rng.standard_normal((3, 4)).astype(f32)
    for layer, _ in _layers_and_inputs(rng):
        if isinstance(layer, Affine):
            layer = Affine(layer.W.astype(f32), layer.b.astype(f32))
        out = layer.forward(x)
        assert out.dtype == f32, type(layer).__name__
        assert layer.backward(np.ones_like(out)).dtype == f32, type(layer).__name__
    for loss_layer, t in ((SoftmaxWithLoss(), [0, 1, 2]), (MSELoss(), np.zeros((3, 4)))):
        loss_layer.forward(x, t)
        assert loss_layer.backward().dtype == f32
    sig = SigmoidWithLoss()
    sig.forward(x[:, :1], [0, 1, 1])
    assert sig.backward().dtype == f32


def test_affine_computes_in_its_weights_dtype():
    layer = Affine(np.ones((2, 2), np.float32), np.zeros(2, np.float32))
    assert layer.forward(np.ones((1, 2), np.uint8)).dtype == np.float32


# -- clear errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer", [Relu(), Sigmoid(), Affine(np.ones((2, 2)), np.zeros(2)), MulLayer(), AddLayer()]
)
def test_backward_before_forward(layer):
    with pytest.raises(ValueError, match=f"^{type(layer).__name__}.backward called before forward"):
        layer.backward(np.ones((1, 2)))


@pytest.mark.parametrize("layer", [SoftmaxWithLoss(), SigmoidWithLoss(), MSELoss()])
def test_loss_backward_before_forward(layer):
    with pytest.raises(ValueError, match=f"^{type(layer).__name__}.backward called before forward"):
        layer.backward()


def test_dout_of_the_wrong_shape():
    layer = Relu()
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"shape \(2, 3\), got \(3, 2\)"):
        layer.backward(np.ones((3, 2)))


def test_affine_shape_mismatch_names_both_shapes():
    layer = Affine(np.ones((4, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"\(N, 4\).*4 values per sample.*x of shape \(2, 5\)"):
        layer.forward(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"W \(4, 3\) and b \(4,\)"):
        Affine(np.ones((4, 3)), np.zeros(4))
    with pytest.raises(TypeError, match="float dtype"):
        Affine(np.ones((4, 3), np.float32), np.zeros(3))


def test_softmax_with_loss_rejects_bad_targets():
    layer = SoftmaxWithLoss()
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="label 5 is out of range for 3 classes"):
        layer.forward(x, [0, 5])
    with pytest.raises(ValueError, match="label -1 is out of range"):
        layer.forward(x, [0, -1])
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(2, 3\).*got shape \(3,\)"):
        layer.forward(x, [0, 1, 2])
    with pytest.raises(ValueError, match="one 1 per row"):
        layer.forward(x, [[1, 1, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match=r"scores of shape \(N, C\), got \(3,\)"):
        layer.forward(np.zeros(3), [0])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("layer", [SoftmaxWithLoss(), SigmoidWithLoss(), MSELoss()])
def test_loss_layers_reject_nan_and_inf(layer, bad):
    x = np.zeros((2, 1))
    x[1, 0] = bad
    with pytest.raises(ValueError, match=r"scores must be finite, but scores\[1, 0\] = "):
        layer.forward(x, [0, 0])


def test_sigmoid_with_loss_rejects_targets_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 1\], got 2"):
        SigmoidWithLoss().forward(np.zeros((2, 1)), [0, 2])
    with pytest.raises(ValueError, match=r"shape of x \(2, 1\), got \(3,\)"):
        SigmoidWithLoss().forward(np.zeros((2, 1)), [0, 1, 1])


def _every_layer(rng):
    """Each layer with good forward inputs, and inputs its forward must refuse."""
    x, bad = rng.standard_normal((2, 3)), np.ones((5, 7, 2))
    return [
        (MulLayer(), (x, x[0]), (x, np.ones(4))),  # (2, 3) and (4,) do not broadcast
        (AddLayer(), (x, x[:, :1]), (x, np.ones(4))),
        (Relu(), (x,), (np.array(["a"]),)),
        (Sigmoid(), (x,), (np.array(["a"]),)),
        (Affine(rng.standard_normal((3, 4)), np.zeros(4)), (x,), (bad,)),
        (SoftmaxWithLoss(), (x, [0, 2]), (x, [0, 3])),
        (SigmoidWithLoss(), (x[:, :1], [0, 1]), (x[:, :1], [0, 2])),
        (MSELoss(), (x, np.zeros((2, 3))), (x, np.zeros(2))),
    ]


def test_every_layer_checks_douts_shape(rng):
    # MulLayer and AddLayer once summed a (4, 2, 3) dout down to their (2, 3) inputs silently.
    for layer, inputs, _ in _every_layer(rng):
        out = layer.forward(*inputs)
        wrong = np.ones((4, *np.shape(out)))
        with pytest.raises(ValueError, match=r"dout must have the forward output's shape"):
            layer.backward(wrong)


def test_a_failed_call_leaves_the_layer_as_it_was(rng):
    for layer, inputs, bad_inputs in _every_layer(rng):
        out = layer.forward(*inputs)
        state = {k: np.copy(v) for k, v in vars(layer).items() if v is not None}
        with pytest.raises(ValueError):
            layer.backward(np.ones((5, 7)))
        with pytest.raises((ValueError, TypeError)):
            layer.forward(*bad_inputs)
        after = {k: np.copy(v) for k, v in vars(layer).items() if v is not None}
        assert state.keys() == after.keys(), type(layer).__name__
        for k in state:
            np.testing.assert_array_equal(after[k], state[k], err_msg=f"{layer}.{k}")
        layer.backward(np.ones_like(out) if np.ndim(out) else 1.0)  # and it still works


def test_integer_dout_takes_the_outputs_float_dtype(rng):
    f32 = np.float32
    x = rng.standard_normal((2, 3)).astype(f32)
    for layer in (Relu(), Sigmoid(), Affine(np.ones((3, 2), f32), np.zeros(2, f32))):
        out = layer.forward(x)
        assert layer.backward(np.ones(out.shape, dtype=int)).dtype == f32, type(layer).__name__


def test_relu_backward_has_no_negative_zeros():
    relu = Relu()
    relu.forward(np.array([-1.0, -2.0]))
    dx = relu.backward(np.array([-3.0, 4.0]))
    assert not np.signbit(dx).any(), dx  # prints as [0. 0.], never [-0. 0.]


def test_affine_refuses_complex_and_text_input_before_caching():
    layer = Affine(np.ones((3, 2)), np.zeros(2))
    layer.forward(np.ones((4, 3)))
    for bad in (np.ones((1, 3)) * 1j, np.array([["a", "b", "c"]])):
        with pytest.raises(TypeError):
            layer.forward(bad)
        assert layer.x.shape == (4, 3) and layer.original_x_shape == (4, 3)


def test_affine_refuses_an_empty_batch_by_name():
    layer = Affine(np.ones((3, 2)), np.zeros(2))
    with pytest.raises(
        ValueError, match=r"Affine needs at least one sample, got x of shape \(0, 3\)"
    ):
        layer.forward(np.zeros((0, 3)))  # was NumPy's "cannot reshape array of size 0"
    assert layer.x is None and layer.original_x_shape is None


@pytest.mark.parametrize(
    "dout", [np.ones((2, 2), complex), np.full((2, 2), "a")], ids=["complex", "text"]
)
def test_complex_or_text_dout_is_refused_before_any_gradient_is_stored(dout):
    layer = Affine(np.ones((3, 2)), np.zeros(2))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(TypeError, match="expected real numbers"):
        layer.backward(dout)  # complex lost its imaginary part; text was a NumPy ValueError
    assert layer.dW is None and layer.db is None


@pytest.mark.parametrize(
    ("t", "match"),
    [
        ([0, 1, np.inf], "labels t must be integers, got dtype float64, such as inf"),
        ([0, np.nan, 1], "labels t must be integers, got dtype float64, such as nan"),
        (["0", "1", "2"], "labels t must be integers, got dtype <U1"),
    ],
)
def test_infinite_or_text_labels_are_named(t, match):
    # were a RuntimeWarning from np.mod(inf, 1), and NumPy's "ufunc 'remainder' not supported"
    layer = SoftmaxWithLoss()
    with pytest.raises(TypeError, match=match):
        layer.forward(np.zeros((3, 4)), np.array(t))
    assert layer.y is None and layer.t is None
