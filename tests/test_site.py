"""The site: strict build, English/Chinese parity, diagram numbers, and offline in a real browser.

The built site must request nothing from any host but its own: learners in mainland China
cannot reach Google Fonts or public CDNs. A static scan of the built files and a recording of
every request Chromium makes check that from two sides.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOST = "127.0.0.1"


def site_path() -> str:
    """The path the site is published under, from site_url in mkdocs.yml: "/nn/"."""
    m = re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    return urlsplit(m[1]).path.rstrip("/") + "/" if m else "/"


# Served as GitHub Pages serves it, under the path of site_url: 404.html and the language
# switcher use absolute paths such as /nn/assets/....
MOUNT = site_path()


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
MARKER = re.compile(r"^\s*<!--\s*(pytest-codeblocks:.*?|pytest\.mark\..*?)\s*-->\s*$")
HEADING = re.compile(r"^(#{1,6})\s")


def read_page(path: Path) -> Page:
    page = Page()
    lines = path.read_text(encoding="utf-8").splitlines()
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


# Renderings that GLOSSARY.md (shared/) rules out, and the one it asks for.
WRONG_TERMS = {
    "后向传播": "反向传播",
    "反向传递": "反向传播",
    "前向传播": "正向传播",
    "梯度检验": "梯度确认",
    "梯度检查": "梯度确认",
    "链式规则": "链式法则",
    "激励函数": "激活函数",
    "学习速率": "学习率",
}
# Glossary terms whose first use in a page's text must carry the English in parentheses.
FIRST_USE = {
    "计算图": "computational graph",
    "正向传播": "forward propagation",
    "反向传播": "backpropagation",
    "局部导数": "local derivative",
    "链式法则": "chain rule",
    "上游梯度": "upstream gradient",
    "数值微分": "numerical differentiation",
    "梯度确认": "gradient check",
    "矩阵乘积": "matrix product",
    "激活函数": "activation function",
    "优化器": "optimizer",
    "数据加载器": "data loader",
    "检查点": "checkpoint",
}


@pytest.mark.parametrize("path", chinese_pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_chinese_pages_use_the_glossary(path):
    text = "\n".join(read_page(path).prose)  # outside code blocks and headings
    for wrong, right in WRONG_TERMS.items():
        assert wrong not in text, f"{path.name}: write {right}, not {wrong} (GLOSSARY.md)"
    for term, english in FIRST_USE.items():
        if (at := text.find(term)) >= 0:
            after = text[at + len(term) : at + len(term) + len(english) + 2]
            assert re.fullmatch(f"（{english}[）,，]", after), (
                f"{path.name}: the first use of {term} should read {term}（{english}）, "
                f"found {text[at : at + len(term) + 20]!r}"
            )


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


TEST_REFERENCE = re.compile(r"(tests/[\w/]+\.py)(?:::(\w+))?")


@pytest.mark.parametrize("path", english_pages() + chinese_pages(), ids=lambda p: p.name)
def test_the_tests_a_page_names_exist(path):
    """Pages say which test guards each pitfall; a renamed test must not leave a dead name."""
    for m in TEST_REFERENCE.finditer(path.read_text(encoding="utf-8")):
        file, name = ROOT / m[1], m[2]
        assert file.is_file(), f"{path.name} names {m[0]}, but {m[1]} does not exist"
        if name:
            source = file.read_text(encoding="utf-8")
            assert re.search(rf"^def {name}\(", source, re.M), (
                f"{path.name} names {m[0]}, but {m[1]} has no test {name}"
            )


# ---------------------------------------------------------------------------
# The built site


@pytest.fixture(scope="session")
def webroot(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("webroot")


@pytest.fixture(scope="session")
def site(webroot) -> Path:
    """`mkdocs build --strict` into webroot/<site_url path>, once per test session."""
    out = webroot / MOUNT.strip("/")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return out


def test_strict_build_makes_both_languages(site):
    for page in ("", "getting-started/", "api/"):
        assert (site / page / "index.html").is_file(), f"no English page /{page}"
        assert (site / "zh" / page / "index.html").is_file(), f"no Chinese page /zh/{page}"
    assert not list(site.rglob("VENDOR.txt")), "maintainer notes were published"
    zh = (site / "zh" / "getting-started" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in zh and "快速上手" in zh


def test_the_root_inventory_points_at_english_pages(site):
    # docs/hooks/inventory.py: the Chinese build must not overwrite the English objects.inv.
    data = (site / "objects.inv").read_bytes()
    header = data.split(b"\n", 4)
    entries = zlib.decompress(header[4]).decode("utf-8").splitlines()
    assert "nn.Affine py:class 2 api/#nn.layers.Affine -" in entries
    assert not [e for e in entries if " zh/" in e], "the inventory links Chinese pages"


def test_api_examples_render_as_code(site):
    for page in ("api", "zh/api"):
        html = (site / page / "index.html").read_text(encoding="utf-8")
        assert "<blockquote>" not in html, f"/{page}/: a docstring example became a quotation"


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
# Material's bundle names three such URLs that this site never loads (the browser test below
# confirms it): each is fetched only in a case that does not arise here.
KNOWN_UNUSED = {
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(site, webroot):
    """The built site over HTTP on 127.0.0.1, under the same path as on GitHub Pages."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", HOST, "-d", str(webroot), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://{HOST}:{port}{MOUNT}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(base, timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"http.server did not start on {base}")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        reason = (
            f"Chromium is not installed ({CHROMIUM} is missing), so the real-browser tests did "
            "not run. Install it: apt-get install chromium chromium-driver (python3 .ci/dev.py "
            "test does this when run as root)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Material puts each Mermaid diagram in a *closed* shadow root, which no selector can enter.
