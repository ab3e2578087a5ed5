"""Every diagram on the site is what `nn` computes now (regenerate: nox -s diagrams)."""

import re

import pytest

from tools.generate.diagrams import DIAGRAMS, LANGUAGES, OUT, ZH, filename, render

INCLUDE = re.compile(r'--8<-- "docs/diagrams/([^"]+)"')
MERMAID_FENCE = re.compile(r"^([ \t]*)```mermaid\n(.*?)^\1```", re.M | re.S)
EDGE_LABEL = re.compile(r'-- "([^"]*)" -->')


def edge_labels(name: str) -> list[str]:
    """The edge labels of a diagram as one line each: `100<br/>← 2.2` reads `100 ← 2.2`."""
    return [label.replace("<br/>", " ") for label in EDGE_LABEL.findall(render(name))]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", sorted(DIAGRAMS))
def test_diagram_is_up_to_date(name, lang):
    path = OUT / filename(name, lang)
    assert path.exists(), f"{path} is missing: run python -m tools.generate.diagrams"
    assert path.read_text(encoding="utf-8") == render(name, lang), (
        f"{path} differs from what nn computes: run python -m tools.generate.diagrams"
    )


def test_every_diagram_file_is_generated_and_shown():
    """A .mmd file no generator writes would never be checked; one no page includes is dead."""
    made = {filename(name, lang) for name in DIAGRAMS for lang in LANGUAGES}
    assert {p.name for p in OUT.glob("*.mmd")} == made
    pages = "".join(p.read_text(encoding="utf-8") for p in OUT.parent.rglob("*.md"))
    unused = sorted(made - set(INCLUDE.findall(pages)))
    assert not unused, f"diagrams no page includes: {unused}"


def test_pages_draw_only_generated_diagrams():
    """A diagram written into a page would escape nn's numbers and the layout that fits the
    column (tools/generate/diagrams.py): every mermaid block is one include and nothing else."""
    wrong = []
    for page in sorted(OUT.parent.rglob("*.md")):
        for _, body in MERMAID_FENCE.findall(page.read_text(encoding="utf-8")):
            if not re.fullmatch(r'\s*--8<-- "docs/diagrams/[^"]+"\n', body):
                wrong.append(f"{page.relative_to(OUT.parent)}: {body.splitlines()[0]!r}...")
    assert not wrong, "draw these with tools/generate/diagrams.py:\n" + "\n".join(wrong)


def test_short_labels_are_padded():
    """Mermaid fits a node's shape to its label: a bare "x" gets a pinched oval, a bare "/" a
    circle smaller than its line of text (review F5). pad() widens them; the browser test
    measures the result."""
    rounded = re.compile(r'\w+(?:\(\["([^"]*)"\]\)|\(\("([^"]*)"\)\))')  # x(["..."]), n(("..."))
    bare = [
        f"{filename(name, lang)}: {label!r}"
        for name in DIAGRAMS
        for lang in LANGUAGES
        for match in rounded.findall(render(name, lang))
        for label in match
        if label and len(label) <= 2
    ]
    assert not bare, f"unpadded one- or two-character labels: {bare}"


def test_each_language_shows_its_own_diagrams():
    """Chinese pages include the .zh.mmd twins, English pages the English files."""
    wrong = []
    for page in sorted(OUT.parent.rglob("*.md")):
        chinese = page.name.endswith(".zh.md")
        for name in INCLUDE.findall(page.read_text(encoding="utf-8")):
            if name.endswith(".zh.mmd") != chinese:
                wrong.append(f"{page.relative_to(OUT.parent)} includes {name}")
    assert not wrong, "\n".join(wrong)


def test_chinese_diagrams_have_no_english_words():
    for name in DIAGRAMS:
        text = render(name, "zh")
        left = [w for w in ZH if f'"{w}"' in text or f"({w})" in text]
        assert not left, f"{filename(name, 'zh')} still says {left}"
        assert render(name, "en").count("←") == text.count("←"), "the twins differ in edges"


def test_worked_example_numbers_are_in_the_diagrams():
    apple = edge_labels("apple")
    for label in ["100 ← 2.2", "2 ← 110", "1.1 ← 200", "220 ← 1"]:
        assert label in apple, label
    both = edge_labels("apple_orange")
    for label in ["2 ← 110", "100 ← 2.2", "150 ← 3.3", "3 ← 165", "1.1 ← 650", "715 ← 1"]:
        assert label in both, label


NODE_GRADIENTS = {
    # The affine-softmax page derives these: dL/dy = -t/y at the cross-entropy node, and
    # y - t (N = 1) once the softmax node's local derivative is applied.
    "softmax_with_loss_nodes": [
        "[0.3, 2.9, 4] ← [0.01821, 0.2452, -0.2634]",
        "[0.01821, 0.2452, 0.7366] ← [0, 0, -1.358]",
        "0.3057 ← 1",
    ],
    # The network-as-data page derives these: dL/dp = (p - t) / (p (1 - p) N) at the
    # binary cross-entropy node, and (p - t) / N once the sigmoid's local derivative is applied.
    "sigmoid_with_loss_nodes": [
        "[1.5, -0.5] ← [-0.09121, 0.1888]",
        "[0.8176, 0.3775] ← [-0.6116, 0.8033]",
        "0.3377 ← 1",
    ],
}


@pytest.mark.parametrize("name", sorted(NODE_GRADIENTS))
def test_loss_nodes_show_each_nodes_gradient(name):
    labels = edge_labels(name)
    for label in NODE_GRADIENTS[name]:
        assert label in labels, label


def test_recorded_graphs_show_what_backward_computed():
    """The autograd page's graphs are read back from the tensors after backward(): the apple
    gradients of the Tensor operations, and in x * y + x the two gradients x receives (y from
    the multiplication, 1 from the addition) beside their sum."""
    apple = render("autograd_apple")
    for box in ["apple = 100<br/>grad 2.2", "apple_num = 2<br/>grad 110", "tax = 1.1<br/>grad 200"]:
        assert box in apple, box
    assert "price = 220<br/>grad 1" in apple
    shared = render("autograd_shared")
    x = re.search(r'(\w+)\(\["x = 3<br/>grad 5"\]\)', shared)
    assert x, "x's box shows its value 3 and its gradient 5"
    sent = re.findall(rf'^    {x[1]} -- "← ([^"]*)" --> ', shared, re.M)
    assert sorted(sent) == ["1", "4"], sent
