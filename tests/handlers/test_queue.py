"""Queueing a lookup the hour's budget refused, and its answer arriving unasked."""

from __future__ import annotations

import asyncio

from tests.clock import Clock
from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import FakeTelegram
from tests.handlers.conftest import RunBot
from tests.handlers.conversation import ask, containing, text_of
from tests.vins import valid_vin

ALICE, BOB = 1001, 1002
HOUR = 3600.0


async def queue_from_refusal(telegram: FakeTelegram, vin: str, user_id: int) -> str:
    """Ask for a VIN the budget refuses, press "Queue it"; the confirmation text."""
    refusal = await ask(telegram, vin, user_id)
    assert "this hour's lookups" in text_of(refusal)
    confirmation = containing("queued, number", user_id)
    before = len([call for call in telegram.calls_to("sendMessage") if confirmation(call)])
    message = telegram.sent_messages(user_id)[-1]
    telegram.press_button(message, f"queue:{vin}", user_id=user_id)
    confirmed = await telegram.wait_for("sendMessage", confirmation, count=before + 1)
    return text_of(confirmed[-1])


async def test_a_queued_lookup_is_answered_when_a_slot_frees(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    clock = Clock()
    async with run_bot(clock=clock, hourly_budget=1) as application:
        await ask(fake_telegram, valid_vin(1), ALICE)
        confirmation = await queue_from_refusal(fake_telegram, valid_vin(2), BOB)
        listing = await ask(fake_telegram, "/queue", BOB)
        assert fake_autoastat.request_count() == 1

        clock.now += HOUR
        application.bot_data.services.queue.wake()
        answer = await fake_telegram.wait_for("sendMessage", containing("auction records", BOB))
        await fake_telegram.wait_for("sendMediaGroup", count=2)

    assert "number 1 in line" in confirmation
    assert f"<code>{valid_vin(2)}</code>" in text_of(listing)
    assert valid_vin(2) in text_of(answer[0])
    assert fake_autoastat.request_count(valid_vin(2)) == 1


async def test_queued_lookups_survive_a_restart_and_keep_their_order(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    clock = Clock()
    async with run_bot(clock=clock, hourly_budget=1):
        await ask(fake_telegram, valid_vin(1), ALICE)
        await queue_from_refusal(fake_telegram, valid_vin(2), BOB)
        await queue_from_refusal(fake_telegram, valid_vin(3), ALICE)

    clock.now += HOUR
    async with run_bot(clock=clock, hourly_budget=1) as application:
        first = await fake_telegram.wait_for("sendMessage", containing("auction records", BOB))
        clock.now += HOUR
        application.bot_data.services.queue.wake()
        second = await fake_telegram.wait_for(
            "sendMessage", containing("auction records", ALICE), count=2
        )

    assert valid_vin(2) in text_of(first[-1])
    assert valid_vin(3) in text_of(second[-1])
    asked = [request.vin for request in fake_autoastat.requests]
    assert asked == [valid_vin(1), valid_vin(2), valid_vin(3)]


async def test_a_queued_lookup_can_be_cancelled(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    clock = Clock()
    async with run_bot(clock=clock, hourly_budget=1) as application:
        await ask(fake_telegram, valid_vin(1), ALICE)
        await queue_from_refusal(fake_telegram, valid_vin(2), BOB)
        await ask(fake_telegram, "/queue", BOB)
        listing = fake_telegram.sent_messages(BOB)[-1]
        (button,) = listing["reply_markup"]["inline_keyboard"][0]
        fake_telegram.press_button(listing, button["callback_data"], user_id=BOB)
        cancelled = await fake_telegram.wait_for("sendMessage", containing("no longer queued"))
        empty = await ask(fake_telegram, "/queue", BOB)

        clock.now += HOUR
        application.bot_data.services.queue.wake()
        await ask(fake_telegram, valid_vin(5), ALICE)

    assert valid_vin(2) in text_of(cancelled[0])
    assert "no lookups waiting" in text_of(empty)
    assert fake_autoastat.request_count(valid_vin(2)) == 0


async def test_a_user_may_have_only_a_few_lookups_waiting(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    clock = Clock()
    async with run_bot(clock=clock, hourly_budget=1):
        await ask(fake_telegram, valid_vin(1), ALICE)
        for n in range(3):
            await queue_from_refusal(fake_telegram, valid_vin(10 + n), BOB)
        refusal = await ask(fake_telegram, valid_vin(20), BOB)
        message = fake_telegram.sent_messages(BOB)[-1]
        fake_telegram.press_button(message, f"queue:{valid_vin(20)}", user_id=BOB)
        full = await fake_telegram.wait_for("sendMessage", containing("lookups waiting at a time"))

    assert "this hour's lookups" in text_of(refusal)
    assert "3 lookups waiting" in text_of(full[0])


async def test_a_spent_daily_quota_offers_no_queue(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(user_daily_quota=1):
        await ask(fake_telegram, valid_vin(1), ALICE)
        await ask(fake_telegram, valid_vin(2), ALICE)

    refusal = fake_telegram.sent_messages(ALICE)[-1]
    assert "used all your fresh lookups" in refusal["text"]
    assert "reply_markup" not in refusal


async def test_a_user_who_blocked_the_bot_gets_no_paid_lookup_from_the_queue(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    clock = Clock()
    async with run_bot(clock=clock, hourly_budget=1) as application:
        await ask(fake_telegram, valid_vin(1), ALICE)
        await queue_from_refusal(fake_telegram, valid_vin(2), BOB)
        await queue_from_refusal(fake_telegram, valid_vin(3), ALICE)
        fake_telegram.block_bot(BOB)
        await fake_telegram.wait_delivered()
        storage = application.bot_data.services.storage
        for _ in range(100):
            if await storage.is_unreachable(BOB):
                break
            await asyncio.sleep(0.01)

        clock.now += HOUR
        application.bot_data.services.queue.wake()
        answer = await fake_telegram.wait_for(
            "sendMessage", containing("auction records", ALICE), count=2
        )

    assert valid_vin(3) in text_of(answer[-1])
    assert fake_autoastat.request_count(valid_vin(2)) == 0
    assert nothing_refused_in(fake_telegram, BOB)


def nothing_refused_in(telegram: FakeTelegram, chat_id: int) -> bool:
    """Nothing was even attempted in the chat after the user blocked the bot."""
    attempts = [call for call in telegram.calls_to("sendMessage") if not call.ok]
    return all(int(call.params["chat_id"]) != chat_id for call in attempts)
