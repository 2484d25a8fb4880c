"""The floor: a bare python-telegram-bot application that makes the bot's Telegram calls.

It answers every text message with a fixed text and an album of ten fixed photo URLs, the
very text and media the bot sent for the benchmark's VIN (captured by the fake), and does
nothing else. It is built with the PTB settings of :func:`bot.app.build_application` that
cost or save CPU per update: the same concurrency, the same rate limiter, the same parse mode
and link-preview options, and it is polled the same way (:func:`running`, a copy of
:func:`bot.app.running`). The ratio bot / floor is then the price of our own code, not of
the library or the limiter.

Nothing here imports the bot, so that the floor's memory is the library's alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from telegram import InputMediaPhoto, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ContextTypes,
    MessageHandler,
    filters,
)

# bot.app.CONCURRENT_UPDATES, repeated so that the floor imports nothing of the bot.
CONCURRENT_UPDATES = 64
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True)
class Reply:
    """What the floor sends to every message: the bot's summary text and album."""

    text: str
    photos: tuple[str, ...]
    caption: str

    @classmethod
    def from_media(cls, text: str, media: list[dict[str, Any]]) -> Reply:
        """From the ``media`` parameter of the bot's sendMediaGroup."""
        return cls(
            text=text,
            photos=tuple(str(item["media"]) for item in media),
            caption=str(media[0].get("caption", "")),
        )


class PassThroughLimiter(BaseRateLimiter[int]):
    """A rate limiter that limits nothing: for the runs labelled "without the limiter".

    Both the bot and the floor get it in those runs, so that they still go through the same
    ExtBot path; only the waiting is gone.
    """

    def __init__(self, max_retries: int = 0) -> None:
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Make the request at once."""
        return await callback(*args, **kwargs)


def build_floor(
    token: str, telegram_url: str, reply: Reply, *, limiter: bool
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The floor application, ready for :func:`bot.app.running`."""
    media = [
        InputMediaPhoto(url, caption=reply.caption if index == 0 else None, parse_mode="HTML")
        for index, url in enumerate(reply.photos)
    ]

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        await context.bot.send_message(
            message.chat_id, reply.text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        )
        await context.bot.send_media_group(message.chat_id, media)

    rate_limiter: BaseRateLimiter[Any] = (
        AIORateLimiter(max_retries=3) if limiter else PassThroughLimiter(max_retries=3)
    )
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{telegram_url}/bot")
        .base_file_url(f"{telegram_url}/file/bot")
        .concurrent_updates(CONCURRENT_UPDATES)
        .rate_limiter(rate_limiter)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, answer))
    return application


@asynccontextmanager
async def running(application: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Poll like :func:`bot.app.running` does (same order, same polling parameters)."""
    if application.updater is None:
        raise RuntimeError("the application was built without an updater")
    await application.initialize()
    try:
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        await application.start()
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()
    finally:
        await application.shutdown()
