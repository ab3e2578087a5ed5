"""Build a `MultiLayerNet` from a list of layer dicts.

The format is that of Piotr Skalski's article "Let's code a Neural Network in plain NumPy".

Each dict is one Affine layer and the activation after it:
`{"input_dim": 2, "output_dim": 25, "activation": "relu"}`. The last layer's activation
chooses the loss layer, which applies it: `predict` returns the scores before it. A hidden
layer's dict may also ask for a Batch Normalization after its Affine layer and a Dropout after
its activation: `{"input_dim": 784, "output_dim": 100, "activation": "relu", "batch_norm": True,
"dropout": 0.5}`; weight decay is a setting of the whole network, `build_network`'s argument.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from nn._checks import check_int
from nn.networks import ACTIVATIONS, MultiLayerNet

KEYS = ("input_dim", "output_dim", "activation")
OPTIONAL_KEYS = ("batch_norm", "dropout")  # hidden layers only, as in MultiLayerNet
# The output layer's activation -> the `loss` of MultiLayerNet that applies it.
OUTPUT_LOSSES: dict[str | None, str] = {
    "sigmoid": "sigmoid",
    "softmax": "softmax",
    "identity": "mse",
    "linear": "mse",
    None: "mse",
}


def validate_spec(spec: Sequence[Mapping[str, Any]]) -> None:
    """Check a layer list completely; raise on the first problem, naming the layer index.

    Args:
        spec: one dict per layer with the keys `input_dim`, `output_dim` and `activation`.

    Raises:
        TypeError: the spec is not a list of dicts, a dim is not an int, an activation not a str.
        ValueError: a key is missing or unknown, a dim is not positive, consecutive dims do not
            chain, or an activation is unknown for its place.

    Examples:
        >>> validate_spec([{"input_dim": 2, "output_dim": 4, "activation": "tanh"}])
        Traceback (most recent call last):
        ValueError: layer 0 (the output layer) activation 'tanh' is unknown; ...
    """
    if isinstance(spec, str | bytes | Mapping) or not isinstance(spec, Sequence):
        raise TypeError(f"spec must be a list of layer dicts, got {type(spec).__name__}")
    if not spec:
        raise ValueError("spec has no layers")
    for i, layer in enumerate(spec):
        if not isinstance(layer, Mapping):
            raise TypeError(f"layer {i} must be a dict, got {type(layer).__name__}")
        last = i == len(spec) - 1
        missing = [k for k in KEYS if k not in layer]
        if missing:
            raise ValueError(
                f"layer {i} is missing {missing}; a layer has exactly the keys {list(KEYS)}"
            )
        unknown = [k for k in layer if k not in KEYS and (last or k not in OPTIONAL_KEYS)]
        if unknown:
            extra = "" if last else f", and optionally {list(OPTIONAL_KEYS)}"
            where = f"layer {i} (the output layer)" if last else f"layer {i}"
            raise ValueError(
                f"{where} has unknown keys {unknown}; it has the keys {list(KEYS)}{extra}"
            )
        _check_options(i, layer)
        for key in ("input_dim", "output_dim"):
            check_int(layer[key], f"layer {i} {key}")
        if i > 0 and layer["input_dim"] != spec[i - 1]["output_dim"]:
            raise ValueError(
                f"layer {i} input_dim {layer['input_dim']} != "
                f"layer {i - 1} output_dim {spec[i - 1]['output_dim']}"
            )
        _check_activation(i, layer, last=last)


def _check_options(i: int, layer: Mapping[str, Any]) -> None:
    batch_norm, ratio = layer.get("batch_norm", False), layer.get("dropout", 0.0)
    if not isinstance(batch_norm, bool):
        raise TypeError(f"layer {i} batch_norm must be True or False, got {batch_norm!r}")
    if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real):
        raise TypeError(f"layer {i} dropout must be a number, got {ratio!r}")
    if not 0 <= float(ratio) < 1:
        raise ValueError(f"layer {i} dropout must be in [0, 1), got {ratio}")


def _check_activation(i: int, layer: Mapping[str, Any], last: bool) -> None:
    name = layer["activation"]
    known: list[str | None] = list(OUTPUT_LOSSES) if last else list(ACTIVATIONS)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"layer {i} activation must be a string, got {name!r}")
    if name not in known:  # `in` on a list compares with ==, never with `is`
        where = f"layer {i} (the output layer)" if last else f"layer {i}"
        raise ValueError(f"{where} activation {name!r} is unknown; choose one of {known}")
    n_out = layer["output_dim"]
    if last and name == "sigmoid" and n_out != 1:
        raise ValueError(
            f"layer {i} activation 'sigmoid' needs output_dim 1 (one 0/1 unit), got {n_out}; "
            f"use 'softmax' for {n_out} classes"
        )
    if last and name == "softmax" and n_out < 2:
        raise ValueError(f"layer {i} activation 'softmax' needs output_dim >= 2, got {n_out}")


def build_network(
    spec: Sequence[Mapping[str, Any]],
    rng: np.random.Generator | int | None = None,
    weight_init_std: float | str = "he",
    dtype: DTypeLike = np.float64,
    weight_decay: float = 0.0,
) -> MultiLayerNet:
    """A `MultiLayerNet` from a list of layer dicts, checked by `validate_spec` first.

    Args:
        spec: one dict per Affine layer, e.g. `[{"input_dim": 2, "output_dim": 25,
            "activation": "relu"}, {"input_dim": 25, "output_dim": 1, "activation": "sigmoid"}]`.
            Hidden layers use "relu" or "sigmoid"; the last layer "sigmoid" (one unit, binary
            cross-entropy), "softmax" (cross-entropy) or "identity" / "linear" / None (MSE).
            A hidden layer's dict may add `"batch_norm": True` and `"dropout": ratio`.
        rng: a `numpy.random.Generator` or an int seed for the weights.
        weight_init_std: a standard deviation, "he" or "xavier".
        dtype: float64 (default) or float32.
        weight_decay: the L2 penalty's lambda on the weights (not the biases).

    Raises:
        TypeError: what `validate_spec` refuses as a type, or a bad `rng` or `dtype`.
        ValueError: what `validate_spec` refuses as a value, or a bad `weight_init_std`.

    Examples:
        >>> build_network([{"input_dim": 2, "output_dim": 1, "activation": "sigmoid"}], rng=0)
        MultiLayerNet(Affine1 -> SigmoidWithLoss)
    """
    validate_spec(spec)
    hidden = spec[:-1]
    return MultiLayerNet(
        **_net_arguments(spec),
        weight_init_std=weight_init_std,
        rng=rng,
        dtype=dtype,
        batch_norm=[layer.get("batch_norm", False) for layer in hidden],
        dropout=[layer.get("dropout", 0.0) for layer in hidden],
        weight_decay=weight_decay,
    )


# --8<-- [start:net_arguments]
def _net_arguments(spec):
    """What a checked spec says of the network: `MultiLayerNet`'s sizes, activations and loss."""
    hidden, output = spec[:-1], spec[-1]  # every dict but the last, and the last
    return {
        "input_size": spec[0]["input_dim"],
        "hidden_sizes": [layer["output_dim"] for layer in hidden],
        "output_size": output["output_dim"],
        "activation": [layer["activation"] for layer in hidden],
        "loss": OUTPUT_LOSSES[output["activation"]],  # the output's activation picks the loss
    }


# --8<-- [end:net_arguments]
