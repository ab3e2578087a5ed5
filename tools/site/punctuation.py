"""Keep inline math and the punctuation right after it on one line (an MkDocs hook).

A browser may break a line after the inline-blocks KaTeX draws, even before a comma, so
Chinese lines began with 「，」 or 「。」 (and English ones with "," or "."). A word joiner does
not stop it; a `white-space: nowrap` span around the formula and the mark does
(`.nn-nobreak` in assets/stylesheets/extra.css). Only inline math directly followed by a
mark is wrapped, so a long formula elsewhere can still wrap.
"""

from __future__ import annotations

import re

# <span class="arithmatex">\( ... \)</span> followed by closing punctuation, no space between
INLINE_MATH_THEN_MARK = re.compile(
    r'(<span class="arithmatex">(?:(?!</span>).)*</span>)([，。、；：！？）」』,.;:!?)]+)', re.S
)


def on_page_content(html: str, page, config, files) -> str:
    return INLINE_MATH_THEN_MARK.sub(r'<span class="nn-nobreak">\1\2</span>', html)
