"""Datasets as NumPy arrays: MNIST, shipped as a 10,000-digit subset or downloaded in full.

Also small synthetic sets (two moons, a sine) and a train/test split for the tutorials.

Examples:
    >>> from nn.datasets import load_mnist
    >>> (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
    >>> x_train.shape
    (8000, 1, 28, 28)
"""

from nn.datasets.mnist import load_mnist, one_hot, stratified_split
from nn.datasets.toy import make_moons, make_sine, train_test_split

__all__ = [
    "load_mnist",
    "make_moons",
    "make_sine",
    "one_hot",
    "stratified_split",
    "train_test_split",
]
