"""Benchmark: one float32 training step of SimpleConvNet against the book's way and its products.

    python -m benchmarks.bench_conv [--repeats 20]

Times, interleaved so that machine noise hits all three alike, at batch 100 on 28x28 images:
  step:     forward, backward and an SGD update of `nn.SimpleConvNet` in float32;
  book:     the same network and step written the way the book writes it (below): im2col and
            col2im loop over the filter positions into float64 buffers (what `np.zeros` gives),
            pooling goes through im2col and an argmax over each row, and the first layer's
            input gradient is computed although nothing uses it;
  matmuls:  the matrix products of nn's step on the same shapes, nothing else;
and prints the ratios of their medians. The book-style reference is checked to make the same
update as nn before anything is timed, so the three do the same arithmetic.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.timing import interleaved_medians
from nn import SimpleConvNet
from nn.optim import SGD
from tests.reference import (
    book_layers,
    book_step,
)


def matmuls_only(x_col, W1, W2, W3, d_conv, d_hidden, d_out, h_pool, h_hidden):
    """The products of nn's step: each layer's forward, dW, and dx except the first layer's."""
    _ = x_col @ W1
    _ = h_pool @ W2
    _ = h_hidden @ W3
    _ = h_hidden.T @ d_out
    _ = d_out @ W3.T
    _ = h_pool.T @ d_hidden
    _ = d_hidden @ W2.T
    _ = d_conv.T @ x_col


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    batch = 100
    net = SimpleConvNet(rng=0, weight_init_std="he", dtype=np.float32)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, 10, batch)
    opt = SGD(lr=0.01)
    book = book_layers(net)

    def step():
        opt.update(net.params, net.gradient(x, t))

    def book_way():
        book_step(book, x, t, opt.lr)

    step()  # the reference must make the same update, or comparing it would mean nothing
    book_way()
    for i, layer in enumerate([book[0], book[3], book[5]], start=1):
        np.testing.assert_allclose(layer.W, net.params[f"W{i}"], rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(layer.b, net.params[f"b{i}"], rtol=1e-3, atol=1e-5)

    f32 = lambda *shape: rng.standard_normal(shape, dtype=np.float32)  # noqa: E731
    shapes = (batch * 24 * 24, 25), (25, 30), (batch, 4320), (4320, 100), (100, 10)
    x_col, W1, h_pool, W2, W3 = (f32(*s) for s in shapes)
    d_conv, d_hidden, d_out, h_hidden = (
        f32(batch * 576, 30),
        f32(batch, 100),
        f32(batch, 10),
        f32(batch, 100),
    )

    def products():
        matmuls_only(x_col, W1, W2, W3, d_conv, d_hidden, d_out, h_pool, h_hidden)

    funcs = {"step": step, "book": book_way, "matmuls": products}
    ms = interleaved_medians(funcs, args.repeats, warmup=2)
    print(f"NumPy {np.__version__}, SimpleConvNet 1x28x28, batch {batch}, float32 (book: float64),")
    print(f"median of {args.repeats} interleaved runs")
    print("   ".join(f"{key} {v:.2f} ms" for key, v in ms.items()))
    print(f"    book/step {ms['book'] / ms['step']:.2f}")
    print(f"    step/matmuls {ms['step'] / ms['matmuls']:.2f}")


if __name__ == "__main__":
    main()
