"""Queueing lookups the hour's budget refused: the button, ``/queue``, cancelling."""

from __future__ import annotations

import logging
from contextlib import suppress

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import replies
from bot.context import Context, Services
from bot.handlers.delivery import QUEUE_PREFIX, send_history
from bot.handlers.language import translator_for
from bot.handlers.sending import send_text
from bot.lookup import Failed, Found, Outcome, Refused
from bot.queue import Deliver
from bot.storage import QueuedLookup
from bot.vin import find_vins

logger = logging.getLogger(__name__)

CANCEL_PREFIX = "unqueue:"


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the queue's button handlers and ``/queue``."""
    application.add_handler(CallbackQueryHandler(queue_lookup, pattern=f"^{QUEUE_PREFIX}"))
    application.add_handler(CallbackQueryHandler(cancel_lookup, pattern=f"^{CANCEL_PREFIX}"))
    application.add_handler(CommandHandler("queue", show_queue))


async def queue_lookup(update: Update, context: Context) -> None:
    """The user pressed "Queue it" under a budget refusal."""
    query = update.callback_query
    if query is None or query.data is None or not isinstance(query.message, Message):
        return
    await query.answer()
    # Callback data comes back from the client: trust it no more than a message.
    vins = find_vins(query.data.removeprefix(QUEUE_PREFIX))
    if not vins:
        return
    t = await translator_for(query.from_user, context)
    message = query.message
    queue = context.bot_data.services.queue
    place = await queue.add(
        user_id=query.from_user.id,
        chat_id=message.chat_id,
        vin=vins[0],
        language=t.language,
        reply_to=message.message_id if message.chat.type != "private" else None,
    )
    with suppress(BadRequest):  # the button may be gone already
        await query.edit_message_reply_markup(reply_markup=None)
    text = (
        replies.queue_full(queue.per_user, t)
        if place is None
        else replies.queued(vins[0], place, t)
    )
    await send_text(context.bot, message.chat_id, text)


async def show_queue(update: Update, context: Context) -> None:
    """/queue: what the user has waiting, each with a button to cancel it."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    t = await translator_for(user, context)
    waiting = await context.bot_data.services.storage.queued_for(user.id)
    buttons = [
        [
            InlineKeyboardButton(
                replies.cancel_button(queued.vin, t), callback_data=f"{CANCEL_PREFIX}{queued.id}"
            )
        ]
        for queued in waiting
    ]
    await send_text(
        context.bot,
        chat.id,
        replies.queue_list([queued.vin for queued in waiting], t),
        markup=InlineKeyboardMarkup(buttons) if buttons else None,
    )


async def cancel_lookup(update: Update, context: Context) -> None:
    """The user cancelled one of their queued lookups."""
    query = update.callback_query
    if query is None or query.data is None or not isinstance(query.message, Message):
        return
    await query.answer()
    raw_id = query.data.removeprefix(CANCEL_PREFIX)
    if not raw_id.isdigit():
        return
    storage = context.bot_data.services.storage
    mine = {queued.id: queued.vin for queued in await storage.queued_for(query.from_user.id)}
    queued_id = int(raw_id)
    # Only the user's own lookups: the id in the button could have been forged.
    if queued_id not in mine or not await storage.dequeue(queued_id, user_id=query.from_user.id):
        return
    t = await translator_for(query.from_user, context)
    await send_text(context.bot, query.message.chat_id, replies.cancelled(mine[queued_id], t))


def deliverer(bot: Bot, services: Services) -> Deliver:
    """How the queue's worker answers into the chat that asked."""

    async def deliver(queued: QueuedLookup, outcome: Outcome) -> None:
        t = services.catalogues.translator(queued.language)
        match outcome:
            case Found():
                await send_history(
                    bot,
                    queued.chat_id,
                    queued.vin,
                    outcome,
                    t,
                    queued.reply_to,
                    services=services,
                )
            case Refused():
                text = replies.refusal(outcome.refusal, services.clock(), t)
                await send_text(bot, queued.chat_id, text, queued.reply_to)
            case Failed():
                text = replies.failure(outcome.error, t)
                await send_text(bot, queued.chat_id, text, queued.reply_to)

    return deliver
