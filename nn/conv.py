"""Convolutional networks: im2col, the Convolution and Pooling layers, and SimpleConvNet.

Images are `(N, C, H, W)`: N images of C channels, H rows and W columns, as in the book.
`im2col` turns every window a filter sees into one row, so that a convolution becomes one matrix
product; `col2im` adds the rows back onto the images, which is what the backward pass needs.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, DTypeLike, NDArray

from nn._checks import check_sizes
from nn.init import as_rng, float_dtype, init_weight
from nn.layers import Affine, Layer, Relu, SoftmaxWithLoss
from nn.networks import Network


# --8<-- [start:conv_output_size]
def conv_output_size(input_size: int, filter_size: int, stride: int = 1, pad: int = 0) -> int:
    """How many positions a filter takes along one axis: `(input + 2*pad - filter) // stride + 1`.

    The division rounds down, as in PyTorch: where the last step of `stride` would carry the
    filter past the padded input's edge, there is no window, and the rows or columns left over
    are in no window (for 3x3, stride 2, pad 1 on 28 rows, only the bottom row of padding).
    An int, or a ValueError if the filter is larger than the padded input.

    Examples:
        >>> conv_output_size(28, 5), conv_output_size(24, 2, stride=2), conv_output_size(5, 2, 2)
        (24, 12, 2)
    """
    if not (stride >= 1 and pad >= 0 and filter_size >= 1):
        raise ValueError(
            f"need filter_size >= 1, stride >= 1, pad >= 0, got {filter_size}, {stride}, {pad}"
        )
    span = input_size + 2 * pad - filter_size  # how far the filter can move
    if span < 0:
        raise ValueError(
            f"a filter of size {filter_size} is larger than the input of size {input_size} "
            f"padded by {pad} on each side ({input_size + 2 * pad})"
        )
    return span // stride + 1  # the steps of `stride` that fit in `span`, and the start


# --8<-- [end:conv_output_size]


# --8<-- [start:im2col]
def im2col(
    x: ArrayLike, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0, fill: float = 0.0
) -> NDArray:
    """Every `filter_h x filter_w` window of the images `x` as one row, in `x`'s dtype.

    Args:
        x: images `(N, C, H, W)`.
        filter_h: the window's height FH.
        filter_w: the window's width FW.
        stride: the step from one window to the next.
        pad: the width of the border added on every side.
        fill: the value of the border (Pooling uses -inf: the border is never a maximum).

    Returns:
        `(N*OH*OW, C*FH*FW)`: rows ordered by image, output row, output column; columns by
            channel, filter row, filter column.

    Examples:
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> im2col(x, 2, 2, stride=2)[0]  # the first window, top left
        array([0., 1., 4., 5.])
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"im2col expects images of shape (N, C, H, W), got {x.shape}")
    N, C, H, W = x.shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=fill)
    # windows[n, c, i, j, y, x] = img[n, c, i*stride + y, j*stride + x]: a view, no copy yet
    windows = sliding_window_view(img, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]
    # (N, C, OH, OW, FH, FW) -> (N, OH, OW, C, FH, FW): one copy, then rows and columns
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * out_h * out_w, C * filter_h * filter_w)


# --8<-- [end:im2col]


# --8<-- [start:col2im]
def col2im(
    col: ArrayLike, input_shape: tuple, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0
) -> NDArray:
    """Add every row of `col` back onto the window of the images it came from.

    The adjoint of `im2col`, not its inverse: a pixel that lies in several windows receives
    the sum of their values, which is what a backward pass needs.

    Args:
        col: `(N*OH*OW, C*FH*FW)`, laid out as `im2col` returns it.
        input_shape: the images' shape `(N, C, H, W)`; the other arguments as for `im2col`.

    Returns:
        `(N, C, H, W)` in `col`'s dtype; what fell on the padding is dropped, and a pixel in
            no window (the floor of `conv_output_size`) gets 0.

    Examples:
        >>> col = np.ones((4, 9))  # the four 3x3 windows of a 4x4 image
        >>> col2im(col, (1, 1, 4, 4), 3, 3)[0, 0, 1]  # row 1: windows per pixel
        array([2., 4., 4., 2.])
    """
    N, C, H, W = input_shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    col = np.asarray(col).reshape(N, out_h, out_w, C, filter_h, filter_w)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for y in range(filter_h):  # one filter position at a time: add it to every window
        for x in range(filter_w):
            rows, cols = slice(y, y + stride * out_h, stride), slice(x, x + stride * out_w, stride)
            img[:, :, rows, cols] += col[:, :, :, :, y, x].transpose(0, 3, 1, 2)
    return img[:, :, pad : pad + H, pad : pad + W]


