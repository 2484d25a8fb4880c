"""Group chats: ``/vin``, mentions, replies to the bot, and plain VINs when it sees them.

With privacy mode on (Telegram's default) the bot only receives commands
addressed to it, mentions and replies to its own messages; with it off, or as
an admin, it sees everything. Either way a message is answered only when it
holds a VIN, so the bot never chimes in on ordinary talk. Every answer replies
to the message that asked, and the asker's own quota pays for it.
"""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.ext import (
    Application,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import replies
from bot.context import Context
from bot.handlers.delivery import answer_vins
from bot.handlers.language import translator_for
from bot.handlers.sending import send_text
from bot.vin import find_vins

GROUPS = filters.ChatType.GROUPS


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the group handlers (``/vin`` works in private chats too)."""
    application.add_handler(CommandHandler("vin", vin_command))
    application.add_handler(CommandHandler(["help", "start"], group_help, filters=GROUPS))
    application.add_handler(
        MessageHandler(
            GROUPS
            & filters.UpdateType.MESSAGE
            & (filters.TEXT | filters.CAPTION)
            & ~filters.COMMAND,
            group_message,
        )
    )


async def vin_command(update: Update, context: Context) -> None:
    """``/vin <VIN>``: look it up, or explain the command when no VIN follows."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    vins = find_vins(" ".join(context.args or ()))
    in_group = message.chat.type != "private"
    reply_to = message.message_id if in_group else None
    if not vins:
        t = await translator_for(user, context)
        await send_text(context.bot, message.chat_id, replies.vin_usage(t), reply_to)
        return
    await answer_vins(
        context,
        chat_id=message.chat_id,
        user=user,
        vins=vins,
        reply_to=reply_to,
        in_group=in_group,
    )


async def group_help(update: Update, context: Context) -> None:
    """What the bot does in a group and how to ask it."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    t = await translator_for(user, context)
    username = context.bot.username
    await send_text(
        context.bot, message.chat_id, replies.group_help(username, t), message.message_id
    )


async def group_message(update: Update, context: Context) -> None:
    """Answer a group message that holds a VIN; stay silent on any other."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or user.is_bot:
        return
    vins = find_vins(message.text or message.caption or "")
    if vins:
        await answer_vins(
            context,
            chat_id=message.chat_id,
            user=user,
            vins=vins,
            reply_to=message.message_id,
            in_group=True,
        )
    elif _addresses_the_bot(message, context):
        t = await translator_for(user, context)
        await send_text(context.bot, message.chat_id, replies.vin_usage(t), message.message_id)


def _addresses_the_bot(message: Message, context: Context) -> bool:
    """A mention of the bot, or a reply to one of its messages."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user and replied.from_user.id == context.bot.id:
        return True
    mentions = message.parse_entities([MessageEntity.MENTION]) or message.parse_caption_entities(
        [MessageEntity.MENTION]
    )
    wanted = f"@{context.bot.username}".lower()
    return any(text.lower() == wanted for text in mentions.values())
