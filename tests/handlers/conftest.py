"""Running the real bot against the fake Telegram and autoAstat servers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotApplication, build_application, running
from bot.config import Settings
from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import FakeTelegram

MakeSettings = Callable[..., Settings]
RunBot = Callable[..., AbstractAsyncContextManager[BotApplication]]


@pytest.fixture
def make_settings(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> MakeSettings:
    """Settings pointing at the fakes, with a database in the test's folder."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bot_token": fake_telegram.token,
            "autoastat_token": fake_autoastat.token,
            "autoastat_url": fake_autoastat.url,
            "telegram_api_url": fake_telegram.url,
            "database_path": tmp_path / "bot.sqlite3",
            "retry_delay": 0,
            "autoastat_timeout": 2,
        }
        values.update(overrides)
        # No developer's .env may leak into a test.
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
def run_bot(make_settings: MakeSettings) -> RunBot:
    """Start the bot with these setting overrides (and clock); stop it when the block ends."""

    @asynccontextmanager
    async def run(
        clock: Callable[[], float] = time.time, **overrides: Any
    ) -> AsyncIterator[BotApplication]:
        application = build_application(make_settings(**overrides), clock=clock)
        async with running(application):
            yield application

    return run


@pytest.fixture
async def bot(run_bot: RunBot) -> AsyncIterator[BotApplication]:
    """The bot with default settings, running."""
    async with run_bot() as application:
        yield application
