"""Benchmark: one float32 training step of SimpleConvNet against the book's way and its products.

    python tests/bench_conv.py [--repeats 20]

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
import time

import numpy as np

from nn import SimpleConvNet
from nn.optim import SGD


# -- the book's way, written for this benchmark (float64 buffers, loops over filter positions) --
def book_im2col(x, fh, fw, stride=1, pad=0):
    N, C, H, W = x.shape
    out_h, out_w = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    col = np.zeros((N, C, fh, fw, out_h, out_w))  # float64, whatever x is
    for y in range(fh):
        for x_ in range(fw):
            col[:, :, y, x_] = img[
                :, :, y : y + stride * out_h : stride, x_ : x_ + stride * out_w : stride
            ]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def book_col2im(col, shape, fh, fw, stride=1, pad=0):
    N, C, H, W = shape
    out_h, out_w = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    col = col.reshape(N, out_h, out_w, C, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for y in range(fh):
        for x_ in range(fw):
            img[:, :, y : y + stride * out_h : stride, x_ : x_ + stride * out_w : stride] += col[
                :, :, y, x_
            ]
    return img[:, :, pad : H + pad, pad : W + pad]


class BookConvolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        FN, _, FH, FW = self.W.shape
        N, _, H, W = x.shape
        out_h = 1 + int((H + 2 * self.pad - FH) / self.stride)
        out_w = 1 + int((W + 2 * self.pad - FW) / self.stride)
        self.x, self.col = x, book_im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        out = np.dot(self.col, self.col_W) + self.b
        return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = np.dot(dout, self.col_W.T)
        return book_col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class BookPooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = int(1 + (H - self.pool_h) / self.stride)  # the book's: ignores pad
        out_w = int(1 + (W - self.pool_w) / self.stride)
        col = book_im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.x, self.arg_max = x, np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        return out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dcol = dmax.reshape((*dout.shape, size)).reshape(-1, dout.shape[3] * size)
        return book_col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class BookRelu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0  # the book writes into dout
        return dout


class BookAffine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        self.dW, self.db = np.dot(self.x.T, dout), np.sum(dout, axis=0)
        return np.dot(dout, self.W.T).reshape(*self.original_x_shape)


def book_step(layers, x, t, lr):
    """Forward, softmax with loss, backward and an SGD update, as the book's classes do it."""
    for layer in layers:
        x = layer.forward(x)
    y = np.exp(x - x.max(axis=1, keepdims=True))
    y /= y.sum(axis=1, keepdims=True)
    dout = y.copy()
    dout[np.arange(len(t)), t] -= 1
    dout /= len(t)
    for layer in reversed(layers):
        dout = layer.backward(dout)
    for layer in layers:
        if hasattr(layer, "W"):
            layer.W -= lr * layer.dW
            layer.b -= lr * layer.db


def book_layers(net):
    """The book's layers with float64 copies of `net`'s weights (the book's np.random.randn)."""
    p = {k: v.astype(np.float64) for k, v in net.params.items()}
    return [
        BookConvolution(p["W1"], p["b1"]),
        BookRelu(),
        BookPooling(2, 2, stride=2),
        BookAffine(p["W2"], p["b2"]),
        BookRelu(),
        BookAffine(p["W3"], p["b3"]),
    ]


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
    for f in funcs.values():  # warm up caches and BLAS threads
        for _ in range(2):
            f()
    times: dict[str, list[float]] = {key: [] for key in funcs}
    for _ in range(args.repeats):
        for key, f in funcs.items():
            start = time.perf_counter()
            f()
            times[key].append(time.perf_counter() - start)
    ms = {key: 1e3 * float(np.median(v)) for key, v in times.items()}
    print(f"NumPy {np.__version__}, SimpleConvNet 1x28x28, batch {batch}, float32 (book: float64),")
    print(f"median of {args.repeats} interleaved runs")
    print("   ".join(f"{key} {v:.2f} ms" for key, v in ms.items()))
    print(f"    book/step {ms['book'] / ms['step']:.2f}")
    print(f"    step/matmuls {ms['step'] / ms['matmuls']:.2f}")


if __name__ == "__main__":
    main()
