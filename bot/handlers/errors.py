"""The last line of defence: an error in a handler is logged and apologised for."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from bot import replies
from bot.context import Context
from bot.handlers.language import translator_for
from bot.handlers.sending import send_text

logger = logging.getLogger(__name__)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Install the error handler."""
    application.add_error_handler(on_error)


async def on_error(update: object, context: Context) -> None:
    """Log the failure once, with what it was handling, and apologise to the chat."""
    if not isinstance(update, Update):
        logger.error("error outside an update", exc_info=context.error)
        return
    logger.error(
        "error handling update %d (chat %s, user %s)",
        update.update_id,
        update.effective_chat.id if update.effective_chat else "-",
        update.effective_user.id if update.effective_user else "-",
        exc_info=context.error,
    )
    chat = update.effective_chat
    if chat is None:
        return
    if isinstance(context.error, Forbidden):
        # The user blocked the bot: an apology would be refused too.
        await context.bot_data.services.storage.mark_unreachable(
            chat.id, now=context.bot_data.services.clock()
        )
        return
    try:
        t = await translator_for(update.effective_user, context)
        await send_text(context.bot, chat.id, replies.apology(t))
    except TelegramError:
        logger.warning("could not apologise in chat %d", chat.id)
