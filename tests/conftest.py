"""Shared fixtures: the fake Telegram Bot API and the fake autoAstat API, both on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import FakeTelegram

# RetryAfter.__init__ reads its own retry_after, which PTB 22 answers with a
# PTBDeprecationWarning unless PTB_TIMEDELTA is set; with filterwarnings=error every 429 would
# then surface as that warning instead of RetryAfter.  Opt in to timedelta periods (the bot
# must do the same in production, or read periods as int | timedelta).
os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A started FakeTelegram (token ``fake.token``); stopped after the test."""
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def fake_autoastat() -> AsyncIterator[FakeAutoastat]:
    """A started FakeAutoastat (token ``fake.token``); stopped after the test."""
    fake = FakeAutoastat()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
