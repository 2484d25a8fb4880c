"""Private chats: /start, /help, any text with a VIN, and the "look it up anyway" button."""

from __future__ import annotations

from contextlib import suppress

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import replies, vin
from bot.context import Context
from bot.handlers.delivery import LOOKUP_ANYWAY_PREFIX, answer_vin, answer_vins
from bot.handlers.language import translator_for
from bot.handlers.sending import send_text

PRIVATE = filters.ChatType.PRIVATE


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the private-chat handlers to the application."""
    application.add_handler(CommandHandler("start", start, filters=PRIVATE))
    application.add_handler(CommandHandler("help", help_command, filters=PRIVATE))
    application.add_handler(
        MessageHandler(
            PRIVATE
            & filters.UpdateType.MESSAGE
            & (filters.TEXT | filters.CAPTION)
            & ~filters.COMMAND,
            vin_message,
        )
    )
    application.add_handler(
        CallbackQueryHandler(look_up_anyway, pattern=f"^{LOOKUP_ANYWAY_PREFIX}")
    )


async def start(update: Update, context: Context) -> None:
    """Greet the user, or look up the VIN a deep link carries (``/start <VIN>``)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    vins = vin.find_vins(" ".join(context.args or ()))
    if vins:
        await answer_vins(context, chat_id=message.chat_id, user=user, vins=vins)
        return
    await help_command(update, context)


async def help_command(update: Update, context: Context) -> None:
    """Explain the bot and how many lookups the user has left."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    t = await translator_for(user, context)
    status = await context.bot_data.services.limits.quota_status(user.id)
    settings = context.bot_data.services.settings
    text = replies.help_text(status, settings.max_vins_per_message, context.bot.username, t)
    await send_text(context.bot, message.chat_id, text)


async def vin_message(update: Update, context: Context) -> None:
    """Answer every VIN in a message, or explain what a VIN looks like."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    vins = vin.find_vins(message.text or message.caption or "")
    if not vins:
        await send_text(
            context.bot, message.chat_id, replies.no_vin(await translator_for(user, context))
        )
        return
    await answer_vins(context, chat_id=message.chat_id, user=user, vins=vins)


async def look_up_anyway(update: Update, context: Context) -> None:
    """The user confirmed a VIN that failed its check digit: look it up."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    # Callback data comes back from the client: trust it no more than a message.
    found = vin.find_vins(query.data.removeprefix(LOOKUP_ANYWAY_PREFIX))
    await query.answer()
    if not found or not isinstance(query.message, Message):
        return
    # The button has done its job; a second press must not spend a second lookup.
    with suppress(BadRequest):  # already removed by an earlier press
        await query.edit_message_reply_markup(reply_markup=None)
    await answer_vin(context, chat_id=query.message.chat_id, user=query.from_user, vin=found[0])