# Open it for the test, so that the rendered <svg> can be found.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attach.call(this, { ...init, mode: "open" });
};
"""

REQUESTS: list[str] = []  # every request of every browser test, for the summary test


@dataclass
class Visit:
    page: object
    requests: list[str]
    offsite: list[str]
    errors: list[str]

    def assert_offline(self):
        offsite, errors = self.offsite, self.errors
        assert not offsite, (
            f"{len(offsite)} of {len(self.requests)} requests went to other hosts "
            "(they were blocked):\n" + "\n".join(offsite)
        )
        assert not errors, "JavaScript errors on the page:\n" + "\n".join(errors)


@pytest.fixture
def visit(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(OPEN_SHADOW_ROOTS)
    record = Visit(page=None, requests=[], offsite=[], errors=[])

    def route(route):
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).hostname != HOST:
            record.offsite.append(url)
            route.abort()  # never wait on the network: fail fast, and list it
        else:
            route.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("request", lambda r: record.requests.append(r.url))
    page.on(
        "websocket", lambda ws: urlsplit(ws.url).hostname != HOST and record.offsite.append(ws.url)
    )
    page.on("pageerror", lambda e: record.errors.append(str(e)))
    record.page = page

    def go(path: str):
        page.goto(server + path.lstrip("/"))
        return record

    yield go
    page.wait_for_load_state("networkidle")
    REQUESTS.extend(record.requests)
    context.close()
    record.assert_offline()


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


def test_chinese_search_finds_a_chinese_page(visit):
    record = visit("zh/")
    page = record.page
    query = page.locator("input.md-search__input")
    query.click()  # opens the search panel
    meta = page.locator(".md-search-result__meta")
    # Wait until the search worker has loaded the index (Material's zh "initializing" text).
    page.wait_for_function(
        "el => el.textContent.trim() && el.textContent.trim() !== '正在初始化搜索引擎'",
        arg=meta.element_handle(),
        timeout=30_000,
    )
    query.fill("反向传播")  # inserts text without key events:
    query.press("End")  # a key press makes Material run the search
    hits = page.locator(".md-search-result__item a")
    hits.first.wait_for(timeout=15_000)
    hrefs = [hits.nth(i).get_attribute("href") for i in range(hits.count())]
    zh_hits = [h for h in hrefs if urlsplit(urljoin(page.url, h)).path.startswith(f"{MOUNT}zh/")]
    assert zh_hits, f"searching 反向传播 found no Chinese page, only {hrefs}"


def test_browser_requests_stayed_on_this_host():
    """A summary across the browser tests above (which each fail on their own)."""
    if not REQUESTS:
        pytest.skip("no browser test ran")
    hosts = {urlsplit(u).hostname for u in REQUESTS if urlsplit(u).scheme in {"http", "https"}}
    assert hosts == {HOST}, f"requests went to {hosts}"
    print(f"\n{len(REQUESTS)} browser requests, all to {HOST}")
