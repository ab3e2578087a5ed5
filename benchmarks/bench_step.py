"""Benchmark: one float32 training step against its matrix products alone, in the same run.

    python -m benchmarks.bench_step [--repeats 50]

For each network it times, interleaved so machine noise hits all three alike,
  step:     forward, backward (backprop) and an SGD update through `nn`;
  floor:    the same step written as one flat NumPy function: no layers, no checks, every
            temporary reused where NumPy allows; what NumPy itself costs for this step;
  matmuls:  the same matrix products on the same shapes with plain NumPy, nothing else,
and prints the ratios of their medians. step/matmuls of 1.25 means activations, softmax, bias
sums, the update and all Python overhead together cost 25% on top of the products;
step/floor is what nn's layers, checks and Python calls add to NumPy's own cost.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.timing import interleaved_medians
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


def numpy_floor(x, t, ws, bs, lr):
    """One SGD step of a ReLU network with softmax cross-entropy, in flat NumPy."""
    rows = np.arange(len(t))
    hs, masks = [x], []
    for W, b in zip(ws[:-1], bs[:-1], strict=True):
        a = hs[-1] @ W
        a += b
        masks.append(a > 0)
        hs.append(np.maximum(a, 0, out=a))
    s = hs[-1] @ ws[-1]
    s += bs[-1]
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    total = e.sum(axis=1, keepdims=True)
    _ = (np.log(total[:, 0]) - s[rows, t]).sum() / len(t)  # the loss
    d = np.divide(e, total, out=e)
    d[rows, t] -= 1
    d *= 1 / len(t)
    for i in range(len(ws) - 1, -1, -1):
        dW, db = hs[i].T @ d, d.sum(axis=0)
        if i > 0:
            d = d @ ws[i].T
            d *= masks[i - 1]
        ws[i] -= lr * dW
        bs[i] -= lr * db


def bench(name, net, batch, repeats, rng):
    n_in = net.params["W1"].shape[0]
    n_out = net.params[f"W{len(net.params) // 2}"].shape[1]
    x = rng.standard_normal((batch, n_in), dtype=np.float32)
    t = rng.integers(0, n_out, batch)
    opt = SGD(lr=0.01)
    ws = [net.params[f"W{i}"] for i in range(1, len(net.params) // 2 + 1)]
    douts = [rng.standard_normal((batch, W.shape[1]), dtype=np.float32) for W in ws]
    raw_ws = [W.copy() for W in ws]  # the floor trains its own copy
    raw_bs = [net.params[f"b{i}"].copy() for i in range(1, len(ws) + 1)]

    def step():
        grads = net.gradient(x, t)
        opt.update(net.params, grads)

    def floor():
        numpy_floor(x, t, raw_ws, raw_bs, opt.lr)

    step()  # the floor must do the same arithmetic, or comparing it would mean nothing
    floor()
    for i, (W, b) in enumerate(zip(raw_ws, raw_bs, strict=True), start=1):
        np.testing.assert_allclose(W, net.params[f"W{i}"], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b, net.params[f"b{i}"], rtol=1e-4, atol=1e-6)

    def products():
        matmuls_only(x, ws, douts)

    funcs = {"step": step, "floor": floor, "matmuls": products}
    ms = interleaved_medians(funcs, repeats, warmup=3)
    print(f"{name}: " + "   ".join(f"{key} {v:.3f} ms" for key, v in ms.items()))
    for a, b in (("step", "matmuls"), ("floor", "matmuls"), ("step", "floor")):
        print(f"    {a}/{b} {ms[a] / ms[b]:.3f}")
    return ms["step"] / ms["matmuls"]


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
