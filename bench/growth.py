"""Growth: the cost of a cached lookup and of a budget check with few and with many rows.

Run by :mod:`bench.run` in a process of its own, so that its ``ru_maxrss`` is its own::

    python -m bench.growth --rows 10 --rows 1000000 --calls 2000 --reserves 500 [--cpu N]

prints one JSON object. For each size a fresh database is created by
:meth:`bot.storage.Storage.open` (so the schema is the bot's), filled with ``sqlite3``
``executemany``, reopened, and the bot's own code is timed on it: ``Storage.cached_history``
(the SQL alone), ``LookupService.cached`` (SQL and parsing: the cached lookup path) and
``Limits.reserve`` (the budget and quota check and the reservation, one transaction).

The filler models a long-lived database at full use: one cached history per row, and
budget and quota ledgers a year long (what they hold if never pruned), all of it outside
the windows, which is where a year's rows are. Every SQL statement the timed calls run is
caught with SQLite's trace hook and shown with ``EXPLAIN QUERY PLAN``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
from pydantic import SecretStr

from bench.stats import memory
from bot.autoastat import AutoastatClient, dump_history, parse_history
from bot.limits import BUDGET_WINDOW, QUOTA_WINDOW, Limits, Refusal
from bot.lookup import LookupService
from bot.storage import Storage
from tests.fakes.autoastat import SAMPLE_PATH
from tests.vins import SAMPLE_VIN

HOURLY_BUDGET = 100
DAILY_QUOTA = 10
CACHE_TTL = 24 * 3600.0
# Between two timed reservations the clock moves on a little more than 3600 / budget
# seconds, so that the window stays just short of full and every reservation is granted,
# as at steady full use.
RESERVE_STEP = BUDGET_WINDOW / HOURLY_BUDGET + 1
# Filler rows this far apart: a million ledger rows is about a year of full budget.
FILLER_STEP = 30.0
FILLER_USERS = 100_000
FILLER_PAYLOAD = b"[]"  # rows nobody reads; the read row carries the real history
_LITERAL = re.compile(r"'[^']*'|\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b", re.IGNORECASE)


class SteppingClock:
    """A clock the benchmark moves; starts at the real time."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fill(path: Path, rows: int, now: float, payload: bytes) -> None:
    """Put `rows` rows in the cache and in both ledgers, plus the benchmark's VIN."""
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany(
            "INSERT INTO history_cache (vin, fetched_at, payload) VALUES (?, ?, ?)",
            ((f"G{i:016d}", now - (i % 86_400), FILLER_PAYLOAD) for i in range(rows - 1)),
        )
        db.execute(
            "INSERT INTO history_cache (vin, fetched_at, payload) VALUES (?, ?, ?)",
            (SAMPLE_VIN, now, payload),
        )
        db.executemany(
            "INSERT INTO budget_ledger (started_at, vin) VALUES (?, ?)",
            ((now - BUDGET_WINDOW - i * FILLER_STEP, f"G{i:016d}") for i in range(rows)),
        )
        db.executemany(
            "INSERT INTO quota_ledger (user_id, charged_at, vin, settled) VALUES (?, ?, ?, 1)",
            (
                (i % FILLER_USERS, now - QUOTA_WINDOW - i * FILLER_STEP, f"G{i:016d}")
                for i in range(rows)
            ),
        )
    # The bulk insert left every page in the write-ahead log, which readers then search
    # frame by frame; the bot's own small transactions never grow it past SQLite's
    # automatic checkpoint, so move it into the database as that would have.
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class Subject:
    """One filled database, opened by the bot's code, with the services that use it."""

    def __init__(self, rows: int, path: Path, storage: Storage, now: float) -> None:
        self.rows = rows
        self.path = path
        self.storage = storage
        self.clock = SteppingClock(now)
        self.statements: list[str] = []
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.http = httpx.AsyncClient()  # never used: every lookup here is a cache hit
        self.limits = Limits(
            storage,
            hourly_budget=HOURLY_BUDGET,
            daily_quota=DAILY_QUOTA,
            exempt_users=frozenset(),
            clock=self.clock,
        )
        self.lookups = LookupService(
            storage=storage,
            client=AutoastatClient(self.http, "http://127.0.0.1:9", SecretStr("unused")),
            limits=self.limits,
            cache_ttl=CACHE_TTL,
            retry_delay=0,
            clock=self.clock,
        )
        self._users = itertools.count()
        self.fill_seconds = 0.0
        self.refund_ms = 0.0

    @classmethod
    async def create(cls, rows: int, directory: Path) -> Subject:
        """A fresh database with the bot's schema, filled, and opened again."""
        path = directory / f"growth-{rows}.sqlite3"
        now = time.time()
        payload = dump_history(parse_history(SAMPLE_PATH.read_bytes()))
        storage = await Storage.open(path)
        await storage.close()
        started = time.perf_counter()
        fill(path, rows, now, payload)
        fill_seconds = time.perf_counter() - started
        subject = cls(rows, path, await Storage.open(path), now)
        subject.fill_seconds = fill_seconds
        # The trace hook is on the sqlite3 connection aiosqlite wraps; the benchmark reaches
        # into Storage for it so that no statement text is copied from bot/storage.py.
        await storage_connection(subject.storage).set_trace_callback(subject.statements.append)
        started = time.perf_counter()
        await subject.storage.refund_unsettled()  # what every start of the bot runs
        subject.refund_ms = (time.perf_counter() - started) * 1000
        if await subject.lookups.cached(SAMPLE_VIN) is None:
            raise RuntimeError("the benchmark's VIN is not in the cache")
        return subject

    async def close(self) -> None:
        """Close the database and the unused HTTP client."""
        await self.http.aclose()
        await self.storage.close()

    async def cached_history(self) -> None:
        """The cache's SQL alone."""
        await self.storage.cached_history(SAMPLE_VIN, fetched_after=self.clock() - CACHE_TTL)

    async def lookup_cached(self) -> None:
        """The cached lookup path: the SQL and the parsing of the history."""
        await self.lookups.cached(SAMPLE_VIN)

    async def reserve(self) -> None:
        """A budget and quota check and reservation, granted."""
        self.clock.now += RESERVE_STEP
        # A user with ten charges of long ago: the quota check reads them and passes.
        granted = await self.limits.reserve(SAMPLE_VIN, next(self._users) % FILLER_USERS)
        if isinstance(granted, Refusal):
            raise RuntimeError(f"a reservation was refused: {granted}")

    def report(self) -> dict[str, Any]:
        """The figures of this size."""
        result: dict[str, Any] = {
            "rows": self.rows,
            "fill_seconds": self.fill_seconds,
            "file_mb": self.path.stat().st_size / 1e6 + _wal_mb(self.path),
            "refund_unsettled_ms": self.refund_ms,
        }
        for operation, samples in self.samples.items():
            ordered = sorted(samples)
            result[operation] = {
                "median_us": statistics.median(ordered),
                "p99_us": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
                "count": len(ordered),
            }
        return result


