"""Benchmark: one float32 training step against its matrix products alone, in the same run.

    python tests/bench_step.py [--repeats 50]

For each network it times, interleaved so machine noise hits both alike,
  step:     forward, backward (backprop) and an SGD update through `nn`;
  matmuls:  the same matrix products on the same shapes with plain NumPy, nothing else,
and prints the ratio of their medians. A ratio of 1.25 means activations, softmax, bias
sums, the update and all Python overhead together cost 25% on top of the products.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nn import MultiLayerNet, TwoLayerNet
from nn.optim import SGD


def matmuls_only(x, ws, douts):
    """The products a step does: forward x@W, backward x.T@dout and dout@W.T (not layer 1)."""
    h = x
    for W in ws:
        h = h @ W
    for i, (W, dout, inp) in enumerate(zip(ws, douts, [x, *douts[:-1]], strict=True)):
        _ = inp.T @ dout
        if i > 0:
            _ = dout @ W.T


def bench(name, net, batch, repeats, rng):
    n_in = net.params["W1"].shape[0]
    n_out = net.params[f"W{len(net.params) // 2}"].shape[1]
    x = rng.standard_normal((batch, n_in), dtype=np.float32)
    t = rng.integers(0, n_out, batch)
    opt = SGD(lr=0.01)
    ws = [net.params[f"W{i}"] for i in range(1, len(net.params) // 2 + 1)]
    douts = [rng.standard_normal((batch, W.shape[1]), dtype=np.float32) for W in ws]

    def step():
        grads = net.gradient(x, t)
        opt.update(net.params, grads)

    def products():
        matmuls_only(x, ws, douts)

    for f in (step, products):  # warm up caches and BLAS threads
        for _ in range(3):
            f()
    times = {"step": [], "matmuls": []}
    for _ in range(repeats):
        for key, f in (("step", step), ("matmuls", products)):
            start = time.perf_counter()
            f()
            times[key].append(time.perf_counter() - start)
    step_ms = 1e3 * float(np.median(times["step"]))
    mm_ms = 1e3 * float(np.median(times["matmuls"]))
    ratio = step_ms / mm_ms
    print(f"{name:<28} step {step_ms:8.3f} ms   matmuls {mm_ms:8.3f} ms   ratio {ratio:.3f}")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"NumPy {np.__version__}, float32, median of {args.repeats} interleaved runs")
    bench(
        "784-50-10, batch 100",
        TwoLayerNet(784, 50, 10, rng=0, dtype=np.float32),
        100,
        args.repeats,
        rng,
    )
    big = MultiLayerNet(784, [1024, 1024], 10, rng=0, dtype=np.float32)
    bench("784-1024-1024-10, batch 256", big, 256, args.repeats, rng)


if __name__ == "__main__":
    main()
