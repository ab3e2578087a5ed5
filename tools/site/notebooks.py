"""Every page with code as a Jupyter notebook, built with the site (an MkDocs hook).

For each page with Python code (the tutorials and Getting started), in each language, the build
writes `<page>.ipynb` next to the page and one zip of all of them per language
(`nn-notebooks-en.zip`, `zh/nn-notebooks-zh.zip`), and puts a link to both under the page's
title. Nothing is committed: the notebooks are made
from the pages every time the site is built, so they cannot go stale.

A notebook is its page, cell by cell:

- each ```` ```python ```` block becomes a code cell, with its snippet includes
  (`--8<-- "nn/layers.py:relu"`) expanded by pymdownx.snippets with the site's own settings,
  and the page's checked output (the ```` ```text ```` block after
  `<!--pytest-codeblocks:expected-output-->`) as the cell's stored output;
- the prose between them becomes Markdown cells, with the math as `$...$` and `$$...$$`
  (what Jupyter renders), figures embedded as attachments (the Chinese figure on a Chinese
  page), links to other pages pointing at the site, and Mermaid diagrams kept as
  ```` ```mermaid ```` (JupyterLab 4.1 and later draws them);
- a collapsed admonition (`??? example "Solution"`) becomes a `<details>` block, and its code
  cells are collapsed too (`jupyter.source_hidden`), so a solution stays hidden until asked
  for; an open one (`!!! tip`) becomes a quotation with its title in bold.

nbformat writes and validates the notebooks. tests/test_notebooks.py runs every notebook of
both languages with nbclient in a fresh kernel in an empty folder and compares each cell's
output with the page's.

This hook depends on MkDocs and mkdocs-static-i18n (which language is being built), not on
Material.
"""

from __future__ import annotations

import base64
import io
import json
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from tools.site.config import SNIPPETS, building, expand_snippets, normalize_snippet_options
from tools.site.wheel import build_wheel, wheel_name

ZIP_DATE = (2026, 1, 1, 0, 0, 0)  # fixed timestamps: the same pages give the same zip
PIP_NAMES = {"sklearn": "scikit-learn"}  # import name -> what pip installs
# The wheel this site serves next to the pages and in each zip (tools/site/wheel.py).
INSTALL = f'pip install "{wheel_name()}[train]"'

TEXT = {
    "en": {
        "links": "Download this page as a Jupyter notebook: {notebook} · all pages: {zip}",
        "intro": "This notebook is the page [{title}]({url}) of the site *{site}*, cell by cell,"
        " with the output the page shows. Run the cells from the top, in order. It needs only"
        " Python 3.11 or newer and `nn` with its plotting extra. The zip of all notebooks holds"
        " nn's wheel, `{wheel}`; for this notebook alone, download it from [Getting started]"
        "({start}) into this notebook's folder. Then, in that folder, one command installs it:",
        "collapsed": "**{title}**: the cells below are collapsed; click one to show it.",
        "explained": "{title}: what it shows",
        "needs": "The next cell also needs {module}, which `nn` does not install: run"
        " `pip install {package}` first. Without it the cell stops with a `ModuleNotFoundError`,"
        " and the cells after it run all the same.",
    },
    "zh": {
        "links": "下载本页的笔记本（Jupyter Notebook）：{notebook} · 全部笔记本打包下载：{zip}",
        "intro": "本笔记本就是网站《{site}》中的[{title}]({url})一页，逐个单元格对应，"
        "并附有页面上显示的输出。请从上到下依次运行各单元格。它只需要 Python 3.11 或更新版本，"
        "以及带绘图附加依赖的 `nn`。全部笔记本的压缩包里已经附有 `nn` 的 wheel 文件 `{wheel}`；"
        "若只下载了这一个笔记本，请从[快速上手]({start})一页下载它，放到本笔记本所在的文件夹。"
        "然后在该文件夹中运行一条命令即可安装：",
        "collapsed": "**{title}**：下面的单元格已折叠，点击即可展开。",
        "explained": "{title}：说明",
        "needs": "下一个单元格还需要 {module}，而 `nn` 不会安装它：请先运行"
        " `pip install {package}`。没有它，这个单元格会以 `ModuleNotFoundError` 停下，"
        "但后面的单元格照样可以运行。",
    },
}

