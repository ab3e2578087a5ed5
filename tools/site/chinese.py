"""The Chinese edition's interface, glossary and search (an MkDocs hook).

- The glossary page (`docs/glossary.zh.md`) is the one list of terms: its table gives each
  term's English and the section that introduces it. From it come
  - jieba's user dictionary, so that the Chinese search index keeps 学习率 or 反向传播 as one
    word instead of 学习/率 (Material's `search.jieba_dict_user`);
  - a tooltip with the English on a term's first use on every later page (`<abbr>`, shown by
    Material's `content.tooltips`): a page glosses only the terms it introduces.
- The Chinese search index: the section that introduces a term carries the term as a tag,
  which Material's search weighs above titles and text, so searching 反向传播 lists the
  section that explains it first, not the page that uses it most.
- Material's search worker cuts a Chinese query into words it finds in the index, but never
  tries the whole query as one word (its loop stops one character short): 梯度确认 became a
  search for 梯度 alone. The built worker gets that one comparison fixed (`<` -> `<=`), and the
  build fails if Material's code no longer has the loop, so that nobody ships an unpatched or
  wrongly patched worker.
- The API reference: mkdocstrings renders it in the language being built (its labels and
  section titles from mkdocstrings-python's own Chinese strings), and each public object gets
  its Chinese one-line summary (`docs/api-summaries.zh.yml`) above its English docstring.
- The headings' link symbol says 本节链接 on Chinese pages (Markdown's toc has one title).

Everything here depends on Material, mkdocstrings and mkdocs-static-i18n, like mkdocs.yml.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from tools.site.config import DOCS, ROOT, building

GLOSSARY = DOCS / "glossary.zh.md"
SUMMARIES = DOCS / "api-summaries.zh.yml"
JIEBA_USER_DICT = ROOT / "build" / "jieba" / "glossary.dict"

PERMALINK_TITLE = ('title="Permanent link"', 'title="本节链接"')


@dataclass(frozen=True)
class Term:
    chinese: str
    english: str
    introduced_in: str  # the page's source path, e.g. tutorials/gradient-descent.md
    section: str  # the id of the heading of the section that introduces it

    @property
    def needs_gloss(self) -> bool:
        """softmax 函数, epoch or Batch Norm already show their English: no gloss, no tooltip."""
        return self.english.split()[0].lower() not in self.chinese.lower()


ROW = re.compile(r"^\|(.+)\|\s*$")
LINK = re.compile(r"^\[[^\]]+\]\((?P<page>[^)#]+\.md)#(?P<section>[\w-]+)\)$")


# Where a term counts as used: a page's prose outside code, math, headings, the book box and
# link texts (a link's text is another page's title, not this page using the word).
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")
HEADING = re.compile(r"^#{1,6} .*?\{ #([\w-]+) \}\s*$")
NOT_PROSE = re.compile(r"`[^`]*`|\\\(.*?\\\)|\\\[.*?\\\]|\[[^\]]*\]\([^)]*\)", re.S)


def sections(path: Path) -> list[tuple[str, str]]:
    """(heading id, prose) of each section of a page, in order."""
    from tools.site.config import BOOK_BOX

    out: list[tuple[str, list[str]]] = [("", [])]
    fence = None
    for line in BOOK_BOX.sub("", path.read_text(encoding="utf-8")).splitlines():
        if m := FENCE.match(line):
            if fence is None:
                fence = m[2]
            elif m[2][0] == fence[0] and len(m[2]) >= len(fence) and not line.strip(" `~"):
                fence = None
            continue
        if fence is not None:
            continue
        if h := HEADING.match(line):
            out.append((h[1], []))
        else:
            out[-1][1].append(line)
    return [(section, NOT_PROSE.sub(" ", "\n".join(lines))) for section, lines in out]


@cache
def glossary(path: Path = GLOSSARY) -> tuple[Term, ...]:
    """The rows of the glossary's table: 本站 | English | 图灵版 | 动手学 | 引入页面."""
    text = path.read_text(encoding="utf-8")
    _, found, table = text.partition("{ #terms }")
    if not found:
        raise ValueError(f"{path.name}: no section '{{ #terms }}' with the table of terms")
    terms = []
    for line in table.strip().splitlines()[2:]:  # after the header and its |---| line
        if not (row := ROW.match(line)):
            break
        cells = [c.strip() for c in row[1].split("|")]
        if len(cells) != 5 or not (link := LINK.match(cells[4])):
            raise ValueError(
                f"{path.name}: a row needs 5 cells, the last a link to a section "
                f"([页名](page.md#id)), got {line!r}"
            )
        terms.append(Term(cells[0], cells[1], link["page"], link["section"]))
    if not terms:
        raise ValueError(f"{path.name}: the table of terms is empty")
    return tuple(terms)