def storage_connection(storage: Storage) -> aiosqlite.Connection:
    """The aiosqlite connection inside Storage (private; the benchmark only traces it)."""
    connection: aiosqlite.Connection = storage._db
    return connection


async def time_interleaved(
    subjects: Sequence[Subject], operation: str, count: int, blocks: int = 10
) -> None:
    """`count` timed calls of `operation` on each subject, in alternating blocks.

    Alternating, so that other work on the machine falls on every size alike; each
    block starts with a few untimed calls, which pay for caches warming up (SQLite's
    pages, pydantic's validators) instead of whichever size would come first.
    """
    per_block = max(1, count // blocks)
    for _ in range(blocks):
        for subject in subjects:
            call: Callable[[], Awaitable[None]] = getattr(subject, operation)
            for _ in range(max(1, per_block // 10)):
                await call()
            for _ in range(per_block):
                started = time.perf_counter()
                await call()
                subject.samples[operation].append((time.perf_counter() - started) * 1e6)


def _wal_mb(path: Path) -> float:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size / 1e6 if wal.exists() else 0.0


def query_plans(path: Path, statements: Sequence[str]) -> list[dict[str, Any]]:
    """``EXPLAIN QUERY PLAN`` of each distinct statement (literals folded to ``?``)."""
    seen: dict[str, str] = {}
    for statement in statements:
        text = " ".join(statement.split())
        if text.upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            continue
        seen.setdefault(_LITERAL.sub("?", text), text)
    plans = []
    with closing(sqlite3.connect(path)) as db:
        for shape, example in seen.items():
            rows = db.execute(f"EXPLAIN QUERY PLAN {example}").fetchall()
            plans.append({"statement": shape, "plan": [str(row[-1]) for row in rows]})
    return plans


async def run(sizes: Sequence[int], calls: int, reserves: int) -> dict[str, Any]:
    """Measure every size; the plans come from the largest database."""
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as directory:
        subjects = [await Subject.create(rows, Path(directory)) for rows in sizes]
        try:
            await time_interleaved(subjects, "cached_history", calls)
            await time_interleaved(subjects, "lookup_cached", calls)
            await time_interleaved(subjects, "reserve", reserves)
        finally:
            for subject in subjects:
                await subject.close()
        largest = max(subjects, key=lambda subject: subject.rows)
        plans = query_plans(largest.path, largest.statements)
        results = [subject.report() for subject in subjects]
    return {"sizes": results, "plans": plans, **memory()}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, measure, print the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.growth")
    parser.add_argument("--rows", type=int, action="append", required=True)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--reserves", type=int, default=500)
    parser.add_argument("--cpu", type=int, help="run on this CPU only (set before any thread)")
    arguments = parser.parse_args(argv)
    if arguments.cpu is not None and hasattr(os, "sched_setaffinity"):
        # aiosqlite hands every statement to a thread of its own; across two cores the
        # hand-off costs about twice as much, and varies with where the scheduler put it.
        os.sched_setaffinity(0, {arguments.cpu})
    result = asyncio.run(run(arguments.rows, arguments.calls, arguments.reserves))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
