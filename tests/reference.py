"""The book's convolution layers, written the book's way: an oracle for nn's (tests/test_conv.py).

im2col and col2im loop over the filter positions into float64 buffers (what `np.zeros` gives),
pooling goes through im2col and an argmax over each row. benchmarks/bench_conv.py times nn's
step against the same network built from these.
"""

import numpy as np


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
