"""The site's settings as the build reads them, for the hooks, the generators and the tests.

One reader of mkdocs.yml: its YAML with MkDocs' own loader, the pymdownx.snippets options
(which the pages' code includes go through) and the languages of mkdocs-static-i18n.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
SNIPPETS = "pymdownx.snippets"
HOST = "127.0.0.1"  # where the tests serve the built site
# The box under a page's title that names the book's section it follows: a reference, not prose
# (a glossary term in it is not the term's first use on the page).
BOOK_BOX = re.compile(r'^!!! info "(?:In the book: |对应原书：).*"\n(?:    .*\n)+', re.M)


def site_path() -> str:
    """The path the site is published under, from site_url in mkdocs.yml: "/nn/"."""
    m = re.search(r"^site_url:\s*(\S+)", MKDOCS_YML.read_text(encoding="utf-8"), re.M)
    return urlsplit(m[1]).path.rstrip("/") + "/" if m else "/"


# Served as GitHub Pages serves it, under the path of site_url: 404.html and the language
# switcher use absolute paths such as /nn/assets/....
MOUNT = site_path()


@functools.cache
def site_config(config_file: Path = MKDOCS_YML) -> dict[str, Any]:
    """mkdocs.yml as MkDocs reads it: its own YAML loader knows !ENV and, given the config
    file, `!relative`. (Not `mkdocs.config.load_config`, which loads every plugin.)"""
    from mkdocs.utils.yaml import get_yaml_loader, yaml_load

    stand_in = SimpleNamespace(config_file_path=str(config_file))
    with config_file.open(encoding="utf-8") as f:
        return yaml_load(f, get_yaml_loader(config=stand_in))


def normalize_snippet_options(options: dict[str, Any]) -> dict[str, Any]:
    """pymdownx.snippets' options with `base_path` as a list of strings, as Markdown wants."""
    options = dict(options or {})
    base = options.get("base_path", ["."])
    options["base_path"] = [str(b) for b in (base if isinstance(base, list) else [base])]
    return options


@functools.cache
def snippet_options(config_file: Path = MKDOCS_YML) -> dict[str, Any]:
    """The pymdownx.snippets options in mkdocs.yml, with `!relative $config_dir` resolved."""
    for ext in site_config(config_file).get("markdown_extensions", []):
        if isinstance(ext, dict) and SNIPPETS in ext:
            return normalize_snippet_options(ext[SNIPPETS])
    raise LookupError(f"{config_file} does not enable {SNIPPETS}")


def expand_snippets(text: str, options: dict[str, Any] | None = None) -> str:
    """`text` with every snippet include expanded, as the site build expands it."""
    if "8<-" not in text:  # every include and section marker contains it
        return text
    import markdown

    options = snippet_options() if options is None else options
    md = markdown.Markdown(extensions=[SNIPPETS], extension_configs={SNIPPETS: options})
    return "\n".join(md.preprocessors["snippet"].run(text.split("\n")))


def i18n_languages() -> list[dict[str, Any]]:
    """The languages mkdocs-static-i18n builds, as mkdocs.yml lists them."""
    for plugin in site_config()["plugins"]:
        if isinstance(plugin, dict) and "i18n" in plugin:
            return plugin["i18n"]["languages"]
    raise LookupError("mkdocs.yml configures no i18n plugin")


def building(config: Any) -> tuple[str, str]:
    """During a build: (the language being built, the default language)."""
    i18n = config.plugins.get("i18n")
    if i18n is None:
        return "en", "en"
    return i18n.current_language, i18n.default_language
