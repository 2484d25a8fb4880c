"""A person looks VINs up in a private chat: the real bot against both fakes."""

from __future__ import annotations

import asyncio
import copy
import html
import logging

import pytest

from bot.app import BotApplication
from bot.logs import configure_logging
from tests.fakes.autoastat import FakeAutoastat, Response
from tests.fakes.telegram import FakeTelegram
from tests.handlers.conftest import MakeSettings, RunBot
from tests.handlers.conversation import ask, containing, text_of, to_chat
from tests.vins import SAMPLE_VIN, valid_vin

ALICE, BOB = 1001, 1002


async def test_a_vin_gets_a_summary_and_an_album(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_telegram.send_text(f"what about {SAMPLE_VIN.lower()}?", user_id=ALICE)

    album = (await fake_telegram.wait_for("sendMediaGroup", to_chat(ALICE)))[0]
    summary = text_of(fake_telegram.calls_to("sendMessage")[0])

    assert SAMPLE_VIN in summary
    assert "2003 · Ford · United States" in summary
    assert "3 auction records" in summary
    # Newest first, every sale with date, auction, lot, outcome and bid.
    assert (
        summary.index("Feb 26, 2021")
        < summary.index("Feb 19, 2021")
        < summary.index("Feb 12, 2021")
    )
    assert summary.count("IAAI · lot <code>29589213</code>") == 3
    assert "Sold, winning bid <b>$1,750</b>" in summary
    assert summary.count("Not sold, highest bid") == 2
    assert "Odometer: 149,163 mi (not actual)" in summary
    assert "Damage: Left Front, secondary Left Side" in summary
    assert "Loss type: Collision" in summary
    assert "Seller: CA Auto Sales (not an insurer)" in summary
    assert "None" not in summary

    media = album.params["media"]
    assert album.ok
    assert len(media) == 10
    assert len({item["media"] for item in media}) == 10
    assert SAMPLE_VIN in media[0]["caption"]
    assert fake_autoastat.request_count(SAMPLE_VIN) == 1
    request = fake_autoastat.requests[0]
    assert request.headers["X-API-AUTH-TOKEN"] == fake_autoastat.token


async def test_a_second_ask_is_answered_from_the_cache(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    await ask(fake_telegram, SAMPLE_VIN, ALICE)
    await fake_telegram.wait_for("sendMediaGroup", to_chat(ALICE))

    again = await ask(fake_telegram, SAMPLE_VIN, BOB)
    await fake_telegram.wait_for("sendMediaGroup", to_chat(BOB))

    assert "3 auction records" in text_of(again)
    assert fake_autoastat.request_count() == 1
    # A cached answer comes at once: no "typing…", and no request to Telegram for it.
    assert [c for c in fake_telegram.calls_to("sendChatAction") if to_chat(BOB)(c)] == []


async def test_the_vin_is_found_in_cyrillic_split_and_lower_case(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    # Cyrillic letters stand for K and C below; the groups are split by a space and dashes.
    typed = "1fmzu73к83 zb-53903"
    assert typed.upper() != SAMPLE_VIN

    answer = await ask(fake_telegram, f"пробей {typed} пожалуйста", ALICE)

    assert SAMPLE_VIN in text_of(answer)
    assert [request.vin for request in fake_autoastat.requests] == [SAMPLE_VIN]


async def test_one_vin_asked_by_many_at_once_costs_one_request(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.delay = 0.3
    users = range(2001, 2011)
    for user in users:
        fake_telegram.send_text(SAMPLE_VIN, user_id=user)

    await fake_telegram.wait_for("sendMediaGroup", count=len(users))

    assert fake_autoastat.request_count() == 1
    summaries = fake_telegram.calls_to("sendMessage")
    assert {int(call.params["chat_id"]) for call in summaries} == set(users)
    assert all("3 auction records" in text_of(call) for call in summaries)


async def test_the_budget_holds_exactly_under_concurrent_asks(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.delay = 0.2
    async with run_bot(hourly_budget=5, user_daily_quota=0):
        for n in range(12):
            fake_telegram.send_text(valid_vin(n), user_id=3000 + n)
        await fake_telegram.wait_for("sendMessage", count=12)

    refusals = [c for c in fake_telegram.calls_to("sendMessage") if "this hour" in text_of(c)]
    assert fake_autoastat.request_count() == 5
    assert len(refusals) == 7
    assert all("all its users share" in text_of(call) for call in refusals)
    assert all("UTC" in text_of(call) for call in refusals)


async def test_the_daily_quota_stops_one_user_and_not_the_admin(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    admin = 4242
    async with run_bot(user_daily_quota=2, admin_ids=frozenset({admin})):
        for n in range(2):
            await ask(fake_telegram, valid_vin(n), ALICE)
        refused = await ask(fake_telegram, valid_vin(2), ALICE)
        cached = await ask(fake_telegram, valid_vin(0), ALICE)
        for n in range(3):
            await ask(fake_telegram, valid_vin(10 + n), admin)

    assert "used all your fresh lookups for the last 24 hours" in text_of(refused)
    assert "UTC" in text_of(refused)
    assert "auction records" in text_of(cached)
    assert fake_autoastat.request_count() == 5
    assert fake_autoastat.request_count(valid_vin(2)) == 0


async def test_cache_and_quota_survive_a_restart(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(user_daily_quota=2):
        await ask(fake_telegram, valid_vin(0), ALICE)
        await ask(fake_telegram, valid_vin(1), ALICE)

    async with run_bot(user_daily_quota=2):
        cached = await ask(fake_telegram, valid_vin(0), BOB)
        refused = await ask(fake_telegram, valid_vin(2), ALICE)

    assert "auction records" in text_of(cached)
    assert "used all your fresh lookups" in text_of(refused)
    assert fake_autoastat.request_count() == 2


async def test_html_in_api_data_is_escaped(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    sale = fake_autoastat.sample_history()[0]
    sale["seller"]["name"] = "<b>Evil</b> & <script>Co</script>"
    sale["primary_damage"] = "Front <i>End"
    sale["auction_lot_number"] = "<a href='x'>1</a>"
    fake_autoastat.set_history(SAMPLE_VIN, [sale])

    answer = await ask(fake_telegram, SAMPLE_VIN, ALICE)

    text = text_of(answer)
    assert answer.ok, answer.description
    assert html.escape("<b>Evil</b> & <script>Co</script>") in text
    assert "Front &lt;i&gt;End" in text
    assert "<script>" not in text


async def test_a_long_history_fits_one_message_and_says_what_is_left_out(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    template = fake_autoastat.sample_history()[2]
    sales = []
    for n in range(60):
        sale = copy.deepcopy(template)
        sale["date"] = f"20{10 + n // 12:02d}-{n % 12 + 1:02d}-15T10:00:00+00:00"
        sale["auction_lot_number"] = 40_000_000 + n
        sale["seller"]["name"] = "A seller with a fairly long registered business name, LLC"
        sales.append(sale)
    fake_autoastat.set_history(SAMPLE_VIN, sales)

    answer = await ask(fake_telegram, SAMPLE_VIN, ALICE)

    text = text_of(answer)
    assert answer.ok, answer.description
    # What Telegram counts is the text after entity parsing, as its answer carries it.
    parsed = answer.response["text"]
    assert len(parsed.encode("utf-16-le")) // 2 <= 4096
    assert "60 auction records" in text
    shown = text.count("IAAI · lot")
    assert 5 < shown < 60
    assert f"…and {60 - shown} older sales that do not fit in one message." in text
    # The newest sale (December 2014) is shown first.
    assert text.index("Dec 15, 2014") < text.index("lot")


async def test_no_records_is_said_plainly_and_cached(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.set_history(SAMPLE_VIN, [])

    first = await ask(fake_telegram, SAMPLE_VIN, ALICE)
    second = await ask(fake_telegram, SAMPLE_VIN, BOB)

    assert "No auction records" in text_of(first)
    assert "does not prove a clean history" in text_of(first)
    assert text_of(first) == text_of(second)
    assert fake_autoastat.request_count() == 1
    assert fake_telegram.calls_to("sendMediaGroup") == []
    assert fake_telegram.calls_to("sendPhoto") == []


async def test_a_single_photo_goes_as_a_photo(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    sale = fake_autoastat.sample_history()[0]
    sale["images"]["previews"] = sale["images"]["previews"][:1] * 3
    fake_autoastat.set_history(SAMPLE_VIN, [sale])

    fake_telegram.send_text(SAMPLE_VIN)
    photo = (await fake_telegram.wait_for("sendPhoto"))[0]

    assert photo.ok
    assert photo.params["photo"] == sale["images"]["previews"][0]
    assert fake_telegram.calls_to("sendMediaGroup") == []


async def test_refused_photos_still_leave_the_summary_and_a_note(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_telegram.make_unfetchable("https://s.autoastat.com/")

    fake_telegram.send_text(SAMPLE_VIN)
    await fake_telegram.wait_for("sendMessage", containing("photos could not be sent"))

    texts = [text_of(call) for call in fake_telegram.calls_to("sendMessage")]
    assert "3 auction records" in texts[0]
    assert not fake_telegram.calls_to("sendMediaGroup")[0].ok


async def test_a_mistyped_vin_costs_nothing_until_confirmed(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    mistyped = SAMPLE_VIN[:8] + "5" + SAMPLE_VIN[9:]

    prompt = await ask(fake_telegram, mistyped, ALICE)

    assert "looks mistyped" in text_of(prompt)
    assert "should be 8, not 5" in text_of(prompt)
    assert fake_autoastat.request_count() == 0

    message = fake_telegram.sent_messages(ALICE)[-1]
    fake_telegram.press_button(message, f"vin:{mistyped}")
    answer = await fake_telegram.wait_for("sendMessage", containing("auction records"))

    assert mistyped in text_of(answer[0])
    assert fake_autoastat.request_count(mistyped) == 1
    await fake_telegram.wait_for("answerCallbackQuery")
    assert "reply_markup" not in fake_telegram.sent_messages(ALICE)[0]


async def test_a_european_vin_without_check_digit_is_looked_up(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    answer = await ask(fake_telegram, "VF1LM1B0H36666155", ALICE)

    assert "auction records" in text_of(answer)
    assert fake_autoastat.request_count("VF1LM1B0H36666155") == 1


async def test_vins_over_the_per_message_limit_are_named_and_skipped(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    vins = [valid_vin(n) for n in range(4)]
    async with run_bot(max_vins_per_message=2):
        fake_telegram.send_text("\n".join(vins))
        skipped = await fake_telegram.wait_for("sendMessage", containing("Skipped"))

    assert f"<code>{vins[2]}</code>, <code>{vins[3]}</code>" in text_of(skipped[0])
    assert sorted(request.vin for request in fake_autoastat.requests) == sorted(vins[:2])


async def test_a_message_without_a_vin_gets_a_short_help(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    answer = await ask(fake_telegram, "hello, what can you do?", ALICE)

    assert "no VIN" in text_of(answer)
    assert fake_autoastat.request_count() == 0


async def test_start_and_help_explain_and_count_the_lookups_left(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(user_daily_quota=5):
        await ask(fake_telegram, valid_vin(0), ALICE)
        start = await ask(fake_telegram, "/start", ALICE)
        help_answer = await ask(fake_telegram, "/help", ALICE)

    assert "IAAI and Copart" in text_of(start)
    assert "Fresh lookups left for the next 24 hours: 4 of 5." in text_of(start)
    assert text_of(start) == text_of(help_answer)


async def test_a_start_deep_link_looks_the_vin_up(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    answer = await ask(fake_telegram, f"/start {SAMPLE_VIN}", ALICE)

    assert "3 auction records" in text_of(answer)


async def test_a_slow_lookup_shows_typing_and_does_not_hold_up_others(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    slow = valid_vin(1)
    fake_autoastat.queue_responses(
        slow, [Response(body=fake_autoastat.sample_history(), delay=1.5)]
    )
    fake_telegram.send_text(slow, user_id=ALICE)
    await fake_telegram.wait_for("sendChatAction", to_chat(ALICE))

    quick = await ask(fake_telegram, valid_vin(2), BOB)
    slow_answer = await fake_telegram.wait_for("sendMessage", to_chat(ALICE))

    assert "auction records" in text_of(quick)
    assert fake_telegram.calls.index(quick) < fake_telegram.calls.index(slow_answer[0])
    assert fake_telegram.calls_to("sendChatAction")[0].params["action"] == "typing"


async def test_a_503_is_retried_and_the_answer_arrives_unasked(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.queue_responses(
        SAMPLE_VIN, [Response(status=503, body="busy"), Response(status=503, body="busy")]
    )
    async with run_bot(retry_delay=0.05, hourly_budget=10):
        fake_telegram.send_text(SAMPLE_VIN)
        answer = await fake_telegram.wait_for("sendMessage", containing("auction records"))

    notices = [c for c in fake_telegram.calls_to("sendMessage") if "try" in text_of(c)]
    assert "3 auction records" in text_of(answer[0])
    assert len(notices) == 2
    assert fake_autoastat.request_count(SAMPLE_VIN) == 3


async def test_upstream_failures_get_a_clear_answer_and_the_quota_back(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    failing = {
        valid_vin(0): (Response(status=503, body="down"), "down for the moment"),
        valid_vin(1): (Response(status=200, body="<html>oops</html>"), "could not read"),
        valid_vin(2): (Response(status=200, body={"error": "shape"}), "could not read"),
        valid_vin(3): (Response(status=401, body={"message": "Unauthorized"}), "temporarily"),
        valid_vin(4): (Response(hang=True), "did not answer in time"),
    }
    for vin, (response, _) in failing.items():
        fake_autoastat.queue_responses(vin, [response] * 3)

    async with run_bot(user_daily_quota=1, autoastat_timeout=0.5):
        for answered, (vin, (_, expected)) in enumerate(failing.items(), start=1):
            fake_telegram.send_text(vin)
            answers = await fake_telegram.wait_for(
                "sendMessage", containing("not counted against your quota"), count=answered
            )
            assert expected in text_of(answers[-1]), text_of(answers[-1])
        # Every failure was given back, so the one lookup a day is still there.
        fake_telegram.send_text(SAMPLE_VIN)
        found = await fake_telegram.wait_for("sendMessage", containing("auction records"))

    assert "3 auction records" in text_of(found[0])


async def test_a_429_holds_every_request_until_retry_after(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_autoastat.queue_responses(
        SAMPLE_VIN, [Response(status=429, body="slow down", headers={"Retry-After": "600"})]
    )
    async with run_bot():
        first = await ask(fake_telegram, SAMPLE_VIN, ALICE)
        second = await ask(fake_telegram, valid_vin(5), BOB)

    assert "over its limit" in text_of(first)
    assert "asked the bot to slow down" in text_of(second)
    assert "in 10 minutes" in text_of(second)
    assert fake_autoastat.request_count() == 1


async def test_the_token_never_reaches_the_logs(
    run_bot: RunBot,
    make_settings: MakeSettings,
    fake_telegram: FakeTelegram,
    fake_autoastat: FakeAutoastat,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level("DEBUG")
    monkeypatch.setattr(logging, "_logRecordFactory", logging.getLogRecordFactory())
    configure_logging(make_settings())
    fake_autoastat.queue_responses(valid_vin(1), [Response(status=500, body=fake_autoastat.token)])
    async with run_bot():
        await ask(fake_telegram, SAMPLE_VIN, ALICE)
        await ask(fake_telegram, valid_vin(1), ALICE)
        await asyncio.sleep(0)

    lookups = [r.getMessage() for r in caplog.records if r.getMessage().startswith("lookup ")]
    assert any(f"vin={SAMPLE_VIN} user={ALICE}" in line and "(fresh)" in line for line in lookups)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert fake_autoastat.token not in logged
    assert fake_telegram.token not in logged
    assert fake_telegram.token.split(":")[1] not in logged
