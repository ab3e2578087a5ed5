"""Benchmark: one training step through nn.autograd against the hand-written layers, same run.

    python -m benchmarks.bench_autograd [--repeats 200]

For TwoLayerNet(784, 50, 10) on a float32 batch of 100 it times, interleaved so machine noise
hits both alike,
  layers:   forward and backward through `TwoLayerNet.gradient` (the book's layers);
  autograd: the same network written with `Tensor`s: forward, then `loss.backward()`;
and prints the ratio of their medians. autograd/layers of 1.2 means building the graph and
walking it back costs 20% more than calling the layers by hand. Both compute the same
gradients, checked before anything is timed. No update: the step's own cost is compared.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.timing import interleaved_medians
from nn import Tensor, TwoLayerNet
from nn.autograd import cross_entropy


def autograd_gradient(params, x, t):
    """`TwoLayerNet`'s loss written with tensors, and the gradient of every parameter."""
    hidden = (x @ params["W1"] + params["b1"]).relu()
    loss = cross_entropy(hidden @ params["W2"] + params["b2"], t)
    loss.backward()
    return {name: p.grad for name, p in params.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    net = TwoLayerNet(784, 50, 10, weight_init_std=0.1, rng=0, dtype=np.float32)
    params = {name: Tensor(p) for name, p in net.params.items()}  # the same arrays
    x = rng.standard_normal((100, 784), dtype=np.float32)
    t = rng.integers(0, 10, 100)

    expected = net.gradient(x, t)  # same gradients, or comparing the times would mean nothing
    for name, grad in autograd_gradient(params, x, t).items():
        np.testing.assert_allclose(grad, expected[name], rtol=1e-5, atol=1e-7)

    funcs = {
        "layers": lambda: net.gradient(x, t),
        "autograd": lambda: autograd_gradient(params, x, t),
    }
    ms = interleaved_medians(funcs, args.repeats, warmup=5)
    print(f"NumPy {np.__version__}, float32, median of {args.repeats} interleaved runs")
    print("784-50-10, batch 100: " + "   ".join(f"{key} {v:.3f} ms" for key, v in ms.items()))
    print(f"    autograd/layers {ms['autograd'] / ms['layers']:.3f}")


if __name__ == "__main__":
    main()
