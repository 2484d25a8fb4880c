"""Who may use the bot: everyone, or an allowlist of users and chats; never the blocked.

Runs before every other handler. A refused user or chat is told once, politely,
per run of the bot, and then ignored, so a stranger cannot make the bot talk.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot import inline_results, replies
from bot.config import Settings
from bot.context import Context
from bot.handlers.language import translator_for
from bot.handlers.sending import send_text

logger = logging.getLogger(__name__)

# Handler groups run in ascending order; the gate must come first.
GATE_GROUP = -1


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Install the gate in front of every handler."""
    application.add_handler(TypeHandler(Update, gate), group=GATE_GROUP)


def is_allowed(settings: Settings, user_id: int | None, chat_id: int | None) -> bool:
    """Whether this user, in this chat, may use the bot."""
    if settings.access == "public":
        return True
    if user_id is not None and (
        user_id in settings.allowed_user_ids or user_id in settings.admin_ids
    ):
        return True
    return chat_id is not None and chat_id in settings.allowed_chat_ids


async def gate(update: Update, context: Context) -> None:
    """Let the update through, or refuse it once and stop it."""
    services = context.bot_data.services
    user, chat = update.effective_user, update.effective_chat
    blocked = user is not None and user.id in services.blocked
    allowed = is_allowed(services.settings, user.id if user else None, chat.id if chat else None)
    if allowed and not blocked:
        return
    refused = services.refused_once
    # A blocked user is refused wherever they write; an unlisted chat once per chat.
    key = user.id if blocked and user else chat.id if chat else user.id if user else 0
    if key not in refused:
        refused.add(key)
        logger.info("access refused to user %s in chat %s", user.id if user else "-", key)
        t = await translator_for(user, context)
        if update.inline_query is not None:
            notice = inline_results.notice(
                "private", replies.not_allowed(t), replies.not_allowed(t)
            )
            await update.inline_query.answer([notice], is_personal=True, cache_time=60)
        elif chat is not None and update.effective_message is not None:
            await send_text(context.bot, chat.id, replies.not_allowed(t))
    raise ApplicationHandlerStop