PYTHON_BLOCK = re.compile(r"^ *```python *$", re.M)
AUTODOC = re.compile(r"^::: ", re.M)  # mkdocstrings: `::: nn.layers`
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)[^`]*$")
ADMONITION = re.compile(
    r'^(?P<indent> *)(?P<mark>!!!|\?\?\?\+?) (?P<kind>[\w-]+)(?: "(?P<title>.*)")?\s*$'
)
# <!--pytest-codeblocks:expected-output-->, <!--pytest-codeblocks:importorskip(sklearn)-->
MARKER = re.compile(
    r"^ *<!--\s*pytest[-.\w]*(?::(?P<name>[\w-]+))?(?:\((?P<arg>[\w.]+)\))?.*-->\s*$"
)
HEADING_ID = re.compile(r"^(?P<heading>#{1,6} .*?) *\{ *#(?P<id>[\w-]+) *\}\s*$")
CODE_OR_MATH = re.compile(
    r"(?P<code>`+)(?P<span>.*?)(?P=code)|\\\((?P<inline>.+?)\\\)|\\\[(?P<display>.+?)\\\]", re.S
)
FENCED = re.compile(r"(^ *```.*?^ *```[ \t]*$)", re.S | re.M)  # a fenced block, whole
LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
# A figure's caption (pymdownx.blocks.caption), which Jupyter would show as text: in italics.
CAPTION = re.compile(r"^/// caption\n(?P<text>.*?)\n///$", re.S | re.M)


@dataclass
class Page:
    """What a notebook needs to know about its page and its site."""

    src_uri: str  # e.g. "tutorials/two-layer-net.md", whatever the language
    text: str  # the page's Markdown as written
    language: str  # "en" or "zh"
    default_language: str  # "en": the language at the site root
    site_url: str  # https://.../nn/
    site_name: str
    docs_dir: Path
    snippets: dict = field(default_factory=dict)  # pymdownx.snippets' options from mkdocs.yml

    @property
    def url(self) -> str:
        return self.site_url_of(self.src_uri)

    def site_url_of(self, src_uri: str, fragment: str = "") -> str:
        """The published address of the page `src_uri` (docs-relative, .md) in this language."""
        path = src_uri.removesuffix(".md")
        path = "" if path == "index" else path.removesuffix("/index") + "/"
        root = self.site_url.rstrip("/") + "/"
        if self.language != self.default_language:
            root += f"{self.language}/"
        return root + path + (f"#{fragment}" if fragment else "")


def notebook_name(src_uri: str) -> str:
    return posixpath.basename(src_uri).removesuffix(".md") + ".ipynb"


def zip_name(language: str) -> str:
    return f"nn-notebooks-{language}.zip"


# Reading the page: Markdown, code, output and admonitions, in order.


@dataclass
class Code:
    source: str
    hidden: bool = False
    needs: str | None = None  # a module nn does not install (importorskip on the page)


def _dedent(lines: list[str], by: int) -> list[str]:
    return [line[by:] if line[:by].strip() == "" else line for line in lines]


def _parse(lines: list[str]) -> Iterator[str | Code | tuple]:
    """The page's parts: Markdown text (str), code (Code), admonitions (tuple)."""
    i, expect_output, needs, prose = 0, False, None, []

    def flush():
        text = "\n".join(prose).strip("\n")
        prose.clear()
        return text

    while i < len(lines):
        line = lines[i]
        if m := MARKER.match(line):
            expect_output = expect_output or m["name"] == "expected-output"
            needs = m["arg"] if m["name"] == "importorskip" else needs
            i += 1
            continue
        if m := FENCE.match(line):
            indent = len(m["indent"])
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), len(lines)
            )
            body = "\n".join(_dedent(lines[i + 1 : end], indent))
            if expect_output or m["lang"] == "python":
                if text := flush():
                    yield text
                yield ("output", body + "\n") if expect_output else Code(body, needs=needs)
            else:  # a diagram, a console session, text that is not checked: Markdown
                prose.extend(_dedent(lines[i : end + 1], indent))
            expect_output, needs = False, None
            i = end + 1
            continue
        if m := ADMONITION.match(line):
            indent = len(m["indent"]) + 4
            end = i + 1
            while end < len(lines) and (
                not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) >= indent
            ):
                end += 1
            if text := flush():
                yield text
            title = m["title"] if m["title"] is not None else m["kind"].capitalize()
            body = list(_parse(_dedent(lines[i + 1 : end], indent)))
            yield ("admonition", m["mark"], title, body)
            i = end
            continue
        prose.append(line)
        i += 1
    if text := flush():
        yield text


