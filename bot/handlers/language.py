"""Which language to answer a user in."""

from __future__ import annotations

from telegram import User

from bot.context import Context
from bot.i18n import Translator


async def translator_for(user: User | None, context: Context) -> Translator:
    """The language to answer this user in: the one Telegram reports, or the default."""
    catalogues = context.bot_data.services.catalogues
    return catalogues.translator(user.language_code if user else None)
