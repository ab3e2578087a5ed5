"""Layers: each one a `forward` and a `backward` side by side, as in the book.

`forward` caches only what `backward` needs. `backward(dout)` takes the upstream gradient
and returns the gradient for the layer's input as a new array: it never writes into `dout`.
`nn` keeps the book's formulas and adds gradients shaped like the inputs (`unbroadcast`), a
few numerically safer forms (a sigmoid that cannot overflow, the loss through `log_softmax`)
and clear errors for mistakes: the helpers of `Layer` and `LossLayer` below, which each method
calls in one line.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from nn._checks import as_float, check_finite, labels_from
from nn.functions import binary_cross_entropy_with_logits, log_softmax, sigmoid


# --8<-- [start:layer]
class Layer:
    """The base of every layer: its parameters by name, and the checks `nn` adds to the book.

    A layer's `forward` and `backward` hold the book's formulas and cache; each check is one
    line at the start or the end of one of them:

    - `x = self.check_input(x)` turns the input into a float array, keeping a float dtype;
    - `return self.record_output(out)` remembers the output's shape and dtype;
    - `dout = self.check_dout(dout)` raises a clear `ValueError` if `forward` never ran or
      `dout` does not have the output's shape, and gives an integer `dout` the output's dtype.

    Each raises before the layer changes anything, so a failed call leaves the layer as it was.
    """

    param_names: tuple[str, ...] = ()  # e.g. ("W", "b"): arrays self.W, self.b; grads self.dW, ...
    buffer_names: tuple[str, ...] = ()  # arrays saved with the parameters but not trained
    uses_train_flg = False  # True: forward(x, train_flg) differs in training and evaluation
    _out_shape: tuple[int, ...] | None = None  # set by record_output: forward has run
    _out_dtype: np.dtype | None = None

    @property
    def params(self) -> dict[str, NDArray]:
        """The layer's parameter arrays by name (`{"W": ..., "b": ...}`), empty for none."""
        return {name: getattr(self, name) for name in self.param_names}

    @property
    def grads(self) -> dict[str, NDArray | None]:
        """The gradients of the last `backward`, under the same names as `params`."""
        return {name: getattr(self, "d" + name) for name in self.param_names}

    def forward(self, *inputs):
        """Compute the output from the inputs and cache what `backward` needs."""
        raise NotImplementedError

    def backward(self, dout):
        """Return the gradients for the inputs, given `dout`, the gradient for the output."""
        raise NotImplementedError

    def check_input(
        self,
        x: ArrayLike,
        *,
        features: int | None = None,
        dtype: DTypeLike | None = None,
        finite: bool = False,
    ) -> NDArray:
        """`x` as a float array: `dtype` if given, else its own float dtype, else float64.

        With `features`, `x` must be `(N, features)` or `(N, ...)` with that many values per
        sample and N >= 1, e.g. images `(N, 1, 28, 28)` for 784 features. With `finite`, NaN
        and infinity are refused too (a layer whose state would keep them: batch norm).
        """
        x = as_float(x)  # refuses text and complex numbers, keeps a float dtype
        if dtype is not None:
            x = x.astype(dtype, copy=False)
        name = type(self).__name__
        if features is not None and (x.ndim < 2 or math.prod(x.shape[1:]) != features):
            raise ValueError(
                f"{name} expects x of shape (N, {features}) or (N, ...) with "
                f"{features} values per sample, got x of shape {x.shape}"
            )
        if features is not None and x.shape[0] == 0:  # no batch to normalize or reshape
            raise ValueError(f"{name} needs at least one sample, got x of shape {x.shape}")
        if finite:
            check_finite(x, "x")  # after the cast: a float64 too large for float32 is inf
        return x

    def record_output(self, out: Any) -> Any:
        """Remember the shape (and float dtype) of `forward`'s output; return it unchanged."""
        self._out_shape = np.shape(out)
        is_float = isinstance(out, np.ndarray) and out.dtype.kind == "f"
        self._out_dtype = out.dtype if is_float else None
        return out

    def check_dout(self, dout: Any) -> Any:
        """`dout`, checked against the last output; an array becomes the output's float dtype."""
        name = type(self).__name__
        if self._out_shape is None:
            raise ValueError(f"{name}.backward called before forward")
        if np.shape(dout) != self._out_shape:
            raise ValueError(
                f"{name}.backward: dout must have the forward output's shape "
                f"{self._out_shape}, got {np.shape(dout)}"
            )
        if self._out_dtype is None:
            return dout
        return as_float(dout).astype(self._out_dtype, copy=False)  # complex or text: TypeError

    def check_params(
        self, W: ArrayLike, b: ArrayLike, *, ndim: int, out_axis: int, names: tuple = ("W", "b")
    ) -> tuple[NDArray, NDArray]:
        """`W` and `b` as arrays of one float dtype, `b` with one entry per output unit."""
        W, b = np.asarray(W), np.asarray(b)
        (w, v), name = names, type(self).__name__
        if W.ndim != ndim or b.shape != (W.shape[out_axis],):
            raise ValueError(
                f"{name} needs {w} with {ndim} axes and {v} of shape ({w}.shape[{out_axis}],), "
                f"got {w} {W.shape} and {v} {b.shape}"
            )
        if W.dtype.kind != "f" or b.dtype != W.dtype:
            raise TypeError(f"{w} and {v} must share one float dtype, got {W.dtype} and {b.dtype}")
        return W, b