def write_jieba_dictionary(terms: tuple[Term, ...], path: Path = JIEBA_USER_DICT) -> Path:
    """One word per line: jieba then gives it a frequency that keeps it whole."""
    words = sorted({t.chinese for t in terms if " " not in t.chinese})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{w}\n" for w in words), encoding="utf-8")
    return path


def on_config(config):
    """Before Material's search reads its options: the user dictionary from the glossary."""
    search = config.plugins.get("material/search") or config.plugins.get("search")
    if search is not None and GLOSSARY.exists():
        search.config.jieba_dict_user = str(write_jieba_dictionary(glossary()))
    return config


def on_pre_build(config) -> None:
    """mkdocstrings fixes its locale once, in on_config; i18n builds each language after.

    A static host serves one 404.html, at the root, for every address: the English build's,
    which says it in both languages (overrides/404.html). The Chinese build would overwrite it
    with a copy in its own interface, so it leaves the page out.
    """
    language, default = building(config)
    mkdocstrings = config.plugins.get("mkdocstrings")
    if mkdocstrings is not None:
        mkdocstrings.handlers._locale = language
    if language == default:
        config.theme.static_templates.add("404.html")
    else:
        config.theme.static_templates.discard("404.html")


# The loop in Material 9's search worker (src/templates/assets/javascripts/integrations/search)
# that records, for each start, the longest word of the index beginning there.
QUERY_SEGMENTATION = "for(let o=s+1;o<t.length;o++)t.slice(s,o)in e&&(n[s]=o-s)"


def fix_query_segmentation(site: Path) -> None:
    workers = sorted(site.glob("assets/javascripts/workers/search.*.min.js"))
    if len(workers) != 1:
        raise ValueError(f"expected one search worker in {site}/assets/javascripts/workers/")
    code = workers[0].read_text(encoding="utf-8")
    if code.count(QUERY_SEGMENTATION) != 1:
        raise ValueError(
            f"{workers[0].name}: Material's Chinese query segmentation changed; check whether "
            "it still never matches a whole query (tools/site/chinese.py) and update or drop "
            "this fix"
        )
    fixed = QUERY_SEGMENTATION.replace("o<t.length", "o<=t.length")
    workers[0].write_text(code.replace(QUERY_SEGMENTATION, fixed), encoding="utf-8")


def location(term: Term) -> str:
    """Where the search index keeps the section: tutorials/x.md#id -> tutorials/x/#id."""
    page = term.introduced_in.removesuffix(".md")
    page = "" if page == "index" else page.removesuffix("/index") + "/"
    return f"{page}#{term.section}"


def tag_introductions(docs: list[dict], terms: tuple[Term, ...]) -> None:
    """Tag each section of a language's search index with the terms it introduces."""
    by_location = {doc["location"]: doc for doc in docs}
    for term in terms:
        doc = by_location.get(location(term))
        if doc is None:
            raise ValueError(
                f"glossary.zh.md: {term.chinese} is introduced at {term.introduced_in}"
                f"#{term.section}, which the search index does not have"
            )
        doc.setdefault("tags", []).append(term.chinese)


@cache
def summaries(path: Path = SUMMARIES) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path.name}: expected a mapping of object ids to one sentence each")
    return data


DOC_HEADING = re.compile(
    r'(<h[1-6] id="(?P<id>[\w.]+)" class="doc doc-heading">.*?</h[1-6]>)', re.S
)


