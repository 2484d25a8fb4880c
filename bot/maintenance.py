"""Background upkeep while the bot runs: pruning old rows and the health heartbeat."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from bot.limits import Clock
from bot.storage import Storage

logger = logging.getLogger(__name__)

PRUNE_EVERY = 3600.0
HEARTBEAT_EVERY = 30.0
# The heartbeat is stale (the bot stuck or gone) when older than this.
HEARTBEAT_STALE = 4 * HEARTBEAT_EVERY
# /stats looks back a week; a month of lookup log is kept for the curious.
LOG_DAYS = 30


def heartbeat_path(database: Path) -> Path:
    """The file whose age tells a health check that the bot is alive."""
    return database.with_name(database.name + ".alive")


async def prune_forever(storage: Storage, *, cache_ttl: float, clock: Clock) -> None:
    """Delete rows no limit, cache or statistic needs, now and every hour."""
    while True:
        deleted = await storage.prune(now=clock(), cache_ttl=cache_ttl, log_days=LOG_DAYS)
        if any(deleted.values()):
            logger.info(
                "pruned %s", ", ".join(f"{table} {count}" for table, count in deleted.items())
            )
        await asyncio.sleep(PRUNE_EVERY)


async def beat_forever(storage: Storage, database: Path) -> None:
    """Touch the heartbeat file while the event loop and the database answer."""
    path = heartbeat_path(database)
    while True:
        await storage.schema_version()  # proves the database answers, not only the loop
        path.write_text(f"{time.time():.0f}\n")
        await asyncio.sleep(HEARTBEAT_EVERY)


def is_alive(database: Path, *, now: float | None = None) -> bool:
    """Whether the heartbeat is fresh."""
    try:
        age = (time.time() if now is None else now) - heartbeat_path(database).stat().st_mtime
    except FileNotFoundError:
        return False
    return age < HEARTBEAT_STALE
