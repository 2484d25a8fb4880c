"""Changes to the bot's own membership: added to a group, blocked or unblocked by a user."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import Application, ChatMemberHandler

from bot import replies
from bot.context import Context
from bot.handlers.language import translator_for
from bot.handlers.sending import send_text

ABSENT = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}
PRESENT = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR}


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the handler of the bot's membership changes."""
    application.add_handler(
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )


async def membership_changed(update: Update, context: Context) -> None:
    """Introduce the bot to a group that added it; note a user blocking or unblocking it."""
    change = update.my_chat_member
    if change is None:
        return
    before, after = change.old_chat_member.status, change.new_chat_member.status
    storage = context.bot_data.services.storage
    if change.chat.type == "private":
        # In a private chat, "banned" is how Telegram reports that the user blocked the bot.
        if after == ChatMemberStatus.BANNED:
            await storage.mark_unreachable(change.chat.id, now=context.bot_data.services.clock())
        elif after in PRESENT:
            await storage.mark_reachable(change.chat.id)
        return
    if before in ABSENT and after in PRESENT:
        t = await translator_for(change.from_user, context)
        await send_text(
            context.bot, change.chat.id, replies.group_welcome(context.bot.username, t)
        )
