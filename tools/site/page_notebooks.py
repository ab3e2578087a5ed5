"""The pages' notebooks as the site build makes them, without building the site.

tools/site/notebooks.py makes the notebooks during `mkdocs build`. The tests need the same
notebooks without a build: `notebook_for(path)` gives the notebook of one page (English
`x.md` or Chinese `x.zh.md`) from the settings in mkdocs.yml, and tools/tests/test_site.py
checks that the built site serves exactly these.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from tools.site import notebooks as hook
from tools.site.config import DOCS, i18n_languages, site_config, snippet_options


def language_of(path: Path) -> str:
    return "zh" if path.name.endswith(".zh.md") else "en"


def pages_with_code(language: str = "en") -> list[Path]:
    """The pages that get a notebook, in `language`."""
    english = [p for p in DOCS.rglob("*.md") if not p.name.endswith(".zh.md")]
    found = [p for p in english if hook.has_code(p.read_text(encoding="utf-8"))]
    return sorted(p if language == "en" else p.with_suffix(".zh.md") for p in found)


def page_for(path: Path) -> hook.Page:
    """tools/site/notebooks.py's view of one page, as `mkdocs build` gives it."""
    config = site_config()
    language = language_of(path)
    languages = {lang["locale"]: lang for lang in i18n_languages()}
    default = next(locale for locale, lang in languages.items() if lang.get("default"))
    src_uri = path.relative_to(DOCS).as_posix().replace(".zh.md", ".md")
    return hook.Page(
        src_uri=src_uri,
        text=path.read_text(encoding="utf-8"),
        language=language,
        default_language=default,
        site_url=config["site_url"],
        site_name=languages[language].get("site_name", config["site_name"]),
        docs_dir=DOCS,
        snippets=snippet_options(),
    )


def notebook_for(path: Path) -> nbformat.NotebookNode:
    return hook.notebook(page_for(path))


def notebook_text(path: Path) -> str:
    """The notebook file of the page at `path`, as the site build writes it."""
    return hook.notebook_json(notebook_for(path))


def notebook_name(path: Path) -> str:
    return hook.notebook_name(path.relative_to(DOCS).as_posix().replace(".zh.md", ".md"))
