"""The tutorials' computational-graph diagrams, drawn from numbers that `nn` computes.

    python -m tools.generate.diagrams    # rewrite docs/diagrams/*.mmd and *.zh.mmd from nn

English pages include `--8<-- "docs/diagrams/NAME.mmd"` inside a mermaid fence, Chinese pages
its twin `NAME.zh.mmd`, which has the same numbers and Chinese words where a label is a word
(code names such as `Affine1` or `ReLU` stay). `tools/tests/test_diagrams.py` fails when a committed
file differs from what `nn` computes now, or when a page draws a diagram of its own. Each edge
label reads `forward value ← gradient`: the value flows with the arrow, the gradient against it.

Every file starts with Mermaid's own configuration (front matter): the diagram keeps its
natural size (16 px labels) instead of shrinking to the column, with tight spacing. Each is laid
out to fit the column at 1280 px (about 930 px; the browser test in tools/tests/test_site.py
measures it): a chain of nodes left to right puts the value and the gradient on two lines, and a
longer one runs top to bottom. On a phone a wider one scrolls sideways, and in print all are
scaled to the page (docs/assets/stylesheets/diagrams.css). Operation nodes are outlined in
orange and otherwise keep the palette's colours, light or dark.
"""

from __future__ import annotations

import numpy as np

from nn import (
    AddLayer,
    Affine,
    BatchNormalization,
    MulLayer,
    Relu,
    Sigmoid,
    SigmoidWithLoss,
    SoftmaxWithLoss,
    Tensor,
    TwoLayerNet,
)
from nn.autograd import cross_entropy
from tools.site.config import ROOT

OUT = ROOT / "docs" / "diagrams"
LANGUAGES = ("en", "zh")

# Mermaid configuration at the top of every diagram: natural size, never scaled to the column.
FRONT_MATTER = """---
config:
  flowchart:
    useMaxWidth: false
    nodeSpacing: 30
    rankSpacing: 30
    diagramPadding: 12
---"""
# Operation nodes: an orange outline only. Fill and text keep Material's colours for the light
# or dark palette (a fixed light fill was unreadable in dark mode: Material colours the label's
# <p> itself, so a `color:` here does not reach it, and Mermaid rejects var() in a classDef).
OP_CLASS = "    classDef op stroke:#f57c00,stroke-width:2px"

# Labels that are words, in Chinese (GLOSSARY.md and the pages' own wording). English is the key.
ZH = {
    "apple": "苹果单价",
    "apple_num": "苹果个数",
    "orange": "橘子单价",
    "orange_num": "橘子个数",
    "tax": "消费税",
    "price": "总价",
    "scores a": "得分 a",
    "scores z": "得分 z",
    "Cross Entropy<br/>Error": "交叉熵误差",
    "Binary<br/>Cross Entropy": "二元交叉熵",
    "not needed": "不需要",
    "scalar": "标量",
    "grad": "梯度",
}


def word(text: str, lang: str) -> str:
    """A label that is a word, in `lang`."""
    return ZH[text] if lang == "zh" else text


def fmt(v) -> str:
    """A number or vector as a short label: 6 significant digits, floating-point noise dropped."""
    if np.ndim(v):
        return "[" + ", ".join(fmt(x) for x in np.ravel(v)) + "]"
    return f"{float(v):.4g}" if abs(float(v)) < 1e4 else f"{float(v):.6g}"


def shape(a) -> str:
    return str(tuple(np.shape(a)))


def edge(a: str, b: str, forward: str, backward: str, stacked: bool = True) -> str:
    """An edge labelled with the value it carries forward and, below it, the gradient it carries
    back, as the book draws them: two short lines keep a chain of nodes within the column. In a
    top-to-bottom graph (`stacked=False`) width is no concern, and one line is shorter."""
    return f'    {a} -- "{forward}{"<br/>" if stacked else " "}← {backward}" --> {b}'


# A label of one or two characters gets two spaces on each side (entities: Mermaid trims a
# label's own spaces): a rounded box around a bare "x" is taller than wide, a pinched oval with
# flat tips (review F5), and a circle around "/" is smaller than the line of text it holds.
def pad(label: str) -> str:
    return f"&nbsp;&nbsp;{label}&nbsp;&nbsp;" if len(label) <= 2 else label


