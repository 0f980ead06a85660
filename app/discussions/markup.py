"""Posts are written in a small Markdown subset and can never carry markup of their own.

markdown-it-py (CommonMark, maintained by the executable-books project) renders with
raw HTML off and only paragraphs, emphasis, lists, block quotes and links enabled
(images, headings, tables, code blocks are switched off: they are not part of the
subset, so their syntax stays literal text). nh3 (Rust's ammonia) then sanitises the
output against an allow-list, so a parser bug cannot let a tag or an attribute through:
only http(s) and mailto links survive, every link gets ``rel="nofollow ugc noopener"``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS: Final = frozenset({"p", "br", "em", "strong", "ul", "ol", "li", "blockquote", "a"})
ALLOWED_ATTRIBUTES: Final = {"a": {"href"}}
URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})
_TAG: Final = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>|<!--|<!\[CDATA\[|<\?")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True})
    parser.enable(["paragraph", "emphasis", "list", "blockquote", "link", "newline", "escape"])
    return parser


def has_html(text: str) -> bool:
    """Whether ``text`` holds an HTML tag or comment (refused: posts are Markdown only)."""
    return _TAG.search(text) is not None


@lru_cache(maxsize=8192)
def render(text: str) -> str:
    """Markdown subset -> sanitised HTML, safe to insert into a page unescaped.

    Pure, so cached: a page of 20 posts read by many is parsed and cleaned once."""
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
