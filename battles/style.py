"""Style features of an answer, for style-controlled ratings.

Counted from markdown-it tokens rather than regexes, so that a ``#`` inside a code block
or a ``*`` used as a multiplication sign is not mistaken for markup.
"""

from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

# CommonMark plus GFM tables and strikethrough: what chat models actually emit.
_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


@dataclass(frozen=True)
class StyleFeatures:
    length_chars: int
    header_count: int
    list_count: int
    bold_count: int


def _walk(tokens: list[Token]) -> list[Token]:
    flat: list[Token] = []
    for token in tokens:
        flat.append(token)
        if token.children:
            flat.extend(_walk(token.children))
    return flat


def style_features(text: str) -> StyleFeatures:
    """Length in characters, markdown headers, list items and bold spans of ``text``."""
    tokens = _walk(_PARSER.parse(text))
    return StyleFeatures(
        length_chars=len(text),
        header_count=sum(1 for t in tokens if t.type == "heading_open"),
        list_count=sum(1 for t in tokens if t.type == "list_item_open"),
        bold_count=sum(1 for t in tokens if t.type == "strong_open"),
    )