def value(node: str, label: str) -> str:
    """A value node: a rounded box."""
    return f'    {node}(["{pad(label)}"])'


def values(lang: str, **nodes: str) -> list[str]:
    """Value nodes labelled with words: `values(lang, num="apple_num")`."""
    return [value(node, word(label, lang)) for node, label in nodes.items()]


def op(node: str, label: str) -> str:
    """An operation node: a circle."""
    return f'    {node}(("{pad(label)}")):::op'


def graph(lines: list[str], direction: str = "LR") -> str:
    return "\n".join([FRONT_MATTER, f"graph {direction}", *lines, OP_CLASS])


def apple(lang: str = "en") -> str:
    mul_apple, mul_tax = MulLayer(), MulLayer()
    apple_price = mul_apple.forward(100, 2)
    price = mul_tax.forward(apple_price, 1.1)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    return graph(
        [
            *values(lang, apple="apple", num="apple_num"),
            op("m1", "×"),
            op("m2", "×"),
            *values(lang, tax="tax", price="price"),
            edge("apple", "m1", fmt(100), fmt(dapple)),
            edge("num", "m1", fmt(2), fmt(dapple_num)),
            edge("m1", "m2", fmt(apple_price), fmt(dapple_price)),
            edge("tax", "m2", fmt(1.1), fmt(dtax)),
            edge("m2", "price", fmt(price), fmt(1)),
        ]
    )


def apple_orange(lang: str = "en") -> str:
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    apple_price = mul_apple.forward(100, 2)
    orange_price = mul_orange.forward(150, 3)
    total = add.forward(apple_price, orange_price)
    price = mul_tax.forward(total, 1.1)
    dtotal, dtax = mul_tax.backward(1)
    dapple_price, dorange_price = add.backward(dtotal)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    return graph(
        [
            *values(lang, apple="apple", num="apple_num", orange="orange", onum="orange_num"),
            *[
                op(node, label)
                for node, label in [("m1", "×"), ("m2", "×"), ("a1", "+"), ("m3", "×")]
            ],
            *values(lang, tax="tax", price="price"),
            edge("apple", "m1", fmt(100), fmt(dapple)),
            edge("num", "m1", fmt(2), fmt(dapple_num)),
            edge("orange", "m2", fmt(150), fmt(dorange)),
            edge("onum", "m2", fmt(3), fmt(dorange_num)),
            edge("m1", "a1", fmt(apple_price), fmt(dapple_price)),
            edge("m2", "a1", fmt(orange_price), fmt(dorange_price)),
            edge("a1", "m3", fmt(total), fmt(dtotal)),
            edge("tax", "m3", fmt(1.1), fmt(dtax)),
            edge("m3", "price", fmt(price), fmt(1)),
        ]
    )


def relu(lang: str = "en") -> str:
    layer = Relu()
    x = np.array([2.0, -1.0])
    y = layer.forward(x)
    dout = np.array([1.5, 1.5])
    dx = layer.backward(dout)
    lines = []
    for i in range(2):
        lines += [
            value(f"x{i}", f"x = {fmt(x[i])}"),
            op(f"r{i}", "ReLU"),
            value(f"y{i}", "y"),
            edge(f"x{i}", f"r{i}", fmt(x[i]), fmt(dx[i])),
            edge(f"r{i}", f"y{i}", fmt(y[i]), fmt(dout[i])),
        ]
    return graph(lines)


def sigmoid(lang: str = "en") -> str:
    """y = 1 / (1 + exp(-x)) node by node at x = 1, with the book's four nodes."""
    x, dy = 1.0, 1.0
    a = -x  # "×(-1)" node
    b = np.exp(a)  # "exp" node
    c = 1.0 + b  # "+1" node
    y = 1.0 / c  # "/" node
    dc = dy * (-1.0 / c**2)  # d(1/c)/dc = -1/c^2 = -y^2
    db = dc * 1.0  # + passes the gradient on
    da = db * np.exp(a)  # d exp(a)/da = exp(a)
    dx = da * -1.0  # d(-x)/dx = -1
    layer = Sigmoid()
    assert np.isclose(layer.forward(np.array([x]))[0], y)
    assert np.isclose(layer.backward(np.array([dy]))[0], dx), "node-by-node must match Sigmoid"
    return graph(
        [
            value("x", "x"),
            op("n1", "× −1"),
            op("n2", "exp"),
            op("n3", "+ 1"),
            op("n4", "/"),
            value("y", "y"),
            edge("x", "n1", fmt(x), fmt(dx)),
            edge("n1", "n2", fmt(a), fmt(da)),
            edge("n2", "n3", fmt(b), fmt(db)),
            edge("n3", "n4", fmt(c), fmt(dc)),
            edge("n4", "y", fmt(y), fmt(dy)),
        ]
    )


