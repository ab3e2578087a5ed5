"""Two languages from one build, each on its own: search and the language links (an MkDocs hook).

mkdocs-static-i18n builds the Chinese site after the English one and merges both languages'
pages into one `search/search_index.json`, which every page of both languages loads: the
English search box lists Chinese pages and the Chinese one English pages. Its maintainer says
Material's single index path leaves no other way (ultrabug/mkdocs-static-i18n#271). So:

- after the build, the merged index is split: English entries stay in `search/`, Chinese ones
  go to `zh/search/` with their locations made relative to `/zh/`;
- each Chinese page's Material config (`<script id="__config">`) gets `base` pointing at
  `/zh/`, which is where Material looks for the index and resolves the results' links;
- the Chinese index tags the section that introduces each glossary term (tools/site/chinese.py);
- previews show math as text: `\\(\\frac{\\partial L}{\\partial x}\\)` becomes `∂L/∂x`
  (pylatexenc's LaTeX-to-Unicode conversion), not LaTeX source.

And: Material fetches `sitemap.xml` next to every `<link rel="alternate" hreflang>` in a
page's head, expecting language roots; i18n puts the same page's translation there, so every
page requested `<page>/sitemap.xml` and got a 404. The header's language selector keeps its
same-page links (i18n gives them to it directly), and `sitemap.xml`, which i18n writes with
every page's alternates, still tells search engines about the translations, so the head links
are dropped.

Everything here depends on Material and mkdocs-static-i18n, like mkdocs.yml and overrides/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.plugins import event_priority
from pylatexenc.latex2text import LatexNodes2Text

from tools.site.chinese import GLOSSARY, fix_query_segmentation, glossary, tag_introductions
from tools.site.config import building

CONFIG = re.compile(r'(<script id="__config" type="application/json">)(.*?)(</script>)', re.S)
HEAD_ALTERNATE = re.compile(r'[ \t]*<link rel="alternate" href="[^"]*" hreflang="[^"]*">\n?')
MATH = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.S)

_to_text = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)


def on_post_page(output: str, page, config) -> str:
    output = HEAD_ALTERNATE.sub("", output)
    language, default = building(config)
    if language == default:
        return output

    def rebase(m: re.Match) -> str:
        settings = json.loads(m[2])
        settings["base"] = f"{settings['base'].rstrip('/')}/{language}/"
        return m[1] + json.dumps(settings) + m[3]

    return CONFIG.sub(rebase, output, count=1)


def math_as_text(text: str) -> str:
    """`\\(x^2\\)` and `\\[ ... \\]` in a search preview as Unicode text."""

    def convert(m: re.Match) -> str:
        source = (m[1] if m[1] is not None else m[2]).replace("&amp;", "&")
        source = source.replace("&lt;", "<").replace("&gt;", ">")
        source = re.sub(r"\\[dt]frac\b", r"\\frac", source)  # display/text-style fractions
        plain = " ".join(_to_text.latex_to_text(source).split())
        return plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    return MATH.sub(convert, text)


@event_priority(-200)  # after mkdocs-static-i18n (-100) has written the merged index
def on_post_build(config) -> None:
    i18n = config.plugins.get("i18n")
    if i18n is None or i18n.building:
        return  # a later language's own build, inside i18n's: the merged index comes at the end
    default = i18n.default_language
    site = Path(config.site_dir)
    merged = site / "search" / "search_index.json"
    if not merged.exists():
        return
    index = json.loads(merged.read_text(encoding="utf-8"))
    others = [lang for lang in i18n.build_languages if lang != default]
    split: dict[str, list[dict]] = {lang: [] for lang in [default, *others]}
    for doc in index["docs"]:
        doc["text"] = math_as_text(doc["text"])
        doc["title"] = math_as_text(doc["title"])
        lang = next((lang for lang in others if doc["location"].startswith(f"{lang}/")), default)
        if lang != default:
            doc["location"] = doc["location"].removeprefix(f"{lang}/")
        split[lang].append(doc)
    if "zh" in split and GLOSSARY.exists():
        tag_introductions(split["zh"], glossary())
        fix_query_segmentation(site)
    for lang, docs in split.items():
        path = merged if lang == default else site / lang / "search" / "search_index.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({**index, "docs": docs}, ensure_ascii=False, separators=(",", ":")),
            encoding="utf-8",
        )
