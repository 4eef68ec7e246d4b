"""Course material (Markdown) as HTML, with the heading ids the tutor's citations point at.

The material search cuts a page at its headings and gives each section the anchor
``retrieval.chunking.slugify`` makes of the heading, numbered when it repeats
(``example``, ``example-1``); the same rule here puts that anchor on the heading, so
``material#anchor`` lands on the cited section. Raw HTML in a material is shown as text, so
the output is safe to put in a page as it is.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

from learnloop.retrieval.chunking import slugify


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return md  # its link check refuses javascript:, vbscript:, file: and data: links


_MD = _parser()


def _unique(slug: str, seen: dict[str, int]) -> str:
    """As the material search numbers a repeated heading."""
    while slug in seen:
        seen[slug] += 1
        slug = f"{slug}-{seen[slug]}"
    seen[slug] = 0
    return slug


def render_markdown(text: str) -> Markup:
    tokens = _MD.parse(text)
    seen: dict[str, int] = {}
    for n, token in enumerate(tokens):
        # only headings that start a line of the page, as the material search reads them
        if token.type == "heading_open" and token.level == 0 and n + 1 < len(tokens):
            token.attrSet("id", _unique(slugify(tokens[n + 1].content) or "section", seen))
    return Markup(_MD.renderer.render(tokens, _MD.options, {}))
