"""How every tutorial page is written, in both languages: the rules a new page follows.

- **Recurring parts** of a page have one heading in each language (RECURRING below): a Chinese
  page uses the Chinese heading wherever its English twin uses the English one, and the
  variants that pages used to mix (基本思路 / 思路, 接下来, 上一篇, ...) are gone.
- **Tests stay out of the prose.** The tests that guard a page are listed in one collapsed
  block at its end, `??? note "How this page is tested"` (`??? note "本页如何测试"`); the prose
  names no `tests/...` file.
- **A tutorial is short enough to read in one sitting:** at most about 4,000 English words of
  prose, code blocks not counted.
- In Chinese, the third-party write-up that several pages discuss is always 那篇文章, and the
  targets are 监督数据, as in the glossary page (`docs/glossary.zh.md`). Which page glosses a
  term, and the rest of STYLE.zh.md, are tested in test_site.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.site.config import BOOK_BOX, ROOT

TUTORIALS = ROOT / "docs" / "tutorials"
ENGLISH = sorted(p for p in TUTORIALS.glob("*.md") if not p.name.endswith(".zh.md"))
HOME = [ROOT / "docs" / "index.zh.md", ROOT / "docs" / "getting-started.zh.md"]

# English heading (a prefix: "The math: the chain rule" starts with "The math") -> Chinese
RECURRING = {
    "The idea": "基本思想",
    "The math": "数学推导",
    "The source": "源代码",
    "Using it": "实际运行",
    "The computational graph": "计算图",
    "Common pitfalls": "常见错误",
    "Exercises": "练习",
    "Where next": "下一步",
}
TESTED_BLOCK = {"en": '??? note "How this page is tested"', "zh": '??? note "本页如何测试"'}
# Variants the pages once mixed; each recurring part now has one wording.
BANNED = {
    "en": [r"^## Where to go next", r"^## The source in nn"],
    "zh": [
        r"^## (基本思路|思路)\b",
        r"^## 接下来",
        r"^## 数学：",
        r"^- (上一篇|下一篇)",
        r"那篇教程|本书笔记|热门解读",
        r"预测减目标|预测值减标签",
    ],
}
WORD_LIMIT = 4000
FENCE = re.compile(r"^( *)(```|~~~).*?^\1\2[ \t]*$", re.M | re.S)
TEST_ID = re.compile(r"tests/(?!bench_)[\w/]+\.py")  # benchmark scripts are for readers


def twin(page: Path) -> Path:
    return page.with_name(page.name[: -len(".md")] + ".zh.md")


def headings(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return [re.sub(r"\s*\{.*\}$", "", h) for h in re.findall(r"^## (.+)$", text, re.M)]


def prose(page: Path, lang: str) -> str:
    """The page without its code blocks, its book box and the collapsed testing block."""
    text = BOOK_BOX.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))
    start = text.find(TESTED_BLOCK[lang])
    if start >= 0:  # the block runs until the next line that is not indented (or blank)
        rest = re.search(r"\n(?! |\n)", text[start + 1 :])
        end = len(text) if rest is None else start + 1 + rest.start()
        text = text[:start] + text[end:]
    return text


ids = {"ids": lambda p: p.name}


@pytest.mark.parametrize("page", ENGLISH, **ids)
def test_recurring_parts_have_one_heading_in_each_language(page):
    english, chinese = headings(page), headings(twin(page))
    assert len(english) == len(chinese), f"{page.name}: {english} against {chinese}"
    for en, zh in zip(english, chinese, strict=True):
        for key, expected in RECURRING.items():
            if en.startswith(key):
                assert zh.startswith(expected), f"{twin(page).name}: {zh!r} for {en!r}"


@pytest.mark.parametrize("page", ENGLISH + [twin(p) for p in ENGLISH] + HOME, **ids)
def test_no_variant_of_a_recurring_wording(page):
    lang = "zh" if page.name.endswith(".zh.md") else "en"
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    for pattern in BANNED[lang]:
        m = re.search(pattern, text, re.M)
        assert m is None, f"{page.name}: {m[0]!r}; see tools/tests/test_pages.py for the wording"


@pytest.mark.parametrize("page", ENGLISH + [twin(p) for p in ENGLISH], **ids)
def test_the_prose_names_no_test(page):
    lang = "zh" if page.name.endswith(".zh.md") else "en"
    found = TEST_ID.findall(prose(page, lang))
    assert not found, (
        f"{page.name} names {found} in its prose: list them in the collapsed "
        f"{TESTED_BLOCK[lang]} block at the end of the page instead"
    )


@pytest.mark.parametrize("page", ENGLISH, **ids)
def test_every_tutorial_says_how_it_is_tested(page):
    for lang, path in (("en", page), ("zh", twin(page))):
        text = path.read_text(encoding="utf-8")
        assert TESTED_BLOCK[lang] in text, f"{path.name} has no {TESTED_BLOCK[lang]} block"
        block = text[text.find(TESTED_BLOCK[lang]) :]
        assert TEST_ID.search(block), f"{path.name}: its testing block names no test"


@pytest.mark.parametrize("page", ENGLISH, **ids)
def test_a_tutorial_is_at_most_about_4000_words(page):
    words = len(prose(page, "en").split())
    assert words <= WORD_LIMIT, f"{page.name}: {words} words of prose (limit {WORD_LIMIT})"


def test_the_prose_filter_drops_code_and_the_testing_block():
    page = TUTORIALS / "computational-graphs.md"
    text = prose(page, "en")
    assert "```" not in text and "import numpy" not in text
    assert TESTED_BLOCK["en"] not in text


@pytest.mark.parametrize("page", [twin(p) for p in ENGLISH], **ids)
def test_chinese_parentheses_are_not_nested(page):
    for line in prose(page, "zh").splitlines():
        depth = 0
        for ch in line:
            depth += {"（": 1, "）": -1}.get(ch, 0)
            assert depth <= 1, f"{page.name}: nested （（ ）） in {line[:80]!r}: rephrase"


@pytest.mark.parametrize("page", [*ENGLISH, ROOT / "docs" / "getting-started.md"], **ids)
def test_each_page_names_the_book_section_it_follows_under_its_title(page):
    """One box right under the title, naming the book's section, in both languages alike."""
    for version, label in (
        (page, '!!! info "In the book: §'),
        (twin(page), '!!! info "对应原书：'),
    ):
        text = version.read_text(encoding="utf-8")
        boxes = BOOK_BOX.findall(text)
        assert len(boxes) == 1, f"{version.name}: {len(boxes)} book boxes, not one"
        title, blank, first = text.split("\n")[:3]
        assert title.startswith("# ") and not blank and first.startswith(label), (
            f"{version.name}: the box must come right under the title and read {label}…"
        )


@pytest.mark.parametrize("page", ENGLISH, **ids)
def test_every_tutorial_ends_with_exercises_and_their_solutions(page):
    """At least two exercises, each with its solution folded under it, in both languages."""
    for version, heading in ((page, "## Exercises"), (twin(page), "## 练习")):
        text = version.read_text(encoding="utf-8")
        start = text.find(f"\n{heading}")
        assert start >= 0, f"{version.name}: no {heading!r} section"
        end = text.find("\n## ", start + 1)
        section = text[start : end if end >= 0 else len(text)]
        solutions = re.findall(r"^ *\?\?\? example ", section, re.M)
        assert len(solutions) >= 2, f"{version.name}: {len(solutions)} solutions, at least 2"
