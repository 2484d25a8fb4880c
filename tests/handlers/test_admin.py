"""Admin commands, and what everyone else gets when they try them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import BotApplication
from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import FakeTelegram
from tests.handlers.conftest import RunBot
from tests.handlers.conversation import ask
from tests.vins import SAMPLE_VIN, valid_vin

ADMIN, ALICE, BOB = 4242, 1001, 1002


@pytest.fixture
async def admin_bot(run_bot: RunBot) -> AsyncIterator[BotApplication]:
    async with run_bot(admin_ids=frozenset({ADMIN}), user_daily_quota=2) as application:
        yield application


@pytest.mark.parametrize(
    "command",
    [
        "/stats",
        "/user 1001",
        "/grant 1001 5",
        "/block 1001",
        "/unblock 1001",
        f"/refresh {SAMPLE_VIN}",
    ],
)
async def test_others_get_the_ordinary_help(
    admin_bot: BotApplication,
    fake_telegram: FakeTelegram,
    fake_autoastat: FakeAutoastat,
    command: str,
) -> None:
    answer = await ask(fake_telegram, command, ALICE)

    assert "IAAI and Copart" in answer.params["text"]
    assert "Fresh lookups left" in answer.params["text"]
    assert fake_autoastat.request_count() == 0


async def test_stats_counts_the_budget_and_the_lookups(
    admin_bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    await ask(fake_telegram, SAMPLE_VIN, ALICE)
    await ask(fake_telegram, SAMPLE_VIN, BOB)
    await ask(fake_telegram, valid_vin(1), ALICE)
    await ask(fake_telegram, valid_vin(2), ALICE)  # over Alice's quota of 2

    stats = (await ask(fake_telegram, "/stats", ADMIN)).params["text"]

    assert "2 of 100 requests in the last hour, 98 left" in stats
    assert "Next slot frees at" in stats
    assert "fresh 2, from cache 1, shared 0, refused 1, failed 0" in stats
    assert "cache hit rate 33%, active users 2" in stats
    assert "Queued lookups: 0" in stats


async def test_user_grant_block_and_unblock(
    admin_bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    for n in range(2):
        await ask(fake_telegram, valid_vin(n), ALICE)
    refused = await ask(fake_telegram, valid_vin(2), ALICE)

    granted = await ask(fake_telegram, "/grant 1001 1", ADMIN)
    found = await ask(fake_telegram, valid_vin(2), ALICE)
    info = await ask(fake_telegram, "/user 1001", ADMIN)
    blocked = await ask(fake_telegram, "/block 1001", ADMIN)
    refusal = await ask(fake_telegram, SAMPLE_VIN, ALICE)
    await ask(fake_telegram, "/unblock 1001", ADMIN)
    again = await ask(fake_telegram, valid_vin(0), ALICE)

    assert "used all your fresh lookups" in refused.params["text"]
    assert "User 1001 now has 1 granted lookups." in granted.params["text"]
    assert "auction records" in found.params["text"]
    text = info.params["text"]
    assert "Fresh lookups left for the next 24 hours: 0 of 2." in text
    assert "Granted lookups left: 0" in text
    assert f"<code>{valid_vin(2)}</code> fresh" in text
    assert f"<code>{valid_vin(2)}</code> refused" in text
    assert "User 1001 is blocked." in blocked.params["text"]
    assert "this bot is private" in refusal.params["text"]
    assert "auction records" in again.params["text"]


async def test_refresh_bypasses_the_cache_and_says_it_spends(
    admin_bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    await ask(fake_telegram, SAMPLE_VIN, ALICE)
    await ask(fake_telegram, SAMPLE_VIN, ADMIN)
    assert fake_autoastat.request_count() == 1

    notice = await ask(fake_telegram, f"/refresh {SAMPLE_VIN}", ADMIN)
    summary = await fake_telegram.wait_for(
        "sendMessage", lambda c: "auction records" in c.params["text"], count=3
    )

    assert "spends one request of the hour's budget" in notice.params["text"]
    assert int(summary[-1].params["chat_id"]) == ADMIN
    assert fake_autoastat.request_count() == 2


async def test_admin_usage_errors_are_explained(
    admin_bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    answers = [
        await ask(fake_telegram, command, ADMIN)
        for command in ("/user", "/grant 1001", "/grant 1001 0", "/block x", "/refresh nothing")
    ]

    assert [a.params["text"].split(":")[0] for a in answers] == ["Usage"] * 5
