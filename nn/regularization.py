"""Training well (the book's chapter 6): Batch Normalization, Dropout and weight decay.

The two layers behave differently in training and in evaluation, so their `forward` takes the book's
`train_flg`. A `RegularizedNetwork` (such as `MultiLayerNet`) passes it to every layer whose
`uses_train_flg` is True: `gradient` runs them in training mode, `predict`, `loss` and
`accuracy` in evaluation mode unless asked. Weight decay is not a layer: the network adds its
penalty to the loss and its gradient to the weights' gradients.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from nn.init import as_rng
from nn.layers import Layer, Setting


# --8<-- [start:batch_normalization]
class BatchNormalization(Layer):
    """Normalize each feature over the batch, then scale by `gamma` and shift by `beta`.

    In training, the batch's own mean and variance are used and folded into running averages
    (`momentum`); in evaluation, the running averages are used. Inputs `(N, D)` or `(N, ...)`
    with D values per sample; each of the D values is normalized on its own, as in the book.

    Examples:
        >>> bn = BatchNormalization(np.ones(2), np.zeros(2))
        >>> out = bn.forward(np.array([[1.0, 2.0], [3.0, 6.0]]))  # training
        >>> out.round(3).tolist(), bn.running_mean  # 0.9 * 0 + 0.1 * the mean
        ([[-1.0, -1.0], [1.0, 1.0]], array([0.2, 0.4]))
    """

    param_names = ("gamma", "beta")
    buffer_names = ("running_mean", "running_var")  # state that is not trained, but saved
    uses_train_flg = True
    momentum = Setting(0, 1)  # checked whenever set: a real number in [0, 1]
    eps = Setting(0, math.inf, open_low=True, open_high=True)  # finite and > 0

    def __init__(self, gamma, beta, momentum=0.9, eps=1e-7):
        self.gamma, self.beta = self.check_params(
            gamma, beta, ndim=1, out_axis=0, names=("gamma", "beta")
        )
        self.momentum, self.eps = momentum, eps
        self.running_mean = np.zeros_like(self.gamma)
        self.running_var = np.ones_like(self.gamma)
        self.train_flg, self.xc, self.std, self.xn, self.input_shape = True, None, None, None, None
        self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        """Return `gamma * xn + beta`; cache `xn`, `std`; training updates the running averages."""
        # in training, NaN or inf would stay in the running averages for good: refuse it
        x = self.check_input(x, features=self.gamma.size, dtype=self.gamma.dtype, finite=train_flg)
        self.input_shape = x.shape
        x = x.reshape(len(x), -1)
        if train_flg:  # the batch's own statistics, folded into the running averages
            mu, var = x.mean(axis=0), x.var(axis=0)
            self.running_mean *= self.momentum  # in place: the network's buffers stay these
            self.running_mean += (1 - self.momentum) * mu
            self.running_var *= self.momentum
            self.running_var += (1 - self.momentum) * var
        else:  # the running averages: the same for every batch
            mu, var = self.running_mean, self.running_var
        self.train_flg = train_flg
        self.xc = x - mu
        self.std = np.sqrt(var + self.eps)
        self.xn = self.xc / self.std
        out = self.gamma * self.xn + self.beta
        return self.record_output(out.reshape(self.input_shape))

    def backward(self, dout):
        """Store `dgamma` and `dbeta`; return `dx`, the gradient for `x`, in `x`'s shape."""
        dout = self.check_dout(dout).reshape(len(self.xn), -1)
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dx = dxn
        if self.train_flg:  # the mean and std came from this batch: they depend on x too
            dx = dxn - dxn.mean(axis=0) - self.xn * np.mean(dxn * self.xn, axis=0)
        return (dx / self.std).reshape(self.input_shape)


# --8<-- [end:batch_normalization]


# --8<-- [start:dropout]
class Dropout(Layer):
    """Inverted dropout: in training, zero each value with probability `dropout_ratio`."""

    uses_train_flg = True
    dropout_ratio = Setting(0, 1, open_high=True)  # checked whenever set: in [0, 1)

    def __init__(self, dropout_ratio=0.5, rng=None):
        self.dropout_ratio, self.rng = dropout_ratio, as_rng(rng)
        self.mask = None

    def forward(self, x, train_flg=True):
        """Return `x * mask`; cache `mask`: 0 or `1 / (1 - dropout_ratio)` in training, else 1.0."""
        x = self.check_input(x)
        self.mask = 1.0  # evaluation: every unit, unscaled
        if train_flg:  # the scale moves here from test time, so evaluation needs none
            keep = self.rng.random(x.shape) >= self.dropout_ratio
            self.mask = keep.astype(x.dtype) / (1.0 - self.dropout_ratio)
        return self.record_output(x * self.mask)

    def backward(self, dout):
        """Return `dout * mask`, with the `mask` of the last `forward`."""
        dout = self.check_dout(dout)
        return dout * self.mask


# --8<-- [end:dropout]


# --8<-- [start:weight_decay]
class WeightDecay:
    """L2 weight decay: `0.5 * lam * sum(W**2)` joins the loss, `lam * W` each weight's gradient.

    Only the weights (`W1`, `W2`, ...) decay, not the biases or Batch Normalization's `gamma`
    and `beta`, as in the book. A network calls it with its `params`, a name -> array mapping.
    """

    def __init__(self, lam: float = 0.0) -> None:
        if not (isinstance(lam, numbers.Real) and lam >= 0):
            raise ValueError(f"weight_decay must be a number >= 0, got {lam!r}")
        self.lam: float = float(lam)

    def decayed(self, params: Mapping[str, NDArray]) -> list[str]:
        """The weights' names: `W` and the layer's number (`W1`, `W2`, ...)."""
        return [name for name in params if name.rstrip("0123456789") == "W"]

    def penalty(self, params: Mapping[str, NDArray]) -> float:
        """The term of the loss, `0.5 * lam * sum(W**2)`; 0.0 without weight decay."""
        if not self.lam:
            return 0.0
        return 0.5 * self.lam * sum(float(np.sum(params[n] ** 2)) for n in self.decayed(params))

    def grads(
        self, params: Mapping[str, NDArray], grads: Mapping[str, NDArray | None]
    ) -> dict[str, NDArray | None]:
        """`grads` with `lam * W` added to each weight's, as a new array (a layer's dW stays)."""
        decayed = self.decayed(params) if self.lam else []
        return {
            k: g + self.lam * params[k] if k in decayed and g is not None else g
            for k, g in grads.items()
        }


# --8<-- [end:weight_decay]
