"""The code a learner reads: short listings, public imports, and a docstring for every method."""

from __future__ import annotations

import ast
import inspect

import pytest

import nn
from tools import listing_sizes
from tools.site.pytest_pages import ROOT, extract_from_file

PAGES = sorted((ROOT / "docs").rglob("*.md"))


def test_every_listing_is_at_most_its_limit_of_the_books_lines():
    rows = [row for row in listing_sizes.table() if row["book"] is not None]
    shown = {row["book"].split()[-1] for row in rows}
    assert listing_sizes.LAYERS <= shown, f"a book layer's listing is not on a page: {shown}"
    too_long = [row for row in rows if row["limit"] and row["ratio"] > row["limit"]]
    assert not too_long, "\n".join(
        f"{r['listing']}: {r['lines']} lines, {r['ratio']:.2f} x the book's {r['book_lines']} "
        f"(limit {r['limit']})"
        for r in too_long
    )


def test_the_size_table_prints(capsys):
    listing_sizes.main()
    out = capsys.readouterr().out
    assert "nn/layers.py:affine" in out and "book  22" in out, out


def _private_imports(code: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "nn":
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if "._" in a.name and a.name.startswith("nn")]
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT / "docs").as_posix())
def test_no_page_block_imports_a_private_name(page):
    bad = [
        f"line {block.lineno}: {name}"
        for block in extract_from_file(page)
        if block.syntax == "python"
        for name in _private_imports(block.code)
    ]
    assert not bad, f"{page.name} imports private names from nn: {bad}"


def test_the_private_import_check_finds_them():
    assert _private_imports("from nn.layers import Layer, _unbroadcast") == [
        "nn.layers._unbroadcast"
    ]
    assert _private_imports("from nn import Layer\nimport numpy as np") == []


def _public_methods():
    for name in nn.__all__:
        obj = getattr(nn, name)
        if not inspect.isclass(obj):
            continue
        for attr, value in vars(obj).items():
            if attr.startswith("_"):
                continue
            if inspect.isfunction(value) or isinstance(value, property | staticmethod):
                yield (
                    f"{name}.{attr}",
                    getattr(obj, attr) if not isinstance(value, property) else value,
                )


def test_every_public_method_has_a_docstring():
    # inspect.getdoc inherits a docstring from the base class, as the API reference does
    # (griffe-inherited-docstrings): Relu.forward is documented by Layer.forward.
    missing = [name for name, member in _public_methods() if not inspect.getdoc(member)]
    assert not missing, f"public methods without a docstring: {missing}"