def _cells(parts, page: Page) -> Iterator[str | Code]:
    """Markdown (str) and Code, admonitions turned into what Jupyter shows."""
    for part in parts:
        if isinstance(part, Code) and part.needs:
            module = part.needs
            yield TEXT[page.language]["needs"].format(
                module=module, package=PIP_NAMES.get(module, module)
            )
            yield part
        elif isinstance(part, str | Code):
            yield part
        elif part[0] == "output":
            yield part  # attached to the code before it by notebook()
        else:
            _, mark, title, body = part
            inner = list(_cells(body, page))
            if mark == "!!!":  # open: a quotation with its title
                quoted = [
                    "\n".join("> " + line if line else ">" for line in c.split("\n"))
                    if isinstance(c, str)
                    else c
                    for c in inner
                ]
                head = f"> **{title}**"
                if quoted and isinstance(quoted[0], str):
                    quoted[0] = f"{head}\n>\n{quoted[0]}"
                else:
                    quoted.insert(0, head)
                yield from quoted
            elif not any(isinstance(c, Code) for c in inner):  # collapsed, prose only
                yield _details(title, "\n\n".join(c for c in inner if isinstance(c, str)))
            else:  # collapsed, with code: say so, hide the code, fold the prose
                yield TEXT[page.language]["collapsed"].format(title=title)
                for c in inner:
                    if isinstance(c, Code):
                        c.hidden = True
                        yield c
                    elif isinstance(c, str):
                        yield _details(TEXT[page.language]["explained"].format(title=title), c)
                    else:
                        yield c


def _sections(text: str) -> list[str]:
    """Markdown split before each heading outside fences: one cell per section, as Jupyter's
    table of contents and cell navigation expect."""
    pieces = FENCED.split(text)
    sections, current = [], ""
    for k, piece in enumerate(pieces):
        if k % 2:  # a fenced block: never split inside
            current += piece
            continue
        for line in piece.splitlines(keepends=True):
            if re.match(r"#{1,6} ", line) and current.strip():
                sections.append(current)
                current = ""
            current += line
    sections.append(current)
    return [s.strip("\n") for s in sections if s.strip()]


def _details(summary: str, text: str) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n{text}\n\n</details>"


# Turning the page's Markdown into Jupyter's.


def _math(text: str) -> str:
    """`\\(x\\)` as `$x$` and `\\[x\\]` as `$$x$$`, leaving code spans alone."""

    def convert(m: re.Match) -> str:
        if m["code"]:
            return m[0]
        if m["inline"] is not None:
            return f"${m['inline'].strip()}$"
        return f"$${m['display'].strip()}$$"

    return CODE_OR_MATH.sub(convert, text)


def _outside_fences(text: str, convert) -> str:
    """`convert` applied to the text between fenced blocks only."""
    pieces = FENCED.split(text)
    return "".join(p if k % 2 else convert(p) for k, p in enumerate(pieces))


def _markdown_cell(text: str, page: Page) -> nbformat.NotebookNode:
    attachments: dict[str, dict[str, str]] = {}
    here = posixpath.dirname(page.src_uri)

    def link(m: re.Match) -> str:
        target = m["target"]
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            return m[0]
        path, _, fragment = target.partition("#")
        if m["bang"]:  # a figure: embed it, the page's language's version if there is one
            src = posixpath.normpath(posixpath.join(here, path))
            file = page.docs_dir / src
            localized = file.with_suffix(f".{page.language}{file.suffix}")
            if page.language != page.default_language and localized.exists():
                file = localized
            name = posixpath.basename(src)
            mime = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}
            attachments[name] = {
                mime[file.suffix]: base64.b64encode(file.read_bytes()).decode("ascii")
            }
            return f"![{m['text']}](attachment:{name})"
        if not path:  # an anchor on this page: the notebook has the same headings
            return m[0]
        src = posixpath.normpath(posixpath.join(here, path))
        return f"[{m['text']}]({page.site_url_of(src, fragment)})"

    def convert(piece: str) -> str:
        lines = []
        for line in piece.split("\n"):
            if (h := HEADING_ID.match(line)) and h["heading"].startswith("# "):
                lines.append(h["heading"])  # the title: the notebook's first line, no anchor
            elif h:  # { #id }: an anchor Jupyter keeps
                lines += [f'<a id="{h["id"]}"></a>', "", h["heading"]]
            else:
                lines.append(line)
        text = CAPTION.sub(lambda c: f"\n*{c['text'].strip()}*", "\n".join(lines))  # own paragraph
        return LINK.sub(link, _math(text))

    cell = nbformat.v4.new_markdown_cell(_outside_fences(text, convert))
    if attachments:
        cell.attachments = attachments
    return cell