def affine(lang: str = "en") -> str:
    rng = np.random.default_rng(0)
    # The sizes of the page's example: N = 4 samples, 2 inputs, 3 outputs.
    X, W, b = rng.standard_normal((4, 2)), rng.standard_normal((2, 3)), np.zeros(3)
    layer = Affine(W, b)
    Y = layer.forward(X)
    dX = layer.backward(np.ones_like(Y))
    return graph(
        [
            value("X", "X"),
            value("W", "W"),
            value("b", "b"),
            op("dot", "dot"),
            op("add", "+"),
            value("Y", "Y"),
            edge("X", "dot", shape(X), "dY·Wᵀ " + shape(dX)),
            edge("W", "dot", shape(W), "Xᵀ·dY " + shape(layer.dW)),
            edge("dot", "add", shape(Y), "dY " + shape(Y)),
            edge("b", "add", shape(b), "sum(dY, axis=0) " + shape(layer.db)),
            edge("add", "Y", shape(Y), "dY " + shape(Y)),
        ]
    )


def softmax_with_loss_nodes(lang: str = "en") -> str:
    """Softmax, then cross-entropy, with the gradient between them: dL/dy = -t / y."""
    a, t = np.array([[0.3, 2.9, 4.0]]), np.array([2])
    layer = SoftmaxWithLoss()
    loss = layer.forward(a, t)
    da = layer.backward()
    y, onehot = layer.y, np.eye(3)[t]
    dy = -onehot / y + 0.0  # cross-entropy node: d(-sum t log y)/dy = -t / y (+0.0: no "-0")
    jacobian = np.diag(y[0]) - np.outer(y[0], y[0])  # softmax node: dy_k/da_j = y_k (d_kj - y_j)
    assert np.allclose(dy @ jacobian, da), "node-by-node must match SoftmaxWithLoss"
    nodes = [("a", word("scores a", lang)), ("sm", "Softmax")]
    nodes += [("ce", word("Cross Entropy<br/>Error", lang))]
    return loss_nodes(nodes, t[0], [(a, da), (y, dy), (loss, 1)])


def loss_nodes(nodes: list[tuple[str, str]], t: object, values: list[tuple]) -> str:
    """A loss layer as two nodes: scores -> activation -> loss <- labels t, then L.

    `nodes` names and labels the scores, the activation and the loss node; `values` gives each
    edge's forward value and gradient, from the scores' edge to the loss's.
    """
    (x, x_label), (act, act_label), (err, err_label) = nodes
    ((xv, dx), (yv, dy), (lv, dl)) = values
    return graph(
        [
            value(x, x_label),
            op(act, act_label),
            op(err, err_label),
            value("t", f"t = {t}"),
            value("L", "L"),
            edge(x, act, fmt(xv), fmt(dx)),
            edge(act, err, fmt(yv), fmt(dy)),
            f"    t --> {err}",
            edge(err, "L", fmt(lv), fmt(dl)),
        ]
    )


def two_layer_net(lang: str = "en") -> str:
    net = TwoLayerNet(784, 50, 10, rng=0)
    x = np.zeros((100, 784))
    t = np.zeros(100, dtype=int)
    h1 = net.layers["Affine1"].forward(x)
    h2 = net.layers["Relu1"].forward(h1)
    scores = net.layers["Affine2"].forward(h2)
    net.gradient(x, t)
    # Six layers in a row would be 1,800 px wide: stack them (TB, top to bottom).
    return graph(
        [
            value("x", "x"),
            '    A1["Affine1<br/>W1 (784, 50), b1 (50,)"]:::op',
            '    R1["Relu1"]:::op',
            '    A2["Affine2<br/>W2 (50, 10), b2 (10,)"]:::op',
            '    S["SoftmaxWithLoss"]:::op',
            value("t", f"t {shape(t)}"),
            value("L", "L"),
            edge("x", "A1", shape(x), word("not needed", lang), stacked=False),
            edge("A1", "R1", shape(h1), shape(h1), stacked=False),
            edge("R1", "A2", shape(h2), shape(h2), stacked=False),
            edge("A2", "S", shape(scores), shape(scores), stacked=False),
            "    t --> S",
            edge("S", "L", word("scalar", lang), "1", stacked=False),
        ],
        "TB",
    )


