"""The database: migrations and the history cache."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import SCHEMA_VERSION, Storage

VIN = "1FMZU73K83ZB53903"


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    yield storage
    await storage.close()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


async def test_a_new_database_gets_the_whole_schema(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "bot.sqlite3"

    storage = await Storage.open(path)
    try:
        assert await storage.schema_version() == SCHEMA_VERSION
    finally:
        await storage.close()

    assert {"history_cache", "budget_ledger", "quota_ledger", "upstream_pause"} <= tables(path)


async def test_reopening_keeps_data_and_runs_no_migration_twice(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    await storage.store_history(VIN, b"[]", fetched_at=100.0)
    await storage.close()

    reopened = await Storage.open(path)
    try:
        assert await reopened.schema_version() == SCHEMA_VERSION
        cached = await reopened.cached_history(VIN, fetched_after=0)
        assert cached is not None
        assert cached.payload == b"[]"
    finally:
        await reopened.close()


async def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")

    with pytest.raises(RuntimeError, match="newer than this code"):
        await Storage.open(path)


async def test_the_database_runs_in_wal_mode(storage: Storage, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_cache_serves_only_histories_fetched_after_the_cut_off(storage: Storage) -> None:
    await storage.store_history(VIN, b"[1]", fetched_at=1000.0)

    fresh = await storage.cached_history(VIN, fetched_after=999.0)
    stale = await storage.cached_history(VIN, fetched_after=1000.0)

    assert fresh is not None
    assert (fresh.payload, fresh.fetched_at) == (b"[1]", 1000.0)
    assert stale is None
    assert await storage.cached_history("OTHERVIN000000000", fetched_after=0) is None


async def test_storing_again_replaces_the_cached_history(storage: Storage) -> None:
    await storage.store_history(VIN, b"[1]", fetched_at=1000.0)
    await storage.store_history(VIN, b"[2]", fetched_at=2000.0)

    cached = await storage.cached_history(VIN, fetched_after=0)

    assert cached is not None
    assert (cached.payload, cached.fetched_at) == (b"[2]", 2000.0)


async def test_pruning_keeps_only_what_limits_cache_and_stats_need(storage: Storage) -> None:
    day = 86400.0
    now = 100 * day
    await storage.store_history("OLD00000000000000", b"[]", fetched_at=now - 2 * day)
    await storage.store_history(VIN, b"[]", fetched_at=now - 60)
    for at in (now - 3 * day, now - 60):
        await storage.log_lookup(at=at, user_id=1, vin=VIN, outcome="cache")
    await storage.log_lookup(at=now - 40 * day, user_id=1, vin=VIN, outcome="fresh")

    deleted = await storage.prune(now=now, cache_ttl=day, log_days=30)

    assert deleted["history_cache"] == 1
    assert deleted["lookup_log"] == 1
    assert await storage.cached_history(VIN, fetched_after=0) is not None
    assert await storage.cached_history("OLD00000000000000", fetched_after=0) is None
    assert await storage.lookup_counts(since=0) == {"cache": 2}