# --8<-- [end:layer]


class Setting:
    """A layer's number, checked whenever it is set: `momentum = Setting(0, 1)` in the class.

    The value must be a real number (not a bool) in `[low, high]`, or `(low, high)` at a side
    marked open; otherwise `TypeError` or `ValueError` names the layer, the setting and the
    value. NaN is never in range. The value is kept as a Python float in the instance.
    """

    def __init__(
        self, low: float, high: float, *, open_low: bool = False, open_high: bool = False
    ) -> None:
        self.low, self.high, self.open_low, self.open_high = low, high, open_low, open_high

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, layer: object, owner: type | None = None) -> Any:
        return self if layer is None else layer.__dict__[self.name]

    def __set__(self, layer: object, value: object) -> None:
        where = f"{type(layer).__name__} {self.name}"
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(
                f"{where} must be a real number, got {value!r} ({type(value).__name__})"
            )
        value = float(value)
        above = self.low < value if self.open_low else self.low <= value
        below = value < self.high if self.open_high else value <= self.high
        if not (above and below):
            span = "(["[not self.open_low] + f"{self.low}, {self.high}" + ")]"[not self.open_high]
            raise ValueError(f"{where} must be in {span}, got {value!r}")
        layer.__dict__[self.name] = value


# --8<-- [start:unbroadcast]
def unbroadcast(grad: ArrayLike, shape: tuple[int, ...]) -> ArrayLike:
    """Sum `grad` over the axes that broadcasting added or stretched, back to `shape`.

    Examples:
        >>> unbroadcast(np.ones((2, 3)), (3,))
        array([2., 2., 2.])
    """
    if np.shape(grad) == shape:
        return grad
    summed = np.sum(grad, axis=tuple(range(np.ndim(grad) - len(shape))))  # the added axes
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and summed.shape[i] != 1)
    return np.sum(summed, axis=stretched, keepdims=True) if stretched else summed


# --8<-- [end:unbroadcast]


# --8<-- [start:mul_layer]
class MulLayer(Layer):
    """Multiplication node `out = x * y`, for scalars or arrays."""

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        """Return `x * y`; cache `x` and `y`: each input's gradient is the other input."""
        out = x * y  # first: if x and y do not broadcast, the layer is left as it was
        self.x, self.y = x, y
        return self.record_output(out)

    def backward(self, dout):
        """Return the tuple `(dx, dy)` = `(dout * y, dout * x)`, each in its input's shape."""
        dout = self.check_dout(dout)
        dx = dout * self.y  # d(xy)/dx = y: the inputs swap
        dy = dout * self.x
        return unbroadcast(dx, np.shape(self.x)), unbroadcast(dy, np.shape(self.y))


# --8<-- [end:mul_layer]


