"""Networks: layers in an `OrderedDict`, a loss layer at the end, parameters under one name each.

`Network` is the book's network of chapter 5 (`TwoLayerNet`'s methods, for any layers);
`RegularizedNetwork` adds what chapter 6 needs (layers with a training mode, weight decay), and
`MultiLayerNet` builds one. Every network inherits `AllOrNothing`: a call that raises leaves it
as it was.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import numbers
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from nn._checks import check_finite, check_sizes, labels_from
from nn.gradient import numerical_gradient
from nn.init import as_rng, float_dtype, init_weight
from nn.layers import Affine, Layer, MSELoss, Relu, Sigmoid, SigmoidWithLoss, SoftmaxWithLoss
from nn.regularization import BatchNormalization, Dropout, WeightDecay

ACTIVATIONS: dict[str, type[Layer]] = {"relu": Relu, "sigmoid": Sigmoid}
LOSSES: dict[str, type[Layer]] = {
    "softmax": SoftmaxWithLoss,
    "sigmoid": SigmoidWithLoss,
    "mse": MSELoss,
}
# The methods of every network that AllOrNothing makes all or nothing.
PUBLIC_CALLS = ("predict", "loss", "accuracy", "gradient", "numerical_gradient")


class Parameters(MutableMapping):
    """The network's parameters by name (`W1`, `b1`, ...), backed by the layers' own arrays.

    There is one copy of each array: reading gives the array the layer computes with, and
    assigning copies the new values into it (same shape required), so layers never drift.
    Each name is the layer's key and how many layers before it had that key, plus one: with
    Batch Normalization, `W1, b1, gamma1, beta1, W2, ...`, as in the book.

    Args:
        layers: the network's layers.
        names: `"param_names"`, or `"buffer_names"` for the state that is saved but not
            trained (Batch Normalization's running averages: `running_mean1`, ...).

    Raises:
        KeyError: reading or assigning a name that is not a parameter (the message lists them).
        ValueError: assigning an array of another shape.
        TypeError: deleting a parameter.
    """

    # --8<-- [start:parameters]
    def __init__(self, layers: dict[str, Layer], names: str = "param_names") -> None:
        self._slots: dict[str, tuple[Layer, str]] = {}  # "W1" -> (the layer, "W"): no array
        counts: dict[str, int] = {}
        for layer in layers.values():
            for key in getattr(layer, names):
                counts[key] = counts.get(key, 0) + 1
                self._slots[f"{key}{counts[key]}"] = (layer, key)

    def __getitem__(self, name: str) -> NDArray:
        if name not in self._slots:
            raise KeyError(f"no parameter {name!r}; the parameters are {list(self._slots)}")
        layer, key = self._slots[name]
        return getattr(layer, key)  # the array the layer computes with, looked up every time

    def __setitem__(self, name: str, value: ArrayLike) -> None:
        current = self[name]
        if value is current:  # `params[k] -= g` already changed the array in place
            return
        value = np.asarray(value)
        if value.shape != current.shape:
            raise ValueError(
                f"{name} has shape {current.shape}, got an array of shape {value.shape}"
            )
        np.copyto(current, value, casting="same_kind")  # into the layer's array: no rebinding

    # --8<-- [end:parameters]

    def __delitem__(self, name: str) -> None:
        raise TypeError("parameters cannot be deleted from a network")

    def __iter__(self) -> Iterator[str]:
        return iter(self._slots)

    def __len__(self) -> int:
        return len(self._slots)

    def grads(self) -> dict[str, NDArray | None]:
        """Each layer's gradient under its parameter's name (None before any backward)."""
        return {name: layer.grads[key] for name, (layer, key) in self._slots.items()}

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}: {self[k].shape}" for k in self)
        return f"Parameters({shapes})"


class AllOrNothing:
    """The base of every network: a call that raises leaves the network as it was.

    The methods `predict`, `loss`, `accuracy`, `gradient` and `numerical_gradient` of every
    subclass run inside `caches_kept_on_error`, so the methods themselves stay as the book
    writes them: if a call raises (a wrong shape, a label out of range, NaN that a batch norm
    refuses), every cache, gradient, running average and generator state is put back. Two
    more things make every network take the same arguments:

    - `predict` and `loss` take `train_flg` in every network. A method written without it, as
      `Network`'s (the book's chapter 5), has no training mode to switch and ignores it; it
      refuses to run layers that have one (`uses_train_flg`: Batch Normalization, Dropout),
      which need `RegularizedNetwork`, whose methods pass `train_flg` on.
    - `buffers`: the arrays saved with the parameters but not trained, by name.
    """

    layers: dict[str, Layer]
    last_layer: Layer

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in PUBLIC_CALLS:
            if name in vars(cls):
                setattr(cls, name, _all_or_nothing(vars(cls)[name]))

    @property
    def buffers(self) -> Parameters:
        """The arrays saved but not trained (`running_mean1`, ...) by name; often none."""
        return Parameters(self.layers, names="buffer_names")


def _all_or_nothing(method: Callable) -> Callable:
    """`method` run inside `caches_kept_on_error`; see `AllOrNothing`.

    `predict` or `loss` written without `train_flg` also takes it (last, default False) and
    ignores it, or raises a `TypeError` if the network has a layer with a training mode.
    """
    signature = inspect.signature(method)
    modes = method.__name__ in ("predict", "loss")
    takes_no_mode = modes and "train_flg" not in signature.parameters
    if takes_no_mode:
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        flag = inspect.Parameter("train_flg", kind, default=False)
        signature = signature.replace(parameters=[*signature.parameters.values(), flag])

    @functools.wraps(method)
    def call(net: AllOrNothing, *args: Any, **kwargs: Any) -> Any:
        if takes_no_mode:
            bound = signature.bind(net, *args, **kwargs)
            bound.arguments.pop("train_flg", None)  # no training mode to switch
            args, kwargs = bound.args[1:], bound.kwargs
            modal = [n for n, one in net.layers.items() if getattr(one, "uses_train_flg", False)]
            if modal:
                raise TypeError(
                    f"{type(net).__name__}.{method.__name__} runs every layer in one mode, but "
                    f"{modal} compute differently in training: build a RegularizedNetwork "
                    "(nn.networks), which passes train_flg on"
                )
        with caches_kept_on_error(net):
            return method(net, *args, **kwargs)

    call.__signature__ = signature  # type: ignore[attr-defined]
    return call


# --8<-- [start:network_class]
class Network(AllOrNothing):  # AllOrNothing: a call that raises leaves the network as it was
    """Layers applied in order, then a loss layer: the book's `TwoLayerNet`, for any layers.

    `layers` maps names (`Affine1`, `Relu1`, ...) to layers, in the order of the forward
    pass; `last_layer` is the loss layer, e.g. `SoftmaxWithLoss()`.
    """

    def __init__(self, layers: dict[str, Layer], last_layer: Layer) -> None:
        self.layers, self.last_layer = layers, last_layer
        self.params = Parameters(layers)  # W1, b1, W2, ...: the layers' own arrays

    def predict(self, x: ArrayLike) -> NDArray:
        """The scores for the samples `x`: every layer's forward, in order."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return np.asarray(x)

    def loss(self, x: ArrayLike, t: ArrayLike) -> float:
        """The mean loss of the scores for `x` against `t` (labels or one-hot rows)."""
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """The fraction of samples whose predicted class is `t` (labels or one-hot rows)."""
        predicted, t = classify(self, x, t)  # predict(x)'s classes, and t checked
        return float(np.mean(predicted == t))

    def gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, NDArray | None]:
        """Every parameter's gradient of `loss(x, t)` by name; the loss is kept as `last_loss`."""
        self.last_loss = self.loss(x, t)  # forward: each layer caches what backward needs
        dout = self.last_layer.backward(1.0)  # backward: from the loss to the first layer
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return self.params.grads()  # each layer's dW, db, ... under W1, b1, ...

    def numerical_gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, NDArray]:
        """The same gradients by central differences: slow, for checking `gradient`."""
        loss = lambda _: self.loss(x, t)  # noqa: E731 (the nudged weights are the layers')
        return {name: numerical_gradient(loss, param) for name, param in self.params.items()}

    def __repr__(self) -> str:
        names = " -> ".join([*self.layers, type(self.last_layer).__name__])
        return f"{type(self).__name__}({names})"


