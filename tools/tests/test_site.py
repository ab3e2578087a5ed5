"""The site: strict build, English/Chinese parity, diagram numbers, and offline in a real browser.

The built site must request nothing from any host but its own: learners in mainland China
cannot reach Google Fonts or public CDNs. A static scan of the built files and a recording of
every request Chromium makes check that from two sides.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tools.site.config import BOOK_BOX, HOST, MOUNT, ROOT, site_config

DOCS = ROOT / "docs"

# ---------------------------------------------------------------------------
# Reading the Markdown sources


@dataclass
class Page:
    """What must match between a page and its translation."""

    fences: list[tuple[str, str]] = field(default_factory=list)  # (info string, content)
    headings: list[int] = field(default_factory=list)  # heading levels, in order
    markers: list[str] = field(default_factory=list)  # pytest-codeblocks / pytest.mark comments
    autodoc: list[str] = field(default_factory=list)  # mkdocstrings `::: identifier` lines
    prose: list[str] = field(default_factory=list)  # text lines outside fences and headings


FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
MARKER = re.compile(
    r"^\s*<!--\s*(pytest-codeblocks:.*?|pytest\.mark\..*?|run-in-browser:.*?)\s*-->\s*$"
)
HEADING = re.compile(r"^(#{1,6})\s")


def read_page(path: Path) -> Page:
    page = Page()
    lines = BOOK_BOX.sub("", path.read_text(encoding="utf-8")).splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := FENCE.match(line):
            indent, fence, info = m["indent"], m["fence"], m["info"].strip()
            body = []
            i += 1
            while i < len(lines):
                close = FENCE.match(lines[i])
                if (
                    close
                    and close["fence"][0] == fence[0]
                    and len(close["fence"]) >= len(fence)
                    and not close["info"].strip()
                ):
                    break
                body.append(lines[i].removeprefix(indent))
                i += 1
            else:
                raise AssertionError(f"{path}: fence opened with {line!r} is never closed")
            page.fences.append((info, "\n".join(body)))
        elif m := MARKER.match(line):
            page.markers.append(m[1])
        elif m := HEADING.match(line):
            page.headings.append(len(m[1]))
        elif line.startswith(":::"):
            page.autodoc.append(line.strip())
        else:
            page.prose.append(line)
        i += 1
    return page


def english_pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if not p.name.endswith(".zh.md"))


def chinese_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.zh.md"))


def zh_of(path: Path) -> Path:
    return path.with_suffix(".zh.md")


def test_every_page_exists_in_both_languages():
    english = {p.relative_to(DOCS).as_posix() for p in english_pages()}
    chinese = {p.relative_to(DOCS).as_posix().replace(".zh.md", ".md") for p in chinese_pages()}
    assert english, "no pages found under docs/"
    assert not english - chinese, f"no Chinese translation of {sorted(english - chinese)}"
    assert not chinese - english, f"no English original of {sorted(chinese - english)}"


@pytest.mark.parametrize("path", english_pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_translation_has_the_same_code_and_structure(path):
    zh = zh_of(path)
    if not zh.exists():
        pytest.skip("missing translation: reported by test_every_page_exists_in_both_languages")
    en_page, zh_page = read_page(path), read_page(zh)
    # A Chinese page draws the Chinese twin of a diagram (tools/generate/diagrams.py): same numbers.
    zh_page.fences = [
        (info, body.replace(".zh.mmd", ".mmd") if info == "mermaid" else body)
        for info, body in zh_page.fences
    ]
    for i, (a, b) in enumerate(zip(en_page.fences, zh_page.fences, strict=False), start=1):
        assert a == b, (
            f"code block {i} differs between {path.name} and {zh.name} (code is never translated)"
            f"\n--- en: ```{a[0]}\n{a[1]}\n--- zh: ```{b[0]}\n{b[1]}"
        )
    assert len(en_page.fences) == len(zh_page.fences), (
        f"{path.name} has {len(en_page.fences)} code blocks, {zh.name} {len(zh_page.fences)}"
    )
    assert en_page.headings == zh_page.headings, (
        f"heading levels differ: {path.name} {en_page.headings}, {zh.name} {zh_page.headings}"
    )
    assert en_page.markers == zh_page.markers, (
        f"pytest-codeblocks markers differ: {en_page.markers} vs {zh_page.markers}"
    )
    assert en_page.autodoc == zh_page.autodoc, (
        f"API blocks differ: {en_page.autodoc} vs {zh_page.autodoc}"
    )


# Renderings that the glossary and STYLE.zh.md rule out, and the one they ask for.
WRONG_TERMS = {
    "后向传播": "反向传播",
    "反向传递": "反向传播",
    "前向传播": "正向传播",
    "梯度检验": "梯度确认",
    "梯度检查": "梯度确认",
    "链式规则": "链式法则",
    "激励函数": "激活函数",
    "学习速率": "学习率",
    "挪动": "微调",
    "原地": "就地",
    "步子": "步长 or 一步",
    "容差": "阈值",
    "瞎猜": "随机猜测",
    "转眼": "很快",
    "四轴数组": "四维数组",
    "六轴数组": "六维数组",
    "反向 Dropout": "倒置 Dropout",
    "按行求和": "各行相加（沿 axis 0 求和）",
    "按列求和": "各行相加（沿 axis 0 求和）",
    "本篇": "本页",
    "小批量大小": "批大小",
    "批量大小": "批大小",
    "准确率": "识别精度 (准确率 only in the glossary)",
    "「": "“",
    "」": "”",
    "『": "‘",
    "』": "’",
}
INLINE_CODE = re.compile(r"`[^`]*`")
MATH = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.S)
THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?!\d)")
ITALIC = re.compile(r"(?<![*\\])\*(?![*\s])([^*\n]+?)(?<![*\s])\*(?!\*)")
MULTIPLE = re.compile(r"(?:[大小多少高低快慢长短]了|缩小|增大|放大)\s*[\d.\\()^{}]+\s*倍")
# English words in a formula's text: "(He initialization, for ReLU)" or "training: ", not a
# name such as \text{dout} or \text{Affine1}.
ENGLISH_IN_MATH = re.compile(r"\\text\{[^}]*(?:[A-Za-z]{3,}[ ,]+[A-Za-z]{3,}|\b[a-z]{4,}: )[^}]*\}")


def chinese_prose(path: Path) -> str:
    """A Chinese page's text outside code blocks and headings, without its inline code."""
    return INLINE_CODE.sub("", "\n".join(read_page(path).prose))