# --8<-- [start:add_layer]
class AddLayer(Layer):
    """Addition node `out = x + y`: the gradient passes to both inputs unchanged."""

    def forward(self, x, y):
        """Return `x + y`; cache only the shapes of `x` and `y`, for `unbroadcast`."""
        out = x + y
        self.x_shape, self.y_shape = np.shape(x), np.shape(y)  # no values: only shapes
        return self.record_output(out)

    def backward(self, dout):
        """Return the tuple `(dx, dy)`: two copies of `dout`, each in its input's shape."""
        dout = self.check_dout(dout)
        # `dout * 1`: each input gets its own copy, so editing one never changes the other
        return unbroadcast(dout * 1, self.x_shape), unbroadcast(dout * 1, self.y_shape)


# --8<-- [end:add_layer]


# --8<-- [start:relu]
class Relu(Layer):
    """ReLU `out = max(x, 0)`; the gradient at exactly 0 is 0 (the mask is `x > 0`)."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        """Return `max(x, 0)`; cache `mask = x > 0`, where the gradient will flow."""
        x = self.check_input(x)
        self.mask = x > 0  # the gradient flows back only where the input was positive
        return self.record_output(np.maximum(x, 0))

    def backward(self, dout):
        """Return `dout` where `mask` is True and 0 elsewhere, as a new array."""
        dout = self.check_dout(dout)
        return np.where(self.mask, dout, 0)  # a new array: the caller's dout is left alone


# --8<-- [end:relu]


# --8<-- [start:sigmoid]
class Sigmoid(Layer):
    """Sigmoid `out = 1 / (1 + exp(-x))`; backward needs only the output."""

    def __init__(self):
        self.out = None

    def forward(self, x):
        """Return `sigmoid(x)`; cache it as `out`, all that `backward` needs."""
        self.out = sigmoid(self.check_input(x))  # split by sign: it never overflows
        return self.record_output(self.out)

    def backward(self, dout):
        """Return `dout * (1 - out) * out`, from the cached output `out`."""
        dout = self.check_dout(dout)
        return dout * (1.0 - self.out) * self.out


# --8<-- [end:sigmoid]


# --8<-- [start:affine]
class Affine(Layer):
    """Fully connected layer `out = x @ W + b`, with W `(in, out)` and b `(out,)`."""

    param_names = ("W", "b")

    def __init__(self, W, b, *, input_grad=True):
        self.W, self.b = self.check_params(W, b, ndim=2, out_axis=1)
        self.input_grad = input_grad  # False in a first layer: the data needs no gradient
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        """Return `x @ W + b`, `(N, out)`; cache `x` as rows `(N, in)` and its original shape."""
        x = self.check_input(x, features=self.W.shape[0], dtype=self.W.dtype)
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)  # images (N, 1, 28, 28) become rows (N, 784)
        return self.record_output(self.x @ self.W + self.b)

    def backward(self, dout):
        """Store `dW`, `db`; return `dx` in `x`'s original shape, or None if not `input_grad`."""
        dout = self.check_dout(dout)
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)  # b was added to every row: its gradient sums them
        if not self.input_grad:
            return None
        dx = dout @ self.W.T
        return dx.reshape(self.original_x_shape)


# --8<-- [end:affine]


# --8<-- [start:loss_layer]
class LossLayer(Layer):
    """A last layer: `forward(x, t)` returns the mean loss, `backward(dout=1.0)` its gradient."""

    def check_scores(self, x: ArrayLike) -> NDArray:
        """Scores `(N, C)` as a float array, with N > 0 and every value finite."""
        x = self.check_input(x)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"{type(self).__name__} expects scores of shape (N, C), got {x.shape}")
        check_finite(x, "scores")  # NaN in the data, or weights that diverged
        return x

    def check_labels(self, t: ArrayLike, x: NDArray) -> NDArray:
        """Integer labels `(N,)` from labels `(N,)` or one-hot rows `(N, C)` for scores `x`."""
        return labels_from(t, x.shape)

    def check_targets(
        self, t: ArrayLike, x: NDArray, *, low: float = -np.inf, high: float = np.inf
    ) -> NDArray:
        """Targets of `x`'s shape and dtype, finite and in `[low, high]`.

        `(N,)` targets for `(N, 1)` outputs are reshaped, never broadcast to `(N, N)`.
        """
        t = np.asarray(t)
        if t.shape == x.shape[:1] and x.shape[1:] == (1,):
            t = t.reshape(x.shape)
        if t.shape != x.shape:
            raise ValueError(
                f"{type(self).__name__}: t must have the shape of x {x.shape}, got {t.shape} "
                "((N,) targets are accepted for (N, 1) outputs)"
            )
        t = t.astype(x.dtype, copy=False)
        check_finite(t, "t")
        if np.any((t < low) | (t > high)):
            bad = t[(t < low) | (t > high)][0]
            name = type(self).__name__
            raise ValueError(f"{name} targets must lie in [{low}, {high}], got {bad}")
        return t


