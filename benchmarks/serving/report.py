"""The printed report: one table per phase, details below each level, the targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .levels import LevelResult
from .votes import VoteResult

# What the lead compares against.
TARGETS = {
    "failures": 0,
    "errors_5xx": 0,
    "lost_votes": 0,
    "added_ttft_p50_ms_at_1": 20.0,
    "votes_per_s_at_50": 300.0,
}


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[[fmt(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    # Numbers right-aligned, words left-aligned (by the first data row).
    numeric = [
        bool(rows) and isinstance(rows[0][i], int | float | None) for i in range(len(headers))
    ]
    lines = [
        "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(row, widths, numeric, strict=True)
        ).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdicts(levels: list[LevelResult], votes: VoteResult | None) -> list[tuple[str, str, str]]:
    """(target, measured, PASS/FAIL) for each target the lead compares against."""
    out = []
    for r in levels:
        measured = f"{r.failures} failures, {r.errors_5xx} 5xx, {r.lost_votes} lost votes"
        ok = r.failures == 0 and r.errors_5xx == 0 and r.lost_votes == 0 and r.battles_completed
        out.append(
            (
                f"level {r.level}: 0 failures, 0 5xx, 0 lost votes",
                measured,
                "PASS" if ok else "FAIL",
            )
        )
    one = next((r for r in levels if r.level == 1), None)
    if one is not None:
        added = one.added_ttft_ms.get("p50")
        ok = added is not None and added <= TARGETS["added_ttft_p50_ms_at_1"]
        out.append(
            (
                "added TTFT p50 at concurrency 1 <= 20 ms",
                f"{fmt(added)} ms",
                "PASS" if ok else "FAIL",
            )
        )
    if votes is not None:
        ok = (
            votes.votes_per_s >= TARGETS["votes_per_s_at_50"]
            and votes.lost_votes == 0
            and not votes.failures
        )
        label = f"votes/s with {votes.voters} concurrent voters >= 300"
        if votes.voters != 50:
            label += " (target is at 50)"
        out.append(
            (label, f"{votes.votes_per_s:.0f}/s, {votes.lost_votes} lost", "PASS" if ok else "FAIL")
        )
    return out


def load_avg_text(load_avg: Sequence[float], digits: int = 1) -> str:
    return " ".join(f"{x:.{digits}f}" for x in load_avg)


def problem_lines(
    failures: dict[str, int],
    examples: dict[str, str],
    log_errors: dict[str, list[tuple[str, int]]],
    profile: dict[str, list[tuple[str, float]]],
    direct_failures: dict[str, int] | None = None,
) -> list[str]:
    """Failures by kind (with an example), direct-call failures, log errors, profiles."""
    lines = []
    for kind, count in failures.items():
        example = examples.get(kind, "")
        lines.append(f"    {count:5d} x {kind}" + (f"  e.g. {example[:140]!r}" if example else ""))
    if direct_failures:
        lines.append(f"    direct-call failures: {direct_failures}")
    for name, signatures in log_errors.items():
        for signature, count in signatures:
            lines.append(f"    {name}.log {count:5d} x {signature}")
    for name, frames in profile.items():
        lines.append(f"    py-spy {name}: share of GIL-holding samples (self = leaf function)")
        lines += [f"        {share:5.1f}%  {frame}" for frame, share in frames]
    return lines


def level_table(levels: list[LevelResult]) -> str:
    rows = []
    for r in levels:
        rows.append(
            [
                r.level,
                r.battles_completed,
                r.failures,
                r.errors_5xx,
                r.dropped_streams,
                r.arena_ttft_ms.get("p50"),
                r.arena_ttft_ms.get("p95"),
                r.direct_ttft_ms.get("p50"),
                r.direct_ttft_ms.get("p95"),
                r.added_ttft_ms.get("p50"),
                r.added_ttft_ms.get("p95"),
                f"{r.votes_accepted}/{r.votes_in_db}",
                r.peak_pg_connections,
                r.cpu_s.get("web"),
                r.cpu_s.get("worker"),
                r.cpu_s.get("pg"),
                r.cpu_s.get("redis"),
                r.cpu_s.get("fake"),
                r.cpu_s.get("client"),
                load_avg_text(r.load_avg),
            ]
        )
    return table(
        [
            "voters",
            "battles",
            "fail",
            "5xx",
            "drop",
            "ttft p50",
            "p95",
            "direct p50",
            "p95",
            "added p50",
            "p95",
            "votes ok/db",
            "pg conns",
            "cpu web",
            "worker",
            "pg",
            "redis",
            "fake",
            "client",
            "load avg",
        ],
        rows,
    )


def level_details(r: LevelResult) -> str:
    details = [
        f"level {r.level}: {r.duration_s:.1f}s, {r.battles_started} battles started, "
        f"{r.requests} requests, battle p50/p95 {fmt(r.battle_seconds.get('p50'))}/"
        f"{fmt(r.battle_seconds.get('p95'))}s, TTFT samples: arena {r.ttft_samples}, "
        f"direct {r.direct_samples}, paired {r.paired_samples}; pg peak by app "
        f"{r.peak_pg_by_app}, mean by state {r.mean_pg_by_state}, connections "
        f"opened: pg {r.counters.get('pg')}, redis {r.counters.get('redis')}, rows read by "
        f"sequential scans {r.counters.get('seq_rows')}, listen-queue "
        f"overflows (machine-wide) {r.listen_overflows}, "
        f"still generating after {r.still_generating_after}, contenders {r.contenders_after}"
    ]
    if r.ttft_breakdown_ms:
        details.append(
            "    TTFT legs p50/p95 ms: "
            + ", ".join(
                f"{leg.replace('_', ' ')} {fmt(v['p50'])}/{fmt(v['p95'])}"
                for leg, v in r.ttft_breakdown_ms.items()
            )
        )
    details += problem_lines(
        r.failures_by_kind, r.failure_examples, r.log_errors, r.profile, r.direct_failures
    )
    return "\n".join(details)


def votes_report(votes: VoteResult) -> list[str]:
    summary = table(
        [
            "vote voters",
            "prepared",
            "not ready",
            "accepted",
            "fail",
            "5xx",
            "seconds",
            "votes/s",
            "lat p50",
            "p95",
            "votes ok/db",
            "pg conns",
            "cpu web",
            "pg",
            "client",
            "load avg",
        ],
        [
            [
                votes.voters,
                votes.battles_prepared,
                votes.not_ready,
                votes.votes_accepted,
                sum(votes.failures.values()),
                votes.errors_5xx,
                votes.seconds,
                votes.votes_per_s,
                votes.latency_ms.get("p50"),
                votes.latency_ms.get("p95"),
                f"{votes.votes_accepted}/{votes.votes_in_db}",
                votes.peak_pg_connections,
                votes.cpu_s.get("web"),
                votes.cpu_s.get("pg"),
                votes.cpu_s.get("client"),
                load_avg_text(votes.load_avg),
            ]
        ],
    )
    extra = [
        f"votes phase: {votes.votes_attempted} votes sent, pg peak by app "
        f"{votes.peak_pg_by_app}, mean by state {votes.mean_pg_by_state}, "
        f"connections opened: pg {votes.counters.get('pg')}, "
        f"redis {votes.counters.get('redis')}, rows read by sequential scans "
        f"{votes.counters.get('seq_rows')}"
    ]
    if votes.prepare_failures:
        extra.append(f"    preparation failures: {votes.prepare_failures}")
    if votes.not_ready:
        extra.append(f"    battles not ready (not voted on): {votes.not_ready_by_status}")
    extra += problem_lines(votes.failures, votes.failure_examples, votes.log_errors, votes.profile)
    return [summary, "\n".join(extra)]


def report(levels: list[LevelResult], votes: VoteResult | None, *, targets: bool = True) -> str:
    """The whole report; without ``targets``, no verdicts (one level as it finishes)."""
    parts = [level_table(levels)]
    parts.append(
        "(times in ms; added = arena TTFT minus the direct call started beside it; "
        "cpu in seconds during the level)"
    )
    parts += [level_details(r) for r in levels]
    if votes is not None:
        parts += votes_report(votes)
    if targets:
        parts.append(
            "Targets:\n"
            + table(["target", "measured", ""], [list(v) for v in verdicts(levels, votes)])
        )
    return "\n\n".join(parts)
