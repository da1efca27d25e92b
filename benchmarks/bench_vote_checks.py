"""What the vote-time checks cost: identity leaks, identity questions, prompt hash.

No database: ``--contenders`` synthetic registered contenders (codename, public name,
organisation, provider model id each), answers of ``--chars`` characters per side and
``--turns`` turns of ordinary English with, in a tenth of them, a self-introduction.
Prints the one-off cost of compiling the matcher for a contender set and, per vote, the
median and 95th percentile of: the cached matcher lookup, the leak scan of every answer,
the identity-question scan of every prompt, and the prompt hash.

Usage::

    .venv/bin/python benchmarks/bench_vote_checks.py [--contenders 150] [--chars 3000]
        [--turns 3] [--votes 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")

import django

django.setup()

from battles.duplicates import prompt_hash  # noqa: E402
from battles.identity_questions import identity_question_reason  # noqa: E402
from battles.leaks import IdentityMatcher, matcher_for  # noqa: E402

WORDS = [
    "the",
    "a",
    "model",
    "answer",
    "river",
    "mountain",
    "python",
    "function",
    "value",
    "data",
    "llama",
    "pi",
    "phi",
    "nova",
    "command",
    "google",
    "because",
    "however",
    "therefore",
    "example",
    "code",
    "list",
    "table",
    "result",
    "people",
    "city",
    "history",
    "science",
    "light",
    "water",
    "energy",
    "system",
    "process",
    "market",
    "language",
]


def _contenders(n: int) -> list[tuple[int, str, str, str, str]]:
    return [
        (k, f"codename-{k}", f"Model {k} Large", f"Lab {k}", f"lab{k}/model-{k}-0613")
        for k in range(1, n + 1)
    ]


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append(rng.choice(WORDS))
        if rng.random() < 0.08:
            words[-1] += "."
    text = " ".join(words)
    if rng.random() < 0.1:
        text = "Hello! I am a helpful assistant. " + text
    return text


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"p50 {1000 * statistics.median(ordered):.3f} ms, p95 {1000 * p95:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contenders", type=int, default=150)
    parser.add_argument("--chars", type=int, default=3000)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--votes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    names = _contenders(args.contenders)

    started = time.perf_counter()
    IdentityMatcher(names)
    build = time.perf_counter() - started
    matcher_for(names)  # warm the cache, as the first vote after a change does

    lookup, leaks, questions, hashes = [], [], [], []
    found = 0
    for _ in range(args.votes):
        prompts = [_text(rng, 200) for _ in range(args.turns)]
        answers = [
            (side, _text(rng, args.chars), rng.randint(1, args.contenders))
            for _ in range(args.turns)
            for side in ("a", "b")
        ]
        t0 = time.perf_counter()
        matcher = matcher_for(names)
        t1 = time.perf_counter()
        found += bool(matcher.leaks(prompts, answers))
        t2 = time.perf_counter()
        identity_question_reason(prompts)
        t3 = time.perf_counter()
        prompt_hash(prompts[0])
        t4 = time.perf_counter()
        lookup.append(t1 - t0)
        leaks.append(t2 - t1)
        questions.append(t3 - t2)
        hashes.append(t4 - t3)

    print(
        f"{args.contenders} contenders, {args.turns} turns x 2 answers x {args.chars} chars, "
        f"{args.votes} votes ({found} with a leak)"
    )
    print(f"compile the matcher (once per contender set): {1000 * build:.1f} ms")
    print(f"cached matcher lookup:  {_ms(lookup)}")
    print(f"leak scan, all answers: {_ms(leaks)}")
    print(f"identity questions:     {_ms(questions)}")
    print(f"prompt hash:            {_ms(hashes)}")


if __name__ == "__main__":
    main()
