"""The heartbeat a health check reads."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from bot.maintenance import HEARTBEAT_STALE, beat_forever, heartbeat_path, is_alive
from bot.storage import Storage


async def test_the_heartbeat_is_written_while_the_database_answers(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    storage = await Storage.open(database)
    assert not is_alive(database)

    beating = asyncio.create_task(beat_forever(storage, database))
    try:
        for _ in range(100):
            if heartbeat_path(database).exists():
                break
            await asyncio.sleep(0.01)
        assert is_alive(database)
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
        await storage.close()


def test_an_old_heartbeat_is_stale(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    heartbeat_path(database).write_text("then\n")
    written = heartbeat_path(database).stat().st_mtime
    os.utime(heartbeat_path(database), (written - HEARTBEAT_STALE - 1,) * 2)

    assert not is_alive(database)
    assert is_alive(database, now=written - HEARTBEAT_STALE)
