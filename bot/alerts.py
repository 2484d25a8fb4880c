"""Messages to the operators (``ADMIN_IDS``) about trouble only they can fix."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.i18n import Translator

logger = logging.getLogger(__name__)


async def tell_admins(bot: Bot, admin_ids: frozenset[int], text: str) -> None:
    """Send the text to every admin; one who cannot be reached does not stop the rest."""
    for admin in sorted(admin_ids):
        try:
            await bot.send_message(admin, text, parse_mode=ParseMode.HTML)
        except TelegramError as error:
            logger.warning("could not alert admin %d: %s", admin, error)


def token_rejected(t: Translator) -> str:
    """The alert for a token the API no longer accepts."""
    return t.gettext(
        "autoAstat refuses the API token (HTTP 401/403): every lookup fails until it is "
        "fixed. Check AUTOASTAT_TOKEN and the subscription, then restart the bot. "
        "Users are told the service is temporarily unavailable."
    )
