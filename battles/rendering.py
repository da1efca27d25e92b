"""Model output (untrusted) as Markdown rendered to sanitised HTML.

markdown-it-py renders CommonMark plus tables, strikethrough and ``$…$``/``$$…$$`` math
with raw HTML disabled (it is shown as text); fenced code is highlighted on the server
(``battles.highlighting``) and tables are wrapped in a container that scrolls sideways
on a narrow screen. Math stays TeX source in ``.math`` elements, typeset by KaTeX in the
browser. nh3 then keeps only an explicit allow-list of tags, attributes and class names,
so no script, event handler or ``javascript:`` URL can survive, whatever the model wrote.
Images are dropped: loading a remote URL would leak the voter's address to a third party.

Both sides of a battle are rendered by the same function into the same markup, so the
HTML says nothing about which model wrote it.
"""

from collections.abc import Sequence
from functools import cache, lru_cache
from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererProtocol
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin

from battles.highlighting import CSS_CLASS, TOKEN_CLASSES, highlight_code

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
    # Code blocks, token spans, math and the scrolling table container.
    "div",
    "span",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "div": {"class", "tabindex"},
    "pre": {"class", "tabindex"},
    "span": {"class"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
# The class names each tag may carry: our own markup's, and Pygments' token classes.
ALLOWED_CLASSES = {
    "div": frozenset({"code-block", "table-scroll", "math", "block"}),
    "pre": frozenset({CSS_CLASS}),
    "span": TOKEN_CLASSES | {"code-lang", "math", "inline"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"
# Table cell alignment is the only inline style markdown-it emits.
_ALIGN_STYLES = {"text-align:left", "text-align:center", "text-align:right"}
# Rendered answers kept per process: the battle API renders every answer on each poll.
CACHE_SIZE = 512


def _fence(
    renderer: RendererProtocol,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    """A fenced block: its language named above it, its code highlighted when known."""
    token = tokens[idx]
    language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    label = f'<span class="code-lang">{escape(language)}</span>' if language else ""
    code_class = f' class="language-{escape(language)}"' if language else ""
    body = highlight_code(token.content, language)
    return (
        f'<div class="code-block">{label}'
        f'<pre class="{CSS_CLASS}" tabindex="0"><code{code_class}>{body}</code></pre></div>\n'
    )


def _table_open(
    renderer: RendererProtocol,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    # Focusable, so a keyboard can scroll a table wider than the screen.
    return '<div class="table-scroll" tabindex="0"><table>\n'


def _table_close(
    renderer: RendererProtocol,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    return "</table></div>\n"


@cache
def _markdown() -> MarkdownIt:
    md = (
        MarkdownIt("commonmark", {"html": False, "linkify": False})
        .enable(["table", "strikethrough"])
        # Pandoc's rule: no space inside the dollars, no digit after the closing one,
        # so "costs $5 and $10" stays text.
        .use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    )
    md.add_render_rule("fence", _fence)
    md.add_render_rule("code_block", _fence)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    return md


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        if tag == "code":
            # Only the fenced-code language marker, e.g. "language-python".
            return (
                value
                if value.startswith("language-") and value.replace("-", "").isalnum()
                else None
            )
        allowed = ALLOWED_CLASSES.get(tag, frozenset())
        names = value.split()
        return value if names and all(name in allowed for name in names) else None
    if attribute == "tabindex":
        return value if value == "0" else None
    if attribute == "style":
        return value if value.replace(" ", "") in _ALIGN_STYLES else None
    return value


@lru_cache(maxsize=CACHE_SIZE)
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
