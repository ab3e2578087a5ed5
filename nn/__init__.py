"""nn: neural networks from scratch in NumPy.

Examples:
    >>> from nn import MulLayer
    >>> MulLayer().forward(100, 2)
    200
"""

from nn.functions import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy_error,
    log_softmax,
    mean_squared_error,
    relu,
    sigmoid,
    softmax,
)
from nn.gradient import gradient_check, numerical_gradient, rel_error
from nn.init import as_rng, init_weight
from nn.layers import (
    AddLayer,
    Affine,
    Layer,
    MSELoss,
    MulLayer,
    Relu,
    Sigmoid,
    SigmoidWithLoss,
    SoftmaxWithLoss,
)
from nn.networks import MultiLayerNet, Network, Parameters, TwoLayerNet

__all__ = [
    "AddLayer",
    "Affine",
    "Layer",
    "MSELoss",
    "MulLayer",
    "MultiLayerNet",
    "Network",
    "Parameters",
    "Relu",
    "Sigmoid",
    "SigmoidWithLoss",
    "SoftmaxWithLoss",
    "TwoLayerNet",
    "as_rng",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy_error",
    "gradient_check",
    "init_weight",
    "log_softmax",
    "mean_squared_error",
    "numerical_gradient",
    "rel_error",
    "relu",
    "sigmoid",
    "softmax",
]
