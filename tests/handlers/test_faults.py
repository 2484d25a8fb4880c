"""Faults and hostile input: the bot keeps working, tells the user, and loses nothing."""

from __future__ import annotations

import socket

import pytest

from bot.app import BotApplication
from tests.fakes.autoastat import FakeAutoastat, Response
from tests.fakes.telegram import FakeTelegram
from tests.handlers.conftest import RunBot
from tests.handlers.conversation import ask, to_chat
from tests.vins import SAMPLE_VIN, valid_vin

ALICE, BOB, ADMIN = 1001, 1002, 4242


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_refused_connection_is_explained_and_the_next_lookup_works(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(autoastat_url=f"http://127.0.0.1:{closed_port()}", user_daily_quota=1):
        refused = await ask(fake_telegram, SAMPLE_VIN, ALICE)
    async with run_bot(user_daily_quota=1):
        found = await ask(fake_telegram, SAMPLE_VIN, ALICE)

    assert "did not answer in time" in refused.params["text"]
    assert "not counted against your quota" in refused.params["text"]
    assert "3 auction records" in found.params["text"]


async def test_a_rejected_token_alerts_the_admins_once(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.set_default(status=401, body={"message": "Unauthorized"})
    fake_telegram.ensure_chat(ADMIN)
    async with run_bot(admin_ids=frozenset({ADMIN})):
        first = await ask(fake_telegram, valid_vin(1), ALICE)
        second = await ask(fake_telegram, valid_vin(2), BOB)

    alerts = [call for call in fake_telegram.calls_to("sendMessage") if to_chat(ADMIN)(call)]
    assert "temporarily unavailable" in first.params["text"]
    assert "temporarily unavailable" in second.params["text"]
    assert len(alerts) == 1
    assert "AUTOASTAT_TOKEN" in alerts[0].params["text"]
    assert fake_autoastat.token not in alerts[0].params["text"]


async def test_a_user_flooding_the_bot_gets_one_notice(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(user_rate_limit=3):
        await ask(fake_telegram, SAMPLE_VIN, ALICE)
        for _ in range(2):
            await ask(fake_telegram, SAMPLE_VIN, ALICE)
        notice = await ask(fake_telegram, SAMPLE_VIN, ALICE)
        for _ in range(5):
            fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
        # Another user is not held up by the first one's flood.
        other = await ask(fake_telegram, SAMPLE_VIN, BOB)
        await fake_telegram.wait_delivered()

    mine = [call for call in fake_telegram.calls_to("sendMessage") if to_chat(ALICE)(call)]
    assert "wait a minute" in notice.params["text"]
    assert "3 auction records" in other.params["text"]
    assert len(mine) == 4
    assert fake_autoastat.request_count() == 1


async def test_an_allowlist_refuses_others_once_and_serves_the_listed(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(access="allowlist", allowed_user_ids=frozenset({ALICE})):
        served = await ask(fake_telegram, SAMPLE_VIN, ALICE)
        refusal = await ask(fake_telegram, SAMPLE_VIN, BOB)
        fake_telegram.send_text(SAMPLE_VIN, user_id=BOB)
        fake_telegram.send_text("/start", user_id=BOB)
        await ask(fake_telegram, "/help", ALICE)

    to_bob = [call for call in fake_telegram.calls_to("sendMessage") if to_chat(BOB)(call)]
    assert "3 auction records" in served.params["text"]
    assert "this bot is private" in refusal.params["text"]
    assert len(to_bob) == 1
    assert fake_autoastat.request_count() == 1


async def test_an_allowed_group_serves_its_members(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    group = -100123
    async with run_bot(access="allowlist", allowed_chat_ids=frozenset({group})):
        fake_telegram.send_text(
            f"/vin {SAMPLE_VIN}", user_id=BOB, chat_id=group, chat_type="group"
        )
        answer = await fake_telegram.wait_for("sendMessage", to_chat(group))

    assert "3 auction records" in answer[0].params["text"]


async def test_an_error_in_a_handler_is_answered_and_the_bot_goes_on(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    # A summary Telegram refuses raises inside the handler, like any unexpected error.
    fake_telegram.fail_next("sendMessage", status=400, description="Bad Request: injected")

    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    await fake_telegram.wait_for(
        "sendMessage", lambda call: "something went wrong" in call.params["text"]
    )
    again = await ask(fake_telegram, SAMPLE_VIN, ALICE)

    assert "3 auction records" in again.params["text"]


async def test_telegram_flood_control_is_waited_out_and_nothing_is_lost(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_telegram.fail_next("sendMessage", status=429, retry_after=1)

    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    calls = await fake_telegram.wait_for("sendMessage", count=2)

    assert [call.status for call in calls] == [429, 200]
    assert "3 auction records" in calls[1].params["text"]
    await fake_telegram.wait_for("sendMediaGroup")


async def test_a_user_who_blocked_the_bot_does_not_break_it(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_telegram.block_bot(ALICE)
    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    refused = await fake_telegram.wait_for("sendMessage", to_chat(ALICE))

    answer = await ask(fake_telegram, SAMPLE_VIN, BOB)

    assert refused[0].status == 403
    assert "3 auction records" in answer.params["text"]
    # No apology is attempted into a chat that refuses every message.
    assert len([c for c in fake_telegram.calls_to("sendMessage") if to_chat(ALICE)(c)]) == 1


async def test_a_garbage_answer_is_logged_with_a_short_excerpt_and_the_next_lookup_works(
    bot: BotApplication,
    fake_telegram: FakeTelegram,
    fake_autoastat: FakeAutoastat,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("WARNING", logger="bot.lookup")
    garbage = f"<html>maintenance window {fake_autoastat.token} " + "x" * 500
    fake_autoastat.queue_responses(SAMPLE_VIN, [Response(status=200, body=garbage)])

    failed = await ask(fake_telegram, SAMPLE_VIN, ALICE)
    found = await ask(fake_telegram, SAMPLE_VIN, ALICE)

    (line,) = [r.getMessage() for r in caplog.records if "body starts" in r.getMessage()]
    assert "<html>maintenance window ***" in line
    assert fake_autoastat.token not in line
    assert len(line) < 400
    assert "could not read" in failed.params["text"]
    assert "3 auction records" in found.params["text"]