def sigmoid_with_loss_nodes(lang: str = "en") -> str:
    """Sigmoid, then binary cross-entropy, for two samples: dL/dp, then dL/dz = (p - t) / N."""
    z, t = np.array([[1.5], [-0.5]]), np.array([1, 0])
    layer = SigmoidWithLoss()
    loss = layer.forward(z, t)
    dz = layer.backward()
    p, column = layer.y, t.reshape(-1, 1)
    # binary cross-entropy node: d(-(t log p + (1 - t) log(1 - p)) / N)/dp
    dp = (-column / p + (1 - column) / (1 - p)) / len(t)
    assert np.allclose(dp * p * (1 - p), dz), "node-by-node must match SigmoidWithLoss"
    nodes = [("z", word("scores z", lang)), ("sg", "σ")]
    nodes += [("bce", word("Binary<br/>Cross Entropy", lang))]
    return loss_nodes(nodes, fmt(t), [(z, dz), (p, dp), (loss, 1)])


def batch_norm(lang: str = "en") -> str:
    """One unit's batch through the forward formulas of batch normalization, a node per formula.

    Top to bottom: seven nodes in a row are about 1,100 px wide, more than the column.
    """
    x = np.array([1.0, 2.0, 4.0, 9.0])  # one unit's batch: N = 4 values
    gamma, beta = 2.0, 0.5
    layer = BatchNormalization(np.array([gamma]), np.array([beta]))
    y = layer.forward(x.reshape(-1, 1))[:, 0]
    mu = x.mean()
    xc = x - mu
    v = np.mean(xc**2)
    s = np.sqrt(v + layer.eps)
    xn = xc / s
    assert np.allclose(layer.xc[:, 0], xc) and np.allclose(layer.std, s), "x - mu, sqrt(v + eps)"
    assert np.allclose(gamma * xn + beta, y), "node-by-node must match BatchNormalization"
    return graph(
        [
            '    x["x (N,)"] --> sub["xc = x − μ"]',
            '    x --> mean["μ = mean(x)"]',
            "    mean --> sub",
            '    sub --> sq["v = mean(xc²)"]',
            '    sq --> sqrt["s = sqrt(v + ε)"]',
            '    sub --> div["x̂ = xc / s"]',
            "    sqrt --> div",
            '    div --> scale["y = γ x̂ + β"]',
            '    gamma["γ"] --> scale',
            '    beta["β"] --> scale',
        ],
        "TB",
    )


# The symbol of each operation a recorded graph can hold, by the Tensor method that made it:
# `Tensor.__mul__.<locals>.grad_fn` is the closure that `x * y` stored.
OPERATIONS = {"__add__": "+", "__mul__": "×"}


def recorded_graph(root: Tensor, names: dict[Tensor, str], lang: str) -> str:
    """The graph that `root.backward()` walked, read back from the tensors themselves.

    Each tensor is a box with its value and gradient (named if `names` names it); each
    operation a circle, found from the method that made its `grad_fn`; each edge from an input
    to an operation carries the gradient that operation sent back to that input, obtained by
    calling its `grad_fn` on the result's gradient, as `backward` did.
    """
    ids: dict[Tensor, str] = {}

    def visit(t: Tensor) -> None:  # inputs first: a tiny graph, so recursion is fine here
        for parent in t.parents:
            if parent not in ids:
                visit(parent)
        ids[t] = f"t{len(ids)}"

    visit(root)
    boxes, lines = [], []
    for t, node in ids.items():
        label = f"{fmt(t.data)}<br/>{word('grad', lang)} {fmt(t.grad)}"
        if t in names:  # a name that is a word gets its Chinese; x, y, f stay
            name = word(names[t], lang) if names[t] in ZH else names[t]
            label = f"{name} = {label}"
        boxes.append(value(node, label))
        if t.grad_fn is None:
            continue
        method = t.grad_fn.__qualname__.split(".")[1]  # "Tensor.__mul__.<locals>.grad_fn"
        lines.append(op(f"o{node}", OPERATIONS[method]))
        for parent, grad in zip(t.parents, t.grad_fn(t.grad), strict=True):
            lines.append(f'    {ids[parent]} -- "← {fmt(grad)}" --> o{node}')
        lines.append(f"    o{node} --> {node}")
    return graph(boxes + lines)


