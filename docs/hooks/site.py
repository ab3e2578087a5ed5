"""MkDocs hooks of this site (mkdocs.yml: hooks): thin entry points into tools/site/.

- inventory: the English API inventory stays at the site root;
- languages: search per language, Chinese search results under /zh/, no sitemap.xml 404s;
- notebooks: every page with code as a Jupyter notebook, a zip per language, and the wheel of
  nn that the install lines on the pages point at;
- punctuation: no line starts with 「，」 after inline math;
- figures: each figure in the reader's colour scheme, at the size it was drawn for;
- pyodide: a Run button on every Python block, with Python served by the site itself;
- chinese: the Chinese interface, the API's Chinese summaries, glossary tooltips and the
  search dictionary built from the glossary.
"""

import sys
from pathlib import Path

from mkdocs.plugins import event_priority

# MkDocs loads this file by its path: make the checkout importable (`tools.site`).
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tools.site import chinese, figures, notebooks, punctuation, pyodide  # noqa: E402
from tools.site.chinese import on_pre_build  # noqa: E402
from tools.site.inventory import on_env  # noqa: E402
from tools.site.languages import on_post_build, on_post_page  # noqa: E402
from tools.site.notebooks import on_page_markdown  # noqa: E402


def on_page_content(html, page, config, files):
    html = figures.on_page_content(html, page, config, files)
    html = pyodide.on_page_content_hook(html, page, config, files)
    html = chinese.on_page_content(html, page, config, files)
    return punctuation.on_page_content(html, page, config, files)


@event_priority(100)  # before Material's search reads its jieba options in its own on_config
def on_config(config):
    return chinese.on_config(config)


@event_priority(-150)  # after mkdocs-static-i18n (-100) has chosen this language's pages
def on_files(files, config):
    files = notebooks.on_files(files, config)
    return pyodide.on_files(files, config)


__all__ = [
    "on_config",
    "on_env",
    "on_files",
    "on_page_content",
    "on_page_markdown",
    "on_post_build",
    "on_post_page",
    "on_pre_build",
]