@pytest.mark.parametrize("path", chinese_pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_chinese_pages_follow_the_style_guide(path):
    """What STYLE.zh.md asks that a script can check (code and its output are never changed)."""
    text = chinese_prose(path)
    glossary_page = path.name == "glossary.zh.md"  # it lists the other books' renderings too
    for wrong, right in WRONG_TERMS.items():
        if glossary_page and wrong not in "「」『』":
            continue
        if wrong in text:
            at = text.index(wrong)
            near = text[max(at - 20, 0) : at + 20]
            raise AssertionError(f"{path.name}: write {right}, not {wrong} (STYLE.zh.md): {near!r}")
    no_math = MATH.sub("", text)
    assert not (m := THOUSANDS.search(no_math)), (
        f"{path.name}: no thousands separators in Chinese prose (STYLE.zh.md §3): {m[0]!r}"
    )
    italic = [
        m[0] for m in ITALIC.finditer(no_math.replace("**", "")) if re.search(f"[{CJK}]", m[1])
    ]
    assert not italic, f"{path.name}: no italics on Chinese (STYLE.zh.md §3): {italic[:3]}"
    assert not (m := MULTIPLE.search(text)), (
        f"{path.name}: write “是……的 N 倍” (STYLE.zh.md §2), not {m[0]!r}"
    )
    assert not (m := ENGLISH_IN_MATH.search(text)), (
        f"{path.name}: text inside a formula in Chinese (STYLE.zh.md §3), not {m[0]!r}"
    )


def glossary_rows(path: Path) -> list[list[str]]:
    table = path.read_text(encoding="utf-8").partition("{ #terms }")[2]
    rows = []
    for line in table.strip().splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def test_the_glossary_has_the_same_terms_in_both_languages():
    from tools.site.chinese import glossary

    terms = glossary()
    english = glossary_rows(DOCS / "glossary.md")
    assert len(terms) >= 50, f"the glossary lists {len(terms)} terms"
    assert len(english) == len(terms), "glossary.md and glossary.zh.md differ in rows"
    for term, row in zip(terms, english, strict=True):
        assert (row[0], row[1]) == (term.english, term.chinese), (term, row)
        assert row[4].endswith(f"({term.introduced_in}#{term.section})"), (term, row[4])
    duplicates = {t.chinese for t in terms if [u.chinese for u in terms].count(t.chinese) > 1}
    assert not duplicates, f"terms listed twice: {duplicates}"


def test_each_term_is_glossed_once_where_it_is_introduced():
    """STYLE.zh.md §4: English after a term only on the page that introduces it, at its first
    use there, as **术语**（English）; later pages get a tooltip from the site instead. A term
    that already shows its English (softmax 函数, epoch) may go without."""
    from tools.site.chinese import glossary, sections, uses

    terms = glossary()
    words = frozenset(t.chinese for t in terms)
    problems = []
    for term in terms:
        home = DOCS / term.introduced_in.replace(".md", ".zh.md")
        if not home.exists():
            problems.append(f"{term.chinese}: {term.introduced_in} does not exist")
            continue
        by_section = dict(sections(home))
        text = by_section.get(term.section, "")
        if term.section not in by_section:
            problems.append(f"{term.chinese}: no heading {{ #{term.section} }} in {home.name}")
        elif term.chinese not in {text[a:b] for a, b in uses(text, words)}:
            problems.append(f"{term.chinese}: not used in {home.name}#{term.section}")
        gloss = re.compile(re.escape(term.chinese) + r"\**（" + re.escape(term.english), re.I)
        for page in chinese_pages():
            if page.name == "glossary.zh.md":
                continue
            found = len(gloss.findall(chinese_prose(page)))
            expected = 1 if page == home else 0
            if found != expected and not (found == 0 and not term.needs_gloss):
                where = "once, where it is introduced" if expected else f"never (see {home.name})"
                gloss_text = f"{term.chinese}（{term.english}）"
                problems.append(f"{gloss_text}: glossed {found} times on {page.name}, {where}")
    assert not problems, "\n".join(problems)


CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"  # punctuation, ideographs, full-width forms
CJK_LINE_BREAK = re.compile(f"[{CJK}]\n[ \t]*[{CJK}]")


@pytest.mark.parametrize("path", chinese_pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_chinese_sentences_are_not_broken_across_lines(path):
    """A line break inside Chinese text renders as a stray space between two characters."""
    text = "\n".join(read_page(path).prose)
    if m := CJK_LINE_BREAK.search(text):
        line = text.count("\n", 0, m.start()) + 1
        raise AssertionError(
            f"{path.name}: Chinese text broken across lines at {m[0]!r} "
            f"(prose line {line}): join the lines"
        )


TEST_FILE = re.compile(r"(?<![\w/])(?:tools/)?tests/[\w/]+\.py")
TEST_NAME = re.compile(r"`(test_\w+)`")  # "`test_x` in `tests/test_y.py`"


@pytest.mark.parametrize("path", english_pages() + chinese_pages(), ids=lambda p: p.name)
def test_the_tests_a_page_names_exist(path):
    """Pages say which test guards each pitfall; a renamed test must not leave a dead name.

    A page names a test as "`test_x` in `tests/test_y.py`" ("`tests/test_y.py` 中的 `test_x`"):
    every file it names exists, and every test it names is defined in one of them.
    """
    text = path.read_text(encoding="utf-8")
    files = sorted(set(TEST_FILE.findall(text)))
    for file in files:
        assert (ROOT / file).is_file(), f"{path.name} names {file}, which does not exist"
    sources = "\n".join((ROOT / f).read_text(encoding="utf-8") for f in files)
    # Tests are named in the collapsed block that ends the page (tools/tests/test_pages.py), where
    # `test_data` is not a Trainer argument.
    block = re.split(r'^\?\?\? note "(?:How this page is tested|本页如何测试)"$', text, flags=re.M)
    for name in TEST_NAME.findall(block[-1] if len(block) > 1 else ""):
        assert re.search(rf"^def {name}\(", sources, re.M), (
            f"{path.name} names the test {name}, which none of {files} defines"
        )


# ---------------------------------------------------------------------------
# The built site


def test_strict_build_makes_both_languages(site):
    for page in ("", "getting-started/", "api/"):
        assert (site / page / "index.html").is_file(), f"no English page /{page}"
        assert (site / "zh" / page / "index.html").is_file(), f"no Chinese page /zh/{page}"
    assert not list(site.rglob("VENDOR.txt")), "maintainer notes were published"
    zh = (site / "zh" / "getting-started" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in zh and "快速上手" in zh


HEADING_ID = re.compile(r'<h[1-6](?![^>]*doc-heading)[^>]*\bid="([^"]+)"')


def built_pages(site: Path) -> list[tuple[str, Path, Path]]:
    """(site path, English file, Chinese file) of every page of the built site."""
    pages = []
    for en in sorted(site.rglob("index.html")):
        rel = en.relative_to(site)
        if rel.parts[0] != "zh" and "assets" not in rel.parts:
            pages.append((rel.parent.as_posix(), en, site / "zh" / rel))
    return pages


def test_chinese_headings_have_the_english_ids(site):
    """A shared link reads #the-idea, not #_1, and names the same section in both languages."""
    pages = built_pages(site)
    assert len(pages) >= 20, [p for p, _, _ in pages]
    for path, en, zh in pages:
        english = HEADING_ID.findall(en.read_text(encoding="utf-8"))
        chinese = HEADING_ID.findall(zh.read_text(encoding="utf-8"))
        assert chinese == english, (
            f"/{path}: heading ids differ: "
            f"{[(a, b) for a, b in zip(english, chinese, strict=False) if a != b][:3]}"
        )
        numbered = [i for i in chinese if re.fullmatch(r"_\d+", i)]
        assert not numbered, f"/zh/{path}: headings without a readable id: {numbered}"


def english_interface_strings() -> set[str]:
    """What Material and mkdocstrings say in English, and the strings mkdocs.yml writes."""
    import material
    import mkdocstrings_handlers.python as handler

    theme = Path(material.__file__).parent / "templates" / "partials" / "languages" / "en.html"
    labels = Path(handler.__file__).parent.joinpath(
        "templates", "material", "_base", "languages", "en.html.jinja"
    )
    strings = set()
    for source in (theme, labels):
        for _, value in re.findall(r'"([^"]+)": "([^"]*)"', source.read_text(encoding="utf-8")):
            if re.search(r"[A-Za-z]{3}", value) and value not in {"en", "ltr", "stopWordFilter"}:
                strings.add(value.strip())
    strings |= {"Permanent link", "Switch to dark mode", "Switch to light mode"}
    strings |= {"Source code on GitHub", "Made with", "Material for MkDocs", "404 - Not found"}
    strings |= {"Bases:"}  # written by mkdocstrings-python's class template itself
    return strings


class Interface(HTMLParser):
    """Text nodes and the attributes a reader sees or hears, outside code."""

    SKIP = frozenset({"code", "pre", "script", "style", "svg"})

    def __init__(self):
        super().__init__()
        self.depth, self.found = 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.SKIP:
            self.depth += 1
        for name in ("title", "aria-label", "placeholder", "alt"):
            if attrs.get(name):
                self.found.append(attrs[name].strip())

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.depth = max(self.depth - 1, 0)

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.found.append(data.strip())


def test_chinese_pages_have_a_chinese_interface(site):
    """No theme, footer, permalink or API label in English on a Chinese page: no text or
    attribute equals one of their English strings (docstrings and code are English content)."""
    english = english_interface_strings()
    assert {"Parameters:", "Copy to clipboard", "Back to top"} <= english
    problems = []
    for path, _, zh in built_pages(site):
        parser = Interface()
        parser.feed(zh.read_text(encoding="utf-8"))
        hits = sorted({s for s in parser.found if s in english or s.rstrip(":：") in english})
        if hits:
            problems.append(f"/zh/{path}: {hits}")
    assert not problems, "English interface text on Chinese pages:\n" + "\n".join(problems)
    page = (site / "404.html").read_text(encoding="utf-8")  # one page for both languages
    assert "找不到页面" in page and f'href="{MOUNT}zh/"' in page, "the 404 page has no Chinese"
    assert '<html lang="en"' in page, "the Chinese build overwrote the one 404 page"


def test_chinese_pages_give_a_term_s_english_on_hover_where_it_is_not_glossed(site):
    """A term's first use on a page that does not introduce it carries the English as a
    tooltip (tools/site/chinese.py), once per page; the page that glosses it has none."""
    from tools.site.chinese import glossary

    terms = {t.chinese: t for t in glossary()}
    total = 0
    for path, _, zh in built_pages(site):
        found = re.findall(r'<abbr title="([^"]*)">([^<]*)</abbr>', zh.read_text(encoding="utf-8"))
        words = [word for _, word in found]
        assert len(words) == len(set(words)), f"/zh/{path}: a tooltip repeated: {words}"
        for english, word in found:
            term = terms[word]
            src = term.introduced_in.removesuffix(".md").removesuffix("index")
            assert src.rstrip("/") != path.strip("./"), f"/zh/{path} glosses {word} itself"
            assert english == term.english, (word, english)
        total += len(found)
    assert total >= 200, f"only {total} tooltips on the Chinese pages"


def test_the_chinese_api_reference_is_summarised_and_searchable(site):
    """Each public module, class and function has its Chinese summary; search finds them."""
    import json

    import yaml

    from tools.site.chinese import SUMMARIES

    en = (site / "api" / "index.html").read_text(encoding="utf-8")
    zh = (site / "zh" / "api" / "index.html").read_text(encoding="utf-8")
    public = re.findall(
        r'<h\d id="([\w.]+)" class="doc doc-heading">(?:(?!</h\d>).)*?'
        r"doc-symbol-(?:module|class|function)\b",
        en,
        re.S,
    )
    summaries = yaml.safe_load(SUMMARIES.read_text(encoding="utf-8"))
    assert len(public) >= 80 and set(summaries) == set(public), (
        f"no summary: {sorted(set(public) - set(summaries))}; "
        f"summary of nothing on the page: {sorted(set(summaries) - set(public))}"
    )
    shown = re.findall(r'class="doc doc-heading">.*?</h\d>\s*<p class="nn-summary"', zh, re.S)
    assert len(shown) == len(public), f"{len(shown)} summaries shown, {len(public)} objects"
    for name, text in summaries.items():
        assert re.search(f"[{CJK}]", text) and text.endswith("。"), f"{name}: {text!r}"

    def api_entries(index: Path) -> int:
        docs = json.loads(index.read_text(encoding="utf-8"))["docs"]
        return sum(d["location"].startswith("api/") for d in docs)

    english = api_entries(site / "search" / "search_index.json")
    chinese = api_entries(site / "zh" / "search" / "search_index.json")
    assert english >= 100 and chinese >= english, (english, chinese)


def test_the_root_inventory_points_at_english_pages(site):
    # tools/site/inventory.py: the Chinese build must not overwrite the English objects.inv.
    data = (site / "objects.inv").read_bytes()
    header = data.split(b"\n", 4)
    entries = zlib.decompress(header[4]).decode("utf-8").splitlines()
    assert "nn.Affine py:class 2 api/#nn.layers.Affine -" in entries
    assert not [e for e in entries if " zh/" in e], "the inventory links Chinese pages"


def test_api_examples_render_as_code(site):
    for page in ("api", "zh/api"):
        html = (site / page / "index.html").read_text(encoding="utf-8")
        assert "<blockquote>" not in html, f"/{page}/: a docstring example became a quotation"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_page_with_code_links_its_notebook_and_the_zip(site, language):
    """tools/site/notebooks.py: the site serves each page's notebook, exactly the one that
    tools/tests/test_notebooks.py runs, linked under the page's title, and one zip per language."""
    import zipfile

    from tools.site.page_notebooks import notebook_name, notebook_text, pages_with_code
    from tools.site.wheel import wheel_name

    root = site / "zh" if language == "zh" else site
    archive = root / f"nn-notebooks-{language}.zip"
    with zipfile.ZipFile(archive) as zf:
        zipped = {Path(n).name: zf.read(n) for n in zf.namelist()}
    wheel = zipped.pop(wheel_name())  # the wheel the notebooks' first cell installs
    assert wheel == (root / wheel_name()).read_bytes(), f"{archive.name} holds another wheel"
    zipped = {name: data.decode("utf-8") for name, data in zipped.items()}
    pages = pages_with_code(language)
    assert len(pages) >= 17 and len(zipped) == len(pages), sorted(zipped)
    for page in pages:
        rel = page.relative_to(DOCS).as_posix().replace(".zh.md", ".md")
        folder = root / Path(rel).parent
        name = notebook_name(page)
        expected = notebook_text(page)
        assert (folder / name).read_text(encoding="utf-8") == expected, f"{rel}: stale {name}"
        assert zipped[name] == expected, f"{archive.name}: stale {name}"
        html = (folder / rel.removesuffix(".md").split("/")[-1] / "index.html").read_text(
            encoding="utf-8"
        )
        title_to_links = re.search(r"</h1>\s*<p class=\"nn-notebooks\">(.*?)</p>", html, re.S)
        assert title_to_links, f"{rel} ({language}): no notebook links right under the title"
        links = title_to_links[1]
        assert f'<a download="" href="../{name}">' in links, links
        depth = rel.count("/") + 1
        assert f'<a download="" href="{"../" * depth}{archive.name}">' in links, links


REPOSITORY = "https://github.com/nn-from-scratch/nn"


def test_every_page_links_to_the_repository_without_calling_github(site):
    for path in sorted(site.rglob("index.html")):
        html = path.read_text(encoding="utf-8")
        rel = path.relative_to(site).as_posix()
        assert f'href="{REPOSITORY}"' in html, f"{rel} has no link to {REPOSITORY}"
        # repo_url's header widget, which fetches the repository's stars from api.github.com
        assert 'data-md-component="source"' not in html, f"{rel} has the GitHub API widget"


def nav_pages(nav) -> list[tuple[str, str]]:
    """(title, file) of every page in the nav, sections flattened."""
    pages = []
    for item in nav:
        for title, value in item.items():
            pages += nav_pages(value) if isinstance(value, list) else [(title, value)]
    return pages


GLOSS = re.compile(
    r"（[^）]*）"
)  # the English after a term's first use: 计算图（computational graph）


@pytest.mark.parametrize("language", ["en", "zh"])
def test_each_page_has_one_name_in_nav_home_and_heading(language):
    """The nav, the home page's link and the page's heading call a page by one name (the
    heading may add a subtitle after it)."""
    config = site_config()
    i18n = next(p["i18n"] for p in config["plugins"] if isinstance(p, dict) and "i18n" in p)
    translations = next(
        lang.get("nav_translations", {}) for lang in i18n["languages"] if lang["locale"] == language
    )
    suffix = ".md" if language == "en" else f".{language}.md"
    home = (DOCS / f"index{suffix}").read_text(encoding="utf-8")
    links = {
        target: GLOSS.sub("", text)
        for text, target in re.findall(r"\[([^\]]+)\]\(([^)#]+\.md)\)", home)
    }
    problems = []
    for title, file in nav_pages(config["nav"]):
        name = translations.get(title, title) if language != "en" else title
        page = DOCS / file.replace(".md", suffix)
        heading = next(
            line[2:].strip()
            for line in page.read_text(encoding="utf-8").splitlines()
            if line.startswith("# ")
        )
        if file != "index.md" and not heading.startswith(name):
            problems.append(f"{page.name}: nav says {name!r}, heading {heading!r}")
        if file in links and links[file] != name:
            problems.append(f"{page.name}: nav says {name!r}, home page {links[file]!r}")
    assert not problems, "\n".join(problems)


class ResourceFinder(HTMLParser):
    """URLs an HTML page loads as resources (not links a reader may follow)."""

    LOADING_RELS = frozenset(
        "stylesheet icon shortcut apple-touch-icon preload modulepreload prefetch preconnect "
        "dns-prefetch manifest".split()
    )

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and self.LOADING_RELS & set((a.get("rel") or "").lower().split()):
            self.urls.append(a.get("href") or "")
        elif tag in {"script", "img", "iframe", "audio", "video", "source", "embed", "track"}:
            if a.get("src"):
                self.urls.append(a["src"])
            for part in (a.get("srcset") or "").split(","):
                if part.strip():
                    self.urls.append(part.split()[0])
        elif tag == "object" and a.get("data"):
            self.urls.append(a["data"])
        if a.get("style"):
            self.styles.append(a["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
# Hosts that serve code, styles or fonts: a reference to one from our JavaScript is a load.
RESOURCE_HOSTS = re.compile(
    r"https?://(?:[\w-]+\.)*(?:unpkg\.com|jsdelivr\.net|cdnjs\.cloudflare\.com|googleapis\.com|"
    r"gstatic\.com|polyfill\.io|api\.github\.com|bootstrapcdn\.com|fontawesome\.com|"
    r"mathjax\.org|esm\.sh|skypack\.dev)[^\s\"'`)]*"
)
# Material's bundle and Pyodide name such URLs that this site never loads (the browser tests
# confirm it): each is fetched only in a case that does not arise here.
KNOWN_UNUSED = {
    # Pyodide's default indexURL in Node; run-worker.js passes assets/vendor/pyodide/ instead
    "https://cdn.jsdelivr.net/pyodide/v${",
    # only when no global `mermaid` exists; the site serves assets/vendor/mermaid
    "https://unpkg.com/mermaid@11/dist/mermaid.min.js",
    # only in browsers without ResizeObserver, which every current browser has
    "https://unpkg.com/resize-observer-polyfill",
    # only with repo_url set, which mkdocs.yml leaves out (api.github.com/repos/... and /users/...)
    "https://api.github.com/repos/${",
    "https://api.github.com/users/${",
}


def offsite(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def test_built_files_load_nothing_from_other_hosts(site):
    problems = []
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        if path.suffix == ".html":
            finder = ResourceFinder()
            finder.feed(path.read_text(encoding="utf-8"))
            css = "\n".join(finder.styles)
            for url in finder.urls:
                if offsite(url):
                    problems.append(f"{rel}: loads {url}")
                elif url and not url.startswith(("data:", "#")):
                    target = urlsplit(urljoin(f"http://{HOST}{MOUNT}{rel}", url)).path
                    file = site / target.removeprefix(MOUNT)
                    if not target.startswith(MOUNT) or not file.is_file():
                        problems.append(f"{rel}: loads {url}, which is not in the site")
        elif path.suffix == ".css":
            css = path.read_text(encoding="utf-8")
        elif path.suffix == ".js":
            for url in RESOURCE_HOSTS.findall(path.read_text(encoding="utf-8")):
                if not any(url.startswith(known) for known in KNOWN_UNUSED):
                    problems.append(f"{rel}: refers to {url}")
            continue
        else:
            continue
        for m in CSS_URL.finditer(css):
            url = m[1] or m[2]
            if offsite(url):
                problems.append(f"{rel}: CSS loads {url}")
            elif path.suffix == ".css" and not url.startswith(("data:", "#")):
                if not (path.parent / urlsplit(url).path).is_file():
                    problems.append(f"{rel}: CSS refers to {url}, which is not in the site")
    assert not problems, "the site must load everything from itself:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------
# A real browser


@pytest.mark.parametrize("path", ["getting-started/", "zh/getting-started/"])
def test_math_and_diagram_render_offline(visit, path):
    record = visit(path)
    page = record.page
    page.locator(".arithmatex .katex").first.wait_for(state="attached", timeout=15_000)
    svg = page.locator("div.mermaid svg")
    svg.first.wait_for(state="attached", timeout=30_000)
    assert "220" in svg.first.text_content(), "the apple diagram did not render its numbers"
    assert page.locator("pre.mermaid").count() == 0, "a Mermaid block was left unrendered"
    assert page.locator(".arithmatex .katex-error").count() == 0, "KaTeX could not parse a formula"
    page.wait_for_load_state("networkidle")
    record.assert_offline()


def test_language_switcher_goes_to_the_same_page_in_chinese(visit):
    record = visit("getting-started/")
    page = record.page
    page.hover(".md-header .md-select")
    page.click('.md-select a[hreflang="zh"]')
    page.wait_for_url("**/zh/getting-started/")
    assert page.locator(".md-content h1").first.text_content().strip(" ¶") == "快速上手"


@pytest.mark.parametrize("start, other", [("", "zh"), ("zh/", "en")])
def test_language_switch_keeps_the_section(visit, start, other):
    """Both languages give a heading the same id: the switch keeps the reader's #anchor."""
    record = visit(f"{start}tutorials/numerical-gradient/#the-math")
    page = record.page
    page.hover(".md-header .md-select")
    page.click(f'.md-select a[hreflang="{other}"]')
    target = "tutorials/numerical-gradient/#the-math"
    page.wait_for_url(f"**{MOUNT}{'zh/' if other == 'zh' else ''}{target}")
    top = page.locator("#the-math").evaluate("el => el.getBoundingClientRect().top")
    assert 0 <= top < 200, f"the section is not in view after the switch (top {top}px)"


def page_paths(language: str) -> list[str]:
    """The site path of every page in a language: docs/tutorials/x.md -> tutorials/x/."""
    paths = []
    for md in english_pages():
        rel = md.relative_to(DOCS).with_suffix("").as_posix()
        rel = "" if rel == "index" else rel.removesuffix("/index") + "/"
        paths.append(rel if language == "en" else f"{language}/{rel}")
    return paths


def draws_diagrams(path: str) -> bool:
    rel = path.removeprefix("zh/").rstrip("/") or "index"
    return "```mermaid" in (DOCS / f"{rel}.md").read_text(encoding="utf-8")


# Every label of every diagram on the page: its rendered size in CSS px (font size times the
# SVG's scale) and its contrast with what is behind it (WCAG 2 relative luminance; colours
# with alpha composed over the layers below). Node labels sit on their node's fill, edge
# labels on their own background or the page.
MEASURE_DIAGRAMS = """() => {
  const rgba = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) =>
    top ? [0, 1, 2].map((i) => top[i] * top[3] + below[i] * (1 - top[3])).concat([1]) : below;
  const luminance = (c) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const page = over(rgba(getComputedStyle(document.body).backgroundColor), [255, 255, 255, 1]);
  const labels = [];
  for (const host of document.querySelectorAll("div.mermaid")) {
    const svg = host.shadowRoot && host.shadowRoot.querySelector("svg");
    if (!svg) { labels.push({ text: "(no diagram drawn)", size: 0, contrast: 0 }); continue; }
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const fits = svg.getBoundingClientRect().width <= host.clientWidth + 1;
    const scrolls = getComputedStyle(host).overflowX !== "visible"
      && host.scrollWidth >= svg.getBoundingClientRect().width - 1;
    for (const label of host.shadowRoot.querySelectorAll(".nodeLabel, .edgeLabel")) {
      if (label.parentElement.closest(".nodeLabel, .edgeLabel")) continue;  // once per label
      const node = label.closest(".node");
      const shape = node && node.querySelector("rect, circle, polygon, path");
      let below = shape ? over(rgba(getComputedStyle(shape).fill), page) : page;
      for (let e = label; !shape && e && e !== host.shadowRoot; e = e.parentElement) {
        const bg = rgba(getComputedStyle(e).backgroundColor);  // the innermost opaque box
        if (bg && bg[3] > 0) { below = over(bg, page); break; }
      }
      // The colour and size of the element that holds the text, not the label's box: Material
      // colours the <p> inside a label itself.
      const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
      for (let t = walker.nextNode(); t; t = walker.nextNode()) {
        if (!t.data.trim()) continue;
        const style = getComputedStyle(t.parentElement);
        labels.push({
          text: t.data.trim(),
          size: parseFloat(style.fontSize) * scale,
          contrast: contrast(over(rgba(style.color), below), below),
          reachable: fits || scrolls,
        });
      }
    }
  }
  return labels;
}"""

# Every diagram on the page: its rendered width against the column that holds it (both as
# drawn, so CSS zoom in print counts), and the nodes whose label its shape clips: a corner of
# the label's box outside the shape's fill, or a rounded box narrower than it is tall (Mermaid
# draws a stadium around a one-letter label as a pinched oval with flat tips, review F5).
MEASURE_DIAGRAM_FIT = """() => [...document.querySelectorAll("div.mermaid")].map((host, i) => {
  const svg = host.shadowRoot && host.shadowRoot.querySelector("svg");
  if (!svg) return { name: `diagram ${i + 1} (not drawn)`, width: 1, column: 0, clipped: [] };
  const first = host.shadowRoot.querySelector(".nodeLabel");
  const name = `diagram ${i + 1} (${first ? first.textContent.trim() : "no label"})`;
  const clipped = [];
  for (const node of host.shadowRoot.querySelectorAll(".node")) {
    const shape = node.querySelector("rect, circle, ellipse, polygon, path");
    const label = node.querySelector(".nodeLabel");
    if (!shape || !label || !label.textContent.trim()) continue;
    const box = label.getBoundingClientRect();
    const toShape = shape.getScreenCTM().inverse();
    const corners = [[box.left, box.top], [box.right, box.top],
                     [box.left, box.bottom], [box.right, box.bottom]];
    const inside = corners.every(([x, y]) => shape.isPointInFill(
      new DOMPoint(x + (x === box.left ? 0.5 : -0.5), y + (y === box.top ? 0.5 : -0.5))
        .matrixTransform(toShape)));
    const outline = shape.getBoundingClientRect();
    const pinched = shape.tagName === "path" && outline.width < outline.height - 0.5;
    if (!inside || pinched) {
      clipped.push(`${label.textContent.trim()} (${pinched ? "pinched" : "outside its shape"})`);
    }
  }
  const width = svg.getBoundingClientRect().width;
  return { name, width, column: host.getBoundingClientRect().width, clipped };
})"""

# Inline math followed by punctuation whose mark starts the next line (tools/site/punctuation.py),
# and display equations wider than the column, which the reader has to scroll to see.
MEASURE_MATH = """() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (const math of document.querySelectorAll(".md-content span.arithmatex")) {
    walker.currentNode = math.lastChild || math;
    let next = walker.nextNode();
    while (next && math.contains(next)) next = walker.nextNode();
    if (!next || !/^[，。、；：！？）,.;:!?)]/.test(next.data)) continue;
    const range = document.createRange();
    range.setStart(next, 0);
    range.setEnd(next, 1);
    const mark = range.getBoundingClientRect();
    const rects = math.getClientRects();
    const last = rects[rects.length - 1];
    if (last && (mark.top >= last.bottom - 2 || mark.left < last.left)) {
      broken.push(math.textContent.trim().slice(0, 40) + " | " + next.data.slice(0, 10));
    }
  }
  const wide = [...document.querySelectorAll(".md-content div.arithmatex")]
    .filter((e) => e.scrollWidth > e.clientWidth + 1)
    .map((e) => e.textContent.trim().slice(0, 60));
  return { broken, wide };
}"""


# Every figure shown on the page (tools/site/figures.py marks them `img.nn-figure`), in the
# copy of the colour scheme in view: the size of its smallest text in CSS px (the PNG records
# its smallest font in its own pixels, `nn:smallest-text-px`, tools/generate/figures.py),
# whether it fits the column, its caption, and whether a click opens it (GLightbox's link).
# `selector` picks other images: the lightbox's `.gslide.current img`.
MEASURE_FIGURES = """async (selector) => {
  const pngText = async (url) => {
    const data = new DataView(await (await fetch(url)).arrayBuffer());
    const latin1 = new TextDecoder("latin1");
    const found = {};
    for (let at = 8; at + 8 <= data.byteLength; ) {
      const length = data.getUint32(at);
      const type = latin1.decode(new Uint8Array(data.buffer, at + 4, 4));
      if (type === "tEXt") {
        const bytes = new Uint8Array(data.buffer, at + 8, length);
        const zero = bytes.indexOf(0);
        found[latin1.decode(bytes.slice(0, zero))] = latin1.decode(bytes.slice(zero + 1));
      }
      if (type === "IEND") break;
      at += 12 + length;
    }
    return found;
  };
  const figures = [];
  for (const img of document.querySelectorAll(selector || ".md-content img.nn-figure")) {
    const box = img.getBoundingClientRect();
    if (box.width === 0) continue;  // the other colour scheme's copy
    const info = await pngText(img.currentSrc || img.src);
    const column = img.closest(".md-content__inner");
    const style = column && getComputedStyle(column);
    const room = column
      ? column.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
      : document.documentElement.clientWidth;
    const figure = img.closest("figure");
    const caption = figure && figure.querySelector("figcaption");
    figures.push({
      src: img.getAttribute("src"),
      text: (parseFloat(info["nn:smallest-text-px"]) * box.width) / img.naturalWidth,
      width: box.width,
      fits: box.width <= room + 1 && box.right <= document.documentElement.clientWidth + 1,
      caption: caption ? caption.textContent.trim() : "",
      opens: !!img.closest("a.glightbox"),
    });
  }
  return figures;
}"""
LIGHTBOX_IMAGE = ".glightbox-container .gslide.current img"
SMALLEST_FIGURE_TEXT = 9  # CSS px


def open_lightbox(page) -> None:
    """Click the first figure in view; wait until GLightbox shows it, loaded and still."""
    page.locator(".md-content a.glightbox:visible").first.click()
    page.locator(LIGHTBOX_IMAGE).wait_for(state="visible", timeout=10_000)
    page.wait_for_function(
        f"() => {{ const i = document.querySelector({LIGHTBOX_IMAGE!r});"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    page.wait_for_timeout(800)  # the opening animation


def close_lightbox(page) -> None:
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('.glightbox-container')")


def pinch_in_lightbox(page) -> dict:
    """On a touch screen, tap the first figure, spread two fingers on it in the lightbox (a
    phone's way to enlarge it there); measure it so enlarged. Touch is on for this page only."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 2})
    try:
        page.reload()  # GLightbox sets up its touch gestures on a touch screen only
        page.wait_for_load_state("networkidle")
        open_lightbox(page)
        box = page.locator(LIGHTBOX_IMAGE).bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

        def touch(kind: str, apart: float) -> None:
            points = [{"x": x - apart, "y": y, "id": 0}, {"x": x + apart, "y": y, "id": 1}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touch("touchStart", 20)
        for apart in range(25, 125, 5):  # to 6 times the distance: GLightbox stops at 4.5
            touch("touchMove", apart)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_timeout(500)
        (enlarged,) = page.evaluate(MEASURE_FIGURES, LIGHTBOX_IMAGE)
        close_lightbox(page)
        return enlarged
    finally:
        cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": False})
        cdp.detach()


# Code and output blocks, display equations and tables wider than their column: on a wide
# screen no code block may be (the column holds the package's 100-character lines); on a phone
# they scroll sideways and show a shadow where more is hidden (extra.css: attachment local).
MEASURE_OVERFLOW = """() => {
  const report = (e) => ({
    text: e.textContent.trim().split("\\n")[0].slice(0, 60),
    scrolls: ["auto", "scroll"].includes(getComputedStyle(e).overflowX),
    cue: getComputedStyle(e).backgroundAttachment.includes("local"),
  });
  const wide = (e) => e.scrollWidth > e.clientWidth + 1;
  const all = (selector) => [...document.querySelectorAll(".md-content " + selector)];
  return {
    code: all("pre > code").filter(wide).map(report),
    math: all("div.arithmatex").filter(wide).map(report),
    table: all("table:not([class])").filter(wide).map(report),
    diagram: all("div.mermaid").filter(wide).map(report),
    page: document.documentElement.scrollWidth,
  };
}"""
CJK_CHAR = re.compile(f"[{CJK}]")
CJK_FONT = re.compile(r"CJK|Han Sans|PingFang|Hiragino|YaHei|WenQuanYi|Hei|Song|Kai|Ming", re.I)


def cjk_fonts_of(page, selector: str) -> list[str]:
    """The platform fonts Chromium drew the element's text with, those with CJK glyphs first."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return [f"{f['familyName']} ({f['glyphCount']} glyphs)" for f in fonts]


def switch_palette(page) -> str:
    """Click the header's light/dark toggle, as a reader does; return the new scheme."""
    before = page.evaluate("document.body.dataset.mdColorScheme")
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function(f"document.body.dataset.mdColorScheme !== {before!r}")
    return page.evaluate("document.body.dataset.mdColorScheme")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_page_is_clean_readable_and_in_its_font(visit, language):
    """Each page of a language, loaded in turn: nothing fails or logs an error (the visit
    fixture); no code or output block is wider than the column at 1280 and 1920 px, and on a
    390 px phone each wide block, equation and table scrolls with a shadow as its cue and the
    page itself never scrolls sideways; every diagram label is at least 11 px with contrast
    4.5:1 (WCAG AA) in light and dark mode, every diagram is whole in its column at 1280 px and
    printed (about 700 px) with no node label clipped by its shape, and on a 390 px phone a
    label is still 11 px and fits or scrolls sideways; Chinese text is drawn with a CJK font;
    no equation is wider than the column at 1280 px; and no line starts with the punctuation
    that follows inline math (at 1280 and 390 px)."""
    problems, diagrams = [], 0
    figure_pages, lightbox_seen, phone_lightbox_seen = 0, False, False
    record = None
    for path in page_paths(language):
        record = visit(path)
        page = record.page
        page.set_viewport_size({"width": 1280, "height": 900})
        page.wait_for_load_state("networkidle")
        if language == "zh":
            heading = page.locator(".md-content h1").first.text_content()
            assert CJK_CHAR.search(heading), f"/{path}: the heading {heading!r} is not Chinese"
            fonts = cjk_fonts_of(page, ".md-content h1")
            if not any(CJK_FONT.search(f) for f in fonts):
                problems.append(f"/{path}: Chinese heading drawn without a CJK font: {fonts}")
        math = page.evaluate(MEASURE_MATH)
        problems += [
            f"/{path} at 1280 px: equation wider than the column: {m}" for m in math["wide"]
        ]
        for width in (1920, 1280):  # code and output fit the column on a desktop screen
            page.set_viewport_size({"width": width, "height": 900})
            wide = page.evaluate(MEASURE_OVERFLOW)["code"]
            problems += [f"/{path} at {width} px: block wider than the column: {w}" for w in wide]
        page.set_viewport_size({"width": 390, "height": 844})
        overflow = page.evaluate(MEASURE_OVERFLOW)
        if overflow.pop("page") > 390:  # something that cannot wrap pushes the whole page
            problems.append(f"/{path} at 390 px: the page itself scrolls sideways")
        for kind, blocks in overflow.items():
            problems += [
                f"/{path} at 390 px: a wide {kind} block with no sideways scroll and shadow: {b}"
                for b in blocks
                if not (b["scrolls"] and b["cue"])
            ]
        page.set_viewport_size({"width": 1280, "height": 900})
        problems += [f"/{path} at 1280 px: line starts with a mark: {m}" for m in math["broken"]]
        # --- Figures (issue #23): text of 9 CSS px or more at 1280 px, a caption, the copy of
        # the colour scheme in view, no wider than the column at 1280 and 390 px; a click opens
        # it larger (once per language), and on a 390 px phone two fingers enlarge it in the
        # lightbox until its text is 9 px or more again (once per language).
        if page.locator(".md-content img.nn-figure").count():
            figure_pages += 1
            for _ in range(2):  # the scheme the page opened in, then the other one
                scheme = page.evaluate("document.body.dataset.mdColorScheme")
                copy = "#only-dark" if scheme == "slate" else "#only-light"
                shown = page.evaluate(MEASURE_FIGURES)
                if not shown:
                    problems.append(f"/{path} ({scheme}): no figure is shown")
                for figure in shown:
                    name = figure["src"].rsplit("/", 1)[-1]
                    if figure["text"] < SMALLEST_FIGURE_TEXT:
                        problems.append(
                            f"/{path} at 1280 px: {name}'s smallest text is {figure['text']:.1f} px"
                        )
                    if not figure["caption"]:
                        problems.append(f"/{path}: {name} has no caption")
                    if not figure["src"].endswith(copy):
                        problems.append(f"/{path} ({scheme}): shows {name}, not its {copy} copy")
                    if not figure["opens"]:
                        problems.append(f"/{path}: {name} does not open larger on a click")
                    if not figure["fits"]:
                        problems.append(f"/{path} at 1280 px: {name} is wider than the column")
                switch_palette(page)
            if not lightbox_seen:
                lightbox_seen = True
                small = page.evaluate(MEASURE_FIGURES)[0]
                open_lightbox(page)
                (large,) = page.evaluate(MEASURE_FIGURES, LIGHTBOX_IMAGE)
                if large["width"] <= small["width"]:
                    problems.append(f"/{path}: the lightbox shows {large['src']} no larger")
                close_lightbox(page)
            page.set_viewport_size({"width": 390, "height": 844})
            for figure in page.evaluate(MEASURE_FIGURES):
                if not figure["fits"]:
                    problems.append(f"/{path} at 390 px: {figure['src']} is wider than the column")
            if not phone_lightbox_seen:  # tapped, then enlarged with two fingers
                phone_lightbox_seen = True
                large = pinch_in_lightbox(page)
                if large["text"] < SMALLEST_FIGURE_TEXT:
                    problems.append(
                        f"/{path} at 390 px, enlarged: smallest text {large['text']:.1f} px"
                    )
                page.set_viewport_size({"width": 1280, "height": 900})
                page.reload()  # as loaded at 1280 px without touch, for the checks below
                page.wait_for_load_state("networkidle")
            page.set_viewport_size({"width": 1280, "height": 900})
        # --- end of figures
        if not draws_diagrams(path):
            page.set_viewport_size({"width": 390, "height": 844})
            broken = page.evaluate(MEASURE_MATH)["broken"]
            problems += [f"/{path} at 390 px: line starts with a mark: {m}" for m in broken]
            assert page.locator("script[src*=mermaid]").count() == 0, (
                f"/{path} has no diagram but loads Mermaid"
            )
            continue
        page.locator("div.mermaid").first.wait_for(state="attached", timeout=30_000)
        assert page.locator("pre.mermaid").count() == 0, f"/{path}: a diagram was not drawn"
        diagrams += page.locator("div.mermaid").count()
        for _ in range(2):  # the scheme the page opened in, then the other one
            scheme = page.evaluate("document.body.dataset.mdColorScheme")
            for label in page.evaluate(MEASURE_DIAGRAMS):
                if label["size"] < 11:
                    problems.append(f"/{path} at 1280 px: {label['text']!r} {label['size']:.1f} px")
                if label["contrast"] < 4.5:
                    problems.append(
                        f"/{path} ({scheme}): {label['text']!r} contrast {label['contrast']:.2f}"
                    )
            # -- diagrams fit (issue #23): whole in the column at 1280 px, no clipped node label
            for d in page.evaluate(MEASURE_DIAGRAM_FIT):
                if d["width"] > d["column"] + 0.5:
                    problems.append(
                        f"/{path} at 1280 px ({scheme}): {d['name']} is {d['width']:.0f} px wide "
                        f"in a {d['column']:.0f} px column"
                    )
                problems += [f"/{path} ({scheme}): {d['name']}: {c} clipped" for c in d["clipped"]]
            switch_palette(page)
        page.set_viewport_size({"width": 390, "height": 844})
        broken = page.evaluate(MEASURE_MATH)["broken"]
        problems += [f"/{path} at 390 px: line starts with a mark: {m}" for m in broken]
        for label in page.evaluate(MEASURE_DIAGRAMS):
            if label["size"] < 11 or not label["reachable"]:
                problems.append(
                    f"/{path} at 390 px: {label['text']!r} {label['size']:.1f} px, "
                    + ("reachable" if label["reachable"] else "cut off, no sideways scroll")
                )
        # -- diagrams fit in print (issue #23): A4's text width is about 700 CSS px; scaled
        # down is fine (docs/assets/stylesheets/diagrams.css), cut off is not
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 700, "height": 990})
        for d in page.evaluate(MEASURE_DIAGRAM_FIT):
            if d["width"] > d["column"] + 0.5:
                problems.append(
                    f"/{path} printed: {d['name']} is {d['width']:.0f} px wide "
                    f"in a {d['column']:.0f} px column"
                )
        page.emulate_media(media="screen")  # the next page is visited in the same tab
    assert diagrams, "no diagram found: the test measured nothing"
    assert figure_pages, "no figure found: the figures were not measured"
    assert not problems, "\n".join(problems)


def search(page, query: str) -> list[tuple[str, str]]:
    """Type a query into Material's search; the (absolute path, preview text) of each hit."""
    box = page.locator("input.md-search__input")
    box.click()  # opens the search panel
    meta = page.locator(".md-search-result__meta")
    # Wait until the search worker has loaded the index (not "initializing" any more).
    page.wait_for_function(
        "el => el.textContent.trim() && !/初始化|Initializing/i.test(el.textContent)",
        arg=meta.element_handle(),
        timeout=30_000,
    )
    box.fill(query)  # inserts text without key events:
    box.press("End")  # a key press makes Material run the search
    items = page.locator(".md-search-result__item")
    items.first.wait_for(timeout=15_000)
    more = page.locator(".md-search-result__more summary")
    for i in range(more.count()):
        more.nth(i).click()
    return [
        (urlsplit(urljoin(page.url, a.get_attribute("href"))).path, a.text_content())
        for a in page.locator(".md-search-result__item a.md-search-result__link").all()
    ]


# Glossary terms a Chinese reader searches for: the first result must be the section that
# introduces the term (docs/glossary.zh.md says which), thanks to jieba's user dictionary.
SEARCHED_TERMS = [
    "计算图",
    "正向传播",
    "反向传播",
    "链式法则",
    "局部导数",
    "数值微分",
    "梯度确认",
    "激活函数",
    "交叉熵误差",
    "学习率",
    "小批量",
    "过拟合",
    "优化器",
    "检查点",
    "权值衰减",
    "超参数",
    "卷积层",
    "池化层",
]


def first_hit(page, query: str) -> str:
    """The path and #anchor of the first search result for a query: Material groups the hits
    by page, the best page first, and lists the page's best section right under its title."""
    search(page, query)
    links = page.locator(".md-search-result__item").first.locator("a.md-search-result__link")
    urls = [urlsplit(urljoin(page.url, a.get_attribute("href"))) for a in links.all()]
    best = next((u for u in urls if u.fragment), urls[0])
    return best.path + (f"#{best.fragment}" if best.fragment else "")


def test_chinese_search_finds_the_section_that_introduces_a_term(visit):
    from tools.site.chinese import glossary

    terms = {t.chinese: t for t in glossary()}
    assert len(SEARCHED_TERMS) >= 15 and set(SEARCHED_TERMS) <= set(terms)
    record = visit("zh/")
    page = record.page
    results, wrong = [], []
    for word in SEARCHED_TERMS:
        term = terms[word]
        rel = term.introduced_in.removesuffix(".md").removesuffix("index")
        expected = f"{MOUNT}zh/{rel}{'/' if rel else ''}#{term.section}"
        hit = first_hit(page, word)
        results.append(f"{word}: {hit}")
        if hit != expected:
            wrong.append(f"{word}: first result {hit}, the term is introduced at {expected}")
        page.locator("input.md-search__input").fill("")
    print("\n" + "\n".join(results))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "language, queries",
    [
        ("en", ["softmax", "backward", "checkpoint", "derivative"]),
        ("zh", ["反向传播", "softmax", "检查点", "导数"]),
    ],
)
def test_search_lists_only_pages_in_the_readers_language(visit, language, queries):
    record = visit("" if language == "en" else f"{language}/")
    page = record.page
    home = f"{MOUNT}zh/"
    for query in queries:
        hits = search(page, query)
        assert hits, f"searching {query!r} on the {language} site found nothing"
        wrong = [p for p, _ in hits if p.startswith(home) != (language == "zh")]
        assert not wrong, f"searching {query!r} on the {language} site lists {wrong}"
        latex = [text[:80] for _, text in hits if re.search(r"\\[()\[\]]", text)]
        assert not latex, f"previews for {query!r} show LaTeX source: {latex}"
        page.locator("input.md-search__input").fill("")


def test_browser_requests_stayed_on_this_host(browser_requests):
    """A summary across the browser tests above (which each fail on their own)."""
    REQUESTS = browser_requests
    if not REQUESTS:
        pytest.skip("no browser test ran")
    hosts = {urlsplit(u).hostname for u in REQUESTS if urlsplit(u).scheme in {"http", "https"}}
    assert hosts == {HOST}, f"requests went to {hosts}"
    print(f"\n{len(REQUESTS)} browser requests, all to {HOST}")
