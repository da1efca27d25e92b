"""Model output (untrusted) as Markdown rendered to sanitised HTML.

markdown-it-py renders CommonMark plus tables and strikethrough with raw HTML disabled
(it is shown as text); nh3 then keeps only an explicit allow-list of tags and attributes,
so no script, event handler or ``javascript:`` URL can survive, whatever the model wrote.
Images are dropped: loading a remote URL would leak the voter's address to a third party.
"""

from functools import cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "s",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"
# Table cell alignment is the only inline style markdown-it emits.
_ALIGN_STYLES = {"text-align:left", "text-align:center", "text-align:right"}


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "code" and attribute == "class":
        # Only the fenced-code language marker, e.g. "language-python".
        return value if value.startswith("language-") and value.replace("-", "").isalnum() else None
    if attribute == "style":
        return value if value.replace(" ", "") in _ALIGN_STYLES else None
    return value


def render_markdown(text: str) -> str:
    """Sanitised HTML for a model's Markdown answer."""
    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
