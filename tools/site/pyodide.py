"""Python in the reader's browser: Pyodide and NumPy, served by the site (an MkDocs hook).

Every ```python block gets a Run button (docs/assets/javascripts/run.js). Its Python is
Pyodide 0.27.7, the official build from the npm registry, with NumPy 2.0.2's official Pyodide
wheel and the wheel of nn that the site serves. All of it is served from `assets/pyodide/`:
nothing comes from another host, and nothing of it loads before the first click.

Where the files come from, each pinned by its hash and checked at every build:

- The Pyodide core (`pyodide.js`, `pyodide.asm.js`, `pyodide.asm.wasm`, `python_stdlib.zip`,
  `pyodide-lock.json`) is in the npm package `pyodide@0.27.7`, too large to keep in git. The
  build downloads its tarball once from the npm registry into `build/pyodide/` and checks it
  against the npm integrity pinned here (what `npm ci` checks against package-lock.json).
  Offline, put the tarball there yourself (`npm pack pyodide@0.27.7`), point
  `NN_PYODIDE_TARBALL` at it, or `NN_NPM_REGISTRY` at a mirror.
- NumPy's wheel is kept in git, `docs/assets/vendor/pyodide/` (VENDOR.txt there says where it
  comes from): NumPy publishes none for Pyodide. Its sha256 must equal the `numpy` entry of
  that tarball's `pyodide-lock.json`, which is how Pyodide checks it too.

Blocks that cannot run there get a disabled button that says why (`cannot_run`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import re
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from tools.site.config import DOCS, ROOT
from tools.site.wheel import wheel_name

VERSION = "0.27.7"
TARBALL = f"pyodide-{VERSION}.tgz"
# `npm view pyodide@0.27.7 dist.integrity`: the sha512 of the tarball, as npm records it.
INTEGRITY = (
    "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/"
    "VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="
)
REGISTRY = "https://registry.npmjs.org"
CACHE = ROOT / "build" / "pyodide"
# What the browser needs of the package (the .map lets a reader's devtools show pyodide.js).
CORE = (
    "pyodide.js",
    "pyodide.js.map",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
    "package.json",
)
VENDOR = DOCS / "assets" / "vendor" / "pyodide"  # NumPy's wheel and the licences, in git
SERVED = "assets/vendor/pyodide"  # where the site serves all of it, for both languages


class PyodideError(RuntimeError):
    """The Pyodide files are missing or are not the pinned ones."""


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _checked(data: bytes, source: str) -> bytes:
    if integrity_of(data) != INTEGRITY:
        raise PyodideError(
            f"{source} is not pyodide@{VERSION}: its sha512 is {integrity_of(data)}, "
            f"the pinned npm integrity is {INTEGRITY}"
        )
    return data


def tarball(cache: Path = CACHE) -> bytes:
    """The npm tarball of pyodide@0.27.7, its integrity checked: from NN_PYODIDE_TARBALL, the
    cache, or the registry (then kept in the cache, written whole or not at all)."""
    given = os.environ.get("NN_PYODIDE_TARBALL")
    if given:
        path = Path(given)
        if not path.is_file():
            raise PyodideError(f"NN_PYODIDE_TARBALL={given}: no such file")
        return _checked(path.read_bytes(), str(path))
    cached = cache / TARBALL
    if cached.is_file():
        return _checked(cached.read_bytes(), str(cached))
    registry = os.environ.get("NN_NPM_REGISTRY", REGISTRY).rstrip("/")
    url = f"{registry}/pyodide/-/{TARBALL}"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as exc:
        raise PyodideError(
            f"could not download {url} ({exc}). Offline, run `npm pack pyodide@{VERSION}` "
            f"elsewhere and put {TARBALL} in {cache}, or set NN_PYODIDE_TARBALL to its path"
        ) from exc
    _checked(data, url)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cache, prefix=".part-", delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, cached)  # two builds at once never see half a tarball
    return data


def core_files(cache: Path = CACHE) -> dict[str, bytes]:
    """The browser's files of the package, by name."""
    with tarfile.open(fileobj=io.BytesIO(tarball(cache)), mode="r:gz") as tar:
        files = {}
        for name in CORE:
            member = tar.extractfile(f"package/{name}")
            if member is None:
                raise PyodideError(f"{TARBALL} has no package/{name}")
            files[name] = member.read()
    return files


