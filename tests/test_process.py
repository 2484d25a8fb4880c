"""The bot as a real process: ``python -m bot`` stopped by SIGTERM, or killed outright."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import build_application, running
from bot.config import Settings
from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import FakeTelegram
from tests.vins import SAMPLE_VIN

REPOSITORY = Path(__file__).resolve().parents[1]
ALICE = 1001


def bot_environment(
    telegram: FakeTelegram, autoastat: FakeAutoastat, database: Path
) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "AUTOASTAT_"))}
    return environment | {
        "PYTHONPATH": str(REPOSITORY),
        "BOT_TOKEN": telegram.token,
        "AUTOASTAT_TOKEN": autoastat.token,
        "AUTOASTAT_URL": autoastat.url,
        "TELEGRAM_API_URL": telegram.url,
        "DATABASE_PATH": str(database),
        "USER_DAILY_QUOTA": "1",
    }


@asynccontextmanager
async def bot_process(
    telegram: FakeTelegram, autoastat: FakeAutoastat, database: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m bot`` against the fakes, polling; killed if the test leaves it running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        env=bot_environment(telegram, autoastat, database),
        cwd=database.parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await telegram.wait_for_long_poll(timeout=30)
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def ledger(database: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(database) as db:
        return list(db.execute("SELECT user_id, settled FROM quota_ledger"))


async def test_sigterm_finishes_cleanly_with_exit_status_0(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with bot_process(fake_telegram, fake_autoastat, database) as process:
        fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
        await fake_telegram.wait_for("sendMediaGroup", timeout=30)

        process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(process.wait(), timeout=30)
        assert process.stderr is not None
        errors = (await process.stderr.read()).decode()

    assert status == 0, errors
    assert "Traceback" not in errors
    assert fake_telegram.token not in errors
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert ledger(database) == [(ALICE, 1)]


async def test_sigkill_mid_lookup_leaves_nothing_charged_and_asking_again_works(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    database = tmp_path / "bot.sqlite3"
    fake_autoastat.hang(SAMPLE_VIN)
    async with bot_process(fake_telegram, fake_autoastat, database) as process:
        fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
        await fake_autoastat.wait_for_requests(vin=SAMPLE_VIN, timeout=30)
        process.kill()
        await process.wait()

    # The reservation was made and never settled: that is what a crash leaves.
    assert ledger(database) == [(ALICE, 0)]

    fake_autoastat.reset(SAMPLE_VIN)
    settings = Settings(
        _env_file=None,
        bot_token=fake_telegram.token,
        autoastat_token=fake_autoastat.token,
        autoastat_url=fake_autoastat.url,
        telegram_api_url=fake_telegram.url,
        database_path=database,
        user_daily_quota=1,
    )
    async with running(build_application(settings)):
        fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
        answer = await fake_telegram.wait_for(
            "sendMessage", lambda call: "auction records" in call.params["text"]
        )

    assert "3 auction records" in answer[0].params["text"]
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert ledger(database) == [(ALICE, 1)]