def add_summaries(page_html: str, table: dict[str, str]) -> str:
    def add(m: re.Match) -> str:
        if (summary := table.get(m["id"])) is None:
            return m[1]
        return f'{m[1]}\n<p class="nn-summary" lang="zh">{html.escape(summary)}</p>'

    return DOC_HEADING.sub(add, page_html)


# Text where a tooltip may go: inside a paragraph, list item or table cell, outside links,
# code, math, headings and anything a script draws.
TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^>]*)>")
NO_TOOLTIP = {"a", "abbr", "code", "pre", "script", "style", "button", "summary", "svg"}
NO_TOOLTIP |= {f"h{i}" for i in range(1, 7)}
PROSE = {"p", "li", "td"}
# Math, the links to the page's notebooks and an admonition's title are not prose.
NO_TOOLTIP_CLASSES = ("arithmatex", "nn-notebooks", "admonition-title")


@cache
def tokenizer(words: frozenset[str]):
    """jieba with the glossary as its dictionary: the cut the search index makes too."""
    import io
    import warnings

    with warnings.catch_warnings():  # jieba 0.42 (2020): invalid escapes, pkg_resources
        warnings.simplefilter("ignore")
        import jieba

    cut = jieba.Tokenizer()
    cut.load_userdict(io.StringIO("".join(f"{w}\n" for w in sorted(words))))
    return cut


def uses(text: str, words: frozenset[str]) -> list[tuple[int, int]]:
    """Where glossary words are used in a text, as jieba cuts it: 深层 is not a use of 层,
    每次梯度确认 not one of 次梯度. Words with a space (Batch Norm) are found as they are."""
    spaced = [
        (m.start(), m.end())
        for word in words
        if " " in word
        for m in re.finditer(re.escape(word), text)
    ]
    cut = tokenizer(words).tokenize(text, HMM=False)
    found = [
        (s, e)
        for w, s, e in cut
        if w in words and not any(a <= s and e <= b for a, b in spaced)  # 层 of Affine 层
    ]
    return sorted(found + spaced)


def add_tooltips(page_html: str, terms: tuple[Term, ...], page_src: str) -> str:
    """The first use of each glossary term not introduced on this page gets its English."""
    todo = {t.chinese: t for t in terms if t.introduced_in != page_src and t.needs_gloss}
    if not todo:
        return page_html
    words = frozenset(t.chinese for t in terms)
    seen: set[str] = set()
    out, stack, at = [], [], 0

    def tooltips(text: str) -> str:
        pieces, end = [], 0
        for start, stop in uses(text, words):
            word = text[start:stop]
            if word not in todo or word in seen or start < end:
                continue
            seen.add(word)
            title = html.escape(todo[word].english)
            pieces += [text[end:start], f'<abbr title="{title}">{word}</abbr>']
            end = stop
        return "".join(pieces) + text[end:]

    for m in TAG.finditer(page_html):
        text = page_html[at : m.start()]
        prose = any(name in PROSE for name, _ in stack)
        blocked = any(
            name in NO_TOOLTIP or any(c in attrs for c in NO_TOOLTIP_CLASSES)
            for name, attrs in stack
        )
        out.append(tooltips(text) if prose and not blocked and text.strip() else text)
        out.append(m[0])
        at = m.end()
        closing, name, attrs = m[1] == "/", m[2].lower(), m[3]
        if name in {"br", "img", "hr", "input", "meta", "link", "wbr"} or attrs.endswith("/"):
            continue
        if closing:
            for i in range(len(stack) - 1, -1, -1):  # tolerate an unclosed inline tag
                if stack[i][0] == name:
                    del stack[i:]
                    break
        else:
            stack.append((name, attrs))
    out.append(page_html[at:])
    return "".join(out)


def on_page_content(page_html: str, page, config, files) -> str:
    language, default = building(config)
    if language == default:
        return page_html
    page_html = page_html.replace(*PERMALINK_TITLE)
    src = page.file.src_uri.replace(f".{language}.md", ".md")  # docs/x.zh.md: x.md
    if src == "api.md":
        page_html = add_summaries(page_html, summaries())
    if src != "glossary.md" and GLOSSARY.exists():
        page_html = add_tooltips(page_html, glossary(), src)
    return page_html
