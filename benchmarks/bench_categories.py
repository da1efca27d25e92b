"""The live categoriser against a public file's labels, and what lingua costs.

Prints (1) lingua's start-up: import, first detection (its models load then), RSS
growth, per-prompt detection time, installed size; (2) where the vote file has prompt
text (``--votes``; a ``prompt`` column, or LMArena's ``conversation_a`` /
``full_conversation`` of the full arena-human-preference-140k release), the agreement of
the live labels with the file's: the language (``language`` column) and each category
the heuristics compute (math, instruction following, creative writing, hard prompts,
coding vs ``is_code``, longer query vs ``sum_user_tokens``) as accuracy, precision,
recall and Cohen's kappa over ``--sample`` rows. The bundled
``../shared/data/arena_140k_votes.csv.gz`` keeps only ids, models, outcome and labels
(no prompts), so there it says so and measures (1) only.

Usage::

    .venv/bin/python benchmarks/bench_categories.py [--votes PATH] [--sample 5000] \
        [--judge CODENAME] [--judge-sample 200]

With ``--judge CODENAME`` (a registered contender backed by a real model, the database
of ``DATABASE_URL`` or the embedded SQLite) the LLM labeller labels ``--judge-sample``
of the same prompts too and its agreement is printed the same way; a fake judge makes
that number meaningless, so the test suite does not measure it.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arena.categories import (  # noqa: E402
    HARD_CRITERIA,
    LEADERBOARD_LANGUAGES,
    is_hard,
    is_longer_query,
    language_name,
)

DEFAULT_VOTES = ROOT.parent / "shared" / "data" / "arena_140k_votes.csv.gz"
SAMPLES = [
    "Please explain how vaccines work.", "¿Cómo funciona una vacuna en el cuerpo?",
    "Wie funktioniert ein Impfstoff?", "疫苗是如何起作用的", "Как работает вакцина?",
    "Write a Python function that reverses a linked list.", "hi",
]  # fmt: skip


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def startup() -> None:
    before = rss_mb()
    t0 = time.perf_counter()
    import lingua

    from battles.categories import detect_language

    t1 = time.perf_counter()
    detect_language("Please explain how vaccines work.")
    t2 = time.perf_counter()
    times = []
    for _ in range(20):
        for text in SAMPLES:
            s = time.perf_counter()
            detect_language(text)
            times.append(time.perf_counter() - s)
    size = sum(f.stat().st_size for f in Path(lingua.__file__).parent.rglob("*") if f.is_file())
    print(
        f"lingua import {1000 * (t1 - t0):.0f} ms, first detection (models load) "
        f"{1000 * (t2 - t1):.0f} ms, RSS +{rss_mb() - before:.0f} MB, "
        f"detection p50 {1e6 * median(times):.0f} us, installed {size / 2**20:.0f} MB"
    )


def prompts_of(frame: pd.DataFrame) -> pd.Series | None:
    if "prompt" in frame.columns:
        return frame["prompt"].astype(str)
    for col in ("conversation_a", "full_conversation"):
        if col in frame.columns:
            return frame[col].map(_user_text)
    return None


def _user_text(conversation: Any) -> str:
    turns = json.loads(conversation) if isinstance(conversation, str) else conversation
    texts = []
    for turn in turns if turns is not None else []:
        if isinstance(turn, dict) and "user" in turn:  # full_conversation: {user, model_side_a}
            turn = turn["user"]
        if isinstance(turn, dict) and turn.get("role") == "user":
            content = turn.get("content")
            if isinstance(content, str):
                texts.append(content)
            else:  # 140k: a list of {type, text}
                texts.extend(str(c.get("text", "")) for c in content or [] if isinstance(c, dict))
    return "\n\n".join(texts)


def _flag(frame: pd.DataFrame, col: str) -> np.ndarray | None:
    if col not in frame.columns:
        return None
    return frame[col].astype(str).str.lower().isin(["true", "1", "yes", "1.0"]).to_numpy()


def report(name: str, live: np.ndarray, truth: np.ndarray) -> None:
    n = len(truth)
    tp = int((live & truth).sum())
    acc = float((live == truth).mean())
    prec = tp / max(int(live.sum()), 1)
    rec = tp / max(int(truth.sum()), 1)
    pe = (live.mean() * truth.mean()) + ((1 - live.mean()) * (1 - truth.mean()))
    kappa = (acc - pe) / (1 - pe) if pe < 1 else 1.0
    print(
        f"{name:22s} n={n:6d} file+ {truth.mean():6.1%} live+ {live.mean():6.1%} "
        f"accuracy {acc:6.1%} precision {prec:6.1%} recall {rec:6.1%} kappa {kappa:5.2f}"
    )


def judge_agreement(
    codename: str, texts: pd.Series, truths: dict[str, np.ndarray | None], sample: int
) -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")
    django.setup()
    from arena.models import Contender
    from battles.labeller import JUDGED, judge_text, normalise

    judge = Contender.objects.get(codename=codename)
    picked = list(range(min(sample, len(texts))))
    found: dict[str, list[tuple[bool, bool]]] = {c: [] for c in JUDGED.values()}
    errors = 0
    t0 = time.perf_counter()
    for k in picked:
        result = judge_text(judge, normalise([texts.iloc[k]]))
        errors += len(result.errors)
        for category in found:
            truth = truths.get(category)
            if truth is not None and category in result.labels:
                found[category].append((bool(result.labels[category]), bool(truth[k])))
    print(
        f"judge {codename}: {len(picked)} prompts in {time.perf_counter() - t0:.0f} s, "
        f"{errors} unusable answers"
    )
    for category, pairs in found.items():
        if pairs:
            live, truth = (np.array(x) for x in zip(*pairs, strict=True))
            report(f"judge {category}", live, truth)


def agreement(path: Path, sample: int, judge: str = "", judge_sample: int = 200) -> None:
    frame = pd.read_parquet(path) if ".parquet" in path.name else pd.read_csv(path)
    prompts = prompts_of(frame)
    if prompts is None:
        print(
            f"{path.name}: no prompt text (columns: {', '.join(frame.columns[:6])}, ...); "
            "the live labels cannot be compared with this file's. Use the full "
            "arena-human-preference-140k release (Parquet, with conversation_a)."
        )
        return
    from battles.categories import (
        _count_tokens,
        categorise,
        detect_language,
    )

    rows = frame.sample(min(sample, len(frame)), random_state=0) if sample else frame
    texts = prompts.loc[rows.index]
    t0 = time.perf_counter()
    tags = [categorise([t]) for t in texts]
    print(f"categorised {len(rows)} prompts in {time.perf_counter() - t0:.1f} s")
    if "language" in rows.columns:
        wanted = rows["language"].astype(str).map(language_name)
        wanted = wanted.where(
            wanted.isin(list(LEADERBOARD_LANGUAGES)) | (wanted == "unknown"), "other"
        )
        got = pd.Series([detect_language(t) for t in texts], index=rows.index)
        known = wanted != "unknown"
        agree = float((got[known] == wanted[known]).mean())
        print(
            f"language agreement (live vs file 'language', leaderboard languages + other): "
            f"{agree:.1%} of {int(known.sum())} prompts"
        )
        for lang in [*LEADERBOARD_LANGUAGES, "other"]:
            m = known & (wanted == lang)
            if m.sum():
                recall = float((got[m] == lang).mean())
                print(f"  {lang:10s} n={int(m.sum()):6d} recall {recall:6.1%}")
    live = {
        c: np.array([c in t for t in tags])
        for c in (
            "math",
            "instruction_following",
            "creative_writing",
            "hard_prompts",
            "coding",
            "longer_query",
        )
    }
    truths: dict[str, np.ndarray | None] = {
        "math": _flag(rows, "category_tag.math_v0.1.math"),
        "instruction_following": _flag(rows, "category_tag.if_v0.1.if"),
        "creative_writing": _flag(rows, "category_tag.creative_writing_v0.1.creative_writing"),
        "coding": _flag(rows, "is_code"),
    }
    crit = [f"category_tag.criteria_v0.1.{c}" for c in HARD_CRITERIA]
    if all(c in rows.columns for c in crit):
        hits = sum(_flag(rows, c).astype(int) for c in crit)  # type: ignore[union-attr]
        truths["hard_prompts"] = np.asarray(is_hard(hits))
    if "conv_metadata.sum_user_tokens" in rows.columns:
        tokens = pd.to_numeric(rows["conv_metadata.sum_user_tokens"], errors="coerce").fillna(0)
        truths["longer_query"] = np.asarray(is_longer_query(tokens))
        ours = np.array([_count_tokens(t) for t in texts])
        print(
            f"  (our token count / file's sum_user_tokens, median "
            f"{float(np.median(ours / np.maximum(tokens.to_numpy(), 1))):.2f})"
        )
    for name, truth in truths.items():
        if truth is not None:
            report(name, live[name], truth)
    if judge:
        judge_agreement(judge, texts, truths, judge_sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=Path, default=DEFAULT_VOTES)
    parser.add_argument("--sample", type=int, default=5000, help="rows (0: all)")
    parser.add_argument("--judge", default="", help="codename of a real judge contender")
    parser.add_argument("--judge-sample", type=int, default=200)
    args = parser.parse_args()
    startup()
    if args.votes.exists():
        agreement(args.votes, args.sample, args.judge, args.judge_sample)
    else:
        print(f"{args.votes}: not found; lingua start-up only")


if __name__ == "__main__":
    main()
