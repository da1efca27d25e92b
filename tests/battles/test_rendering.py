"""Model output is untrusted: Markdown renders, but nothing executable survives."""

from html.parser import HTMLParser

import pytest

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
}


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
    assert "<pre><code class=\"language-python\">print('&lt;hi&gt;')\n</code></pre>" in html


def test_code_block_language_cannot_smuggle_attributes() -> None:
    elements = parse(render_markdown('```python" onclick="alert(1)\ncode\n```'))

    assert ("code", []) in elements or all(
        name == "class" and value.startswith("language-")
        for tag, attrs in elements
        if tag == "code"
        for name, value in attrs
    )
    assert not any(name == "onclick" for _, attrs in elements for name, _ in attrs)