# --8<-- [end:loss_layer]


# --8<-- [start:softmax_with_loss]
class SoftmaxWithLoss(LossLayer):
    """Softmax, then the mean cross-entropy error; `t` is labels `(N,)` or one-hot `(N, C)`."""

    def __init__(self):
        self.loss = None
        self.y = None  # softmax output
        self.t = None  # labels (N,)

    def forward(self, x, t):
        """Return the mean loss as a Python float; cache the softmax `y` and the labels `t`."""
        x = self.check_scores(x)
        self.t = self.check_labels(t, x)
        log_y = log_softmax(x)  # the row max subtracted: no log of a rounded-off 0
        self.y = np.exp(log_y)  # softmax(x)
        self.loss = float(-log_y[np.arange(len(x)), self.t].mean())
        return self.record_output(self.loss)

    def backward(self, dout=1.0):
        """Return `(y - onehot(t)) * dout / N`, the gradient for the scores `x`, `(N, C)`."""
        dout = self.check_dout(dout)
        dx = self.y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1  # y - onehot(t)
        return dx * (dout / len(self.t))  # the loss is a mean over the batch

    def classify(self, scores):
        """The predicted class of each row: its largest score."""
        return np.argmax(scores, axis=1)


# --8<-- [end:softmax_with_loss]


# --8<-- [start:sigmoid_with_loss]
class SigmoidWithLoss(LossLayer):
    """Sigmoid, then binary cross-entropy, for one-unit (or multi-label) 0/1 outputs.

    Examples:
        >>> layer = SigmoidWithLoss()
        >>> round(layer.forward(np.zeros((1, 1)), [1]), 4), layer.backward()
        (0.6931, array([[-0.5]]))
    """

    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        """Return the mean loss as a Python float; cache `y = sigmoid(x)` and the targets `t`."""
        x = self.check_scores(x)
        self.t = self.check_targets(t, x, low=0, high=1)
        self.y = sigmoid(x)
        self.loss = binary_cross_entropy_with_logits(x, self.t)  # from the scores: no overflow
        return self.record_output(self.loss)

    def backward(self, dout=1.0):
        """Return `(y - t) * dout / y.size`, the gradient for the scores `x`."""
        dout = self.check_dout(dout)
        return (self.y - self.t) * (dout / self.y.size)  # a mean over all N x K outputs

    def classify(self, scores):
        """The predicted 0/1 of each row: score > 0, i.e. probability > 0.5."""
        return (scores[:, 0] > 0).astype(np.intp)


# --8<-- [end:sigmoid_with_loss]


# --8<-- [start:mse_loss]
class MSELoss(LossLayer):
    """Mean squared error `mean((y - t) ** 2)` for regression; the output layer is the identity.

    Examples:
        >>> layer = MSELoss()
        >>> layer.forward(np.array([[1.0, 3.0]]), [[0.0, 0.0]]), layer.backward()
        (5.0, array([[1., 3.]]))
    """

    def __init__(self):
        self.loss = None
        self.diff = None

    def forward(self, y, t):
        """Return `mean((y - t) ** 2)` as a Python float; cache `diff = y - t`."""
        y = self.check_scores(y)
        self.diff = y - self.check_targets(t, y)
        self.loss = float(np.mean(self.diff**2))
        return self.record_output(self.loss)

    def backward(self, dout=1.0):
        """Return `2 * diff * dout / diff.size`, the gradient for the outputs `y`."""
        dout = self.check_dout(dout)
        return self.diff * (2.0 * dout / self.diff.size)


# --8<-- [end:mse_loss]
