"""Markdown rendered to HTML on the server.

`solara.Markdown` loads KaTeX and Mermaid from the CDN in the browser and reads `$...$` as
LaTeX, which mangles money ("$250k ... $97k"). Our text needs neither.
"""

from __future__ import annotations

from functools import lru_cache

import solara
from markdown_it import MarkdownIt

from .glossary import with_terms

_MD = MarkdownIt("commonmark", {"html": False}).enable("table")


@lru_cache(maxsize=256)
def md_html(text: str) -> str:
    """Markdown (with tables; raw HTML escaped) as HTML, glossary terms with tooltips."""
    return with_terms(_MD.render(text))


@solara.component
def Prose(text: str, classes: list[str] | None = None):
    """Markdown text as one HTML element."""
    return solara.HTML(
        tag="div", unsafe_innerHTML=md_html(text), classes=["abm-prose", *(classes or [])]
    )
