"""Layers: each one a `forward` and a `backward` side by side.

`forward` caches only what `backward` needs. `backward(dout)` takes the upstream gradient
and returns the gradient for the layer's input as a new array: it never writes into `dout`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn.functions import (
    as_float,
    binary_cross_entropy_with_logits,
    check_finite,
    labels_from,
    sigmoid,
)


class Layer:
    """What every layer shares: named parameters and a clear error for `backward` too early."""

    params: dict[str, NDArray] = {}  # noqa: RUF012 (read-only default: layers without weights)

    @property
    def grads(self) -> dict[str, NDArray | None]:
        """Gradients under the same names as `params`."""
        return {}

    def _cache(self, value, dout=None, shape=None):
        """Return a value cached by `forward`, checking that `forward` ran and `dout` fits."""
        if value is None:
            raise ValueError(f"{type(self).__name__}.backward called before forward")
        if dout is not None and np.shape(dout) != shape:
            raise ValueError(
                f"{type(self).__name__}.backward: dout must have the forward output's shape "
                f"{shape}, got {np.shape(dout)}"
            )
        return value


# --8<-- [start:unbroadcast]
def _unbroadcast(grad, shape: tuple[int, ...]):
    """Sum `grad` over the axes that broadcasting added or stretched, back to `shape`."""
    if np.shape(grad) == shape:
        return grad
    grad = np.sum(grad, axis=tuple(range(np.ndim(grad) - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return np.sum(grad, axis=stretched, keepdims=True) if stretched else grad


# --8<-- [end:unbroadcast]


# --8<-- [start:mul_layer]
class MulLayer(Layer):
    """Multiplication node `out = x * y`; scalars or arrays.

    Examples:
        >>> mul = MulLayer()
        >>> mul.forward(100, 2)
        200
        >>> mul.backward(1)
        (2, 100)
    """

    def __init__(self) -> None:
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        x, y = self._cache(self.x), self.y
        dx = dout * y  # d(xy)/dx = y: the inputs swap
        dy = dout * x
        return _unbroadcast(dx, np.shape(x)), _unbroadcast(dy, np.shape(y))


# --8<-- [end:mul_layer]


# --8<-- [start:add_layer]
class AddLayer(Layer):
    """Addition node `out = x + y`; scalars or arrays.

    Examples:
        >>> add = AddLayer()
        >>> add.forward(200, 450)
        650
        >>> add.backward(1.1)
        (1.1, 1.1)
    """

    def __init__(self) -> None:
        self.shapes = None

    def forward(self, x, y):
        self.shapes = (np.shape(x), np.shape(y))
        return x + y

    def backward(self, dout):
        x_shape, y_shape = self._cache(self.shapes)
        # d(x + y)/dx = d(x + y)/dy = 1: the upstream gradient passes through unchanged.
        # `dout * 1` gives each input its own copy: editing one never changes the other.
        return _unbroadcast(dout * 1, x_shape), _unbroadcast(dout * 1, y_shape)


# --8<-- [end:add_layer]


# --8<-- [start:relu]
class Relu(Layer):
    """ReLU layer `out = max(x, 0)`.

    The gradient at exactly `x = 0` is defined as 0 (the mask is `x > 0`).

    Examples:
        >>> relu = Relu()
        >>> relu.forward(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
        >>> relu.backward(np.array([5.0, 5.0, 5.0]))
        array([0., 0., 5.])
    """

    def __init__(self) -> None:
        self.mask = None

    def forward(self, x: ArrayLike) -> NDArray:
        x = as_float(x)
        self.mask = x > 0  # only where the input was positive does the gradient flow back
        return np.maximum(x, 0.0)

    def backward(self, dout: NDArray) -> NDArray:
        mask = self._cache(self.mask, dout, getattr(self.mask, "shape", None))
        dx = as_float(dout) * mask  # a new float array: the caller's dout is left alone
        dx += 0.0  # where dout < 0 the product is -0.0; adding +0.0 makes every zero print as 0.
        return dx


# --8<-- [end:relu]


# --8<-- [start:sigmoid]
class Sigmoid(Layer):
    """Sigmoid layer `out = 1 / (1 + exp(-x))`, whose backward is `dout * out * (1 - out)`.

    Examples:
        >>> sig = Sigmoid()
        >>> sig.forward(np.array([0.0]))
        array([0.5])
        >>> sig.backward(np.array([1.0]))
        array([0.25])
    """

    def __init__(self) -> None:
        self.out = None

    def forward(self, x: ArrayLike) -> NDArray:
        self.out = sigmoid(x)  # stored: backward needs only the output
        return self.out

    def backward(self, dout: NDArray) -> NDArray:
        y = self._cache(self.out, dout, getattr(self.out, "shape", None))
        return dout * (1.0 - y) * y


# --8<-- [end:sigmoid]


# --8<-- [start:affine]
class Affine(Layer):
    """Fully connected layer `out = x @ W + b`.

    Args:
        W: weights `(in_features, out_features)`, used as is (not copied).
        b: bias `(out_features,)`, same dtype as `W`.
        input_grad: compute `dx` in `backward`; a network's first layer sets it to False,
            because nobody needs the gradient of the data, and saves a matrix product.

    Examples:
        >>> layer = Affine(np.ones((3, 2)), np.zeros(2))
        >>> layer.forward(np.ones((4, 3))).shape
        (4, 2)
    """

    def __init__(self, W: NDArray, b: NDArray, *, input_grad: bool = True) -> None:
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"W must be (in, out) and b (out,), got W {W.shape} and b {b.shape}")
        if not np.issubdtype(W.dtype, np.floating) or b.dtype != W.dtype:
            raise TypeError(f"W and b must share one float dtype, got {W.dtype} and {b.dtype}")
        self.W, self.b = W, b
        self.input_grad = input_grad
        self.x = None
        self.x_shape = None
        self.dW = None
        self.db = None

    @property
    def params(self) -> dict[str, NDArray]:
        return {"W": self.W, "b": self.b}

    @property
    def grads(self) -> dict[str, NDArray | None]:
        return {"W": self.dW, "b": self.db}

    def forward(self, x: ArrayLike) -> NDArray:
        x = np.asarray(x)
        n_in = self.W.shape[0]
        if x.ndim < 2 or math.prod(x.shape[1:]) != n_in:
            raise ValueError(
                f"Affine expects x of shape (N, {n_in}) or (N, ...) with {n_in} values per "
                f"sample to match W of shape {self.W.shape}, got x of shape {x.shape}"
            )
        self.x_shape = x.shape  # images (N, 1, 28, 28) are flattened to (N, 784)
        self.x = x.reshape(x.shape[0], n_in).astype(self.W.dtype, copy=False)
        out = self.x @ self.W
        out += self.b  # in place: one temporary fewer
        return out

    def backward(self, dout: NDArray) -> NDArray | None:
        out_shape = None if self.x is None else (len(self.x), self.W.shape[1])
        x = self._cache(self.x, dout, out_shape)
        self.dW = x.T @ dout
        self.db = dout.sum(axis=0)  # b was added to every row, so its gradient sums them
        if not self.input_grad:
            return None
        return (dout @ self.W.T).reshape(self.x_shape)


# --8<-- [end:affine]


class _LossLayer(Layer):
    """A last layer: `forward(x, t)` returns the mean loss, `backward(dout=1)` its gradient."""

    def _scores(self, x: ArrayLike) -> NDArray:
        x = as_float(x)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"{type(self).__name__} expects scores of shape (N, C), got {x.shape}")
        check_finite(x, "x")
        return x


# --8<-- [start:softmax_with_loss]
class SoftmaxWithLoss(_LossLayer):
    """Softmax followed by the mean cross-entropy error, for classification into C classes.

    `t` may be integer labels `(N,)` or one-hot rows `(N, C)`.
    `backward(dout=1)` returns `dout * (softmax(x) - onehot(t)) / N`.

    Examples:
        >>> layer = SoftmaxWithLoss()
        >>> round(layer.forward(np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([0, 1])), 4)
        0.1269
    """

    def __init__(self) -> None:
        self.y = None  # softmax output
        self.t = None  # labels (N,)
        self.loss = None

    def forward(self, x: ArrayLike, t: ArrayLike) -> float:
        x = self._scores(x)
        self.t = labels_from(t, x.shape)
        shifted = x - x.max(axis=1, keepdims=True)  # stable: exp() of values <= 0
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        self.y = np.divide(e, total, out=e)  # reuse e's memory: it is not needed again
        # -log softmax(x)[t] = log(sum exp) - shifted[t]: no log of a 0 probability.
        picked = shifted[np.arange(len(self.t)), self.t]
        self.loss = float((np.log(total[:, 0]) - picked).sum()) / len(self.t)
        return self.loss

    def backward(self, dout: float = 1.0) -> NDArray:
        y = self._cache(self.y)
        dx = y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1  # y - onehot(t)
        dx *= dout / len(self.t)  # the loss is a mean over the batch
        return dx

    @staticmethod
    def classify(scores: NDArray) -> NDArray:
        """Predicted class per row: the largest score."""
        return np.argmax(scores, axis=1)


# --8<-- [end:softmax_with_loss]


# --8<-- [start:targets_like]
def _targets_like(t: ArrayLike, x: NDArray, name: str) -> NDArray:
    """`t` with `x`'s shape; `(N,)` targets for `(N, 1)` outputs are reshaped, never broadcast."""
    t = np.asarray(t)
    if t.shape == x.shape[:1] and x.shape[1:] == (1,):
        t = t.reshape(x.shape)
    if t.shape != x.shape:
        raise ValueError(
            f"{name}: t must have the shape of x {x.shape}, got {t.shape} "
            "((N,) targets are accepted for (N, 1) outputs)"
        )
    t = t.astype(x.dtype, copy=False)
    check_finite(t, "t")
    return t


# --8<-- [end:targets_like]


# --8<-- [start:sigmoid_with_loss]
class SigmoidWithLoss(_LossLayer):
    """Sigmoid followed by binary cross-entropy, for one-unit (or multi-label) 0/1 outputs.

    The loss is computed from the scores as `max(x, 0) - x t + log(1 + exp(-|x|))`, which
    never overflows; `backward(dout=1)` returns `dout * (sigmoid(x) - t) / x.size`.

    Examples:
        >>> layer = SigmoidWithLoss()
        >>> round(layer.forward(np.array([[0.0]]), np.array([1])), 4)
        0.6931
    """

    def __init__(self) -> None:
        self.y = None
        self.t = None
        self.loss = None

    def forward(self, x: ArrayLike, t: ArrayLike) -> float:
        x = self._scores(x)
        t = _targets_like(t, x, "SigmoidWithLoss")
        if np.any((t < 0) | (t > 1)):
            raise ValueError(
                f"SigmoidWithLoss targets must lie in [0, 1], got {t[(t < 0) | (t > 1)][0]}"
            )
        self.t = t
        self.y = sigmoid(x)
        self.loss = binary_cross_entropy_with_logits(x, t)
        return self.loss

    def backward(self, dout: float = 1.0) -> NDArray:
        y = self._cache(self.y)
        return (y - self.t) * (dout / y.size)

    @staticmethod
    def classify(scores: NDArray) -> NDArray:
        """Predicted 0/1 per row for a one-unit output: score > 0, i.e. probability > 0.5."""
        return (scores[:, 0] > 0).astype(np.intp)


# --8<-- [end:sigmoid_with_loss]


# --8<-- [start:mse_loss]
class MSELoss(_LossLayer):
    """Mean squared error `mean((y - t) ** 2)` for regression; the output layer is the identity.

    `backward(dout=1)` returns `dout * 2 (y - t) / y.size`.

    Examples:
        >>> layer = MSELoss()
        >>> layer.forward(np.array([[1.0], [3.0]]), np.array([1.0, 1.0]))
        2.0
    """

    def __init__(self) -> None:
        self.diff = None
        self.loss = None

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        y = self._scores(y)
        self.diff = y - _targets_like(t, y, "MSELoss")
        self.loss = float(np.mean(self.diff**2))
        return self.loss

    def backward(self, dout: float = 1.0) -> NDArray:
        diff = self._cache(self.diff)
        return diff * (2.0 * dout / diff.size)


# --8<-- [end:mse_loss]