# --8<-- [end:network_class]


# --8<-- [start:two_layer_net]
class TwoLayerNet(Network):
    """Affine -> ReLU -> Affine -> Softmax-with-Loss, as in the book.

    `weight_init_std`: a standard deviation, "he" or "xavier"; `rng`: a Generator or a seed.
    """

    def __init__(
        self, input_size, hidden_size, output_size, weight_init_std=0.01, rng=None, dtype=np.float64
    ):
        rng, dtype = as_rng(rng), float_dtype(dtype)
        check_sizes(input_size=input_size, hidden_size=hidden_size, output_size=output_size)
        W1 = init_weight(rng, input_size, hidden_size, weight_init_std, dtype)
        W2 = init_weight(rng, hidden_size, output_size, weight_init_std, dtype)
        layers: OrderedDict[str, Layer] = OrderedDict()
        layers["Affine1"] = Affine(W1, np.zeros(hidden_size, dtype), input_grad=False)
        layers["Relu1"] = Relu()
        layers["Affine2"] = Affine(W2, np.zeros(output_size, dtype))
        super().__init__(layers, SoftmaxWithLoss())


# --8<-- [end:two_layer_net]


class RegularizedNetwork(Network):
    """A `Network` with the book's chapter 6: layers with a training mode, and weight decay.

    Batch Normalization and Dropout compute differently in training and in evaluation, so
    `predict` and `loss` pass `train_flg` to every layer whose `uses_train_flg` is True, and
    `gradient` runs in training mode. Weight decay adds its penalty to the loss and `lam * W`
    to each weight's gradient. This is the book's `MultiLayerNetExtend`, for any layers;
    `MultiLayerNet` builds one.

    Args:
        layers: the layers, in order, by name (`Affine1`, `BatchNorm1`, `Relu1`, ...).
        last_layer: the loss layer.
        weight_decay: the L2 penalty's lambda on the weights (not the biases); 0: none.

    Raises:
        ValueError: `weight_decay` is negative or not a number.
    """

    def __init__(
        self, layers: dict[str, Layer], last_layer: Layer, weight_decay: float = 0.0
    ) -> None:
        super().__init__(layers, last_layer)
        self.weight_decay = WeightDecay(weight_decay)  # an L2 penalty on the weights; 0: none

    def predict(self, x: ArrayLike, train_flg: bool = False) -> NDArray:
        """The scores for the samples `x`: every layer's forward, in evaluation mode unless
        `train_flg` (batch norm then uses the batch's statistics, dropout draws a mask)."""
        for layer in self.layers.values():
            x = layer.forward(x, train_flg) if layer.uses_train_flg else layer.forward(x)
        return np.asarray(x)

    def loss(self, x: ArrayLike, t: ArrayLike, train_flg: bool = False) -> float:
        """The mean loss of `predict(x, train_flg)` against `t`, plus the weight decay penalty."""
        loss = self.last_layer.forward(self.predict(x, train_flg), t)
        return loss + self.weight_decay.penalty(self.params)

    def gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, NDArray | None]:
        """Every parameter's gradient of `loss(x, t, train_flg=True)` by name, weight decay's
        `lam * W` included. Runs in training mode; the loss is kept as `last_loss`."""
        self.last_loss = self.loss(x, t, train_flg=True)  # forward, in training mode
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return self.weight_decay.grads(self.params, self.params.grads())

    def numerical_gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, NDArray]:
        """The same gradients by central differences, in training mode: slow, for checking."""
        loss = lambda _: self.loss(x, t, train_flg=True)  # noqa: E731
        return {name: numerical_gradient(loss, param) for name, param in self.params.items()}