def served_files(cache: Path = CACHE) -> dict[str, bytes]:
    """Everything `assets/vendor/pyodide/` serves beyond what git keeps there: the core, and a
    manifest for the worker. Raises PyodideError unless every wheel the lock file names for
    the packages we load is here with its sha256."""
    files = core_files(cache)
    lock = json.loads(files["pyodide-lock.json"])
    numpy = lock["packages"]["numpy"]
    wheel = VENDOR / numpy["file_name"]
    if not wheel.is_file():
        raise PyodideError(f"{wheel} is missing (pyodide-lock.json names it for numpy)")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != numpy["sha256"]:
        raise PyodideError(
            f"{wheel.name} has sha256 {digest}; pyodide-lock.json of pyodide@{VERSION} "
            f"pins {numpy['sha256']}"
        )
    manifest = {
        "pyodide": VERSION,
        "python": lock["info"]["python"],
        "numpy": numpy["version"],
        # nn's wheel sits at the site's root, two folders above this one.
        "wheel": f"../../../{wheel_name()}",
    }
    files["manifest.json"] = json.dumps(manifest, indent=1).encode()
    return files


# ---------------------------------------------------------------------------
# The page: which blocks run together, and which cannot run in the browser

# A Python block with the markers before it: HTML comments, each alone in a paragraph inside
# an admonition (<p><!--...-->\n</p>). `<!--pytest-codeblocks:cont-->`: it continues the block
# before it. `<!--run-in-browser: A => B-->`: in the browser it runs with B in place of A (a
# smaller setting, for a block that would take over half a minute there).
BLOCK = re.compile(
    r"(?P<markers>(?:(?:<p>)?<!--(?:(?!-->).)*-->\s*(?:</p>)?\s*)+)?"
    r'<div class="language-(?P<lang>python|pycon) highlight">(?P<body>.*?</code></pre>)',
    re.S,
)
CONT = "<!--pytest-codeblocks:cont-->"
SMALLER = re.compile(r"<!--run-in-browser: (?P<page>.+?) => (?P<browser>.+?)-->")
# The API reference's headings, e.g. <h2 id="nn.functions.softmax" class="doc doc-heading">: a
# docstring's examples (```pycon) run, as doctest runs them, among their module's names.
DOC_OBJECT = re.compile(r'id="(nn(?:\.\w+)+)"[^>]*class="doc doc-heading')
# What Pyodide's Python here lacks, and what the button says instead of running.
MISSING = {
    "sklearn": {
        "en": "scikit-learn does not run in this browser Python: run this block on your machine",
        "zh": "浏览器里的 Python 没有 scikit-learn：请在自己的电脑上运行这段代码",
    },
    "matplotlib": {
        "en": "it draws with matplotlib, which this browser Python lacks; the figure it draws"
        " is on this page",
        "zh": "这段代码用 matplotlib 绘图，而浏览器里的 Python 没有 matplotlib；"
        "它画出的图就在本页上",
    },
}
NEEDS = {
    "sklearn": re.compile(r"^\s*(?:from|import)\s+sklearn\b", re.M),
    "matplotlib": re.compile(r"^\s*(?:from|import)\s+(?:matplotlib|nn\.plot)\b", re.M),
}
# What runs but prints otherwise in the browser, and the note beside its Run button.
# A block that catches the FloatingPointError NumPy raises under np.errstate(...="raise") (not
# the one nn's Trainer raises itself for a loss that is not finite, which WebAssembly raises too).
FLOAT_ERRORS_RAISE = re.compile(r"np\.(?:errstate|seterr)\([^)]*[\"']raise[\"']")
CATCHES_FLOAT_ERROR = re.compile(r"\bexcept\b[^:\n]*\bFloatingPointError\b")
NOTES = {
    "float errors": {
        "en": "In the browser NumPy cannot notice an overflow (WebAssembly has no floating-point"
        " error flags), so nothing raises FloatingPointError and this block prints less than"
        " the page shows.",
        "zh": "在浏览器中，NumPy 察觉不到溢出（WebAssembly 没有浮点错误标志），因此不会抛出"
        " FloatingPointError，这段代码打印的内容比页面上少。",
    },
    "smaller": {
        "en": "In the browser, where NumPy is several times slower, this block runs with {browser}"
        " in place of {page}, to finish within half a minute; its numbers differ from the"
        " page's.",
        "zh": "浏览器中的 NumPy 要慢好几倍，所以在浏览器中这段代码把 {page} 换成 {browser}"
        " 运行，以便在半分钟内完成；它打印的数字因此与页面上的不同。",
    },
    "continues": {
        "en": "It continues a block that runs with a smaller setting in the browser: its numbers"
        " differ from the page's.",
        "zh": "它接着一段在浏览器中以较小设置运行的代码，所以打印的数字与页面上的不同。",
    },
}


