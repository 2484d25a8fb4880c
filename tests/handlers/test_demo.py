"""Demo mode: the whole experience in Telegram with only a BotFather token."""

from __future__ import annotations

from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import FakeTelegram
from tests.handlers.conftest import RunBot
from tests.handlers.conversation import ask, text_of
from tests.vins import SAMPLE_VIN, valid_vin

ALICE = 1001


async def test_every_answer_is_the_sample_marked_as_demo_and_nothing_is_requested(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(autoastat_token="demo", user_daily_quota=1):
        first = await ask(fake_telegram, valid_vin(1), ALICE)
        second = await ask(fake_telegram, valid_vin(2), ALICE)
        album = await fake_telegram.wait_for("sendMediaGroup", count=2)
        query_id = fake_telegram.inline_query(SAMPLE_VIN, user_id=ALICE)
        inline = await fake_telegram.wait_for(
            "answerInlineQuery", lambda call: call.params["inline_query_id"] == query_id
        )

    for answer in (first, second):
        assert "Demo data" in text_of(answer)
        assert "3 auction records" in text_of(answer)
    assert "Demo data" in album[0].params["media"][0]["caption"]
    article = inline[0].params["results"][0]
    assert article["title"].startswith("DEMO · ")
    assert "Demo data" in article["input_message_content"]["message_text"]
    # No quota is spent on sample data, and autoAstat never hears of it.
    assert fake_autoastat.request_count() == 0


async def test_demo_answers_never_reach_the_cache(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(autoastat_token="demo"):
        await ask(fake_telegram, valid_vin(1), ALICE)

    fake_autoastat.set_history(valid_vin(1), [])
    async with run_bot():
        real = await ask(fake_telegram, valid_vin(1), ALICE)

    assert "Demo data" not in text_of(real)
    assert "No auction records" in text_of(real)
    assert fake_autoastat.request_count(valid_vin(1)) == 1
