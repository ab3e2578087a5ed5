"""nn: neural networks from scratch in NumPy.

Examples:
    >>> from nn import MulLayer
    >>> MulLayer().forward(100, 2)
    200
"""

from nn.autograd import Tensor
from nn.checkpoint import CheckpointInfo, load_checkpoint, save_checkpoint
from nn.conv import (
    Convolution,
    Pooling,
    SimpleConvNet,
    WindowLayer,
    col2im,
    conv_output_size,
    im2col,
)
from nn.data import ArrayDataset, DataLoader, Dataset
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
    LossLayer,
    MSELoss,
    MulLayer,
    Relu,
    Sigmoid,
    SigmoidWithLoss,
    SoftmaxWithLoss,
    unbroadcast,
)
from nn.networks import MultiLayerNet, Network, Parameters, TwoLayerNet
from nn.optim import SGD, AdaGrad, Adam, Momentum, Optimizer, RMSprop
from nn.regularization import BatchNormalization, Dropout, WeightDecay
from nn.spec import build_network, validate_spec
from nn.trainer import Trainer

__all__ = [
    "SGD",
    "AdaGrad",
    "Adam",
    "AddLayer",
    "Affine",
    "ArrayDataset",
    "BatchNormalization",
    "CheckpointInfo",
    "Convolution",
    "DataLoader",
    "Dataset",
    "Dropout",
    "Layer",
    "LossLayer",
    "MSELoss",
    "Momentum",
    "MulLayer",
    "MultiLayerNet",
    "Network",
    "Optimizer",
    "Parameters",
    "Pooling",
    "RMSprop",
    "Relu",
    "Sigmoid",
    "SigmoidWithLoss",
    "SimpleConvNet",
    "SoftmaxWithLoss",
    "Tensor",
    "Trainer",
    "TwoLayerNet",
    "WeightDecay",
    "WindowLayer",
    "as_rng",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "build_network",
    "col2im",
    "conv_output_size",
    "cross_entropy_error",
    "gradient_check",
    "im2col",
    "init_weight",
    "load_checkpoint",
    "log_softmax",
    "mean_squared_error",
    "numerical_gradient",
    "rel_error",
    "relu",
    "save_checkpoint",
    "sigmoid",
    "softmax",
    "unbroadcast",
    "validate_spec",
]
