"""Answering in the user's language, and ``/lang``: the real bot against both fakes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotApplication
from bot.storage import MIGRATIONS, SCHEMA_VERSION, Storage
from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import DEFAULT_GROUP_ID, FakeTelegram
from tests.handlers.conftest import RunBot
from tests.handlers.conversation import ask, text_of
from tests.vins import SAMPLE_VIN, valid_vin

ALICE, BOB, OLGA = 1001, 1002, 1003
GROUP = DEFAULT_GROUP_ID
NBSP = "\u00a0"


def buttons_of(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


async def test_russian_and_ukrainian_speakers_get_the_history_in_their_language(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    russian = await ask(fake_telegram, SAMPLE_VIN, ALICE, language_code="ru")
    ukrainian = await ask(fake_telegram, SAMPLE_VIN, BOB, language_code="uk")
    english = await ask(fake_telegram, SAMPLE_VIN, OLGA, language_code="en")
    albums = await fake_telegram.wait_for("sendMediaGroup", count=3)

    ru = text_of(russian)
    assert "История аукционов: 3 записи" in ru
    assert ru.index("26.02.2021") < ru.index("19.02.2021") < ru.index("12.02.2021")
    assert f"Продан, выигрышная ставка <b>1{NBSP}750{NBSP}$</b>" in ru
    assert ru.count("Не продан, максимальная ставка") == 2  # noqa: RUF001
    assert "лот <code>29589213</code>" in ru
    assert "Продавец: CA Auto Sales (не страховая компания)" in ru

    uk = text_of(ukrainian)
    assert "Історія аукціонів: 3 записи" in uk
    assert f"Продано, виграшна ставка <b>1{NBSP}750{NBSP}$</b>" in uk
    assert uk.count("Не продано, максимальна ставка") == 2  # noqa: RUF001
    assert "Продавець: CA Auto Sales (не страхова компанія)" in uk

    assert "3 auction records" in text_of(english)
    captions = {int(call.params["chat_id"]): call.params["media"][0]["caption"] for call in albums}
    assert "26.02.2021 · IAAI · лот" in captions[ALICE].replace("<b>", "").replace("</b>", "")
    assert "Feb 26, 2021" in captions[OLGA]
    assert fake_autoastat.request_count() == 1


async def test_the_default_language_serves_whoever_telegram_gives_no_known_language(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(default_language="uk"):
        german = await ask(fake_telegram, "/help", ALICE, language_code="de")
        unknown = await ask(fake_telegram, "/help", BOB, language_code=None)
        american = await ask(fake_telegram, "/help", OLGA, language_code="en-US")

    assert "Надішліть VIN" in text_of(german)
    assert text_of(unknown) == text_of(german)
    assert "Send me a VIN" in text_of(american)


async def test_lang_offers_the_languages_and_the_choice_survives_a_restart(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot():
        prompt = await ask(fake_telegram, "/lang", ALICE, language_code="en")
        message = fake_telegram.sent_messages(ALICE)[-1]

        assert text_of(prompt) == "Choose the language I answer you in:"
        assert buttons_of(message) == [
            ("✓ English", "lang:en"),
            ("Русский", "lang:ru"),
            ("Українська", "lang:uk"),
        ]

        fake_telegram.press_button(message, "lang:uk", language_code="en")
        await fake_telegram.wait_for("editMessageText")
        await fake_telegram.wait_for("answerCallbackQuery")

        edited = fake_telegram.sent_messages(ALICE)[-1]
        assert edited["text"] == "Готово: тепер я відповідатиму вам українською."
        assert "reply_markup" not in edited
        first = await ask(fake_telegram, SAMPLE_VIN, ALICE, language_code="en")

    async with run_bot():
        help_after_restart = await ask(fake_telegram, "/help", ALICE, language_code="en")
        again = await ask(fake_telegram, SAMPLE_VIN, ALICE, language_code="en")
        other_user = await ask(fake_telegram, "/help", BOB, language_code="en")

    assert "Історія аукціонів: 3 записи" in text_of(first)
    assert "Надішліть VIN" in text_of(help_after_restart)
    assert text_of(again) == text_of(first)
    assert "Send me a VIN" in text_of(other_user)
    assert fake_autoastat.request_count() == 1


async def test_lang_with_a_code_switches_at_once_and_back(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    russian = await ask(fake_telegram, "/lang ru", ALICE, language_code="uk")
    help_in_russian = await ask(fake_telegram, "/help", ALICE, language_code="uk")
    english = await ask(fake_telegram, "/lang EN", ALICE, language_code="uk")
    help_in_english = await ask(fake_telegram, "/help", ALICE, language_code="uk")
    unknown = await ask(fake_telegram, "/lang de", ALICE, language_code="uk")

    assert text_of(russian) == "Готово: теперь я буду отвечать вам по-русски."
    assert "Пришлите VIN" in text_of(help_in_russian)
    assert text_of(english) == "Done: I will answer you in English from now on."
    assert "Send me a VIN" in text_of(help_in_english)
    # An unknown code gets the buttons, in the language chosen last.
    assert text_of(unknown) == "Choose the language I answer you in:"
    assert fake_telegram.sent_messages(ALICE)[-1].get("reply_markup")


async def test_in_a_group_everyone_chooses_their_own_language(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    prompt = await ask(fake_telegram, "/lang", ALICE, chat_id=GROUP, language_code="en")
    message = fake_telegram.sent_messages(GROUP)[-1]
    assert "Everyone in the chat chooses their own" in text_of(prompt)
    assert prompt.params["reply_parameters"]["message_id"] is not None

    fake_telegram.press_button(message, "lang:ru", user_id=ALICE, language_code="en")
    fake_telegram.press_button(message, "lang:uk", user_id=BOB, language_code="en")
    answers = await fake_telegram.wait_for("answerCallbackQuery", count=2)

    assert {call.params["text"] for call in answers} == {
        "Готово: теперь я буду отвечать вам по-русски.",
        "Готово: тепер я відповідатиму вам українською.",
    }
    # The buttons stay for the rest of the group.
    assert len(buttons_of(fake_telegram.sent_messages(GROUP)[-1])) == 3
    assert fake_telegram.calls_to("editMessageText") == []

    alice = await ask(fake_telegram, f"/vin {SAMPLE_VIN}", ALICE, chat_id=GROUP)
    bob = await ask(fake_telegram, f"/vin {valid_vin(1)}", BOB, chat_id=GROUP)
    olga = await ask(fake_telegram, f"/vin {valid_vin(2)}", OLGA, chat_id=GROUP)

    assert "История аукционов: 3 записи" in text_of(alice)
    assert "Історія аукціонів: 3 записи" in text_of(bob)
    assert "3 auction records" in text_of(olga)


async def test_an_inline_answer_is_in_the_askers_language(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_telegram.send_text(SAMPLE_VIN, user_id=BOB)
    await fake_telegram.wait_for("sendMediaGroup")

    query_id = fake_telegram.inline_query(SAMPLE_VIN, user_id=ALICE, language_code="ru")
    answer = await fake_telegram.wait_for(
        "answerInlineQuery", lambda call: call.params["inline_query_id"] == query_id
    )

    article = answer[0].params["results"][0]
    assert article["title"] == f"2003 Ford · 3 продажи · 1{NBSP}750{NBSP}$"
    assert "История аукционов" in article["input_message_content"]["message_text"]


async def test_the_menus_offer_lang_in_every_language(
    bot: BotApplication, fake_telegram: FakeTelegram
) -> None:
    private = {"type": "all_private_chats"}
    groups = {"type": "all_group_chats"}
    expected = {"": "Choose the language", "ru": "Выбрать язык", "uk": "Вибрати мову"}

    for code, description in expected.items():
        for scope in (private, groups):
            commands = fake_telegram.my_commands(scope, language_code=code)
            assert {"command": "lang", "description": description} in commands


async def test_the_choice_is_read_from_the_database_once_per_user(
    run_bot: RunBot,
    fake_telegram: FakeTelegram,
    fake_autoastat: FakeAutoastat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[int] = []
    original = Storage.user_language

    async def counting(self: Storage, user_id: int) -> str | None:
        reads.append(user_id)
        return await original(self, user_id)

    monkeypatch.setattr(Storage, "user_language", counting)
    async with run_bot():
        for _ in range(3):
            await ask(fake_telegram, "/help", ALICE, language_code="en")
        await ask(fake_telegram, "/lang uk", ALICE, language_code="en")
        after = await ask(fake_telegram, "/help", ALICE, language_code="en")
        await ask(fake_telegram, "/help", BOB, language_code="en")

    assert "Надішліть VIN" in text_of(after)
    assert sorted(reads) == [ALICE, BOB]


# -- the stored choice --------------------------------------------------------------------


async def test_a_choice_is_stored_per_user_and_the_last_one_wins(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        assert await storage.user_language(ALICE) is None
        await storage.set_user_language(ALICE, "ru", now=100.0)
        await storage.set_user_language(ALICE, "uk", now=200.0)
        await storage.set_user_language(BOB, "en", now=300.0)

        assert await storage.user_language(ALICE) == "uk"
        assert await storage.user_language(BOB) == "en"
        assert await storage.user_language(OLGA) is None
    finally:
        await storage.close()


async def test_a_database_from_before_languages_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        for statement in MIGRATIONS[0]:
            db.execute(statement)
        db.execute("INSERT INTO history_cache VALUES ('V', 1.0, x'5b5d')")
        db.execute("PRAGMA user_version = 1")

    storage = await Storage.open(path)
    try:
        assert await storage.schema_version() == SCHEMA_VERSION
        assert await storage.cached_history("V", fetched_after=0) is not None
        await storage.set_user_language(ALICE, "uk", now=1.0)
        assert await storage.user_language(ALICE) == "uk"
    finally:
        await storage.close()
