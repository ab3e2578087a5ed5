"""Chapter 7: im2col and col2im, the Convolution and Pooling layers, and SimpleConvNet."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import (
    SGD,
    ArrayDataset,
    Convolution,
    DataLoader,
    Pooling,
    SimpleConvNet,
    Trainer,
    col2im,
    conv_output_size,
    gradient_check,
    im2col,
    load_checkpoint,
    save_checkpoint,
)
from tests.helpers import check_layer
from tests.reference import BookPooling, book_col2im, book_im2col


@pytest.fixture
def rng():
    return np.random.default_rng(20261201)


def windows_by_loop(x, fh, fw, stride, pad, fill=0.0):
    """im2col the slow, obvious way: one output position at a time, one window a row."""
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=fill)
    out_h = (img.shape[2] - fh) // stride + 1
    out_w = (img.shape[3] - fw) // stride + 1
    rows = [
        img[n, :, i * stride : i * stride + fh, j * stride : j * stride + fw].ravel()
        for n in range(len(x))
        for i in range(out_h)
        for j in range(out_w)
    ]
    return np.array(rows, dtype=x.dtype).reshape(len(rows), -1)


CASES = [(3, 3, 1, 0), (3, 3, 2, 1), (2, 3, 1, 1), (3, 1, 2, 0), (1, 1, 1, 0), (5, 5, 1, 2)]


# -- im2col and col2im ----------------------------------------------------------------------


@pytest.mark.parametrize(("fh", "fw", "stride", "pad"), CASES)
def test_im2col_rows_are_the_windows_in_the_books_order(rng, fh, fw, stride, pad):
    # The book fills a six-axis array col[n, c, y, x, i, j] (filter position before output
    # position) and transposes it; nn takes windows[n, c, i, j, y, x] of a sliding view. Both
    # must give one window a row, rows by (image, out row, out col), columns by (c, y, x).
    x = rng.standard_normal((2, 3, 7, 7))
    expected = windows_by_loop(x, fh, fw, stride, pad)
    np.testing.assert_array_equal(im2col(x, fh, fw, stride, pad), expected)
    np.testing.assert_array_equal(book_im2col(x, fh, fw, stride, pad), expected)


def test_im2col_and_col2im_keep_the_dtype(rng):
    x = rng.standard_normal((2, 1, 4, 4), dtype=np.float32)
    col = im2col(x, 2, 2)
    assert col.dtype == np.float32, col.dtype
    assert col2im(col, x.shape, 2, 2).dtype == np.float32
    assert book_im2col(x, 2, 2).dtype == np.float64, "the book's np.zeros buffer is float64"


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    h=st.integers(1, 7),
    w=st.integers(1, 7),
    fh=st.integers(1, 4),
    fw=st.integers(1, 4),
    stride=st.integers(1, 3),
    pad=st.integers(0, 2),
    seed=st.integers(0, 2**32 - 1),
)
def test_col2im_is_the_adjoint_of_im2col(n, c, h, w, fh, fw, stride, pad, seed):
    # <im2col(x), y> == <x, col2im(y)> for every x and y: col2im is im2col's transpose.
    try:
        out_h = conv_output_size(h, fh, stride, pad)
        out_w = conv_output_size(w, fw, stride, pad)
    except ValueError:
        return  # the window does not fit: tested below
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    y = rng.standard_normal((n * out_h * out_w, c * fh * fw))
    lhs = np.sum(im2col(x, fh, fw, stride, pad) * y)
    rhs = np.sum(x * col2im(y, x.shape, fh, fw, stride, pad))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(
        col2im(y, x.shape, fh, fw, stride, pad), book_col2im(y, x.shape, fh, fw, stride, pad)
    )


def test_col2im_sums_overlapping_windows_and_is_not_the_inverse(rng):
    x = rng.standard_normal((1, 1, 4, 4))
    # 3x3 windows with stride 1 overlap: each pixel comes back once per window it lies in.
    counts = col2im(im2col(np.ones_like(x), 3, 3), x.shape, 3, 3)
    np.testing.assert_array_equal(
        counts[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    )
    np.testing.assert_allclose(col2im(im2col(x, 3, 3), x.shape, 3, 3), counts * x)
    # Windows that tile the image without overlap: then, and only then, it is the inverse.
    np.testing.assert_array_equal(col2im(im2col(x, 2, 2, 2), x.shape, 2, 2, 2), x)


# -- output sizes and clear errors --------------------------------------------------------------


def test_conv_output_size_is_an_int_or_a_clear_error():
    assert conv_output_size(28, 5) == 24 and type(conv_output_size(28, 5)) is int
    assert conv_output_size(4, 2, stride=2, pad=1) == 3
    book = (28 + 2 * 0 - 5) / 1 + 1  # the book's conv_output_size: true division
    assert book == 24.0 and type(book) is float
    with pytest.raises(ValueError, match=r"size 5 is larger than the input of size 4"):
        conv_output_size(4, 5)
    assert conv_output_size(5, 2, stride=2) == 2  # PyTorch's floor: row 4 is in no window
    with pytest.raises(ValueError, match="stride >= 1"):
        conv_output_size(5, 2, stride=0)


def test_a_window_that_does_not_fit_names_the_sizes_and_leaves_the_layer_alone(rng):
    conv = Convolution(rng.standard_normal((2, 1, 5, 5)), np.zeros(2))
    small = rng.standard_normal((1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"Convolution: a 5x5 window.*\(1, 1, 4, 4\).*larger"):
        conv.forward(small)
    assert conv.col is None and conv.x_shape is None, "a failed forward changed the layer"
    pool = Pooling(3, 3, stride=2)
    with pytest.raises(ValueError, match=r"Pooling: a 3x3 window, stride 2 and pad 0 .*larger"):
        pool.forward(rng.standard_normal((1, 3, 2, 2)))
    assert pool.img is None
    with pytest.raises(ValueError, match=r"im2col expects images of shape \(N, C, H, W\)"):
        im2col(np.zeros((4, 4)), 2, 2)


def test_convolution_checks_channels_and_image_axes(rng):
    conv = Convolution(rng.standard_normal((4, 3, 3, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=r"images of shape \(N, 3, H, W\), got x of shape"):
        conv.forward(np.zeros((2, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\), got x of shape \(3, 5, 5\)"):
        conv.forward(np.zeros((3, 5, 5)))
    with pytest.raises(ValueError, match=r"W with 4 axes"):
        Convolution(np.zeros((4, 3, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=r"b of shape"):
        Convolution(np.zeros((4, 3, 3, 3)), np.zeros(3))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"stride": 0}, ValueError, "stride >= 1"),
        ({"pad": -1}, ValueError, "0 <= pad"),
        ({"stride": 1.5}, TypeError, "must be ints"),
    ],
)
def test_bad_strides_and_pads_are_refused_at_construction(kwargs, error, message):
    with pytest.raises(error, match=message):
        Pooling(2, 2, **kwargs)
    with pytest.raises(error, match=message):
        Convolution(np.zeros((1, 1, 2, 2)), np.zeros(1), **kwargs)


def test_a_pooling_pad_as_wide_as_the_window_is_refused_but_a_convolution_pad_is_not():
    with pytest.raises(ValueError, match="0 <= pad < the window's smaller side"):
        Pooling(2, 2, pad=2)  # a window of padding only would give -inf
    out = Convolution(np.ones((1, 1, 2, 2)), np.zeros(1), pad=2).forward(np.ones((1, 1, 3, 3)))
    assert out.shape == (1, 1, 6, 6)  # as torch.nn.functional.conv2d(padding=2)


# -- the layers ---------------------------------------------------------------------------------


def convolve_by_loop(x, W, b, stride, pad):
    FN, _, FH, FW = W.shape
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    out_h, out_w = (img.shape[2] - FH) // stride + 1, (img.shape[3] - FW) // stride + 1
    out = np.empty((len(x), FN, out_h, out_w))
    for n, f, i, j in np.ndindex(out.shape):
        window = img[n, :, i * stride : i * stride + FH, j * stride : j * stride + FW]
        out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (2, 1), (1, 2)])
def test_convolution_forward_is_the_sum_over_every_window(rng, stride, pad):
    x, W, b = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((4, 3, 3, 3)), rng.random(4)
    out = Convolution(W, b, stride, pad).forward(x)
    np.testing.assert_allclose(out, convolve_by_loop(x, W, b, stride, pad), rtol=1e-12)


@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (2, 1), (1, 2)])
def test_convolution_gradients(rng, stride, pad):
    conv = Convolution(rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4), stride, pad)
    check_layer(conv, rng.standard_normal((2, 3, 7, 7)), rng)


def test_convolution_without_input_grad_skips_dx(rng):
    conv = Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2), input_grad=False)
    out = conv.forward(rng.standard_normal((2, 1, 5, 5)))
    assert conv.backward(np.ones_like(out)) is None
    assert conv.dW.shape == (2, 1, 3, 3) and conv.db.shape == (2,)


@pytest.mark.parametrize(
    ("size", "stride", "pad", "hw"), [(2, 2, 0, 6), (3, 2, 1, 7), (2, 1, 1, 6), (3, 3, 0, 9)]
)
def test_pooling_gradients(rng, size, stride, pad, hw):
    check_layer(Pooling(size, size, stride, pad), rng.standard_normal((2, 3, hw, hw)), rng)


def test_pooling_output_size_uses_its_own_pad_and_pads_with_minus_infinity(rng):
    x = -rng.random((2, 3, 4, 4)) - 1  # all negative: a zero border would win every window
    out = Pooling(2, 2, stride=2, pad=1).forward(x)
    assert out.shape == (2, 3, 3, 3), out.shape
    expected = windows_by_loop(x, 2, 2, 2, 1, fill=-np.inf).reshape(2, 3, 3, 3, 4).max(axis=-1)
    np.testing.assert_array_equal(out, expected.transpose(0, 3, 1, 2))
    assert np.all(out < 0), "the maximum of a window came from the border"
    # The book's Pooling sizes its output as if pad were 0 and cannot reshape im2col's rows:
    with pytest.raises(ValueError, match="cannot reshape"):
        BookPooling(2, 2, stride=2, pad=1).forward(x)


def test_pooling_matches_the_books_im2col_and_argmax_with_ties(rng):
    # After a ReLU many windows hold several equal maxima (zeros); like the book's argmax,
    # nn gives the whole gradient to the first of them, so both backward passes agree exactly.
    x = np.maximum(rng.standard_normal((3, 4, 8, 8)), 0).round(1)
    ours, book = Pooling(2, 2, stride=2), BookPooling(2, 2, stride=2)
    out = ours.forward(x)
    np.testing.assert_array_equal(out, book.forward(x))
    dout = rng.standard_normal(out.shape)
    dx = ours.backward(dout)
    np.testing.assert_array_equal(dx, book.backward(dout.copy()))
    assert np.count_nonzero(dx) == np.count_nonzero(dout), "one position per window"


def test_float32_stays_float32_and_no_backward_writes_into_dout(rng):
    x = rng.standard_normal((2, 3, 6, 6), dtype=np.float32)
    W = rng.standard_normal((4, 3, 3, 3), dtype=np.float32)
    for layer in (Convolution(W, np.zeros(4, np.float32), pad=1), Pooling(2, 2, 2, 1)):
        out = layer.forward(x)
        assert out.dtype == np.float32, (type(layer).__name__, out.dtype)
        dout = rng.standard_normal(out.shape, dtype=np.float32)
        before = dout.copy()
        dout.flags.writeable = False  # a write would raise
        dx = layer.backward(dout)
        np.testing.assert_array_equal(dout, before)
        assert dx.dtype == np.float32 and dx.shape == x.shape
        assert all(g.dtype == np.float32 for g in layer.grads.values())


@pytest.mark.parametrize("layer", [Convolution(np.ones((1, 1, 2, 2)), np.zeros(1)), Pooling(2, 2)])
def test_backward_before_forward_and_wrong_dout(layer):
    with pytest.raises(ValueError, match="backward called before forward"):
        layer.backward(np.ones((1, 1, 1, 1)))
    layer.forward(np.ones((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"forward output's shape \(1, 1, \d, \d\)"):
        layer.backward(np.ones((1, 1, 1, 1)))


# -- SimpleConvNet ------------------------------------------------------------------------------


def test_simple_conv_net_has_the_books_structure():
    net = SimpleConvNet(rng=0)
    assert list(net.layers) == ["Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2"]
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {
        "W1": (30, 1, 5, 5),
        "b1": (30,),
        "W2": (4320, 100),
        "b2": (100,),
        "W3": (100, 10),
        "b3": (10,),
    }
    assert net.layers["Conv1"].input_grad is False
    assert net.params["W1"] is net.layers["Conv1"].W


def test_simple_conv_net_gradient_check(rng):
    net = SimpleConvNet(
        (2, 8, 8),
        filter_num=3,
        filter_size=3,
        pad=1,
        hidden_size=5,
        output_size=3,
        weight_init_std="he",
        rng=0,
    )
    x, t = rng.standard_normal((3, 2, 8, 8)), rng.integers(0, 3, 3)
    errors = gradient_check(net, x, t)
    assert max(errors.values()) < 1e-6, errors


def test_simple_conv_net_refuses_sizes_that_do_not_fit():
    with pytest.raises(ValueError, match="size 5 is larger than the input of size 4"):
        SimpleConvNet((1, 4, 4))
    with pytest.raises(ValueError, match="filter_num must be a positive integer"):
        SimpleConvNet(filter_num=0)


def test_simple_conv_net_trains_with_the_trainer_and_round_trips_a_checkpoint(rng, tmp_path):
    x = rng.random((40, 1, 12, 12), dtype=np.float32)
    t = (x[:, 0, :6].sum(axis=(1, 2)) > x[:, 0, 6:].sum(axis=(1, 2))).astype(np.intp)
    net = SimpleConvNet(
        (1, 12, 12),
        filter_num=4,
        filter_size=3,
        pad=1,
        hidden_size=8,
        output_size=2,
        weight_init_std="he",
        rng=0,
        dtype=np.float32,
    )
    loader = DataLoader(ArrayDataset(x, t), batch_size=10, shuffle=True, rng=0)
    history = Trainer(net, SGD(lr=0.1), loader, progress=False).fit(8)
    assert history["train_loss"][-1] < history["train_loss"][0], history
    assert all(p.dtype == np.float32 for p in net.params.values())
    save_checkpoint(tmp_path / "conv.npz", net, epoch=8)
    other = SimpleConvNet(
        (1, 12, 12),
        filter_num=4,
        filter_size=3,
        pad=1,
        hidden_size=8,
        output_size=2,
        rng=1,
        dtype=np.float32,
    )
    assert load_checkpoint(tmp_path / "conv.npz", other).epoch == 8
    np.testing.assert_array_equal(other.predict(x), net.predict(x))


# -- PyTorch's output sizes: the floor of (H + 2P - F) / S, plus one -----------------------------


def max_pool_by_loop(x, size, stride, pad):
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=-np.inf)
    out_h, out_w = (img.shape[2] - size) // stride + 1, (img.shape[3] - size) // stride + 1
    out = np.empty((*x.shape[:2], out_h, out_w))
    for n, c, i, j in np.ndindex(out.shape):
        out[n, c, i, j] = img[
            n, c, i * stride : i * stride + size, j * stride : j * stride + size
        ].max()
    return out


def torch_size(h, f, s, p):
    """The output size torch.nn.Conv2d and MaxPool2d document: floor((H + 2P - F) / S) + 1."""
    return (h + 2 * p - f) // s + 1


# (filter, stride, pad, image size): configurations PyTorch accepts that nn refused
CONVS = [(3, 2, 1, 28), (3, 2, 1, 32), (1, 1, 1, 5), (3, 2, 0, 6), (5, 2, 0, 28)]
POOLS = [(3, 2, 1, 112), (2, 2, 0, 5), (3, 2, 1, 8), (2, 2, 1, 5)]


@pytest.mark.parametrize(("f", "s", "p", "h"), CONVS)
def test_convolution_takes_pytorchs_output_size_and_values(rng, f, s, p, h):
    x, W, b = rng.standard_normal((2, 2, h, h)), rng.standard_normal((3, 2, f, f)), rng.random(3)
    out = Convolution(W, b, s, p).forward(x)
    assert out.shape == (2, 3, torch_size(h, f, s, p), torch_size(h, f, s, p))
    np.testing.assert_allclose(out, convolve_by_loop(x, W, b, s, p), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(im2col(x, f, f, s, p), windows_by_loop(x, f, f, s, p))
    np.testing.assert_array_equal(im2col(x, f, f, s, p), book_im2col(x, f, f, s, p))


@pytest.mark.parametrize(("size", "s", "p", "h"), POOLS)
def test_pooling_takes_pytorchs_output_size_and_values(rng, size, s, p, h):
    x = rng.standard_normal((1, 2, h, h))
    out = Pooling(size, size, s, p).forward(x)
    assert out.shape == (1, 2, torch_size(h, size, s, p), torch_size(h, size, s, p))
    np.testing.assert_array_equal(out, max_pool_by_loop(x, size, s, p))


@pytest.mark.parametrize(
    "layer",
    [
        lambda rng: Convolution(rng.standard_normal((2, 2, 3, 3)), rng.random(2), 2, 1),
        lambda rng: Convolution(rng.standard_normal((2, 2, 3, 3)), rng.random(2), 2, 0),
        lambda rng: Convolution(rng.standard_normal((2, 2, 1, 1)), rng.random(2), 1, 1),
        lambda rng: Pooling(2, 2, 2),
        lambda rng: Pooling(3, 3, 2, 1),
    ],
    ids=["conv3-s2-p1", "conv3-s2-p0", "conv1-p1", "pool2-s2", "pool3-s2-p1"],
)
@pytest.mark.parametrize("h", [6, 7])
def test_gradients_where_the_floor_leaves_rows_out(rng, layer, h):
    # 1e-6: dx is exactly 0 in the left-out rows, which makes the relative error noisier
    check_layer(layer(rng), rng.standard_normal((2, 2, h, h)), rng, tol=1e-6)


def test_pixels_in_no_window_get_zero_gradient(rng):
    # 3x3, stride 2, pad 0 on 6 rows: windows start at rows 0 and 2 and end at row 4: row 5
    # is a real pixel no window reaches. 2x2 pooling, stride 2 on 5 rows: row 4 likewise.
    conv = Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2), stride=2)
    pool = Pooling(2, 2, stride=2)
    for layer, x, last in [
        (conv, rng.standard_normal((1, 1, 6, 6)), 5),
        (pool, rng.random((1, 1, 5, 5)), 4),
    ]:
        out = layer.forward(x)
        dx = layer.backward(np.ones_like(out))
        assert np.all(dx[:, :, last, :] == 0) and np.all(dx[:, :, :, last] == 0)
        assert np.any(dx[:, :, :last, :last] != 0), "the reached pixels have a gradient"


def test_col2im_stays_the_adjoint_of_im2col_under_the_floor(rng):
    x = rng.standard_normal((2, 3, 7, 7))
    for f, s, p in [(3, 2, 0), (2, 2, 0), (3, 3, 1), (1, 2, 1)]:
        y = rng.standard_normal(im2col(x, f, f, s, p).shape)
        lhs, rhs = np.sum(im2col(x, f, f, s, p) * y), np.sum(x * col2im(y, x.shape, f, f, s, p))
        assert lhs == pytest.approx(rhs, rel=1e-12)
        np.testing.assert_allclose(
            col2im(y, x.shape, f, f, s, p), book_col2im(y, x.shape, f, f, s, p)
        )


def test_simple_conv_net_takes_any_size_pytorch_takes_and_names_the_shape_it_expects(rng):
    net = SimpleConvNet((1, 11, 11), filter_num=2, filter_size=3, hidden_size=4, rng=0)
    assert net.params["W2"].shape == (2 * 4 * 4, 4)  # 11 - 3 + 1 = 9 rows, pooled to 4
    assert net.predict(rng.standard_normal((2, 1, 11, 11))).shape == (2, 10)
    assert SimpleConvNet((1, 27, 27), rng=0).params["W2"].shape == (30 * 11 * 11, 100)
    net = SimpleConvNet((1, 12, 12), rng=0)
    for call in (
        net.predict,
        lambda x: net.loss(x, [0, 1, 2]),
        lambda x: net.gradient(x, [0, 1, 2]),
    ):
        with pytest.raises(
            ValueError,
            match=r"SimpleConvNet expects input of shape \(N, 1, 12, 12\), got \(3, 1, 11, 11\)",
        ):
            call(rng.standard_normal((3, 1, 11, 11)))