def cannot_run(code: str, language: str) -> str | None:
    """Why a block cannot run in the browser, in the page's language, or None if it can."""
    for module, pattern in NEEDS.items():
        if pattern.search(code):
            return MISSING[module][language]
    return None


def code_of(body: str) -> str:
    """The text of a highlighted block's <code>, as the reader sees it."""
    code = re.search(r"<code[^>]*>(.*)</code>", body, re.S)
    text = re.sub(r"<[^>]+>", "", code[1] if code else "")
    return html.unescape(text)


def _code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"


def on_page_content(html_text: str, language: str) -> str:
    """Number each Python block (`data-nn-block`) and say which chain it continues
    (`data-nn-chain`: the number of the chain's first block, as pytest-codeblocks' `cont`
    marker joins them); why it cannot run in the browser (`data-nn-norun`); what it runs there
    in place of what (`data-nn-page`, `data-nn-browser`); and a note for the reader where its
    output there differs from the page's (`data-nn-note`, HTML). run.js reads these; nothing
    of Python loads until a click."""
    index = 0
    chain = 0
    reasons: dict[int, str] = {}  # chain -> why it cannot run
    smaller: set[int] = set()  # chains with a block that runs a smaller setting
    objects = [(m.start(), m[1]) for m in DOC_OBJECT.finditer(html_text)]

    def mark(m: re.Match) -> str:
        nonlocal index, chain
        markers = m["markers"] or ""
        if CONT not in markers:
            chain = index
        code = code_of(m["body"])
        reason = cannot_run(code, language) or reasons.get(chain)
        if reason:
            reasons[chain] = reason  # a block after one that cannot run cannot run either
        attrs = f' data-nn-block="{index}" data-nn-chain="{chain}"'
        note = None
        if reason:
            attrs += f' data-nn-norun="{html.escape(reason)}"'
        elif replace := SMALLER.search(markers):
            page, browser = html.unescape(replace["page"]), html.unescape(replace["browser"])
            if page not in code:
                raise ValueError(f"run-in-browser: {page!r} is not in the block:\n{code}")
            attrs += f' data-nn-page="{html.escape(page)}" data-nn-browser="{html.escape(browser)}"'
            note = NOTES["smaller"][language].format(page=_code(page), browser=_code(browser))
            smaller.add(chain)
        elif chain in smaller:
            note = NOTES["continues"][language]
        elif FLOAT_ERRORS_RAISE.search(code) and CATCHES_FLOAT_ERROR.search(code):
            note = NOTES["float errors"][language]
        if note:
            attrs += f' data-nn-note="{html.escape(note)}"'
        if m["lang"] == "pycon":
            owner = [name for start, name in objects if start < m.start()]
            if owner:
                attrs += f' data-nn-object="{owner[-1]}"'
        index += 1
        return f'{markers}<div class="language-{m["lang"]} highlight"{attrs}>{m["body"]}'

    return BLOCK.sub(mark, html_text)


# ---------------------------------------------------------------------------
# The MkDocs events (docs/hooks/site.py)


def on_files(files, config):
    """Serve the core and the manifest beside NumPy's wheel, once, for both languages."""
    from mkdocs.structure.files import File

    from tools.site.config import building

    language, default = building(config)
    if language == default:
        for name, content in served_files().items():
            files.append(File.generated(config, f"{SERVED}/{name}", content=content))
    return files


def on_page_content_hook(html_text: str, page, config, files) -> str:
    from tools.site.config import building

    language, _ = building(config)
    return on_page_content(html_text, language)
