"""The command menus Telegram shows, per kind of chat and per language."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError

from bot.i18n import Catalogues, Translator

logger = logging.getLogger(__name__)


def private_commands(t: Translator) -> list[BotCommand]:
    """What works in a private chat with the bot."""
    return [
        BotCommand("start", t.gettext("What this bot does")),
        BotCommand("help", t.gettext("How to use it and lookups left")),
        BotCommand("lang", t.gettext("Choose the language")),
    ]


def group_commands(t: Translator) -> list[BotCommand]:
    """What works in a group the bot is in."""
    return [
        BotCommand("vin", t.gettext("Look up a VIN: /vin 1FMZU73K83ZB53903")),
        BotCommand("help", t.gettext("How to use the bot here")),
        BotCommand("lang", t.gettext("Choose the language")),
    ]


async def publish_commands(bot: Bot, catalogues: Catalogues) -> None:
    """Set the menus for every language; a failure must not keep the bot from starting."""
    default = catalogues.translator(None)
    languages = [(None, default)] + [
        (language, catalogues.translator(language))
        for language in catalogues.languages
        if language != catalogues.default
    ]
    try:
        for language, t in languages:
            code = language or ""
            await bot.set_my_commands(
                private_commands(t), scope=BotCommandScopeAllPrivateChats(), language_code=code
            )
            await bot.set_my_commands(
                group_commands(t), scope=BotCommandScopeAllGroupChats(), language_code=code
            )
    except TelegramError as error:
        logger.warning("could not set the command menus: %s", error)
