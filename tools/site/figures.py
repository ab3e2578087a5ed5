"""Each figure in the reader's colour scheme, at the size it was drawn for (an MkDocs hook).

A page shows a figure with one line and a caption:

    ![Alt text](../assets/figures/NAME.png)
    /// caption
    What to look at.
    ///

`tools/generate/figures.py` draws every figure twice, `NAME.png` on the light page's white and
`NAME-dark.png` on the dark (slate) page's background, at `nn:density` PNG pixels per CSS px
(a text chunk of the PNG). Here, once the page is HTML, that one image becomes two:
`NAME.png#only-light` and `NAME-dark.png#only-dark`, which Material shows in its own scheme
only. Each gets `width` and `height` of its CSS size (PNG size / density): the page shows it at
the size it was drawn for, never wider than the column (`max-width: 100%`, figures.css), and
keeps its place while it loads. mkdocs-glightbox has already put each image in a link that
opens it larger; the dark copy gets its own link, and each scheme its own gallery, so the
lightbox steps through the figures of the scheme in view.

Nothing else changes: the Markdown (and the notebooks made from it) keeps one light image.
"""

from __future__ import annotations

import html
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import urljoin

FIGURES = "assets/figures/"
THEMES = {"light": "", "dark": "-dark"}  # the file name's suffix of each theme's figure
DENSITY_KEY = "nn:density"

# An <img> of a figure, in the link mkdocs-glightbox puts around it (or not, without the plugin)
IMAGE = re.compile(
    r'(?P<open><a\b[^>]*\bclass="glightbox"[^>]*>\s*)?(?P<img><img\b[^>]*\bsrc="(?P<src>[^"#]*'
    + re.escape(FIGURES)
    + r'[^"#/]+\.png)"[^>]*>)(?(open)\s*</a>)'
)
ATTRIBUTE = '{name}="[^"]*"'


def png_size(path: Path) -> tuple[int, int, float]:
    """(width, height) of a PNG in pixels and its density (`nn:density`, 1 if not recorded)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    density, offset = 1.0, 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind in (b"tEXt", b"iTXt", b"zTXt"):
            key, _, value = body.partition(b"\0")
            if key == DENSITY_KEY.encode():
                if kind == b"zTXt":
                    value = zlib.decompress(value[1:])
                elif kind == b"iTXt":  # flag, method, language\0, translated keyword\0, text
                    value = value[2:].split(b"\0", 2)[2]
                density = float(value.decode())
        if kind == b"IEND":
            break
        offset += 12 + length
    return width, height, density


def set_attribute(tag: str, name: str, value: str) -> str:
    """The tag with attribute `name` set to `value` (replaced, or added at its end)."""
    pattern = re.compile(ATTRIBUTE.format(name=re.escape(name)))
    quoted = f'{name}="{html.escape(value, quote=True)}"'
    if pattern.search(tag):
        return pattern.sub(lambda _: quoted, tag, count=1)
    end = -2 if tag.endswith("/>") else -1
    return f"{tag[:end].rstrip()} {quoted}{tag[end:]}"


def themed(src: str, theme: str) -> str:
    """`.../x.png` -> `.../x-dark.png#only-dark` (or `.../x.png#only-light`)."""
    return f"{src.removesuffix('.png')}{THEMES[theme]}.png#only-{theme}"


def on_page_content(html_text: str, page, config, files) -> str:
    """Each figure's image, as the two images of the light and dark schemes."""
    by_dest = {f.dest_uri: f for f in files}

    def both(m: re.Match) -> str:
        out = []
        for theme in THEMES:
            src = themed(m["src"], theme)
            site_path = urljoin("/" + page.url, src.partition("#")[0]).lstrip("/")
            file = by_dest.get(site_path)
            if file is None:
                raise FileNotFoundError(
                    f"{page.file.src_uri} shows {m['src']}, but the site has no {site_path}: "
                    "draw the figures again (nox -s figures)"
                )
            width, height, density = png_size(Path(file.abs_src_path))
            img = set_attribute(m["img"], "src", src)
            img = set_attribute(img, "width", str(round(width / density)))
            img = set_attribute(img, "height", str(round(height / density)))
            img = set_attribute(img, "class", "nn-figure")
            if m["open"]:
                link = set_attribute(m["open"].strip(), "href", src)
                link = set_attribute(link, "data-gallery", f"figures-{theme}")
                out.append(f"{link}{img}</a>")
            else:
                out.append(img)
        return "".join(out)

    return IMAGE.sub(both, html_text)
