"""Sending messages: the one way the bot writes HTML text into a chat."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    reply_to: int | None = None,
    *,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """An HTML message without link previews."""
    await bot.send_message(
        chat_id,
        text,
        parse_mode=ParseMode.HTML,
        link_preview_options=NO_PREVIEW,
        reply_parameters=reply_parameters(reply_to),
        reply_markup=markup,
    )


def reply_parameters(message_id: int | None) -> ReplyParameters | None:
    """A reply to the message, or None for a plain message."""
    if message_id is None:
        return None
    # The asking message may be deleted meanwhile; the answer is still wanted.
    return ReplyParameters(message_id, allow_sending_without_reply=True)
