"""Reverse-mode automatic differentiation for NumPy arrays: the layers' backward, found for you.

A `Tensor` holds an array `data`, and, once `backward` has run, its gradient `grad`. Each
operation on tensors returns a new tensor that remembers its inputs (`parents`) and a closure
`grad_fn`: given `dout`, the gradient of the result, it returns one gradient per input, as a
layer's `backward` does. Each operation below is its forward and that closure side by side.

`backward()` visits every tensor the result was computed from, outputs before inputs, and
hands each input the gradients its consumers send; a tensor used twice gets their sum. The
walk is a loop, not a recursion, so a graph of any depth works. Each call computes the
gradients of its graph afresh; there is no global graph and no global switch.

Numbers and arrays mixed with tensors (`2 * x`, `x @ W` for an array `x`) become constants of
the tensor's dtype: they get no gradient, and `@` does not compute one for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn import functions
from nn._checks import as_float, labels_from
from nn.layers import unbroadcast

GradFn = Callable[[Any], tuple[Any, ...]]  # dout -> one gradient per parent (None: unused)


class Tensor:
    """An array that records the operations on it, so `backward()` can find every gradient.

    Args:
        data: floating-point numbers, any shape; an array is kept, not copied.
        requires_grad: False for a constant: it gets no gradient, nor does a result of
            constants only. True by default (in PyTorch, False).

    Raises:
        TypeError: `data` is not floating-point (integers, bools, objects).

    Examples:
        >>> x = Tensor([1.0, 2.0, 3.0])
        >>> y = (x * x).sum()  # x is used twice: its gradient is the sum of both uses
        >>> y.backward()
        >>> x.grad
        array([2., 4., 6.])
    """

    __array_ufunc__ = None  # `array * tensor` calls Tensor.__rmul__, not NumPy's elementwise loop

    # --8<-- [start:tensor]
    def __init__(self, data: ArrayLike, requires_grad: bool = True) -> None:
        self.data = np.asarray(data)
        if self.data.dtype.kind != "f":  # a gradient of integers would be rounded away
            raise TypeError(
                f"Tensor needs floating-point data, got dtype {self.data.dtype}: pass floats, "
                "e.g. Tensor([1.0, 2.0]) or Tensor(x.astype(np.float64))"
            )
        self.grad: NDArray | None = None  # set by backward()
        self.requires_grad = requires_grad
        self.parents: tuple[Tensor, ...] = ()  # the tensors this one was computed from
        self.grad_fn: GradFn | None = None  # dout -> the gradient of each parent, in order

    @staticmethod
    def from_op(data: ArrayLike, parents: tuple[Tensor, ...], grad_fn: GradFn) -> Tensor:
        """The result `data` of an operation on `parents`, whose `grad_fn` backward will call."""
        out = Tensor(data, requires_grad=any(p.requires_grad for p in parents))
        if out.requires_grad:  # a result of constants is a constant: there is no way back
            out.parents, out.grad_fn = parents, grad_fn
        return out

    def add_grad(self, grad: ArrayLike) -> None:
        """Add one consumer's gradient to `self.grad`: a tensor used twice gets the sum."""
        if self.grad is None:  # the first: copied, in our dtype, so no two tensors share one
            self.grad = np.array(grad, dtype=self.data.dtype)
        else:
            self.grad += grad  # `+=`, never `=`: that would drop the other uses' gradients

    def backward(self, grad: ArrayLike | None = None) -> None:
        """Set `.grad` of this tensor and of every tensor it was computed from.

        Each call starts afresh: it replaces the gradients of this graph's tensors, so calling
        it twice gives the same gradients. PyTorch instead adds each backward's gradients to
        `.grad` until `zero_grad()`, and keeps them on its inputs (leaves) only.

        Args:
            grad: the gradient of this tensor, its shape; None: 1, for a scalar (a loss).

        Raises:
            ValueError: no `grad` for a tensor that is not a scalar, or `grad` of another shape.
        """
        seed = self._seed(grad)  # checked before any .grad changes
        order = self._inputs_first()
        for node in order:  # afresh: no gradient of an earlier backward() is added to
            node.grad = None
        self.add_grad(seed)
        for node in reversed(order):  # a node's grad is complete once all its consumers ran
            if node.grad_fn is None:  # an input: nothing to pass on
                continue
            for parent, grad_of_parent in zip(node.parents, node.grad_fn(node.grad), strict=True):
                if parent.requires_grad:
                    parent.add_grad(grad_of_parent)

    def _inputs_first(self) -> list[Tensor]:
        """Every tensor needing a gradient that this one comes from, each after its parents.

        A depth-first walk with a stack of its own instead of recursion: a chain of 10,000
        operations would pass Python's recursion limit of 1,000.
        """
        order: list[Tensor] = []
        seen = {self}
        stack = [(self, iter(self.parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent.requires_grad and parent not in seen:
                    seen.add(parent)
                    stack.append((parent, iter(parent.parents)))
                    break  # walk down to it; come back to node's other parents later
            else:  # every parent of node is in order: node can follow
                stack.pop()
                order.append(node)
        return order

    # --8<-- [end:tensor]

    def _seed(self, grad: ArrayLike | None) -> NDArray:
        """The gradient `backward` starts from: `grad` checked against this tensor, or 1."""
        if grad is None:
            if self.data.ndim:
                raise ValueError(
                    f"backward() needs grad= for a tensor of shape {self.shape}: only a "
                    "scalar (a loss) has the gradient 1; call .sum() first, or pass grad"
                )
            return np.ones((), self.data.dtype)
        seed = as_float(grad)  # TypeError for complex numbers and text
        if seed.shape != self.shape:
            raise ValueError(f"grad must have the tensor's shape {self.shape}, got {seed.shape}")
        return seed

    def _as_tensor(self, other: Any) -> Tensor:
        """`other` if it is a Tensor, else a number or array as a constant of our dtype."""
        if isinstance(other, Tensor):
            return other
        array = np.asarray(other)
        if array.dtype.kind not in "biuf":  # complex would lose its imaginary part
            raise TypeError(f"cannot use {type(other).__name__} {other!r} with a Tensor")
        return Tensor(array.astype(self.data.dtype, copy=False), requires_grad=False)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of `data`."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The dtype of `data`, and of `grad`."""
        return self.data.dtype

    def __repr__(self) -> str:
        constant = "" if self.requires_grad else ", requires_grad=False"
        return f"Tensor({self.data!r}{constant})"

    # --8<-- [start:add_mul]
    def __add__(self, other: Any) -> Tensor:
        """`self + other`, broadcast: `dout` passes to both, summed back to each one's shape."""
        a, b = self, self._as_tensor(other)

        def grad_fn(dout):
            return unbroadcast(dout, a.shape), unbroadcast(dout, b.shape)

        return Tensor.from_op(a.data + b.data, (a, b), grad_fn)

    def __mul__(self, other: Any) -> Tensor:
        """`self * other`, broadcast: each input's gradient is `dout` times the other input."""
        a, b = self, self._as_tensor(other)
        x, y = a.data, b.data

        def grad_fn(dout):
            return unbroadcast(dout * y, x.shape), unbroadcast(dout * x, y.shape)

        return Tensor.from_op(x * y, (a, b), grad_fn)

    # --8<-- [end:add_mul]

    def __neg__(self) -> Tensor:
        """`-self`: the gradient is `-dout`."""

        def grad_fn(dout):
            return (-dout,)

        return Tensor.from_op(-self.data, (self,), grad_fn)

    def __sub__(self, other: Any) -> Tensor:
        """`self - other`, as `self + (-other)`: two operations, no backward of its own."""
        return self + (-self._as_tensor(other))

    def __rsub__(self, other: Any) -> Tensor:
        """`other - self` for a number or array `other`, e.g. `1 - x`."""
        return self._as_tensor(other) + (-self)

    def __radd__(self, other: Any) -> Tensor:
        """`other + self` for a number or array `other`."""
        return self._as_tensor(other) + self

    def __rmul__(self, other: Any) -> Tensor:
        """`other * self` for a number or array `other`, e.g. `2 * x`."""
        return self._as_tensor(other) * self

    def __rmatmul__(self, other: Any) -> Tensor:
        """`other @ self` for an array `other`, e.g. the data `x @ W`."""
        return self._as_tensor(other) @ self

    # --8<-- [start:matmul]
    def __matmul__(self, other: Any) -> Tensor:
        """`self @ other` for 1-D and 2-D tensors; an input of 1-D is a row (left) or column.

        Raises:
            ValueError: an input is not 1-D or 2-D, or the inner sizes differ.
        """
        a, b = self, self._as_tensor(other)
        check_matmul(a.shape, b.shape)
        x = a.data.reshape(1, -1) if a.data.ndim == 1 else a.data  # a row (1, k)
        w = b.data.reshape(-1, 1) if b.data.ndim == 1 else b.data  # a column (k, 1)

        def grad_fn(dout):
            dout = dout.reshape(x.shape[0], w.shape[1])  # as if both were 2-D
            # The costly products: a constant, e.g. the data x of `x @ W`, gets none.
            dx = (dout @ w.T).reshape(a.shape) if a.requires_grad else None
            dw = (x.T @ dout).reshape(b.shape) if b.requires_grad else None
            return dx, dw

        return Tensor.from_op(a.data @ b.data, (a, b), grad_fn)

    # --8<-- [end:matmul]

    # --8<-- [start:sum_mean_reshape]
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """The sum over `axis` (None: all); every value summed gets the `dout` of its sum."""
        shape = self.shape

        def grad_fn(dout):
            if axis is not None and not keepdims:
                dout = np.expand_dims(dout, axis)  # put back the summed axes, as size 1
            return (np.broadcast_to(dout, shape),)  # a view: add_grad copies it

        return Tensor.from_op(np.sum(self.data, axis=axis, keepdims=keepdims), (self,), grad_fn)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """The mean over `axis` (None: all), as `sum * (1 / n)`: no backward of its own.

        Raises:
            ValueError: the mean is over no values (an axis of size 0).
        """
        total = self.sum(axis, keepdims)
        if self.data.size == 0 < total.data.size:
            raise ValueError(f"mean over no values: axis {axis} of a tensor of shape {self.shape}")
        return total * (total.data.size / self.data.size if self.data.size else 1.0)

    def reshape(self, *shape: Any) -> Tensor:
        """The same values in `shape` (`reshape(2, 3)` or `reshape((2, 3))`, -1 for one axis).

        Raises:
            ValueError: `shape` does not hold exactly the tensor's number of values.
        """
        new = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
        out = _reshaped(self.data, new)  # a ValueError that names both shapes
        original = self.shape

        def grad_fn(dout):
            return (dout.reshape(original),)

        return Tensor.from_op(out, (self,), grad_fn)

    # --8<-- [end:sum_mean_reshape]

    # --8<-- [start:exp_log_relu_sigmoid]
    def exp(self) -> Tensor:
        """`exp(self)`, elementwise; its derivative is itself: the gradient is `dout * out`."""
        out = np.exp(self.data)

        def grad_fn(dout):
            return (dout * out,)

        return Tensor.from_op(out, (self,), grad_fn)

    def log(self) -> Tensor:
        """The natural log, elementwise (of 0: -inf, as np.log); the gradient is `dout / x`."""
        x = self.data

        def grad_fn(dout):
            return (dout / x,)

        return Tensor.from_op(np.log(x), (self,), grad_fn)

    def relu(self) -> Tensor:
        """`max(x, 0)`, elementwise; the gradient passes where `x > 0` (at exactly 0: not)."""
        mask = self.data > 0

        def grad_fn(dout):
            return (np.where(mask, dout, 0),)

        return Tensor.from_op(functions.relu(self.data), (self,), grad_fn)

    def sigmoid(self) -> Tensor:
        """`1 / (1 + exp(-x))` without overflow (nn.functions); the gradient needs only `out`."""
        out = functions.sigmoid(self.data)

        def grad_fn(dout):
            return (dout * (1.0 - out) * out,)

        return Tensor.from_op(out, (self,), grad_fn)

    # --8<-- [end:exp_log_relu_sigmoid]


def check_matmul(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    """Raise ValueError unless tensors of shapes `a` and `b` can be multiplied with `@`.

    Examples:
        >>> from nn.autograd import check_matmul
        >>> check_matmul((2, 3), (2, 3))
        Traceback (most recent call last):
        ...
        ValueError: cannot multiply shapes (2, 3) and (2, 3) with @: 3 != 2
    """
    if not (1 <= len(a) <= 2 and 1 <= len(b) <= 2):
        raise ValueError(f"@ takes 1-D and 2-D tensors, got shapes {a} and {b}")
    if a[-1] != b[0]:
        raise ValueError(f"cannot multiply shapes {a} and {b} with @: {a[-1]} != {b[0]}")


def _reshaped(data: NDArray, shape: tuple) -> NDArray:
    """`data.reshape(shape)`, or a ValueError that names both shapes and the number of values."""
    try:
        return data.reshape(shape)
    except ValueError:
        raise ValueError(
            f"cannot reshape a tensor of shape {data.shape} ({data.size} values) into {shape}"
        ) from None


# --8<-- [start:log_softmax_cross_entropy]
def log_softmax(x: Tensor | ArrayLike, axis: int = -1) -> Tensor:
    """`log(softmax(x))` along `axis`, each row's maximum subtracted first (nn.functions).

    Args:
        x: scores, e.g. `(N, C)`.
        axis: the axis whose values make one distribution.

    Returns:
        A tensor of `x`'s shape; `exp` of it sums to 1 along `axis`.

    Examples:
        >>> from nn.autograd import log_softmax
        >>> log_softmax(Tensor([[0.0, 0.0]])).data
        array([[-0.69314718, -0.69314718]])
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    out = np.moveaxis(functions.log_softmax(np.moveaxis(x.data, axis, -1)), -1, axis)

    def grad_fn(dout):  # softmax's Jacobian, applied: dout - softmax * (sum of dout)
        return (dout - np.exp(out) * dout.sum(axis=axis, keepdims=True),)

    return Tensor.from_op(out, (x,), grad_fn)


def cross_entropy(scores: Tensor | ArrayLike, labels: ArrayLike) -> Tensor:
    """Softmax, then the mean cross-entropy error over the batch, as one operation.

    Its gradient `(softmax(scores) - onehot(labels)) / N` is the one of `SoftmaxWithLoss`.

    Args:
        scores: `(N, C)`, N >= 1.
        labels: integer classes `(N,)` or one-hot rows `(N, C)`.

    Returns:
        The loss, a scalar tensor.

    Raises:
        ValueError: `scores` is not `(N, C)`, or `labels` does not fit it.

    Examples:
        >>> from nn.autograd import cross_entropy
        >>> scores = Tensor([[0.0, 0.0]])
        >>> loss = cross_entropy(scores, [1])
        >>> loss.backward()
        >>> round(float(loss.data), 4), scores.grad
        (0.6931, array([[ 0.5, -0.5]]))
    """
    scores = scores if isinstance(scores, Tensor) else Tensor(scores)
    if scores.data.ndim != 2 or len(scores.data) == 0:
        raise ValueError(f"cross_entropy expects scores of shape (N, C), got {scores.shape}")
    t = labels_from(labels, scores.shape)  # labels (N,), checked; one-hot rows become labels
    rows = np.arange(len(t))
    log_y = functions.log_softmax(scores.data)  # no log of a probability rounded to 0

    def grad_fn(dout):
        dx = np.exp(log_y)  # softmax(scores)
        dx[rows, t] -= 1  # y - onehot(t)
        return (dx * (dout / len(t)),)  # the loss is a mean over the batch

    return Tensor.from_op(-log_y[rows, t].mean(), (scores,), grad_fn)


# --8<-- [end:log_softmax_cross_entropy]
