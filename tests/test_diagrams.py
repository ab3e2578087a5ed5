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
