"""Keep the English API inventory at the site root (an MkDocs hook, see mkdocs.yml).

mkdocstrings writes `objects.inv` into the site root during every build. mkdocs-static-i18n
builds the Chinese site after the English one into the same site directory, so without this
hook the root inventory would send intersphinx and mkdocstrings users of `nn` to /zh/ pages.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.plugins import event_priority

from tools.site.config import building

_english: bytes | None = None


@event_priority(-50)  # after mkdocstrings writes objects.inv (priority -20)
def on_env(env, config, files):
    global _english
    path = Path(config.site_dir) / "objects.inv"
    language, default_language = building(config)
    default = language == default_language
    if default and path.exists():
        _english = path.read_bytes()
    elif not default and _english is not None:
        path.write_bytes(_english)
    return env
