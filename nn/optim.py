"""Optimizers: `update(params, grads)` changes each parameter array in place.

Each keeps its per-parameter state (velocity, squared-gradient averages, step count) in
arrays, so `state_dict()` can go into a checkpoint and `load_state_dict()` resumes it.
An update is all or nothing: it checks every gradient before it steps, and a step that
overflows is undone, so a failed update leaves parameters, state and `t` as they were.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, MutableMapping

import numpy as np
from numpy.typing import NDArray

EPS = 1e-7  # keeps the adaptive denominators away from 0, as in the book
# Settings with a range besides `lr` (positive): each is a decay factor, 1 would never forget
# and make Adam's bias correction divide by 0.
UNIT_SETTINGS = ("momentum", "decay_rate", "beta1", "beta2")


def _setting(name: str, value: object) -> float:
    """`value` as a float if it is a valid value for the setting `name`, else a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    number = float(value)
    if name == "lr" and not number > 0:
        raise ValueError(f"lr must be positive, got {value!r}")
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if name in UNIT_SETTINGS and not 0 <= number < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return number


class Optimizer:
    """Shared bookkeeping: the learning rate, the state arrays and their (de)serialization.

    Every name in `settings` is checked whenever it is set, in `__init__` or later.

    Raises:
        TypeError: a setting (`lr`, `momentum`, ...) is not a real number.
        ValueError: `lr` is not positive and finite, or `momentum`, `decay_rate`, `beta1` or
            `beta2` is outside [0, 1).
    """

    slots: tuple[str, ...] = ()  # names of the per-parameter state arrays
    settings: tuple[str, ...] = ("lr",)  # hyperparameters saved with the state

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.state: dict[str, dict[str, NDArray]] = {slot: {} for slot in self.slots}
        self.t = 0  # update steps taken

    def __setattr__(self, name: str, value: object) -> None:
        if name in self.settings:  # `opt.lr = -1` fails here, not as NaN weights later
            value = _setting(name, value)
        super().__setattr__(name, value)

    def update(
        self, params: MutableMapping[str, NDArray], grads: Mapping[str, NDArray | None]
    ) -> None:
        """Apply one step to every parameter in `params`, in place, using `grads`.

        All or nothing: every gradient is checked first, and a step that overflows is undone.

        Raises:
            TypeError: `params` or `grads` is not a mapping, a parameter not a writable float
                array, or a gradient not numeric.
            ValueError: `params` and `grads` name different parameters, a gradient is None
                (`update` before any `gradient` call), of another shape or not finite, or the
                state was made for parameters of other shapes.
            FloatingPointError: the step overflowed; try a smaller `lr`.
        """
        grads = self._check(params, grads)
        before = {name: p.copy() for name, p in params.items()}
        state = {
            slot: {k: a.copy() for k, a in arrays.items()} for slot, arrays in self.state.items()
        }
        self.t += 1
        try:
            for slot in self.slots:  # each state array starts as zeros (Momentum's v, ...)
                for name, p in params.items():
                    if name not in self.state[slot]:
                        self.state[slot][name] = np.zeros_like(p)
            # Overflow anywhere raises at once (and is undone below) instead of leaving inf.
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                self._step_all(params, grads)
        except BaseException as exc:  # also KeyboardInterrupt: never leave half a step
            for name, p in params.items():
                np.copyto(p, before[name])
            self.state, self.t = state, self.t - 1
            if isinstance(exc, FloatingPointError):
                raise FloatingPointError(
                    f"{type(self).__name__}.update overflowed ({exc}) and was undone; "
                    f"try a smaller lr than {self.lr:g}"
                ) from exc
            raise

    # --8<-- [start:step_all]
    def _step_all(self, params, grads):
        """The book's `SGD.update`, for every optimizer: one `_step` per parameter, in place."""
        for name, p in params.items():
            self._step(name, p, grads[name])

    # --8<-- [end:step_all]

    def _check(self, params: Mapping[str, NDArray], grads: Mapping[str, NDArray | None]) -> dict:
        """The gradients as arrays, once each has been checked against its parameter."""
        if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
            raise TypeError(
                "params and grads must be name -> array mappings, got "
                f"{type(params).__name__} and {type(grads).__name__}"
            )
        if set(params) != set(grads):
            raise ValueError(f"params {sorted(params)} and grads {sorted(grads)} differ")
        checked = {}
        for name, p in params.items():
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f" or not p.flags.writeable:
                what = f"{p.dtype} array" if isinstance(p, np.ndarray) else type(p).__name__
                raise TypeError(f"params[{name!r}] must be a writable float array, got {what}")
            if grads[name] is None:
                raise ValueError(
                    f"grads[{name!r}] is None: no gradient was computed for it; pass what "
                    "net.gradient(x, t) returns, or the .grad of tensors that backward() reached "
                    "(a tensor made with requires_grad=False gets none)"
                )
            g = np.asarray(grads[name])
            if g.dtype.kind not in "biuf":
                raise TypeError(f"grads[{name!r}] must be numeric, got dtype {g.dtype}")
            if g.shape != p.shape:
                raise ValueError(f"grads[{name!r}] has shape {g.shape}, params {p.shape}")
            # One sum is cheaper than isfinite per entry; NaN or inf makes it non-finite, and
            # only then (or when finite entries overflow the sum) is every entry looked at.
            if not np.isfinite(g.sum()) and not np.isfinite(g).all():
                bad = tuple(np.argwhere(~np.isfinite(g))[0])
                raise ValueError(
                    f"grads[{name!r}] must be finite, but grads[{name!r}]"
                    f"[{', '.join(map(str, bad))}] = {g[bad]}"
                )
            for slot in self.slots:
                s = self.state[slot].get(name)
                if s is not None and s.shape != p.shape:
                    raise ValueError(
                        f"{type(self).__name__} state {slot}/{name} has shape {s.shape}, "
                        f"params[{name!r}] {p.shape}: was the state loaded for another network?"
                    )
            checked[name] = g
        return checked

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
        out["t"] = np.array(self.t, dtype=np.int64)  # int64 on 32-bit platforms too
        return out

    def load_state_dict(self, state: Mapping[str, NDArray]) -> None:
        """Restore `state_dict()` output; checks everything before changing anything.

        Raises:
            TypeError: `state` is not a mapping, or a setting is not a number.
            ValueError: the step count `t` is missing or not a non-negative integer, a key is
                unknown, a state array is not a finite float array, the slots name different
                parameters or shapes, or a setting is out of range.
        """
        kind = type(self).__name__
        if not isinstance(state, Mapping):
            raise TypeError(f"{kind} state must be a mapping, got {type(state).__name__}")
        if "t" not in state:
            raise ValueError(f"{kind} state has no step count 't'")
        t = np.asarray(state["t"])
        if t.shape != () or t.dtype.kind not in "iu" or t < 0:
            raise ValueError(f"{kind} state 't' must be a non-negative integer, got {t!r}")
        new: dict[str, dict[str, NDArray]] = {slot: {} for slot in self.slots}
        settings = {}
        for key, value in state.items():
            if key == "t":
                continue
            slot, _, name = key.partition("/")
            if slot == "hyper" and name in self.settings and np.ndim(value) == 0:
                settings[name] = _setting(name, np.asarray(value).item())
                continue
            if slot not in new or not name:
                raise ValueError(f"unexpected key {key!r} in {kind} state")
            a = np.array(value)
            if a.dtype.kind != "f" or not np.isfinite(a).all():
                raise ValueError(
                    f"{kind} state {key!r} must be a finite float array, got {a.dtype} {a.shape}"
                    + ("" if a.dtype.kind != "f" else " holding NaN or infinity")
                )
            new[slot][name] = a
        shapes = [{n: a.shape for n, a in arrays.items()} for arrays in new.values()]
        if shapes and any(s != shapes[0] for s in shapes):
            raise ValueError(f"{kind} state slots name different parameters or shapes")
        self.state, self.t = new, int(t)
        for name, setting in settings.items():  # a resumed run continues with the saved settings
            setattr(self, name, setting)


# --8<-- [start:sgd]
class SGD(Optimizer):
    """Stochastic gradient descent: `W <- W - lr * dW`, for every parameter."""

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

    Raises:
        ValueError: `lr` or `momentum` is out of range (see `Optimizer`).

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

    Raises:
        ValueError: `lr` is out of range (see `Optimizer`).

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

    Raises:
        ValueError: `lr` or `decay_rate` is out of range (see `Optimizer`).

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