# --8<-- [end:col2im]


# --8<-- [start:window_layer]
class WindowLayer(Layer):
    """A layer that slides a window over images `(N, C, H, W)`: Convolution and Pooling.

    Its two checks, one line each: `check_window` in `__init__`, `check_images` in `forward`.
    """

    stride: int = 1
    pad: int = 0

    def check_window(
        self, window: tuple[int, ...], stride: int, pad: int, *, pad_below_window: bool = False
    ) -> tuple[int, int]:
        """`(stride, pad)`: positive window sizes and stride, a pad >= 0.

        With `pad_below_window` (Pooling), the pad must be smaller than the window, so that no
        window holds only padding.
        """
        name, values = type(self).__name__, (*window, stride, pad)
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
            raise TypeError(f"{name}: window {window}, stride and pad must be ints, got {values}")
        too_wide = pad_below_window and pad >= min(window)
        if min(window) < 1 or stride < 1 or pad < 0 or too_wide:
            rule = "0 <= pad < the window's smaller side" if pad_below_window else "0 <= pad"
            raise ValueError(
                f"{name} needs a window of positive sizes, a stride >= 1 and {rule}; got "
                f"window {tuple(window)}, stride {stride}, pad {pad}"
            )
        return int(stride), int(pad)

    def check_images(
        self,
        x: ArrayLike,
        window: tuple[int, int],
        *,
        channels: int | None = None,
        dtype: DTypeLike | None = None,
    ) -> tuple[NDArray, tuple[int, int]]:
        """`x` as float images `(N, C, H, W)` that the window fits, and the output's `(OH, OW)`."""
        x = self.check_input(x, dtype=dtype)
        name = type(self).__name__
        if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
            want = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
            raise ValueError(f"{name} expects images of shape {want}, got x of shape {x.shape}")
        try:
            out_h = conv_output_size(x.shape[2], window[0], self.stride, self.pad)
            out_w = conv_output_size(x.shape[3], window[1], self.stride, self.pad)
        except ValueError as e:
            raise ValueError(
                f"{name}: a {window[0]}x{window[1]} window, stride {self.stride} and pad "
                f"{self.pad} do not fit images of shape {x.shape}: {e}"
            ) from None
        return x, (out_h, out_w)


# --8<-- [end:window_layer]


# --8<-- [start:convolution]
class Convolution(WindowLayer):
    """Convolution layer: filters W `(FN, C, FH, FW)`, biases b `(FN,)`, images `(N, C, H, W)`.

    The output is `(N, FN, OH, OW)`, one feature map per filter (see `conv_output_size`).

    Examples:
        >>> conv = Convolution(np.ones((2, 1, 3, 3)), np.zeros(2))  # two 3x3
        >>> conv.forward(np.ones((4, 1, 5, 5))).shape
        (4, 2, 3, 3)
    """

    param_names = ("W", "b")

    def __init__(self, W, b, stride=1, pad=0, *, input_grad=True):
        self.W, self.b = self.check_params(W, b, ndim=4, out_axis=0)
        self.stride, self.pad = self.check_window(self.W.shape[2:], stride, pad)
        self.input_grad = input_grad  # False in a first layer: the data needs no gradient
        self.x_shape = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        """Return `(N, FN, OH, OW)` feature maps; cache `col`, `col_W` and the input's shape."""
        FN, C, FH, FW = self.W.shape
        x, (out_h, out_w) = self.check_images(x, (FH, FW), channels=C, dtype=self.W.dtype)
        col = im2col(x, FH, FW, self.stride, self.pad)  # (N*OH*OW, C*FH*FW): a window a row
        col_W = self.W.reshape(FN, -1).T  # (C*FH*FW, FN): a filter a column
        out = col @ col_W  # every window times every filter: one matrix product
        out += self.b  # in place: no second array of that size
        self.x_shape, self.col, self.col_W = x.shape, col, col_W
        return self.record_output(out.reshape(len(x), out_h, out_w, FN).transpose(0, 3, 1, 2))

    def backward(self, dout):
        """Store `dW`, `db`; return `dx`, `(N, C, H, W)`, or None if not `input_grad`."""
        dout = self.check_dout(dout)
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)  # back to the rows of `out` above
        self.db = np.sum(dout, axis=0)  # each bias was added to every window
        self.dW = (dout.T @ self.col).reshape(FN, C, FH, FW)
        if not self.input_grad:
            return None
        dcol = dout @ self.col_W.T  # the gradient of every window, (N*OH*OW, C*FH*FW)
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)


# --8<-- [end:convolution]


