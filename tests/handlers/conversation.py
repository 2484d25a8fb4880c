"""Talking to the bot through the fake Telegram: send a message, wait for its answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakes.telegram import Call, FakeTelegram

Predicate = Callable[[Call], bool]


def text_of(call: Call) -> str:
    """The text a sendMessage call carried."""
    return str(call.params.get("text", ""))


def to_chat(chat_id: int) -> Predicate:
    """A predicate: the call went to this chat."""

    def predicate(call: Call) -> bool:
        return int(call.params.get("chat_id", 0)) == chat_id

    predicate.__name__ = f"to_chat({chat_id})"
    return predicate


def delivered_to(chat_id: int) -> Predicate:
    """A predicate: Telegram accepted the call, and it went to this chat."""
    in_chat = to_chat(chat_id)

    def predicate(call: Call) -> bool:
        return call.ok and in_chat(call)

    predicate.__name__ = f"delivered_to({chat_id})"
    return predicate


def containing(fragment: str, chat_id: int | None = None) -> Predicate:
    """A predicate: a message (to this chat) whose text contains the fragment."""

    def predicate(call: Call) -> bool:
        in_chat = chat_id is None or int(call.params.get("chat_id", 0)) == chat_id
        return in_chat and fragment in text_of(call)

    predicate.__name__ = f"containing({fragment!r})"
    return predicate


async def ask(
    telegram: FakeTelegram, text: str, user_id: int, *, chat_id: int | None = None, **kwargs: Any
) -> Call:
    """Write to the bot (in a private chat, or in the group `chat_id`); its next accepted message.

    A message Telegram refused (bad HTML, too long) is not an answer: the wait goes
    on, and a test expecting an answer fails with the list of calls.
    """
    chat = user_id if chat_id is None else chat_id
    received = delivered_to(chat)
    already = len([call for call in telegram.calls_to("sendMessage") if received(call)])
    if chat_id is not None:
        kwargs.setdefault("chat_type", "group")
    telegram.send_text(text, user_id=user_id, chat_id=chat_id, **kwargs)
    calls = await telegram.wait_for("sendMessage", received, count=already + 1)
    return calls[already]
