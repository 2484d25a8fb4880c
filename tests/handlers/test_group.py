"""Group chats against the fake Telegram and autoAstat servers."""

from __future__ import annotations

from typing import Any

from bot.app import BotApplication
from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import DEFAULT_GROUP_ID, Call, FakeTelegram
from tests.handlers.conftest import RunBot
from tests.vins import SAMPLE_VIN, valid_vin

GROUP = DEFAULT_GROUP_ID
ALICE, BOB = 1001, 1002


def say(telegram: FakeTelegram, text: str, user_id: int = ALICE, **kwargs: Any) -> int:
    """A group member writes; returns the message id."""
    update = telegram.send_text(text, user_id=user_id, chat_id=GROUP, chat_type="group", **kwargs)
    message_id: int = update["message"]["message_id"]
    return message_id


def replied_to(call: Call) -> int | None:
    reply = call.params.get("reply_parameters")
    return None if reply is None else int(reply["message_id"])


async def test_vin_command_with_and_without_the_bots_name(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    first = say(fake_telegram, f"/vin {SAMPLE_VIN}")
    second = say(fake_telegram, f"/vin@VinHistoryBot {valid_vin(1)}", user_id=BOB)

    answers = await fake_telegram.wait_for("sendMessage", count=2)

    assert {replied_to(call) for call in answers} == {first, second}
    assert all(int(call.params["chat_id"]) == GROUP for call in answers)
    assert all("auction records" in call.params["text"] for call in answers)
    albums = await fake_telegram.wait_for("sendMediaGroup", count=2)
    assert {replied_to(call) for call in albums} == {first, second}


async def test_a_command_for_another_bot_is_ignored(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    say(fake_telegram, f"/vin@OtherBot {SAMPLE_VIN}")
    marker = say(fake_telegram, "/vin")

    usage = await fake_telegram.wait_for("sendMessage")

    assert replied_to(usage[0]) == marker
    assert "Put the VIN after the command" in usage[0].params["text"]
    assert len(fake_telegram.calls_to("sendMessage")) == 1
    assert fake_autoastat.request_count() == 0


async def test_a_plain_group_message_without_a_vin_gets_no_answer(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    say(fake_telegram, "anyone selling a 2019 Camry? 1500 miles, like new")
    asking = say(fake_telegram, f"what about {SAMPLE_VIN}?", user_id=BOB)

    answer = await fake_telegram.wait_for("sendMessage")

    # Updates are handled in order of arrival, so the first message was seen and skipped.
    assert len(fake_telegram.calls_to("sendMessage")) == 1
    assert replied_to(answer[0]) == asking
    assert "3 auction records" in answer[0].params["text"]


async def test_a_mention_and_a_reply_to_the_bot_are_answered(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    mention = say(
        fake_telegram,
        f"@VinHistoryBot {SAMPLE_VIN}",
        entities=[{"type": "mention", "offset": 0, "length": 14}],
    )
    await fake_telegram.wait_for("sendMessage")
    bots_message = fake_telegram.sent_messages(GROUP)[0]
    reply = say(fake_telegram, valid_vin(3), user_id=BOB, reply_to_message=bots_message)

    answers = await fake_telegram.wait_for("sendMessage", count=2)

    assert [replied_to(call) for call in answers] == [mention, reply]


async def test_a_mention_without_a_vin_explains_the_command(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    asking = say(
        fake_telegram,
        "@VinHistoryBot hi",
        entities=[{"type": "mention", "offset": 0, "length": 14}],
    )

    answer = await fake_telegram.wait_for("sendMessage")

    assert replied_to(answer[0]) == asking
    assert "/vin" in answer[0].params["text"]


async def test_the_quota_is_charged_to_the_person_who_asked(
    run_bot: RunBot, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    async with run_bot(user_daily_quota=1):
        say(fake_telegram, f"/vin {valid_vin(1)}", user_id=ALICE)
        await fake_telegram.wait_for("sendMessage", count=1)
        say(fake_telegram, f"/vin {valid_vin(2)}", user_id=ALICE)
        await fake_telegram.wait_for("sendMessage", count=2)
        say(fake_telegram, f"/vin {valid_vin(3)}", user_id=BOB)
        answers = await fake_telegram.wait_for("sendMessage", count=3)

    texts = [call.params["text"] for call in answers]
    assert "auction records" in texts[0]
    assert "used all your fresh lookups" in texts[1]
    assert "auction records" in texts[2]
    assert fake_autoastat.request_count() == 2


async def test_a_vin_asked_again_in_the_group_gets_no_second_album(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    say(fake_telegram, f"/vin {SAMPLE_VIN}")
    await fake_telegram.wait_for("sendMediaGroup")
    say(fake_telegram, f"/vin {SAMPLE_VIN}", user_id=BOB)
    await fake_telegram.wait_for("sendMessage", count=2)
    # A private ask still gets its album.
    fake_telegram.send_text(SAMPLE_VIN, user_id=BOB)
    await fake_telegram.wait_for("sendMediaGroup", count=2)

    albums = fake_telegram.calls_to("sendMediaGroup")
    assert [int(call.params["chat_id"]) for call in albums] == [GROUP, BOB]


async def test_the_bot_introduces_itself_when_added_to_a_group(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    fake_telegram.add_member(GROUP)

    hello = await fake_telegram.wait_for("sendMessage")

    assert int(hello[0].params["chat_id"]) == GROUP
    assert "/vin" in hello[0].params["text"]
    assert len(fake_telegram.calls_to("sendMessage")) == 1


async def test_command_menus_are_set_per_chat_kind(
    bot: BotApplication, fake_telegram: FakeTelegram
) -> None:
    private = fake_telegram.my_commands({"type": "all_private_chats"})
    groups = fake_telegram.my_commands({"type": "all_group_chats"})

    assert {command["command"] for command in private} >= {"start", "help"}
    assert {command["command"] for command in groups} >= {"vin", "help"}
    assert "vin" not in {command["command"] for command in private}