# --8<-- [start:pooling]
class Pooling(WindowLayer):
    """Max pooling: the largest value of every `pool_h x pool_w` window, channel by channel."""

    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.stride, self.pad = self.check_window(
            (pool_h, pool_w), stride, pad, pad_below_window=True
        )
        self.pool_h, self.pool_w = pool_h, pool_w
        self.img = None  # the padded input
        self.out = None

    def positions(self, img, out_h, out_w):
        """One view `(N, C, OH, OW)` of `img` per window position: what it holds in each window."""
        s, h, w = self.stride, self.pool_h, self.pool_w
        return [
            img[:, :, y : y + s * out_h : s, x : x + s * out_w : s]
            for y in range(h)
            for x in range(w)
        ]

    def forward(self, x):
        """Return the window maxima, `(N, C, OH, OW)`; cache the padded input `img` and `out`."""
        x, (out_h, out_w) = self.check_images(x, (self.pool_h, self.pool_w))
        p = self.pad  # pad with -inf, not 0: the border is never a window's maximum
        self.img = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], constant_values=-np.inf) if p else x
        self.out = np.max(self.positions(self.img, out_h, out_w), axis=0)
        return self.record_output(self.out)

    def backward(self, dout):
        """Return `dx`, `(N, C, H, W)`: each `dout` at its window's (first) maximum, else 0."""
        dout = self.check_dout(dout)
        dimg = np.zeros_like(self.img)
        taken = np.zeros(dout.shape, dtype=bool)  # a tie: only the first maximum gets dout
        windows = self.positions(self.img, *dout.shape[2:])
        for win, dwin in zip(windows, self.positions(dimg, *dout.shape[2:]), strict=True):
            hit = (win == self.out) & ~taken
            taken |= hit
            dwin += dout * hit  # dwin is a view: this adds into dimg
        p, (H, W) = self.pad, self.img.shape[2:]
        return dimg[:, :, p : H - p, p : W - p]


# --8<-- [end:pooling]


# --8<-- [start:simple_conv_net]
class SimpleConvNet(Network):
    """Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine -> Softmax-with-Loss, as in the book.

    The book's `conv_param` dict is four arguments here: `filter_num`, `filter_size`, `pad`,
    `stride`. `weight_init_std`: a standard deviation, "he" or "xavier"; `rng`: a seed.
    Its default, 0.01, is the book's (as in `TwoLayerNet`); "he" suits ReLU, `MultiLayerNet`'s.

    Examples:
        >>> net = SimpleConvNet(rng=0)  # for MNIST's 1x28x28 images
        >>> net.predict(np.zeros((2, 1, 28, 28))).shape
        (2, 10)
    """

    def __init__(
        self,
        input_dim=(1, 28, 28),
        filter_num=30,
        filter_size=5,
        pad=0,
        stride=1,
        hidden_size=100,
        output_size=10,
        weight_init_std=0.01,
        rng=None,
        dtype=np.float64,
    ):
        rng, dtype = as_rng(rng), float_dtype(dtype)
        C, H, W = input_dim
        check_sizes(filter_num=filter_num, hidden_size=hidden_size, output_size=output_size)
        conv = [conv_output_size(n, filter_size, stride, pad) for n in (H, W)]
        pool = [conv_output_size(n, 2, stride=2) for n in conv]  # 2x2 windows, stride 2
        W1 = init_weight(rng, C * filter_size**2, filter_num, weight_init_std, dtype)
        W1 = W1.T.reshape(filter_num, C, filter_size, filter_size)  # a column per filter
        W2 = init_weight(rng, filter_num * pool[0] * pool[1], hidden_size, weight_init_std, dtype)
        W3 = init_weight(rng, hidden_size, output_size, weight_init_std, dtype)
        layers: OrderedDict[str, Layer] = OrderedDict()
        layers["Conv1"] = Convolution(
            W1, np.zeros(filter_num, dtype), stride, pad, input_grad=False
        )
        layers["Relu1"] = Relu()
        layers["Pool1"] = Pooling(2, 2, stride=2)
        layers["Affine1"] = Affine(W2, np.zeros(hidden_size, dtype))
        layers["Relu2"] = Relu()
        layers["Affine2"] = Affine(W3, np.zeros(output_size, dtype))
        super().__init__(layers, SoftmaxWithLoss())
        self.input_dim = (C, H, W)

    def predict(self, x):  # x only: the network base adds train_flg (ignored here)
        """The scores for images `(N, C, H, W)` of the `input_dim` the network was built for."""
        if np.ndim(x) != 4 or np.shape(x)[1:] != self.input_dim:
            raise ValueError(
                f"SimpleConvNet expects input of shape (N, {', '.join(map(str, self.input_dim))})"
                f", got {np.shape(x)}"
            )
        return super().predict(x)


# --8<-- [end:simple_conv_net]
