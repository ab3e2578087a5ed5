"""The localized figures of tests/figures_training.py exist in every language and their pages
show them (regenerate: python -m tests.figures)."""

import os

import pytest

from tests.figures import OUT, ROOT, TRANSLATIONS, translated
from tests.figures_training import LOCALIZED, TEXT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("filename", sorted(LOCALIZED))
def test_localized_figure_exists_per_language_and_both_pages_show_it(filename):
    path = OUT / filename
    versions = [path, *(translated(path, language) for language in TRANSLATIONS)]
    for version in versions:
        assert version.is_file(), f"{version} is missing: run python -m tests.figures"
        assert version.read_bytes().startswith(PNG_SIGNATURE), f"{version} is not a PNG file"
    for version in versions[1:]:  # drawn with translated text, so not a copy of the English
        assert version.read_bytes() != path.read_bytes(), f"{version.name} is not translated"
    page = ROOT / LOCALIZED[filename][0]
    link = f"]({os.path.relpath(path, page.parent)})"
    for text in (page, page.with_suffix(".zh.md")):
        assert link in text.read_text(encoding="utf-8"), f"{text.name} does not show {filename}"


def test_every_language_has_every_label():
    assert set(TEXT) == {"en", *TRANSLATIONS}
    keys = {language: set(labels) for language, labels in TEXT.items()}
    assert all(k == keys["en"] for k in keys.values()), keys
