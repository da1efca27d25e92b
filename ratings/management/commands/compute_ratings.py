"""``manage.py compute_ratings``: a vote file in, a leaderboard (JSON or a table) out."""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ratings.anchor import parse_anchor
from ratings.datasets import DatasetError, LoadedVotes, load_votes
from ratings.stats import (
    ConvergenceError,
    FitOptions,
    Leaderboard,
    PairCounts,
    RatingScale,
    StyleBattles,
    compute_leaderboard,
    compute_style_leaderboard,
    online_elo,
)


def anchor_option(text: str | None) -> tuple[str, float] | None:
    """``--anchor MODEL=RATING``, or None when not given."""
    if not text:
        return None
    try:
        return parse_anchor(text)
    except ValueError as exc:
        raise CommandError(f"--anchor: {exc}") from None


def pick_categories(available: list[str], wanted: str) -> list[str]:
    """Resolve ``--categories`` against what the input provides."""
    if wanted.strip() in ("", "all"):
        return list(available)
    chosen = [c.strip() for c in wanted.split(",") if c.strip()]
    missing = [c for c in chosen if c not in available]
    if missing:
        raise CommandError(
            f"category {', '.join(missing)} not available in this input "
            f"(available: {', '.join(available)})"
        )
    return chosen


def format_table(result: dict[str, Any]) -> str:
    """A plain-text leaderboard per category."""
    lines: list[str] = []
    for category, entry in result["categories"].items():
        lines.append(f"== {category} ({entry['votes']:,} votes) ==")
        lines.append(
            f"{'rank':>4} {'ub':>4}  {'model':<44} {'rating':>8}  {'95% CI':>19} "
            f"{'votes':>8} {'win%':>6}"
        )
        for row in entry["rows"]:
            if row["ci_lower"] is None:
                ci = ""
            else:
                ci = f"[{row['ci_lower']:.1f}, {row['ci_upper']:.1f}]"
            lines.append(
                f"{row['rank']:>4} {row['rank_ub']:>4}  {row['model']:<44.44} "
                f"{row['rating']:>8.1f}  {ci:>19} {row['votes']:>8,} {100 * row['win_rate']:>6.1f}"
            )
        for name, coef in entry.get("style_coefficients", {}).items():
            lines.append(f"     style {name:<10} {coef['coef']:+.4f}")
        for note in entry["warnings"]:
            lines.append(f"  ! {note}")
        lines.append("")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Compute Bradley-Terry ratings (per category, with CIs) from a vote file."
    # Files in, leaderboard out: no database or URLs involved, so skip the system checks
    # (they import every URL module, the slowest part of starting this command).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--input", required=True, help="vote file (json, jsonl, csv, parquet)")
        parser.add_argument(
            "--format", default="auto", choices=["auto", "fastchat", "arena-csv", "pairs"]
        )
        parser.add_argument("--output", help="write JSON here instead of printing a table")
        parser.add_argument("--ci", default="sandwich", choices=["sandwich", "bootstrap", "none"])
        parser.add_argument("--rounds", type=int, default=100, help="bootstrap replicates")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--resample", default="poisson", choices=["poisson", "multinomial"],
            help="bootstrap draw per (pair, outcome) cell",
        )  # fmt: skip
        parser.add_argument("--categories", default="all", help="comma list or 'all'")
        parser.add_argument("--style-control", action="store_true")
        parser.add_argument("--anchor", help="pin a contender: MODEL=RATING")
        parser.add_argument("--min-votes", type=int, default=0, help="hide rows with fewer votes")
        parser.add_argument("--online-elo", action="store_true", help="add online Elo (K=4)")
        parser.add_argument("--skip-bad", action="store_true", help="skip malformed rows")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        anchor = anchor_option(options["anchor"])
        if options["rounds"] < 1:
            raise CommandError("--rounds must be at least 1")
        path = Path(options["input"])
        if not path.exists():
            raise CommandError(f"no such file: {path}")
        try:
            votes = load_votes(path, fmt=options["format"], skip_bad=options["skip_bad"])
        except (DatasetError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if votes.skipped:
            self.stderr.write(f"skipped {votes.skipped} malformed row(s)")
        categories = pick_categories(votes.counts.categories, options["categories"])
        if anchor is not None and anchor[0] not in votes.counts.models:
            raise CommandError(f"anchor model {anchor[0]!r} does not appear in the input")
        bar = tqdm(total=len(categories), desc="categories", file=self.stderr, leave=False)

        def progress(done: int, total: int, category: str) -> None:
            bar.set_postfix_str(category)
            bar.update(1)

        try:
            result = self._compute(votes, categories, anchor, options, progress)
        except ConvergenceError as exc:
            raise CommandError(f"fit did not converge: {exc}") from exc
        finally:
            bar.close()
        result["input"] = {
            "path": str(path),
            "format": votes.format,
            "battles": round(float(votes.counts.n_battles[0])),
            "models": len(votes.counts.models),
            "skipped_malformed": votes.skipped,
            "dropped": votes.dropped,
            "seconds": round(time.perf_counter() - started, 3),
        }
        if options["output"]:
            Path(options["output"]).write_text(json.dumps(result, indent=1))
            self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(format_table(result))

    def _compute(
        self,
        votes: LoadedVotes,
        categories: list[str],
        anchor: tuple[str, float] | None,
        options: dict[str, Any],
        progress: Any,
    ) -> dict[str, Any]:
        fit = FitOptions(
            ci=options["ci"],
            rounds=options["rounds"],
            seed=options["seed"],
            resample=options["resample"],
            min_votes=options["min_votes"],
            scale=RatingScale(anchor=anchor),
        )
        battles = votes.battles
        board: Leaderboard
        if options["style_control"]:
            if battles is None or battles.style is None:
                raise CommandError(
                    "--style-control needs per-battle style features (answer tokens, "
                    "markdown headers, lists, bold: FastChat's conv_metadata); "
                    f"this {votes.format} input has none"
                )
            styled = StyleBattles(
                battles.models, battles.model_a, battles.model_b, battles.outcome,
                battles.style, battles.categories, battles.category_mask,
            )  # fmt: skip
            board = compute_style_leaderboard(styled.only(categories), fit, progress=progress)
        else:
            counts: PairCounts = votes.counts.subset(categories)
            board = compute_leaderboard(counts, fit, progress=progress)
        result: dict[str, Any] = dict(board)
        if options["online_elo"]:
            if battles is None:
                raise CommandError("--online-elo needs per-battle input in vote order")
            result["online_elo"] = {}
            for c in categories:
                m = battles.category_mask[battles.categories.index(c)]
                elo = online_elo(
                    battles.model_a[m], battles.model_b[m], battles.outcome[m], len(battles.models)
                )
                seen = np.zeros(len(battles.models), dtype=bool)
                seen[battles.model_a[m]] = True
                seen[battles.model_b[m]] = True
                result["online_elo"][c] = {
                    battles.models[k]: float(elo[k]) for k in np.flatnonzero(seen)
                }
        return result
