"""nn.autograd: every operation's gradient against central differences, and against the layers."""

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, mutually_broadcastable_shapes

from nn import (
    SGD,
    Affine,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
    Tensor,
    TwoLayerNet,
    cross_entropy_error,
    numerical_gradient,
    rel_error,
    softmax,
)
from nn.autograd import cross_entropy, log_softmax
from tests.refused import assert_unchanged, snapshot


@pytest.fixture
def rng():
    return np.random.default_rng(20261207)


def autograd_errors(f, inputs, rng, tensor=Tensor):
    """The relative error of each input's gradient of `sum(f(*inputs) * g)`, `g` random.

    The gradients come from `backward(g)` on tensors of class `tensor`, the references from
    central differences of the same function, in float64.
    """
    tensors = [tensor(x) for x in inputs]
    out = f(*tensors)
    g = rng.standard_normal(out.shape)
    out.backward(g)

    def loss(_):  # the tensors hold the arrays that numerical_gradient nudges
        return float(np.sum(f(*[Tensor(x) for x in inputs]).data * g))

    return [
        rel_error(t.grad, numerical_gradient(loss, x)) for t, x in zip(tensors, inputs, strict=True)
    ]


C = np.linspace(-1.0, 1.0, 12).reshape(3, 4)  # a constant array operand
LABELS = np.array([2, 0, 1])

# name -> (the function of tensors, the input shapes, the kind of values it needs)
CASES = {
    "add": (lambda a, b: a + b, [(3, 4), (3, 4)], "any"),
    "add row": (lambda a, b: a + b, [(3, 4), (4,)], "any"),
    "add stretched": (lambda a, b: a + b, [(3, 1), (1, 4)], "any"),
    "add 3-D": (lambda a, b: a + b, [(2, 3, 4), (3, 1)], "any"),
    "add scalar": (lambda a, b: a + b, [(), (3,)], "any"),
    "radd": (lambda a: 2.5 + a, [(3, 4)], "any"),
    "array plus": (lambda a: C + a, [(4,)], "any"),
    "sub": (lambda a, b: a - b, [(3, 4), (3, 1)], "any"),
    "rsub": (lambda a: 1 - a, [(3, 4)], "any"),
    "neg": (lambda a: -a, [(3, 4)], "any"),
    "mul": (lambda a, b: a * b, [(3, 4), (3, 4)], "any"),
    "mul row": (lambda a, b: a * b, [(3, 4), (4,)], "any"),
    "mul stretched": (lambda a, b: a * b, [(2, 1, 4), (3, 1)], "any"),
    "rmul": (lambda a: 2 * a, [(3, 4)], "any"),
    "array times": (lambda a: C * a, [(3, 1)], "any"),
    "matmul": (lambda a, b: a @ b, [(3, 4), (4, 5)], "any"),
    "matmul vector-matrix": (lambda a, b: a @ b, [(4,), (4, 5)], "any"),
    "matmul matrix-vector": (lambda a, b: a @ b, [(3, 4), (4,)], "any"),
    "matmul dot": (lambda a, b: a @ b, [(4,), (4,)], "any"),
    "rmatmul": (lambda a: C @ a, [(4, 2)], "any"),
    "sum": (lambda a: a.sum(), [(3, 4)], "any"),
    "sum axis 0": (lambda a: a.sum(axis=0), [(3, 4)], "any"),
    "sum axis -1": (lambda a: a.sum(axis=-1), [(2, 3, 4)], "any"),
    "sum axes keepdims": (lambda a: a.sum(axis=(0, 2), keepdims=True), [(2, 3, 4)], "any"),
    "sum axes": (lambda a: a.sum(axis=(0, -1)), [(2, 3, 4)], "any"),
    "mean": (lambda a: a.mean(), [(3, 4)], "any"),
    "mean axis 1": (lambda a: a.mean(axis=1), [(3, 4)], "any"),
    "mean keepdims": (lambda a: a.mean(axis=0, keepdims=True), [(3, 4)], "any"),
    "exp": (lambda a: a.exp(), [(3, 4)], "any"),
    "log": (lambda a: a.log(), [(3, 4)], "positive"),
    "relu": (lambda a: a.relu(), [(3, 4)], "off the kink"),
    "sigmoid": (lambda a: a.sigmoid(), [(3, 4)], "any"),
    "reshape": (lambda a: a.reshape(4, 3), [(3, 4)], "any"),
    "reshape tuple": (lambda a: a.reshape((2, -1)), [(3, 4)], "any"),
    "reshape then mul": (lambda a: a.reshape(-1) * np.arange(12.0), [(3, 4)], "any"),
    "log_softmax": (lambda a: log_softmax(a), [(3, 4)], "any"),
    "log_softmax axis 0": (lambda a: log_softmax(a, axis=0), [(3, 4)], "any"),
    "cross_entropy": (lambda a: cross_entropy(a, LABELS), [(3, 4)], "any"),
    "cross_entropy one-hot": (lambda a: cross_entropy(a, np.eye(4)[LABELS]), [(3, 4)], "any"),
}


