"""Every diagram on the site is what `nn` computes now (regenerate: python -m tests.diagrams)."""

import pytest

from tests.diagrams import DIAGRAMS, OUT, render


@pytest.mark.parametrize("name", sorted(DIAGRAMS))
def test_diagram_is_up_to_date(name):
    path = OUT / f"{name}.mmd"
    assert path.exists(), f"{path} is missing: run python -m tests.diagrams"
    assert path.read_text(encoding="utf-8") == render(name), (
        f"{path} differs from what nn computes: run python -m tests.diagrams"
    )


def test_every_diagram_file_is_generated_and_shown():
    """A .mmd file no generator writes would never be checked; one no page includes is dead."""
    assert {p.stem for p in OUT.glob("*.mmd")} == set(DIAGRAMS)
    pages = "".join(p.read_text(encoding="utf-8") for p in OUT.parent.rglob("*.md"))
    unused = [name for name in DIAGRAMS if f"docs/diagrams/{name}.mmd" not in pages]
    assert not unused, f"diagrams no page includes: {unused}"


def test_worked_example_numbers_are_in_the_diagrams():
    apple = render("apple")
    for label in ['"100 ← 2.2"', '"2 ← 110"', '"1.1 ← 200"', '"220 ← 1"']:
        assert label in apple, label
    both = render("apple_orange")
    for label in [
        '"2 ← 110"',
        '"100 ← 2.2"',
        '"150 ← 3.3"',
        '"3 ← 165"',
        '"1.1 ← 650"',
        '"715 ← 1"',
    ]:
        assert label in both, label


def test_softmax_with_loss_nodes_shows_each_nodes_gradient():
    # The affine-softmax page derives these: dL/dy = -t/y at the cross-entropy node, and
    # y - t (N = 1) once the softmax node's local derivative is applied.
    nodes = render("softmax_with_loss_nodes")
    for label in [
        '"[0.3, 2.9, 4] ← [0.01821, 0.2452, -0.2634]"',
        '"[0.01821, 0.2452, 0.7366] ← [0, 0, -1.358]"',
        '"0.3057 ← 1"',
    ]:
        assert label in nodes, label


def test_sigmoid_with_loss_nodes_shows_each_nodes_gradient():
    # The network-as-data page derives these: dL/dp = (p - t) / (p (1 - p) N) at the
    # binary cross-entropy node, and (p - t) / N once the sigmoid's local derivative is applied.
    nodes = render("sigmoid_with_loss_nodes")
    for label in [
        '"[1.5, -0.5] ← [-0.09121, 0.1888]"',
        '"[0.8176, 0.3775] ← [-0.6116, 0.8033]"',
        '"0.3377 ← 1"',
    ]:
        assert label in nodes, label
