"""Answering VINs in a chat: the steps every chat surface shares.

A handler finds the VINs, then calls :func:`answer_vins`; everything from the
per-message limit to the album lives here, so private chats and groups answer
alike.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from contextlib import suppress

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    User,
)
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot import render, replies
from bot.context import Context, Services
from bot.flood import Verdict
from bot.handlers.album import send_album
from bot.handlers.language import translator_for
from bot.handlers.sending import send_text
from bot.i18n import Translator
from bot.lookup import Failed, Found, Refused, Source
from bot.vin import decode, looks_mistyped

logger = logging.getLogger(__name__)

LOOKUP_ANYWAY_PREFIX = "vin:"
QUEUE_PREFIX = "queue:"
TYPING_REFRESH = 4.5
# In a group the same VIN's photos are posted once in this long; the summary
# is always answered.
GROUP_ALBUM_WINDOW = 15 * 60


async def answer_vins(
    context: Context,
    *,
    chat_id: int,
    user: User,
    vins: Sequence[str],
    reply_to: int | None = None,
    in_group: bool = False,
) -> None:
    """Answer each VIN found in one message, up to the per-message limit."""
    t = await translator_for(user, context)
    limit = context.bot_data.services.settings.max_vins_per_message
    for found_vin in vins[:limit]:
        if looks_mistyped(found_vin):
            await ask_to_confirm(context.bot, chat_id, found_vin, t, reply_to)
        else:
            await answer_vin(
                context,
                chat_id=chat_id,
                user=user,
                vin=found_vin,
                reply_to=reply_to,
                in_group=in_group,
            )
    if len(vins) > limit:
        await send_text(context.bot, chat_id, replies.skipped(vins[limit:], t), reply_to)


async def ask_to_confirm(
    bot: Bot, chat_id: int, mistyped_vin: str, t: Translator, reply_to: int | None
) -> None:
    """Say the VIN looks mistyped and offer to look it up all the same."""
    button = InlineKeyboardButton(
        replies.look_up_anyway(t), callback_data=f"{LOOKUP_ANYWAY_PREFIX}{mistyped_vin}"
    )
    await send_text(
        bot,
        chat_id,
        replies.mistyped(mistyped_vin, t),
        reply_to,
        markup=InlineKeyboardMarkup([[button]]),
    )


async def answer_vin(
    context: Context,
    *,
    chat_id: int,
    user: User,
    vin: str,
    reply_to: int | None = None,
    in_group: bool = False,
    refresh: bool = False,
) -> None:
    """Look one VIN up and send its summary and album, or say why not.

    `refresh` asks the API even when the cache has the VIN (admins only).
    """
    bot = context.bot
    services = context.bot_data.services
    t = await translator_for(user, context)
    match services.flood.check(user.id):
        case Verdict.WARN:
            await send_text(bot, chat_id, replies.slow_down(t), reply_to)
            return
        case Verdict.DROP:
            return

    async def tell_retrying(delay: float) -> None:
        await send_text(bot, chat_id, replies.retrying(vin, delay, t), reply_to)

    typing = Typing(bot, chat_id)
    try:
        outcome = await services.lookups.lookup(
            vin, user.id, on_retry=tell_retrying, on_wait=typing.start, refresh=refresh
        )
    finally:
        await typing.stop()

    match outcome:
        case Found():
            with_album = not in_group or _group_album_due(context, vin)
            await send_history(
                bot,
                chat_id,
                vin,
                outcome,
                t,
                reply_to,
                services=services,
                with_album=with_album,
            )
        case Refused():
            # The hour's budget frees for everyone at once: offer to wait in line.
            # A spent daily quota frees only for this user, so there is nothing to queue.
            queueable = outcome.refusal.limit in ("budget", "paused")
            button = InlineKeyboardButton(
                replies.queue_button(t), callback_data=f"{QUEUE_PREFIX}{vin}"
            )
            await send_text(
                bot,
                chat_id,
                replies.refusal(outcome.refusal, services.clock(), t),
                reply_to,
                markup=InlineKeyboardMarkup([[button]]) if queueable else None,
            )
        case Failed():
            await send_text(bot, chat_id, replies.failure(outcome.error, t), reply_to)


def _group_album_due(context: Context, vin: str) -> bool:
    """Whether this group has not seen the VIN's photos lately; notes that it now has."""
    if context.chat_data is None:
        return True
    now = time.monotonic()
    posted: dict[str, float] = context.chat_data.setdefault("albums_posted", {})
    if now - posted.get(vin, -GROUP_ALBUM_WINDOW) < GROUP_ALBUM_WINDOW:
        return False
    posted[vin] = now
    return True


async def send_history(
    bot: Bot,
    chat_id: int,
    vin: str,
    found: Found,
    t: Translator,
    reply_to: int | None,
    *,
    services: Services,
    with_album: bool = True,
) -> None:
    """The summary message, then the album of the newest sale's photos."""
    demo = found.source is Source.DEMO
    text = render.summary(vin, decode(vin), found.history, t, demo=demo)
    await send_text(bot, chat_id, text, reply_to)

    album = render.album(vin, found.history, t, demo=demo) if with_album else None
    if album is None:
        return
    # The summary is already there; the photos are a bonus that may fail, and no
    # failure of theirs may take the answer down with it.
    try:
        sent = await send_album(bot, chat_id, album, reply_to, services=services)
    except TelegramError as error:
        logger.warning("album for %s refused: %s", vin, error)
        sent = False
    except Exception:
        # Not a Telegram refusal: a bug or the database. The traceback goes to the log.
        logger.exception("album for %s failed", vin)
        sent = False
    if not sent:
        await send_text(bot, chat_id, replies.photos_failed(t), reply_to)


class Typing:
    """Shows "typing…" in a chat from :meth:`start` until :meth:`stop`.

    Started only when an answer has to wait for the API: a cached one comes at
    once and needs no chat action (nor the request to Telegram it costs).
    """

    def __init__(self, bot: Bot, chat_id: int) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin showing the action (again calls change nothing)."""
        if self._task is None:
            self._task = asyncio.create_task(
                self._keep_typing(), name=f"typing in {self._chat_id}"
            )

    async def stop(self) -> None:
        """Stop showing the action."""
        if self._task is None:
            return
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task

    async def _keep_typing(self) -> None:
        # Telegram shows a chat action for about five seconds.
        while True:
            with suppress(TelegramError):
                await self._bot.send_chat_action(self._chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_REFRESH)
