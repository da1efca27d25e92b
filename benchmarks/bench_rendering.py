"""What rendering a model's answer costs: Markdown -> sanitised HTML, before and after
server-side highlighting and math (issue 10), uncached and from the per-process cache.

A "typical" answer is about ``--chars`` characters of prose with a heading, a list, a
table, inline and display math and two fenced code blocks (Python and JavaScript). The
baseline is the previous pipeline (markdown-it-py CommonMark + tables + strikethrough,
then nh3 with the old allow-list), rebuilt here; "now" is ``battles.rendering``.
Prints the median and 95th percentile per render.

Usage::

    .venv/bin/python benchmarks/bench_rendering.py [--chars 3000] [--runs 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")

import django

django.setup()

import nh3  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402

from battles import rendering  # noqa: E402

PROSE = (
    "A binary search halves the interval on every step, so it needs about log2(n) "
    "comparisons; the subtle part is keeping the loop invariant honest at the edges. "
)
CODE_PY = (
    "```python\ndef bisect(items: list[int], target: int) -> int:\n"
    "    lo, hi = 0, len(items)\n    while lo < hi:\n        mid = (lo + hi) // 2\n"
    "        if items[mid] < target:\n            lo = mid + 1\n        else:\n"
    "            hi = mid\n    return lo\n```\n"
)
CODE_JS = (
    "```javascript\nfunction bisect(items, target) {\n  let lo = 0, hi = items.length;\n"
    "  while (lo < hi) {\n    const mid = (lo + hi) >> 1;\n"
    "    if (items[mid] < target) lo = mid + 1; else hi = mid;\n  }\n  return lo;\n}\n```\n"
)
EXTRAS = (
    "## Cost\n\nThe number of steps is $\\lceil \\log_2 (n+1) \\rceil$, and\n\n"
    "$$\nT(n) = T(n/2) + O(1) = O(\\log n)\n$$\n\n"
    "| n | steps |\n|---:|---:|\n| 1,000 | 10 |\n| 1,000,000 | 20 |\n\n"
    "- sorted input\n- random access\n- a total order\n\n"
)


def typical_answer(chars: int) -> str:
    parts = [EXTRAS, CODE_PY, CODE_JS]
    prose = PROSE * max(1, (chars - sum(map(len, parts))) // len(PROSE))
    half = len(prose) // 2
    return f"{prose[:half]}\n\n{parts[0]}{parts[1]}\n{prose[half:]}\n\n{parts[2]}"


_BEFORE = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
_BEFORE_TAGS = rendering.ALLOWED_TAGS - {"div", "span"}
_BEFORE_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}


def render_before(text: str) -> str:
    return nh3.clean(
        _BEFORE.render(text),
        tags=_BEFORE_TAGS,
        attributes=_BEFORE_ATTRIBUTES,
        url_schemes=rendering.URL_SCHEMES,
        link_rel=rendering.LINK_REL,
        strip_comments=True,
    )


def render_now_uncached(text: str) -> str:
    rendering.render_markdown.cache_clear()
    return rendering.render_markdown(text)


def _time(render: Callable[[str], str], text: str, runs: int) -> tuple[float, float]:
    render(text)  # warm up (lexers, compiled rules)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        render(text)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    text = typical_answer(args.chars)
    print(f"typical answer: {len(text)} characters, {args.runs} renders each")
    for name, render in (
        ("before (no highlighting, no math)", render_before),
        ("now, uncached", render_now_uncached),
        ("now, cached (same answer again)", rendering.render_markdown),
    ):
        median, p95 = _time(render, text, args.runs)
        print(f"  {name:36s} median {median:8.4f} ms   p95 {p95:8.4f} ms")


if __name__ == "__main__":
    main()