def inputs_for(case, rng, dtype=np.float64):
    _, shapes, kind = CASES[case]
    xs = [rng.standard_normal(shape) for shape in shapes]
    if kind == "positive":
        xs = [np.abs(x) + 0.5 for x in xs]
    if kind == "off the kink":  # central differences across ReLU's kink measure the kink
        xs = [np.where(np.abs(x) < 0.01, 0.5, x) for x in xs]
    return [np.asarray(x, dtype=dtype) for x in xs]


# -- every operation against central differences, float64 ----------------------------------


@pytest.mark.parametrize("case", CASES)
def test_gradient_equals_central_differences(case, rng):
    errors = autograd_errors(CASES[case][0], inputs_for(case, rng), rng)
    assert max(errors) < 1e-7, f"{case}: relative errors {errors}"


@given(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), st.integers(0, 99))
def test_broadcasting_gradients_have_the_inputs_shapes(shapes, seed):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal(shape) for shape in shapes.input_shapes]
    for f in (lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b):
        assert max(autograd_errors(f, xs, rng)) < 1e-7, shapes


@given(arrays(np.float64, (3, 5), elements=st.floats(-30, 30)), st.floats(-1e3, 1e3))
def test_log_softmax_is_a_log_distribution_that_ignores_a_shift(x, c):
    out = log_softmax(Tensor(x)).data
    np.testing.assert_allclose(np.exp(out).sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(log_softmax(Tensor(x + c)).data, out, atol=1e-9)


def test_relu_gradient_at_zero_is_zero():
    x = Tensor(np.array([0.0, -0.0, 1.0]))
    x.relu().backward(np.array([3.0, 3.0, 3.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 3.0])


def test_sigmoid_and_cross_entropy_do_not_overflow():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        x = Tensor(np.array([-1000.0, 1000.0]))
        x.sigmoid().sum().backward()
        scores = Tensor(np.array([[1e4, -1e4], [-1e4, 1e4]]))
        loss = cross_entropy(scores, [1, 1])
        loss.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    assert float(loss.data) == pytest.approx(1e4)  # half the batch is off by 2e4
    np.testing.assert_allclose(scores.grad, [[0.5, -0.5], [0.0, 0.0]])


# -- a value used more than once gets the sum of its gradients ------------------------------


def test_a_value_used_twice_gets_both_gradients(rng):
    x = rng.standard_normal(5)
    a = Tensor(x)
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad, 2 * x)  # x * 1 + 1 * x
    (a + a).sum().backward()
    np.testing.assert_array_equal(a.grad, np.full(5, 2.0))


# name -> (the function, its inputs' shapes), each using a value more than once
SHARED = {
    "x * x": (lambda x: x * x, [(3, 4)]),
    "x + x": (lambda x: x + x, [(3, 4)]),
    "branch exp(x) + sigmoid(x)": (lambda x: x.exp() + x.sigmoid(), [(3, 4)]),
    "residual x + relu(x @ W)": (lambda x, W: x + (x @ W).relu(), [(5, 4), (4, 4)]),
}


@pytest.mark.parametrize("case", SHARED)
def test_shared_values_pass_the_numerical_check(case, rng):
    f, shapes = SHARED[case]
    xs = [rng.standard_normal(shape) for shape in shapes]
    assert max(autograd_errors(f, xs, rng)) < 1e-7


class AssigningTensor(Tensor):
    """The classic bug: a tensor that keeps only the last gradient it was sent."""

    def add_grad(self, grad):
        self.grad = np.array(grad, dtype=self.dtype)  # BUG: `=` where backward needs `+=`


@pytest.mark.parametrize("case", SHARED)
def test_the_numerical_check_catches_a_gradient_assigned_instead_of_added(case, rng):
    f, shapes = SHARED[case]
    xs = [rng.standard_normal(shape) for shape in shapes]
    errors = autograd_errors(f, xs, rng, tensor=AssigningTensor)
    assert errors[0] > 0.1, f"{case}: x's error {errors[0]:.1e}: the bug went unnoticed"
    assert max(autograd_errors(f, xs, rng)) < 1e-7  # the same check passes with Tensor


# -- the same gradients as the hand-written layers -----------------------------------------


def test_layers_written_as_tensor_functions_match_the_layers(rng):
    x, W, b = rng.standard_normal((4, 6)), rng.standard_normal((6, 3)), rng.standard_normal(3)
    x[0, :2] = 0.0  # ReLU at exactly 0
    dout = rng.standard_normal((4, 3))
    diffs = {}

    affine = Affine(W, b)
    out = affine.forward(x)
    dx = affine.backward(dout)
    X, Wt, bt = Tensor(x), Tensor(W), Tensor(b)
    y = X @ Wt + bt
    y.backward(dout)
    pairs = {"out": (out, y.data), "dx": (dx, X.grad), "dW": (affine.dW, Wt.grad)}
    diffs["Affine"] = [rel_error(a, t) for a, t in [*pairs.values(), (affine.db, bt.grad)]]

    for layer, op in ((Relu(), Tensor.relu), (Sigmoid(), Tensor.sigmoid)):
        out = layer.forward(x)
        dx = layer.backward(dout[:, :1] * x)
        X = Tensor(x)
        y = op(X)
        y.backward(dout[:, :1] * x)
        diffs[type(layer).__name__] = [rel_error(out, y.data), rel_error(dx, X.grad)]

    for t in (np.array([0, 2, 1, 2]), np.eye(6)[[5, 0, 1, 3]]):
        layer = SoftmaxWithLoss()
        loss = layer.forward(x, t)
        dx = layer.backward()
        X = Tensor(x)
        y = cross_entropy(X, t)
        y.backward()
        name = f"SoftmaxWithLoss {'one-hot' if t.ndim == 2 else 'labels'}"
        diffs[name] = [rel_error(loss, y.data), rel_error(dx, X.grad)]

    worst = max(max(v) for v in diffs.values())
    print(f"max relative difference, autograd vs hand-written layers: {worst:.1e}")
    assert worst <= 1e-12, diffs


def test_two_layer_net_step_equals_backprop(rng):
    net = TwoLayerNet(784, 50, 10, weight_init_std=0.1, rng=0)
    params = {name: Tensor(p.copy()) for name, p in net.params.items()}
    opt = SGD(lr=0.1)
    worst = 0.0
    for _ in range(2):  # a step, then another from the updated weights
        x, t = rng.standard_normal((20, 784)), rng.integers(0, 10, 20)
        grads = net.gradient(x, t)
        hidden = (x @ params["W1"] + params["b1"]).relu()
        loss = cross_entropy(hidden @ params["W2"] + params["b2"], t)
        loss.backward()
        assert float(loss.data) == pytest.approx(net.loss(x, t), rel=1e-12)
        worst = max(worst, *(rel_error(grads[k], p.grad) for k, p in params.items()))
        opt.update(net.params, grads)
        for p in params.values():
            p.data = p.data - opt.lr * p.grad
    print(f"TwoLayerNet(784, 50, 10): max relative difference of the gradients {worst:.1e}")
    assert worst <= 1e-12


def test_cross_entropy_equals_the_layer_and_the_function(rng):
    for n, c in ((1, 2), (7, 3), (50, 10)):
        x, t = 5 * rng.standard_normal((n, c)), rng.integers(0, c, n)
        loss = float(cross_entropy(Tensor(x), t).data)
        assert loss == SoftmaxWithLoss().forward(x, t)
        assert loss == pytest.approx(cross_entropy_error(softmax(x), t), rel=1e-14)


# -- dtype, inputs and grads ----------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_float32_stays_float32(case, rng):
    tensors = [Tensor(x) for x in inputs_for(case, rng, np.float32)]
    out = CASES[case][0](*tensors)
    out.backward(np.ones(out.shape, np.float32))
    assert out.dtype == np.float32, case
    assert [t.grad.dtype for t in tensors] == [np.float32] * len(tensors), case


def test_a_constant_takes_the_tensors_dtype():
    x = Tensor(np.ones(3, np.float32))
    y = (2.0 * x + np.ones(3) - np.float64(0.5)) @ np.arange(3)  # float64 and int constants
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("case", CASES)
def test_no_operation_or_backward_writes_into_its_inputs(case, rng):
    xs = inputs_for(case, rng)
    before = [x.copy() for x in xs]
    c_before = C.copy()
    tensors = [Tensor(x) for x in xs]
    out = CASES[case][0](*tensors)
    seed = rng.standard_normal(out.shape)
    seed_before = seed.copy()
    out.backward(seed)
    out.backward(seed)
    for x, x0 in zip([*xs, C, seed], [*before, c_before, seed_before], strict=True):
        np.testing.assert_array_equal(x, x0, err_msg=case)
    assert all(t.data is x for t, x in zip(tensors, xs, strict=True))  # kept, not copied
    grads = [out.grad, *(t.grad for t in tensors)]
    assert not any(np.shares_memory(g, a) for g in grads for a in [*xs, seed]), case
    for i, g in enumerate(grads):  # each tensor's grad is its own array
        assert not any(np.shares_memory(g, h) for h in grads[i + 1 :]), case


def test_constants_get_no_gradient(rng):
    x, W = rng.standard_normal((2, 3)), Tensor(rng.standard_normal((3, 4)))
    data = Tensor(x, requires_grad=False)
    for y in (x @ W, data @ W):
        y.sum().backward()
        np.testing.assert_allclose(W.grad, np.tile(x.sum(axis=0)[:, None], (1, 4)))
    assert data.grad is None
    constant = data * 2 + 1
    assert not constant.requires_grad and constant.parents == () and constant.grad_fn is None
    assert repr(Tensor(1.0, requires_grad=False)) == "Tensor(array(1.), requires_grad=False)"


# -- backward: afresh, deep graphs ----------------------------------------------------------


def test_backward_twice_gives_the_same_gradients(rng):
    x, W = Tensor(rng.standard_normal((4, 3))), Tensor(rng.standard_normal((3, 2)))
    loss = cross_entropy(x @ W, [0, 1, 1, 0])
    loss.backward()
    first = [x.grad.copy(), W.grad.copy()]
    loss.backward()
    np.testing.assert_array_equal(x.grad, first[0])  # not doubled: each call starts afresh
    np.testing.assert_array_equal(W.grad, first[1])


def test_each_backward_computes_its_own_graphs_gradients():
    x = Tensor(np.array([1.0, 2.0]))
    (2 * x).sum().backward()
    (3 * x).sum().backward()  # PyTorch would add this to the 2 of the first call: 5
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_a_chain_of_ten_thousand_operations_does_not_recurse():
    assert sys.getrecursionlimit() < 10_000  # a recursive walk would raise RecursionError
    x = Tensor(np.array(0.5))
    y = x
    for _ in range(3_000):
        y = (y * 2.0).exp().log() * 0.5  # y again, in 4 operations: 12,000 in all
    y.backward()
    assert float(x.grad) == pytest.approx(1.0)


def test_a_long_chain_gets_the_chain_rules_product():
    x = Tensor(np.array(2.0))
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert float(x.grad) == pytest.approx(1.0001**10_000, rel=1e-9)


# -- clear errors, nothing changed ----------------------------------------------------------


def _computed(rng):
    """A graph with gradients already set, to check that a failed call changes nothing."""
    x = Tensor(rng.standard_normal((2, 3)))
    y = x.exp() * 2
    y.sum().backward()
    return x, y


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda x, y: y.backward(), ValueError, r"needs grad= for a tensor of shape \(2, 3\)"),
        (lambda x, y: y.backward(np.ones(3)), ValueError, r"shape \(2, 3\), got \(3,\)"),
        (lambda x, y: y.backward(np.ones((3, 2))), ValueError, r"\(2, 3\), got \(3, 2\)"),
        (lambda x, y: y.backward(np.full((2, 3), 1j)), TypeError, "real numbers"),
        (lambda x, y: x @ Tensor(np.ones((2, 4))), ValueError, r"shapes \(2, 3\) and \(2, 4\)"),
        (lambda x, y: x @ np.ones((1, 3, 2)), ValueError, r"\(2, 3\) and \(1, 3, 2\)"),
        (lambda x, y: x @ 2.0, ValueError, r"shapes \(2, 3\) and \(\)"),
        (lambda x, y: x.reshape(4, 2), ValueError, r"shape \(2, 3\) \(6 values\) into \(4, 2\)"),
        (lambda x, y: x + "a", TypeError, "cannot use str 'a'"),
        (lambda x, y: x * None, TypeError, "cannot use NoneType"),
        (lambda x, y: x + np.ones(4), ValueError, r"\(2,3\) \(4,\)"),
        (lambda x, y: x.sum(axis=2), ValueError, "axis 2"),
        (lambda x, y: Tensor(np.ones((0, 3))).mean(axis=0), ValueError, "mean over no values"),
        (lambda x, y: cross_entropy(x.sum(axis=0), [0]), ValueError, r"\(N, C\), got \(3,\)"),
        (lambda x, y: cross_entropy(x, [0, 3]), ValueError, "label 3 is out of range"),
        (lambda x, y: cross_entropy(x, [0]), ValueError, r"labels of shape \(2,\)"),
    ],
)
def test_a_failed_call_raises_clearly_and_changes_nothing(call, error, match, rng):
    x, y = _computed(rng)
    before = [snapshot(x), snapshot(y)]
    with pytest.raises(error, match=match):
        call(x, y)
    assert_unchanged(x, before[0])
    assert_unchanged(y, before[1])


@pytest.mark.parametrize(
    "data", [np.array([1, 2]), 3, True, np.array([True]), np.array([1.0, None]), "1.0"]
)
def test_data_that_is_not_floating_point_is_refused(data):
    with pytest.raises(TypeError, match=r"needs floating-point data, got dtype .*: pass floats"):
        Tensor(data)
