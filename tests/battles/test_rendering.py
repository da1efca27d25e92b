"""Model output is untrusted: Markdown renders, but nothing executable survives."""

from html.parser import HTMLParser

import pytest

from battles.highlighting import TOKEN_CLASSES
from battles.rendering import render_markdown

SAFE_TAGS = {
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
    "div",
    "span",
}
# Every class name our own markup uses (Pygments' token classes are checked apart).
OWN_CLASSES = {"code-block", "code-lang", "highlight", "table-scroll", "math", "inline", "block"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, [(name, value or "") for name, value in attrs]))


def parse(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every element a browser would build from ``html``, with its attributes."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "Hello <script src='https://evil.example/x.js'></script>",
        '<img src=x onerror="alert(1)">',
        "![pic](https://evil.example/x.png)",
        '<a href="javascript:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<div onclick="alert(1)" style="background:url(javascript:alert(1))">x</div>',
        '<iframe src="https://evil.example"></iframe>',
        '<svg onload="alert(1)"><circle/></svg>',
        "<style>body{display:none}</style>",
        '<form action="https://evil.example"><input name=a></form>',
        # The new markup: code fences, math and tables must not open a door either.
        '```python" onclick="alert(1)\nprint(1)\n```',
        "```<script>alert(1)</script>\nx\n```",
        "```html\n<script>alert(1)</script><img src=x onerror=alert(1)>\n```",
        "$<img src=x onerror=alert(1)>$",
        "$$\n</div><script>alert(1)</script>\n$$",
        "$\\href{javascript:alert(1)}{x}$",
        "| <script>alert(1)</script> | [x](javascript:alert(1)) |\n|---|---|\n| a | b |",
    ],
)
def test_xss_vectors_are_neutralised(source: str) -> None:
    elements = parse(render_markdown(source))

    for tag, attrs in elements:
        assert tag in SAFE_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name != "style" or value.startswith("text-align:"), value
            if name == "href":
                assert value.split(":", 1)[0].lower() in {"http", "https", "mailto"}, value
            assert name in {"href", "rel", "title", "class", "start", "style", "tabindex"}, name
            assert name != "tabindex" or value == "0", value
            if name == "class" and tag != "code":
                assert set(value.split()) <= OWN_CLASSES | TOKEN_CLASSES, value


def test_raw_html_is_shown_as_text_not_markup() -> None:
    html = render_markdown("<b>bold?</b> and <script>alert(1)</script>")

    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_javascript_links_are_not_links() -> None:
    for source in ("[x](javascript:alert(1))", '<a href="javascript:alert(1)">x</a>'):
        assert [tag for tag, _ in parse(render_markdown(source))] == ["p"]


def test_links_get_safe_rel_and_keep_http_urls() -> None:
    html = render_markdown("See [the docs](https://docs.example.org/page?a=1&b=2).")

    href = 'href="https://docs.example.org/page?a=1&amp;b=2"'
    assert f'<a {href} rel="nofollow noopener noreferrer">the docs</a>' in html


def test_markdown_features_render() -> None:
    source = (
        "# Title\n\nSome **bold**, *italic*, ~~gone~~ and `inline`.\n\n"
        "- one\n- two\n\n3. three\n4. four\n\n> quoted\n\n"
        "| Name | Score |\n|:-----|------:|\n| x | 1 |\n\n"
        "```python\nprint('<hi>')\n```\n"
    )

    html = render_markdown(source)

    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>italic</em>" in html
    assert "<s>gone</s>" in html and "<code>inline</code>" in html
    assert "<ul>\n<li>one</li>" in html and '<ol start="3">' in html
    assert "<blockquote>" in html
    assert '<th style="text-align:left">Name</th>' in html
    assert '<td style="text-align:right">1</td>' in html
    assert '<code class="language-python"><span class="nb">print</span>' in html
    assert "&lt;hi&gt;" in html and "<hi>" not in html


def test_code_block_language_cannot_smuggle_attributes() -> None:
    elements = parse(render_markdown('```python" onclick="alert(1)\ncode\n```'))

    assert ("code", []) in elements or all(
        name == "class" and value.startswith("language-")
        for tag, attrs in elements
        if tag == "code"
        for name, value in attrs
    )
    assert not any(name == "onclick" for _, attrs in elements for name, _ in attrs)


def test_fenced_code_is_highlighted_with_classes_not_inline_styles() -> None:
    html = render_markdown("```python\ndef greet(name):\n    return f'hi {name}'\n```\n")

    assert '<div class="code-block"><span class="code-lang">python</span>' in html
    assert '<pre class="highlight" tabindex="0"><code class="language-python">' in html
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">greet</span>' in html
    assert "style=" not in html


def test_unknown_language_or_none_is_a_plain_escaped_block() -> None:
    unknown = render_markdown("```no-such-language\n<b>x</b> = 1\n```\n")
    plain = render_markdown("```\n<b>x</b> = 1\n```\n")

    for html in (unknown, plain):
        assert "&lt;b&gt;x&lt;/b&gt; = 1\n</code></pre>" in html
        assert '<span class="' not in html.split("<pre", 1)[1]
    assert '<span class="code-lang">no-such-language</span>' in unknown
    assert "code-lang" not in plain


def test_math_becomes_tex_source_in_math_elements() -> None:
    html = render_markdown("Euler: $e^{i\\pi} + 1 = 0$.\n\n$$\n\\int_0^1 x\\,dx < 1\n$$\n")

    assert '<span class="math inline">e^{i\\pi} + 1 = 0</span>' in html
    assert '<div class="math block">\n\\int_0^1 x\\,dx &lt; 1\n</div>' in html


def test_dollar_amounts_are_not_math() -> None:
    html = render_markdown("It costs $5 and $10, or $ 3 $ at most.")

    assert "math" not in html
    assert "$5 and $10" in html


def test_tables_scroll_in_a_focusable_container() -> None:
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n")

    assert html.startswith('<div class="table-scroll" tabindex="0"><table>')
    assert html.rstrip().endswith("</table></div>")


def test_class_names_outside_the_allow_list_are_dropped() -> None:
    # Raw HTML is text anyway; this is the sanitiser's own check on what the renderer emits.
    from battles.rendering import _keep_attribute

    assert _keep_attribute("span", "class", "k nf") == "k nf"
    assert _keep_attribute("span", "class", "k evil") is None
    assert _keep_attribute("div", "class", "math block") == "math block"
    assert _keep_attribute("div", "class", "modal") is None
    assert _keep_attribute("pre", "tabindex", "-1") is None
    assert _keep_attribute("a", "class", "highlight") is None
