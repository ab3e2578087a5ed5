"""Print, for each listing the pages include from `nn`, its non-blank lines next to the book's.

    python -m tools.listing_sizes

A listing is a snippet section (`--8<-- "nn/layers.py:relu"`) that a page includes. The book's
counts are the non-blank lines of the same class or function in "Deep Learning from Scratch"
(github.com/oreilly-japan/deep-learning-from-scratch, the file named in BOOK), counted from its
`class` or `def` line to its last line, as Python's ast module delimits it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'--8<-- "(nn/[\w/]+\.py):([a-z][-_0-9a-z]*)"')

# listing (one section, or sections a page shows together) -> (book file, book name, lines)
BOOK: dict[tuple[str, ...], tuple[str, str, int]] = {
    ("nn/layers.py:mul_layer",): ("ch05/layer_naive.py", "MulLayer", 13),
    ("nn/layers.py:add_layer",): ("ch05/layer_naive.py", "AddLayer", 10),
    ("nn/layers.py:relu",): ("common/layers.py", "Relu", 12),
    ("nn/layers.py:sigmoid",): ("common/layers.py", "Sigmoid", 10),
    ("nn/layers.py:affine",): ("common/layers.py", "Affine", 22),
    ("nn/layers.py:softmax_with_loss",): ("common/layers.py", "SoftmaxWithLoss", 19),
    ("nn/regularization.py:batch_normalization",): (
        "common/layers.py",
        "BatchNormalization",
        67,
    ),
    ("nn/regularization.py:dropout",): ("common/layers.py", "Dropout", 15),
    ("nn/networks.py:network_class", "nn/networks.py:two_layer_net"): (
        "ch05/two_layer_net.py",
        "TwoLayerNet",
        52,
    ),
    ("nn/conv.py:conv_output_size",): ("common/util.py", "conv_output_size", 2),
    ("nn/conv.py:im2col",): ("common/util.py", "im2col", 25),
    ("nn/conv.py:col2im",): ("common/util.py", "col2im", 24),
    ("nn/conv.py:convolution",): ("common/layers.py", "Convolution", 35),
    ("nn/conv.py:pooling",): ("common/layers.py", "Pooling", 29),
    ("nn/conv.py:simple_conv_net",): ("ch07/simple_convnet.py", "SimpleConvNet", 123),
    ("nn/optim.py:sgd",): ("common/optimizer.py", "SGD", 7),
    ("nn/optim.py:momentum",): ("common/optimizer.py", "Momentum", 14),
    ("nn/optim.py:adagrad",): ("common/optimizer.py", "AdaGrad", 13),
    ("nn/optim.py:rmsprop",): ("common/optimizer.py", "RMSprop", 15),
    ("nn/optim.py:adam",): ("common/optimizer.py", "Adam", 23),
    ("nn/gradient.py:numerical_gradient",): ("common/gradient.py", "numerical_gradient", 15),
    # The book's functions are one-liners that overflow; the pages teach the stable versions.
    ("nn/functions.py:sigmoid",): ("common/functions.py", "sigmoid", 2),
    ("nn/functions.py:softmax",): ("common/functions.py", "softmax", 3),
    ("nn/functions.py:cross_entropy_error",): ("common/functions.py", "cross_entropy_error", 9),
}
# Listings held to no limit: numerically stable where the book's version is not, or, for
# conv_output_size, an int or a clear error where the book's one-liner returns any float.
STABLE = {"sigmoid", "softmax", "cross_entropy_error", "conv_output_size"}
# The book layers whose listings may be at most 1.3 times the book's; the rest at most 1.0.
LAYERS = {
    *("MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss"),
    *("BatchNormalization", "Dropout"),
}
LAYERS |= {"im2col", "col2im", "Convolution", "Pooling"}  # chapter 7


def section_lines(path: str, name: str) -> int:
    """Non-blank lines between `# --8<-- [start:name]` and `# --8<-- [end:name]` in `path`."""
    text = (ROOT / path).read_text(encoding="utf-8")
    match = re.search(rf"--8<-- \[start:{name}\]\n(.*?)\n[^\n]*--8<-- \[end:{name}\]", text, re.S)
    if match is None:
        raise ValueError(f"{path} has no snippet section {name!r}")
    lines = match.group(1).splitlines()  # nested sections' marker lines are not shown
    return sum(1 for line in lines if line.strip() and "--8<--" not in line)


def included_sections() -> set[str]:
    """Every `nn/...py:section` that a page of the site includes."""
    found = set()
    for page in (ROOT / "docs").rglob("*.md"):
        found |= {f"{p}:{s}" for p, s in INCLUDE.findall(page.read_text(encoding="utf-8"))}
    return found


def table() -> list[dict]:
    """One row per listing: its lines, the book's (or None) and the limit it is held to."""
    shown = included_sections()
    rows, grouped = [], set()
    for listing, (book_file, book_name, book_lines) in BOOK.items():
        if not set(listing) & shown:
            continue
        grouped |= set(listing)
        lines = sum(section_lines(*s.split(":")) for s in listing)
        limit = 1.3 if book_name in LAYERS else None if book_name in STABLE else 1.0
        rows.append(
            {
                "listing": " + ".join(listing),
                "lines": lines,
                "book": f"{book_file} {book_name}",
                "book_lines": book_lines,
                "ratio": lines / book_lines,
                "limit": limit,
            }
        )
    for s in sorted(shown - grouped):
        rows.append({"listing": s, "lines": section_lines(*s.split(":")), "book": None})
    return rows


def main() -> None:
    for row in table():
        if row["book"] is None:
            print(f"{row['listing']:58} {row['lines']:4}   (no equivalent in the book)")
        else:
            limit = "no limit: stable" if row["limit"] is None else f"limit {row['limit']}"
            print(
                f"{row['listing']:58} {row['lines']:4}   book {row['book_lines']:3} "
                f"({row['book']})   ratio {row['ratio']:.2f} ({limit})"
            )


if __name__ == "__main__":
    main()