class MultiLayerNet(RegularizedNetwork):
    """Affine layers with an activation between each pair, and a loss layer at the end.

    Args:
        input_size: features per sample.
        hidden_sizes: units of each hidden layer, e.g. `[3, 3]`.
        output_size: output units.
        activation: `"relu"` or `"sigmoid"`, or one name per hidden layer.
        weight_init_std: a standard deviation, `"he"` or `"xavier"`.
        rng: a `numpy.random.Generator` or an int seed.
        dtype: float64 (default) or float32.
        loss: `"softmax"` (classes), `"sigmoid"` (one 0/1 unit) or `"mse"` (regression).
        batch_norm: a `BatchNormalization` after each hidden Affine layer (or one bool each).
        dropout: a `Dropout` of this ratio after each hidden activation, 0 for none (or one
            ratio each); its masks are drawn from `rng`, after the weights.
        weight_decay: the L2 penalty's lambda on the weights (not the biases).

    Examples:
        >>> MultiLayerNet(2, [3, 3], 2, activation=["relu", "sigmoid"], rng=0)
        MultiLayerNet(Affine1 -> Relu1 -> Affine2 -> Sigmoid2 -> Affine3 -> SoftmaxWithLoss)
        >>> MultiLayerNet(2, [3], 2, batch_norm=True, dropout=0.5, weight_decay=0.1, rng=0)
        MultiLayerNet(Affine1 -> BatchNorm1 -> Relu1 -> Dropout1 -> Affine2 -> SoftmaxWithLoss)
    """

    def __init__(
        self,
        input_size: int,
        hidden_sizes: Sequence[int],
        output_size: int,
        activation: str | Sequence[str] = "relu",
        weight_init_std: float | str = "he",
        rng: np.random.Generator | int | None = None,
        dtype: DTypeLike = np.float64,
        loss: str = "softmax",
        batch_norm: bool | Sequence[bool] = False,
        dropout: float | Sequence[float] = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        rng, dtype = as_rng(rng), float_dtype(dtype)
        if not isinstance(hidden_sizes, Sequence) or isinstance(hidden_sizes, str):
            raise TypeError(f"hidden_sizes must be a list of ints, e.g. [50], got {hidden_sizes!r}")
        hidden_sizes = list(hidden_sizes)
        check_sizes(input_size=input_size, output_size=output_size)
        check_sizes(**{f"hidden_sizes[{i}]": n for i, n in enumerate(hidden_sizes)})
        names = per_layer(activation, len(hidden_sizes), "activations", str)
        for i, name in enumerate(names):
            if name not in ACTIVATIONS:  # compared by value (==), never by identity (is)
                raise ValueError(f"activation {i} is {name!r}; choose one of {list(ACTIVATIONS)}")
        norms = per_layer(batch_norm, len(hidden_sizes), "batch_norm flags", bool)
        if not all(isinstance(flag, bool | np.bool_) for flag in norms):
            raise TypeError(f"batch_norm must be True, False or one bool per layer, got {norms}")
        ratios = per_layer(dropout, len(hidden_sizes), "dropout ratios", numbers.Real)
        for i, ratio in enumerate(ratios):
            if (
                isinstance(ratio, bool)
                or not isinstance(ratio, numbers.Real)
                or not 0 <= float(ratio) < 1
            ):
                raise ValueError(f"dropout ratio {i} must be a number in [0, 1), got {ratio!r}")
        if loss not in LOSSES:
            raise ValueError(f"loss is {loss!r}; choose one of {list(LOSSES)}")
        # --8<-- [start:multi_layer_net_build]
        sizes = [input_size, *hidden_sizes, output_size]
        weights = [init_weight(rng, a, b, weight_init_std, dtype) for a, b in pairwise(sizes)]
        layers: OrderedDict[str, Layer] = OrderedDict()
        for i, W in enumerate(weights, start=1):
            layers[f"Affine{i}"] = Affine(W, np.zeros(W.shape[1], dtype), input_grad=i > 1)
            if i <= len(names):  # a hidden layer gets its activation; the loss layer follows
                layer = ACTIVATIONS[names[i - 1]]()
                layers[f"{type(layer).__name__}{i}"] = layer
        # --8<-- [end:multi_layer_net_build]
        layers = _with_batch_norm_and_dropout(layers, norms, ratios, rng)  # chapter 6; none: as is
        super().__init__(layers, LOSSES[loss](), weight_decay=weight_decay)


def _with_batch_norm_and_dropout(
    layers: OrderedDict[str, Layer],
    norms: Sequence[bool],
    ratios: Sequence[float],
    rng: np.random.Generator,
) -> OrderedDict[str, Layer]:
    """`layers` with `BatchNorm{i}` before hidden layer i's activation where `norms[i - 1]`,
    and `Dropout{i}` after it where `ratios[i - 1]` is not 0 (its masks drawn from `rng`)."""
    out: OrderedDict[str, Layer] = OrderedDict()
    for name, layer in layers.items():
        if isinstance(layer, Affine):  # Affine{i}: the activation after it is hidden layer i's
            i, units, dtype = int(name.removeprefix("Affine")), layer.W.shape[1], layer.W.dtype
            out[name] = layer
            continue
        if norms[i - 1]:
            out[f"BatchNorm{i}"] = BatchNormalization(np.ones(units, dtype), np.zeros(units, dtype))
        out[name] = layer
        if ratios[i - 1]:
            out[f"Dropout{i}"] = Dropout(ratios[i - 1], rng=rng)
    return out


def per_layer(value: Any, n: int, what: str, kind: type) -> list:
    """`value` once for each of `n` hidden layers, or `value` itself if it is a list of `n`."""
    if isinstance(value, kind | str) or not isinstance(value, Sequence):
        return [value] * n
    if len(value) != n:
        raise ValueError(f"got {len(value)} {what} for {n} hidden layers: {list(value)}")
    return list(value)


def classify(net: Network, x: ArrayLike, t: ArrayLike) -> tuple[NDArray, NDArray]:
    """The classes `net` predicts for `x`, and the labels `t`, checked as the loss checks them.

    A refused call leaves the network as it was (see `caches_kept_on_error`).

    Raises:
        TypeError: the last layer is not a classification loss (it has no `classify`), or
            `t` holds text or fractions.
        ValueError: the scores are not finite, or `t` does not hold one label (or one-hot
            row) per sample, each a class of the scores.
    """
    if not hasattr(net.last_layer, "classify"):
        raise TypeError(f"accuracy needs a classifier; this network ends in {net.last_layer}")
    with caches_kept_on_error(net):
        scores, t = net.predict(x), np.asarray(t)
        check_finite(scores, "scores")  # NaN has no largest score; the loss refuses it too
        n, classes = len(scores), max(scores.shape[1], 2)  # one sigmoid unit: classes 0 and 1
        if (len(t) if t.ndim else t.size) != n:
            count = len(t) if t.ndim else t.size
            raise ValueError(f"t has {count} labels for {n} samples: give one each")
        if t.shape == (n, 1) and classes > scores.shape[1]:  # one sigmoid unit's 0/1 column
            t = t.reshape(n)
        labels = labels_from(t, (n, classes))  # labels, or one-hot rows; whole and in range
    return net.last_layer.classify(scores), labels


@contextlib.contextmanager
def caches_kept_on_error(net: AllOrNothing) -> Iterator[None]:
    """If the block raises, put the network back as it was: a failed call changes nothing.

    Three kinds of state: the attributes of the network and of every layer (caches and
    gradients are rebound, never mutated, so the old objects are kept); the buffers (batch
    norm's running averages are updated in place, so they are copied); and the state of every
    random generator a layer holds (Dropout's masks).
    """
    parts = [net, *net.layers.values(), net.last_layer]
    saved = [dict(vars(part)) for part in parts]
    buffers = {name: np.copy(value) for name, value in net.buffers.items()}
    generators = [g for attributes in saved for g in attributes.values()]
    states = [(g, g.bit_generator.state) for g in generators if isinstance(g, np.random.Generator)]
    try:
        yield
    except BaseException:
        for part, attributes in zip(parts, saved, strict=True):
            vars(part).clear()
            vars(part).update(attributes)
        for name, value in buffers.items():
            np.copyto(net.buffers[name], value)
        for generator, state in states:
            generator.bit_generator.state = state
        raise
