"""The serving benchmark (``benchmarks/bench_serving.py``), one module per job.

* ``services``: the PostgreSQL and Redis the stack runs on (private ones, or the shared).
* ``stack``: the fake provider, web and worker processes; CPU time, listen-queue drops.
* ``probes``: the benchmark's own look at the database, Redis, logs and profiles.
* ``stats``: quantiles and milliseconds.
* ``load``: the simultaneous voters (battles, event streams, direct backend calls).
* ``levels``: one concurrency level, measured.
* ``votes``: the votes phase.
* ``report``: the tables, the targets and their verdicts.

The entry point puts the repository root on ``sys.path`` (``tests.fixtures`` is reused).
"""