def notebook(page: Page) -> nbformat.NotebookNode:
    """The notebook of one page in its language."""
    text = page.text
    text = expand_snippets(text, page.snippets)  # the snippet includes, as the site does
    words = TEXT[page.language]
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    cells = []
    for part in _cells(_parse(text.split("\n")), page):
        if isinstance(part, Code):
            cell = nbformat.v4.new_code_cell(part.source)
            if part.hidden:
                cell.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
            if part.needs:  # without the module, the notebook goes on past this cell
                cell.metadata["tags"] = ["raises-exception"]
            cells.append(cell)
        elif isinstance(part, tuple):  # the page's checked output of the cell before it
            code = [c for c in cells if c.cell_type == "code"]
            if not code:
                raise ValueError(f"{page.src_uri}: an expected output follows no code block")
            code[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=part[1])]
        else:
            cells += [_markdown_cell(section, page) for section in _sections(part)]
    if not cells or not cells[0].source.startswith("# "):
        raise ValueError(f"{page.src_uri}: a page starts with its '# ' title")
    title, _, rest = cells[0].source.partition("\n")
    intro = words["intro"].format(
        title=title[2:],
        url=page.url,
        site=page.site_name,
        wheel=wheel_name(),
        start=page.site_url_of("getting-started.md"),
    )
    cells[0].source = f"{title}\n\n{intro}\n\n```console\n{INSTALL}\n```\n{rest}".rstrip("\n")
    for number, cell in enumerate(cells):  # ids from the position: the same page, the same file
        cell.id = f"cell-{number}"
    nb.cells = cells
    nbformat.validate(nb)
    return nb


def notebook_json(nb: nbformat.NotebookNode) -> str:
    return json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


# The MkDocs events.


def page_for(file: File, config) -> Page:
    language, default = building(config)
    return Page(
        src_uri=getattr(file, "norm_src_uri", file.src_uri),
        text=Path(file.abs_src_path).read_text(encoding="utf-8"),
        language=language,
        default_language=default,
        site_url=config.site_url or "/",
        site_name=config.site_name,
        docs_dir=Path(config.docs_dir),
        snippets=normalize_snippet_options(config.mdx_configs.get(SNIPPETS, {})),
    )


def has_code(text: str) -> bool:
    """Whether a page gets a notebook: it has a block of Python to run, and it is not the API
    reference, whose `::: nn.module` lines mkdocstrings fills in (its examples run in `pages`)."""
    return PYTHON_BLOCK.search(text) is not None and AUTODOC.search(text) is None


_with_code: set[str] = set()  # the pages of this build that got a notebook (norm src_uri)


def _generated(config, uri: str, content: str | bytes, language: str, default: str) -> File:
    """A file the build writes, in the language's folder (mkdocs-static-i18n puts the Chinese
    site under zh/ by giving each of its files a destination there; generated files need the
    same)."""
    file = File.generated(config, uri, content=content)
    if language != default:
        file.dest_uri = f"{language}/{uri}"
    return file


@event_priority(-150)  # after mkdocs-static-i18n (-100) has chosen this language's pages
def on_files(files: Files, config) -> Files:
    language, default = building(config)
    archive = io.BytesIO()
    _with_code.clear()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(files.documentation_pages(), key=lambda f: f.src_uri):
            page = page_for(file, config)
            if not has_code(page.text):
                continue
            _with_code.add(page.src_uri)
            text = notebook_json(notebook(page))
            uri = posixpath.join(posixpath.dirname(page.src_uri), notebook_name(page.src_uri))
            files.append(_generated(config, uri, text, language, default))
            name = f"nn-notebooks-{language}/{notebook_name(page.src_uri)}"
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        # The wheel the install lines name: beside this language's pages and in its zip.
        wheel = build_wheel()
        info = zipfile.ZipInfo(f"nn-notebooks-{language}/{wheel.name}", ZIP_DATE)
        zf.writestr(info, wheel.read_bytes())  # stored: a wheel is a zip already
        files.append(_generated(config, wheel.name, wheel.read_bytes(), language, default))
    files.append(_generated(config, zip_name(language), archive.getvalue(), language, default))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    uri = getattr(page.file, "norm_src_uri", page.file.src_uri)
    if uri not in _with_code:
        return markdown
    language, _ = building(config)
    title, sep, rest = markdown.partition("\n")
    depth = uri.count("/")
    notebook, archive = notebook_name(uri), zip_name(language)
    links = TEXT[language]["links"].format(
        notebook=f'[{notebook}]({notebook}){{ download="" }}',
        zip=f'[{archive}]({"../" * depth}{archive}){{ download="" }}',
    )
    return f"{title}{sep}\n{links}\n{{: .nn-notebooks }}\n{rest}"
