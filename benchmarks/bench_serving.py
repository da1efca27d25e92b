"""Load-test the production stack: many simultaneous voters, end to end, on 127.0.0.1.

    .venv/bin/python benchmarks/bench_serving.py [--levels 1,50,200,500] [--duration 20]
        [--scenario slow-0.05] [--max-tokens 30] [--silent-first SECONDS]
        [--vote-voters 50] [--votes-per-voter 60] [--json PATH] [--services private|shared]

Starts a private PostgreSQL (``max_connections`` 100) and a private Redis on free ports,
the fake OpenAI-compatible server, one uvicorn process (``arena.asgi:application``) and
one Celery worker (threads pool) as separate processes; migrates the database and adds
two ``openai`` contenders pointed at the fake. Then, per concurrency level, that many
virtual voters (one ``httpx.AsyncClient``, i.e. one cookie jar, each) start at the same
moment and loop for ``--duration`` seconds: ``GET /api/session`` once, then per battle
``POST /api/battles``, ``GET /api/battles/{id}/events`` (SSE) until ``done``, ``POST
/api/battles/{id}/vote``. Beside each battle of the first ``--direct-voters`` voters a
probe calls the fake backend directly with the same request, at the same moment, so the
arena's time to first token can be compared with the backend's own under the same load.
A separate phase times votes: ``--vote-voters`` voters, each owning ready battles, vote
as fast as they are answered. Prints a table (and the targets) and ``--json PATH``.

Everything is bounded: battles per voter, seconds per battle, seconds per level; every
process is killed on exit, Ctrl-C included. Only 127.0.0.1 is contacted.

This file parses the arguments and runs the phases; the work is done in
``benchmarks/serving/`` (one module per job, listed in its ``__init__``).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import os
import signal
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.serving.levels import LevelResult, run_level  # noqa: E402
from benchmarks.serving.load import LoadConfig, warm_up  # noqa: E402
from benchmarks.serving.probes import (  # noqa: E402
    close_persistent,
    db_query,
    reactivate_contenders,
)
from benchmarks.serving.report import TARGETS, load_avg_text, report, verdicts  # noqa: E402
from benchmarks.serving.services import Services, make_services  # noqa: E402
from benchmarks.serving.stack import Stack, app_env, run_manage, with_app_name  # noqa: E402
from benchmarks.serving.votes import run_vote_phase  # noqa: E402


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _prepare_process() -> None:
    """Open-file limit raised to the hard limit (children inherit it: hundreds of streams
    are a socket each, twice), and uvloop for the voters' event loop when installed."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--levels", default="1,50,200,500", help="comma-separated numbers of simultaneous voters"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=20.0,
        help="seconds per level during which voters start new battles",
    )
    parser.add_argument("--max-battles-per-voter", type=int, default=100)
    parser.add_argument("--battle-timeout", type=float, default=120.0)
    parser.add_argument("--level-timeout", type=float, default=300.0)
    parser.add_argument(
        "--scenario",
        default="slow-0.05",
        help="fake backend scenario (its model id); default: ~30 tokens, "
        "0.05 s apart (with --max-tokens 30)",
    )
    parser.add_argument("--max-tokens", type=int, default=30, help="contender max_tokens (0: none)")
    parser.add_argument(
        "--silent-first",
        type=float,
        default=None,
        metavar="SECONDS",
        help="reasoning-model run: the fake's think-SECONDS scenario "
        "(silent that long before the first visible token)",
    )
    parser.add_argument(
        "--warmup", type=int, default=2, help="battles before the first level, not counted"
    )
    parser.add_argument(
        "--direct-voters",
        type=int,
        default=50,
        help="voters whose battles each get a direct backend call beside them",
    )
    parser.add_argument("--vote-voters", type=int, default=50)
    parser.add_argument("--votes-per-voter", type=int, default=60)
    parser.add_argument("--skip-votes", action="store_true", help="no separate votes phase")
    parser.add_argument(
        "--worker-concurrency",
        type=int,
        default=0,
        help="Celery threads (default: 2 per battle at the top level)",
    )
    parser.add_argument("--worker-loglevel", default="INFO")
    parser.add_argument(
        "--max-connections", type=int, default=100, help="max_connections of the private PostgreSQL"
    )
    parser.add_argument(
        "--services",
        choices=["private", "shared"],
        default="private",
        help="private PostgreSQL/Redis (default), or the shared ones "
        "(database arena_bench, Redis db 10)",
    )
    parser.add_argument(
        "--quiet-timeout",
        type=float,
        default=60.0,
        help="seconds to wait after a level for generations to finish",
    )
    parser.add_argument(
        "--log-dir",
        default=None,
        help="where the processes' logs go (default: a new temporary folder)",
    )
    parser.add_argument("--json", default=None, metavar="PATH")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="uvicorn worker processes, each with its own connection pool "
        "(default: one per core, as in production)",
    )
    parser.add_argument(
        "--profile",
        default=None,
        metavar="DIR",
        help="py-spy (pip install py-spy) the web and worker processes per "
        "phase: collapsed stacks in DIR, hottest frames in the report",
    )
    args = parser.parse_args()

    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    model = f"think-{args.silent_first:g}" if args.silent_first is not None else args.scenario
    concurrency = args.worker_concurrency or max(16, 2 * max(levels))
    log_dir = Path(args.log_dir or tempfile.mkdtemp(prefix="arena-bench-serving-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    profile_dir = Path(args.profile) if args.profile else None
    if profile_dir is not None:
        if not Path(sys.executable).with_name("py-spy").exists():
            parser.error("--profile needs py-spy in the venv: .venv/bin/pip install py-spy")
        profile_dir.mkdir(parents=True, exist_ok=True)

    _prepare_process()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    stack = Stack(log_dir, web_workers=args.web_workers)
    services: Services | None = None

    def cleanup() -> None:
        stack.stop_all()
        close_persistent()
        if services is not None:
            services.stop()

    atexit.register(cleanup)
    try:
        print(f"load average at start: {load_avg_text(os.getloadavg(), 2)}", flush=True)
        services = make_services(args.services, args.max_connections)
        print(f"services: {services.label}", flush=True)
        stack.extra_groups = services.process_groups()
        env = app_env(services.database_url, services.redis_url)
        fake_url = stack.start_fake(env)
        offered = {m["id"] for m in httpx.get(f"{fake_url}/models").json()["data"]}
        if model.split("-")[0] not in offered:
            raise SystemExit(
                f"the fake server has no {model.split('-')[0]!r} scenario (it offers "
                f"{sorted(offered)}); update tests/fakes first"
            )
        setup_env = {**env, "DATABASE_URL": with_app_name(services.database_url, "bench-setup")}
        run_manage(setup_env, "migrate", "--noinput")
        dsn = services.admin_url
        db_query(
            dsn,
            "TRUNCATE battles_vote, battles_battlecategory, battles_completion, "
            "battles_turn, battles_battle, arena_contender, django_session CASCADE",
        )
        for codename in ("bench-a", "bench-b"):
            extra = ["--max-tokens", str(args.max_tokens)] if args.max_tokens else []
            run_manage(
                setup_env,
                "add_contender",
                codename,
                "--backend",
                "openai",
                "--base-url",
                fake_url,
                "--provider-model",
                model,
                *extra,
            )
        stack.start_worker(
            {**env, "DATABASE_URL": with_app_name(services.database_url, "worker")},
            concurrency,
            args.worker_loglevel,
        )
        base_url = stack.start_web(
            {**env, "DATABASE_URL": with_app_name(services.database_url, "web")}
        )
        print(
            f"stack up: web {base_url}, worker --concurrency {concurrency}, fake {fake_url} "
            f"(scenario {model}, max_tokens {args.max_tokens or 'none'}); logs in {log_dir}",
            flush=True,
        )
        config = LoadConfig(
            base_url=base_url,
            fake_url=fake_url,
            model=model,
            max_tokens=args.max_tokens or None,
            duration=args.duration,
            max_battles_per_voter=args.max_battles_per_voter,
            battle_timeout=args.battle_timeout,
            level_timeout=args.level_timeout,
            direct_voters=args.direct_voters,
            read_timeout=60.0,
            redis_url=services.redis_url,
        )
        if args.warmup:
            warm = warm_up(config, args.warmup)
            print(
                f"warm-up: {warm.completed}/{args.warmup} battles"
                + (f", failures {dict(warm.failures)}" if warm.failures else ""),
                flush=True,
            )
        results: list[LevelResult] = []
        for level in levels:
            reactivate_contenders(dsn)
            # Each level starts on a settled server: the last one's generations are done
            # and the web processes have loaded their language models.
            stack.wait_idle()
            print(
                f"\n== {level} simultaneous voters (load average "
                f"{load_avg_text(os.getloadavg(), 2)}) ...",
                flush=True,
            )
            result = run_level(level, config, stack, dsn, args.quiet_timeout, profile_dir)
            results.append(result)
            print(report([result], None, targets=False), flush=True)
        votes = None
        if not args.skip_votes:
            reactivate_contenders(dsn)
            stack.wait_idle()
            print(
                f"\n== votes phase: {args.vote_voters} voters x {args.votes_per_voter} "
                "ready battles ...",
                flush=True,
            )
            votes = run_vote_phase(
                config,
                stack,
                dsn,
                args.vote_voters,
                args.votes_per_voter,
                args.quiet_timeout,
                profile_dir,
            )
        print("\n" + "=" * 100)
        print(
            f"bench_serving: scenario {model}, max_tokens {args.max_tokens or 'none'}, "
            f"worker concurrency {concurrency}, {services.label}"
        )
        print(report(results, votes))
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    {
                        "config": {
                            **vars(args),
                            "model": model,
                            "worker_concurrency": concurrency,
                            "services": services.label,
                            "log_dir": str(log_dir),
                        },
                        "targets": TARGETS,
                        "levels": [asdict(r) for r in results],
                        "votes": asdict(votes) if votes else None,
                        "verdicts": verdicts(results, votes),
                    },
                    indent=2,
                )
            )
            print(f"\nwrote {args.json}")
        print(f"process logs: {log_dir}")
        return 0
    except KeyboardInterrupt:
        print(f"\ninterrupted: stopping every process (logs in {log_dir})", file=sys.stderr)
        return 130
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
