"""Inline mode (``@bot VIN`` in any chat) against the fake Telegram and autoAstat servers."""

from __future__ import annotations

from typing import Any

from bot.app import BotApplication
from tests.fakes.autoastat import FakeAutoastat, Response
from tests.fakes.telegram import Call, FakeTelegram
from tests.handlers.conftest import RunBot
from tests.vins import SAMPLE_VIN, valid_vin

ALICE, BOB = 1001, 1002


async def answer_to(telegram: FakeTelegram, query: str, user_id: int = ALICE) -> Call:
    """Send an inline query and wait for the bot's answer to it."""
    query_id = telegram.inline_query(query, user_id=user_id)
    calls = await telegram.wait_for(
        "answerInlineQuery", lambda call: call.params["inline_query_id"] == query_id
    )
    return calls[0]


def results_of(call: Call) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = call.params["results"]
    return results


async def test_a_partial_vin_gets_a_hint_and_spends_nothing(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    for typed in ("", "1F", "1FMZU73K8", SAMPLE_VIN[:16]):
        answer = await answer_to(fake_telegram, typed)

        assert answer.ok, answer.description
        (hint,) = results_of(answer)
        assert hint["type"] == "article"
        assert "17 characters" in hint["title"]
        assert "@VinHistoryBot" in hint["input_message_content"]["message_text"]
    assert fake_autoastat.request_count() == 0


async def test_a_cached_vin_is_answered_with_the_summary_and_photos(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_telegram.send_text(SAMPLE_VIN, user_id=BOB)
    await fake_telegram.wait_for("sendMediaGroup")

    answer = await answer_to(fake_telegram, SAMPLE_VIN.lower())

    assert answer.ok, answer.description
    assert answer.params["is_personal"] is True
    assert 0 < int(answer.params["cache_time"]) <= 60
    article, *photos = results_of(answer)
    assert article["type"] == "article"
    assert article["title"] == "2003 Ford · 3 sales · $1,750"
    assert article["thumbnail_url"].endswith("lot_preview.jpg")
    message = article["input_message_content"]
    assert message["parse_mode"] == "HTML"
    assert "3 auction records" in message["message_text"]
    assert len(photos) == 10
    assert all(photo["type"] == "photo" and photo["thumbnail_url"] for photo in photos)
    assert all(SAMPLE_VIN in photo["caption"] for photo in photos)
    assert fake_autoastat.request_count() == 1


async def test_an_uncached_vin_is_fetched_inline_within_the_quota(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(user_daily_quota=1):
        found = await answer_to(fake_telegram, valid_vin(1))
        refused = await answer_to(fake_telegram, valid_vin(2))

    assert "auction records" in results_of(found)[0]["input_message_content"]["message_text"]
    (refusal,) = results_of(refused)
    assert "used all your fresh lookups" in refusal["input_message_content"]["message_text"]
    assert "UTC" in refusal["description"]
    assert int(refused.params["cache_time"]) <= 10
    assert fake_autoastat.request_count() == 1


async def test_a_slow_lookup_offers_the_private_chat_and_fills_the_cache(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.queue_responses(
        SAMPLE_VIN, [Response(body=fake_autoastat.sample_history(), delay=1.0)]
    )
    async with run_bot(inline_answer_timeout=0.2):
        answer = await answer_to(fake_telegram, SAMPLE_VIN)
        assert answer.ok, answer.description
        assert results_of(answer) == []
        assert answer.params["button"]["start_parameter"] == SAMPLE_VIN

        # The button opens the private chat with /start <VIN>; the answer is waiting there.
        await fake_autoastat.wait_for_requests(vin=SAMPLE_VIN)
        fake_telegram.send_text(f"/start {SAMPLE_VIN}", user_id=ALICE)
        summary = await fake_telegram.wait_for("sendMessage")

    assert "3 auction records" in summary[0].params["text"]
    assert fake_autoastat.request_count() == 1


async def test_a_mistyped_vin_inline_costs_nothing_and_points_to_the_chat(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    mistyped = SAMPLE_VIN[:8] + "5" + SAMPLE_VIN[9:]

    answer = await answer_to(fake_telegram, mistyped)

    (notice,) = results_of(answer)
    assert "mistyped" in notice["title"]
    assert answer.params["button"]["start_parameter"] == mistyped
    assert fake_autoastat.request_count() == 0


async def test_a_failed_lookup_inline_says_so(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.queue_responses(SAMPLE_VIN, [Response(status=200, body="<html>")])

    answer = await answer_to(fake_telegram, SAMPLE_VIN)

    (notice,) = results_of(answer)
    assert notice["title"] == "The lookup failed"
    assert "could not read" in notice["input_message_content"]["message_text"]


async def test_a_vin_without_records_inline_says_so(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.set_history(SAMPLE_VIN, [])

    answer = await answer_to(fake_telegram, SAMPLE_VIN)

    (article,) = results_of(answer)
    assert article["title"] == "2003 Ford · No auction records"
    assert "does not prove a clean history" in article["input_message_content"]["message_text"]