def autograd_apple(lang: str = "en") -> str:
    """The apple example as the Tensor operations record it: the graph of two MulLayers."""
    apple, apple_num, tax = Tensor(100.0), Tensor(2.0), Tensor(1.1)
    price = apple * apple_num * tax
    price.backward()
    names = {apple: "apple", apple_num: "apple_num", tax: "tax", price: "price"}
    return recorded_graph(price, names, lang)


def autograd_shared(lang: str = "en") -> str:
    """f = x * y + x: x feeds two operations, and its gradient is the sum of what both send."""
    x, y = Tensor(3.0), Tensor(4.0)
    f = x * y + x
    f.backward()
    return recorded_graph(f, {x: "x", y: "y", f: "f"}, lang)


def residual_net(lang: str = "en") -> str:
    """The residual network of the autograd-networks page, its shapes from a backward() run."""
    rng = np.random.default_rng(0)
    x, t = np.zeros((100, 784)), np.zeros(100, dtype=int)
    W1, W2, W3 = (Tensor(0.01 * rng.standard_normal(s)) for s in ((784, 50), (50, 50), (50, 10)))
    b1, b2, b3 = Tensor(np.zeros(50)), Tensor(np.zeros(50)), Tensor(np.zeros(10))
    a1 = x @ W1 + b1
    h = a1.relu()
    a2 = h @ W2 + b2
    f = a2.relu()
    r = h + f  # h is used twice: backward() adds the gradients of both uses
    scores = r @ W3 + b3
    cross_entropy(scores, t).backward()

    def carries(a: Tensor) -> tuple[str, str]:
        return shape(a.data), shape(a.grad)

    return graph(
        [
            value("x", "x"),
            '    A1["x @ W1 + b1"]:::op',
            '    R1["relu"]:::op',
            value("h", "h"),
            '    A2["h @ W2 + b2"]:::op',
            '    R2["relu"]:::op',
            '    P["r = h + f"]:::op',
            '    A3["r @ W3 + b3"]:::op',
            '    S["cross_entropy"]:::op',
            value("t", f"t {shape(t)}"),
            value("L", "L"),
            edge("x", "A1", shape(x), word("not needed", lang), stacked=False),
            edge("A1", "R1", *carries(a1), stacked=False),
            edge("R1", "h", *carries(h), stacked=False),
            edge("h", "A2", *carries(h), stacked=False),
            edge("A2", "R2", *carries(a2), stacked=False),
            edge("R2", "P", *carries(f), stacked=False),
            edge("h", "P", *carries(h), stacked=False),
            edge("P", "A3", *carries(r), stacked=False),
            edge("A3", "S", *carries(scores), stacked=False),
            "    t --> S",
            edge("S", "L", word("scalar", lang), "1", stacked=False),
        ],
        "TB",
    )


DIAGRAMS = {
    "apple": apple,
    "apple_orange": apple_orange,
    "relu": relu,
    "sigmoid": sigmoid,
    "affine": affine,
    "softmax_with_loss_nodes": softmax_with_loss_nodes,
    "two_layer_net": two_layer_net,
    "sigmoid_with_loss_nodes": sigmoid_with_loss_nodes,
    "batch_norm": batch_norm,
    "autograd_apple": autograd_apple,
    "autograd_shared": autograd_shared,
    "residual_net": residual_net,
}


def filename(name: str, lang: str = "en") -> str:
    """`apple.mmd` for English pages, `apple.zh.mmd` for Chinese ones."""
    return f"{name}.mmd" if lang == "en" else f"{name}.{lang}.mmd"


def render(name: str, lang: str = "en") -> str:
    return DIAGRAMS[name](lang) + "\n"


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name in DIAGRAMS:
        for lang in LANGUAGES:
            (OUT / filename(name, lang)).write_text(render(name, lang), encoding="utf-8")
            print(f"wrote {OUT / filename(name, lang)}")
