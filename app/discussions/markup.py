"""Posts are written in a small Markdown subset and can never carry markup of their own.

markdown-it-py (CommonMark, maintained by the executable-books project) renders with
raw HTML off and only paragraphs, emphasis, lists, block quotes and links enabled
(images, headings, tables, code blocks are switched off: they are not part of the
subset, so their syntax stays literal text). nh3 (Rust's ammonia) then sanitises the
output against an allow-list, so a parser bug cannot let a tag or an attribute through:
only http(s) and mailto links survive, every link gets ``rel="nofollow ugc noopener"``.
"""

from __future__ import annotations

import html
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


EXCERPT_MAX: Final = 160
_INVISIBLE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_SPACES: Final = re.compile(r"\s+")


def excerpt(text: str, limit: int = EXCERPT_MAX) -> str:
    """A short plain-text excerpt of a post for a mail: the rendered (and sanitised) text
    without any markup, control or bidi characters, on one line, cut at a word.

    The link targets are dropped with the tags: a mail shows the words, never a URL a
    poster chose. Posts are refused with such characters already; this is the second
    line of defence for posts stored before (and for the migrated comments)."""
    stripped = nh3.clean(render(text), tags=set(), strip_comments=True)
    plain = _INVISIBLE.sub(" ", _TAG.sub(" ", html.unescape(stripped)))
    plain = _SPACES.sub(" ", plain).strip()
    if len(plain) <= limit:
        return plain
    cut = plain[: limit + 1]
    space = cut.rfind(" ")
    head = cut[:space] if space > limit // 2 else plain[:limit]
    return head.rstrip(" ,.;:-") + " …"
