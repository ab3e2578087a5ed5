"""Does `gradient_check` tell a correct backward pass from three planted bugs, at the book's size?

`python -m tests.gradient_at_scale` checks `TwoLayerNet(784, 50, 10)` on 100 MNIST training
images for 20 seeds, correct and with each bug, and prints how many seeds pass the rule
`rel_error < 1e-3`. `tests/test_gradient_check.py` pins the same counts at a smaller size.
"""

import argparse
from collections import OrderedDict

import numpy as np

from nn import Affine, Network, Relu, SoftmaxWithLoss, TwoLayerNet, gradient_check
from nn.datasets import load_mnist


class DroppedTranspose(Affine):
    """`dx` without the transpose of `W`; where `W` is not square, a reshape keeps the shapes."""

    def backward(self, dout):
        super().backward(dout)
        W = self.W if self.W.shape[0] == self.W.shape[1] else self.W.reshape(self.W.shape[::-1])
        return dout @ W  # the bug: W.T is the right matrix


class MissingOneOverN(SoftmaxWithLoss):
    """The gradient of the summed loss, not of the mean: N times too large."""

    def backward(self, dout=1.0):
        return super().backward(dout) * len(self.t)  # the bug: undoes the 1/N


class WrongReluMask(Relu):
    """The mask taken from the sign of the upstream gradient, not from the ReLU's input."""

    def backward(self, dout):
        super().backward(dout)
        return np.where(dout > 0, dout, 0)  # the bug: self.mask is the right mask


BUGS = {
    "dropped transpose": ("Affine2", DroppedTranspose),
    "missing 1/N": ("last", MissingOneOverN),
    "wrong ReLU mask": ("Relu1", WrongReluMask),
}


def network(hidden_size, seed, bug=None):
    """`TwoLayerNet(784, hidden_size, 10, rng=seed)`, with one layer replaced by a buggy one."""
    net = TwoLayerNet(784, hidden_size, 10, rng=seed)
    if bug is None:
        return net
    where, cls = BUGS[bug]
    layers = OrderedDict(net.layers)
    if where == "Affine2":
        old = layers["Affine2"]
        layers["Affine2"] = cls(old.W.copy(), old.b.copy())
    elif where == "Relu1":
        layers["Relu1"] = cls()
    return Network(layers, cls() if where == "last" else SoftmaxWithLoss())


def passes(hidden_size, n_images, seed, bug=None, entries=None):
    """Whether the check of one seed passes the rule, and how many entries crossed a kink."""
    (x_train, t_train), _ = load_mnist()
    rng = np.random.default_rng(seed)
    batch = rng.choice(len(x_train), n_images, replace=False)
    net = network(hidden_size, seed, bug)
    errors = gradient_check(net, x_train[batch], t_train[batch], entries=entries, rng=rng)
    return bool(max(errors.values()) < 1e-3), sum(errors.kinks.values())


def counts(hidden_size, n_images, seeds, entries=None):
    """For a correct backward and each bug: on how many seeds the check passes."""
    result = {}
    for bug in (None, *BUGS):
        runs = [passes(hidden_size, n_images, seed, bug, entries) for seed in seeds]
        result[bug or "correct"] = (sum(ok for ok, _ in runs), sum(k for _, k in runs))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=50)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--entries", type=int, default=50, help="per parameter; 0: all")
    args = parser.parse_args()
    entries = args.entries or None
    print(f"TwoLayerNet(784, {args.hidden}, 10) on {args.images} images, {args.seeds} seeds,")
    print(f"entries checked per parameter: {entries or 'all'}; rule: rel_error < 1e-3")
    result = counts(args.hidden, args.images, range(args.seeds), entries)
    for case, (passed, kinks) in result.items():
        print(
            f"{case:<18} passes {passed:2d} of {args.seeds} (entries left out at a kink: {kinks})"
        )


if __name__ == "__main__":
    main()
