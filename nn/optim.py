"""Optimizers: `update(params, grads)` changes each parameter array in place.

Each keeps its per-parameter state (velocity, squared-gradient averages, step count) in
arrays, so `state_dict()` can go into a checkpoint and `load_state_dict()` resumes it.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import numpy as np
from numpy.typing import NDArray

EPS = 1e-7  # keeps the adaptive denominators away from 0, as in the book


class Optimizer:
    """Shared bookkeeping: the learning rate, the state arrays and their (de)serialization."""

    slots: tuple[str, ...] = ()  # names of the per-parameter state arrays
    settings: tuple[str, ...] = ("lr",)  # hyperparameters saved with the state

    def __init__(self, lr: float) -> None:
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        self.lr = float(lr)
        self.state: dict[str, dict[str, NDArray]] = {slot: {} for slot in self.slots}
        self.t = 0  # update steps taken

    def update(self, params: MutableMapping[str, NDArray], grads: Mapping[str, NDArray]) -> None:
        """Apply one step to every parameter in `params`, in place, using `grads`."""
        if set(params) != set(grads):
            raise ValueError(f"params {sorted(params)} and grads {sorted(grads)} differ")
        self.t += 1
        for name, p in params.items():
            g = grads[name]
            if g.shape != p.shape:
                raise ValueError(f"grads[{name!r}] has shape {g.shape}, params {p.shape}")
            for slot in self.slots:
                if name not in self.state[slot]:
                    self.state[slot][name] = np.zeros_like(p)
            self._step(name, p, g)

    def _step(self, name: str, p: NDArray, g: NDArray) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, NDArray]:
        """The state as flat name -> array pairs (`"v/W1"`, ..., `"t"`), ready for `np.savez`."""
        out = {
            f"{slot}/{name}": a.copy()
            for slot, arrays in self.state.items()
            for name, a in arrays.items()
        }
        out |= {f"hyper/{name}": np.array(float(getattr(self, name))) for name in self.settings}
        out["t"] = np.array(self.t)
        return out

    def load_state_dict(self, state: Mapping[str, NDArray]) -> None:
        """Restore `state_dict()` output; checks everything before changing anything."""
        if "t" not in state:
            raise ValueError(f"{type(self).__name__} state has no step count 't'")
        new: dict[str, dict[str, NDArray]] = {slot: {} for slot in self.slots}
        settings = {}
        for key, value in state.items():
            if key == "t":
                continue
            slot, _, name = key.partition("/")
            if slot == "hyper" and name in self.settings and np.ndim(value) == 0:
                settings[name] = float(value)
                continue
            if slot not in new or not name:
                raise ValueError(f"unexpected key {key!r} in {type(self).__name__} state")
            new[slot][name] = np.array(value)
        names = [set(arrays) for arrays in new.values()]
        if names and any(n != names[0] for n in names):
            raise ValueError(f"{type(self).__name__} state slots name different parameters")
        self.state, self.t = new, int(state["t"])
        for name, value in settings.items():  # a resumed run continues with the saved settings
            setattr(self, name, value)


# --8<-- [start:sgd]
class SGD(Optimizer):
    """Stochastic gradient descent: `W <- W - lr * dW`.

    Examples:
        >>> params, grads = {"W": np.array([1.0])}, {"W": np.array([0.5])}
        >>> SGD(lr=0.1).update(params, grads)
        >>> params["W"]
        array([0.95])
    """

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__(lr)

    # --8<-- [start:sgd-step]
    def _step(self, name, p, g):
        p -= self.lr * g

    # --8<-- [end:sgd-step]


# --8<-- [end:sgd]


# --8<-- [start:momentum]
class Momentum(Optimizer):
    """SGD with momentum: `v <- momentum * v - lr * dW`, then `W <- W + v`.

    Examples:
        >>> params, grads = {"W": np.array([1.0])}, {"W": np.array([0.5])}
        >>> opt = Momentum(lr=0.1, momentum=0.9)
        >>> opt.update(params, grads); opt.update(params, grads)
        >>> params["W"]
        array([0.855])
    """

    slots = ("v",)
    settings = ("lr", "momentum")

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__(lr)
        self.momentum = momentum

    # --8<-- [start:momentum-step]
    def _step(self, name, p, g):
        v = self.state["v"][name]
        v *= self.momentum
        v -= self.lr * g
        p += v

    # --8<-- [end:momentum-step]


# --8<-- [end:momentum]


# --8<-- [start:adagrad]
class AdaGrad(Optimizer):
    """AdaGrad: `h <- h + dW * dW`, then `W <- W - lr * dW / (sqrt(h) + 1e-7)`.

    Examples:
        >>> params, grads = {"W": np.array([1.0])}, {"W": np.array([0.5])}
        >>> AdaGrad(lr=0.1).update(params, grads)
        >>> params["W"].round(6)
        array([0.9])
    """

    slots = ("h",)

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__(lr)

    # --8<-- [start:adagrad-step]
    def _step(self, name, p, g):
        h = self.state["h"][name]
        h += g * g
        p -= self.lr * g / (np.sqrt(h) + EPS)

    # --8<-- [end:adagrad-step]


# --8<-- [end:adagrad]


# --8<-- [start:rmsprop]
class RMSprop(Optimizer):
    """RMSprop: `h <- d * h + (1 - d) * dW * dW`, then `W <- W - lr * dW / (sqrt(h) + 1e-7)`.

    `d` is `decay_rate`: old squared gradients fade instead of piling up as in AdaGrad.

    Examples:
        >>> params, grads = {"W": np.array([1.0])}, {"W": np.array([0.5])}
        >>> RMSprop(lr=0.01, decay_rate=0.99).update(params, grads)
        >>> params["W"].round(6)
        array([0.9])
    """

    slots = ("h",)
    settings = ("lr", "decay_rate")

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        super().__init__(lr)
        self.decay_rate = decay_rate

    # --8<-- [start:rmsprop-step]
    def _step(self, name, p, g):
        h = self.state["h"][name]
        h *= self.decay_rate
        h += (1 - self.decay_rate) * g * g
        p -= self.lr * g / (np.sqrt(h) + EPS)

    # --8<-- [end:rmsprop-step]


# --8<-- [end:rmsprop]


# --8<-- [start:adam]
class Adam(Optimizer):
    """Adam: `m <- m + (1 - beta1)(dW - m)`, `v <- v + (1 - beta2)(dW**2 - v)`, then
    `W <- W - lr_t * m / (sqrt(v) + 1e-7)` with `lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)`.

    Examples:
        >>> params, grads = {"W": np.array([1.0])}, {"W": np.array([0.5])}
        >>> Adam(lr=0.001).update(params, grads)
        >>> params["W"].round(6)
        array([0.999])
    """

    slots = ("m", "v")
    settings = ("lr", "beta1", "beta2")

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        super().__init__(lr)
        self.beta1, self.beta2 = beta1, beta2

    # --8<-- [start:adam-step]
    def _step(self, name, p, g):
        m, v = self.state["m"][name], self.state["v"][name]
        lr_t = self.lr * (1.0 - self.beta2**self.t) ** 0.5 / (1.0 - self.beta1**self.t)
        m += (1 - self.beta1) * (g - m)
        v += (1 - self.beta2) * (g * g - v)
        p -= lr_t * m / (np.sqrt(v) + EPS)

    # --8<-- [end:adam-step]


# --8<-- [end:adam]
