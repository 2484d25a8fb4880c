"""Sending a VIN's photos, uploading them when Telegram cannot fetch the URLs.

Photos uploaded once go by their file_id ever after; the rest by URL. When
Telegram cannot fetch a URL (or no longer knows a file_id), the bot downloads
the photos itself (see :mod:`bot.photos`), uploads the bytes and keeps the
file_ids Telegram gives back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot, InputMediaPhoto, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import render
from bot.context import Services
from bot.handlers.sending import reply_parameters
from bot.photos import download_photos

logger = logging.getLogger(__name__)


async def send_album(
    bot: Bot,
    chat_id: int,
    album: render.Album,
    reply_to: int | None,
    *,
    services: Services,
) -> bool:
    """Send the album, uploading the photos Telegram cannot fetch; False if none could go.

    Photos uploaded before go by their file_id, the rest by URL. When Telegram cannot
    fetch a URL (or no longer knows a file_id), the bot downloads the photos itself,
    uploads the bytes, and keeps the file_ids Telegram gives for next time.
    """
    urls = list(album.photos)
    known = await _known_file_ids(services, urls)
    try:
        await _send_photos(bot, chat_id, album.caption, [known.get(u, u) for u in urls], reply_to)
        return True
    except BadRequest as error:
        if not _telegram_cannot_fetch(error):
            raise
        logger.info(
            "Telegram could not take the photos by URL or file_id (%s); uploading %d of them",
            error.message,
            len(urls),
        )

    photos = await download_photos(services.http, urls)
    if not photos:
        logger.warning("none of the %d photos could be downloaded either", len(urls))
        return False
    messages = await _send_photos(bot, chat_id, album.caption, list(photos.values()), reply_to)
    await _remember_file_ids(services, list(photos), messages)
    return True


# What Telegram says when it cannot fetch a photo URL or does not know a file_id
# (PTB lower-cases most of the text). The last is the prefix of every album item's
# failure, whatever the cause: uploading is the one remedy worth a try.
_CANNOT_FETCH = (
    "webpage_curl_failed",
    "wrong file identifier/http url specified",
    "failed to get http url content",
    "wrong type of the web page content",
    "failed to send message #",
)


def _telegram_cannot_fetch(error: BadRequest) -> bool:
    message = error.message.lower()
    return any(fragment in message for fragment in _CANNOT_FETCH)


async def _send_photos(
    bot: Bot,
    chat_id: int,
    caption: str,
    photos: Sequence[str | bytes],
    reply_to: int | None,
) -> Sequence[Message]:
    """One photo as a photo, several as a media group with the caption on the first.

    Each photo is a URL, a file_id or the bytes to upload.
    """
    reply = reply_parameters(reply_to)
    if len(photos) == 1:
        message = await bot.send_photo(
            chat_id,
            photos[0],
            caption=caption,
            parse_mode=ParseMode.HTML,
            reply_parameters=reply,
        )
        return [message]
    media = [
        InputMediaPhoto(photo, caption=caption if index == 0 else None, parse_mode=ParseMode.HTML)
        for index, photo in enumerate(photos)
    ]
    return await bot.send_media_group(chat_id, media, reply_parameters=reply)


async def _known_file_ids(services: Services, urls: Sequence[str]) -> dict[str, str]:
    try:
        return await services.storage.photo_file_ids(urls)
    except Exception:
        # Without the stored file_ids the URLs still work.
        logger.exception("could not read the stored photo file_ids")
        return {}


async def _remember_file_ids(
    services: Services, urls: Sequence[str], messages: Sequence[Message]
) -> None:
    # Messages come back in the order the photos were sent.
    file_ids = {
        url: max(message.photo, key=lambda size: size.width * size.height).file_id
        for url, message in zip(urls, messages, strict=False)
        if message.photo
    }
    if not file_ids:
        return
    try:
        await services.storage.store_photo_file_ids(file_ids, now=services.clock())
    except Exception:
        # The photos are sent; next time they are uploaded again.
        logger.exception("could not store %d photo file_ids", len(file_ids))
