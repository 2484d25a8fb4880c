"""Which language to answer a user in, and ``/lang`` to choose it.

A user's own choice comes first, then the language Telegram reports for them,
then ``DEFAULT_LANGUAGE``. The choice is per person, so in a group everyone is
answered in their own language.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import Context, Services
from bot.i18n import Catalogues, Translator

logger = logging.getLogger(__name__)

CHOOSE_PREFIX = "lang:"


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add ``/lang`` (private chats and groups) and its buttons."""
    application.add_handler(CommandHandler("lang", lang_command))
    application.add_handler(CallbackQueryHandler(choose, pattern=f"^{CHOOSE_PREFIX}"))


async def translator_for(user: User | None, context: Context) -> Translator:
    """The language to answer this user in: their choice, Telegram's, or the default."""
    services = context.bot_data.services
    catalogues = services.catalogues
    if user is None:
        return catalogues.translator(None)
    chosen = await chosen_language(services, user.id)
    if chosen in catalogues:
        return catalogues.translator(chosen)
    # A choice whose catalogue is gone falls back as if there were none.
    return catalogues.translator(user.language_code)


async def chosen_language(services: Services, user_id: int) -> str | None:
    """The language the user chose with /lang, or None."""
    choices = services.chosen_languages
    if user_id in choices:
        return choices[user_id]
    stored = await services.storage.user_language(user_id)
    # A choice made while the database was being read is newer than what it said.
    return choices.setdefault(user_id, stored)


async def set_language(services: Services, user_id: int, language: str) -> None:
    """Keep the user's choice in the database and in memory."""
    await services.storage.set_user_language(user_id, language, now=services.clock())
    services.chosen_languages[user_id] = language


def keyboard(catalogues: Catalogues, current: str) -> InlineKeyboardMarkup:
    """One button per language, each named in itself; the current one is ticked."""
    buttons = []
    for language in catalogues.languages:
        name = catalogues.translator(language).language_name
        label = f"✓ {name}" if language == current else name
        buttons.append(InlineKeyboardButton(label, callback_data=f"{CHOOSE_PREFIX}{language}"))
    return InlineKeyboardMarkup([buttons])


def prompt(t: Translator, *, in_group: bool) -> str:
    """The question above the language buttons."""
    if in_group:
        return t.gettext(
            "Choose the language I answer you in. Everyone in the chat chooses their own."
        )
    return t.gettext("Choose the language I answer you in:")


def confirmation(t: Translator) -> str:
    """Said in the newly chosen language; each catalogue names its own language here."""
    return t.gettext("Done: I will answer you in English from now on.")


async def lang_command(update: Update, context: Context) -> None:
    """Offer the languages as buttons, or switch at once with ``/lang uk``."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    catalogues = context.bot_data.services.catalogues
    in_group = message.chat.type != ChatType.PRIVATE
    reply = ReplyParameters(message.message_id, allow_sending_without_reply=True)
    reply_parameters = reply if in_group else None

    wanted = context.args[0].lower() if context.args else None
    if wanted is not None and wanted in catalogues:
        t = await _switch(user, wanted, context)
        await context.bot.send_message(
            message.chat_id, confirmation(t), reply_parameters=reply_parameters
        )
        return

    t = await translator_for(user, context)
    await context.bot.send_message(
        message.chat_id,
        prompt(t, in_group=in_group),
        reply_markup=keyboard(catalogues, t.language),
        reply_parameters=reply_parameters,
    )


async def choose(update: Update, context: Context) -> None:
    """A language button was pressed: the choice is the presser's, whoever asked."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    language = query.data.removeprefix(CHOOSE_PREFIX)
    if language not in context.bot_data.services.catalogues:
        # A button left from a version that shipped another language.
        await query.answer()
        return
    t = await _switch(query.from_user, language, context)
    message = query.message
    if isinstance(message, Message) and message.chat.type == ChatType.PRIVATE:
        await query.answer()
        # The question is answered: it becomes the confirmation, without buttons.
        with suppress(BadRequest):  # a second press before the first edit arrived
            await query.edit_message_text(confirmation(t))
        return
    # In a group the buttons stay for the others; only the presser is told.
    await query.answer(confirmation(t))


async def _switch(user: User, language: str, context: Context) -> Translator:
    services = context.bot_data.services
    await set_language(services, user.id, language)
    logger.info("user %d chose the language %s", user.id, language)
    return services.catalogues.translator(language)
