"""Every figure exists and both versions of its page show it (regenerate: python -m tests.figures).

The figures are not redrawn here: that would train the networks a second time. The pages' own
code blocks, which the test suite runs, carry the assertions about what the figures show.
"""

import os

import pytest

from tests.figures import FIGURES, LOCALIZED, OUT, ROOT, TRANSLATIONS, translated

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("filename", sorted(FIGURES))
def test_figure_exists_and_both_pages_show_it(filename):
    path = OUT / filename
    assert path.is_file(), f"{path} is missing: run python -m tests.figures"
    assert path.read_bytes().startswith(PNG_SIGNATURE), f"{path} is not a PNG file"
    for language in TRANSLATIONS:  # the copy the Chinese build serves
        copy = translated(path, language)
        assert copy.is_file(), f"{copy} is missing: run python -m tests.figures"
        if filename in LOCALIZED:  # drawn again with the language's own titles and labels
            assert copy.read_bytes().startswith(PNG_SIGNATURE), f"{copy} is not a PNG file"
            assert copy.read_bytes() != path.read_bytes(), f"{copy} is not localized"
        else:
            assert copy.read_bytes() == path.read_bytes(), f"{copy} differs from {path.name}"
    page = ROOT / FIGURES[filename][0]
    link = f"]({os.path.relpath(path, page.parent)})"  # e.g. ](../assets/figures/x.png)
    for version in (page, page.with_suffix(".zh.md")):
        text = version.read_text(encoding="utf-8")
        assert link in text, f"{version.name} does not show {filename} with {link}"
