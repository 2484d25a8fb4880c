"""Fetching lot photos ourselves, for when Telegram cannot fetch them by URL.

Telegram fetches album photos from their URLs itself, and gives up on some hosts
(``WEBPAGE_CURL_FAILED`` and the like); the bot then downloads the photos and uploads
the bytes. The URLs come from a third party's API, so every download is held to
limits that keep one bad photo from costing the bot more than it is worth:

* only ``http`` and ``https``, for the first URL and every redirect, and at most
  :data:`MAX_REDIRECTS` redirects: nothing else may pose as a photo;
* a short deadline for the whole download (:data:`DOWNLOAD_TIMEOUT`): the user is
  waiting for the album, and a stuck host must not hold the answer;
* at most :data:`MAX_BYTES`, Telegram's limit for an uploaded photo: the body is
  streamed and the download abandoned as soon as it passes the limit, so a huge or
  endless body never sits in memory;
* a JPEG, PNG or WebP content type, and bytes that start like one: Telegram refuses
  anything else, and one refused item fails the whole album.

A photo that breaks any of these is dropped (and logged), never raised: the album
goes out with the photos that did arrive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
DOWNLOAD_TIMEOUT = 10.0
MAX_REDIRECTS = 3
ALLOWED_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
WEB_SCHEMES = frozenset({"http", "https"})


class _Dropped(Exception):
    """A photo that will not be sent, and why (for the log)."""


async def download_photos(
    http: httpx.AsyncClient,
    urls: Sequence[str],
    *,
    max_bytes: int = MAX_BYTES,
    timeout: float = DOWNLOAD_TIMEOUT,  # noqa: ASYNC109 - a per-photo deadline, not the call's
) -> dict[str, bytes]:
    """The bytes of each photo that could be fetched within the limits, in the order of `urls`."""
    unique = list(dict.fromkeys(urls))
    # An album is at most ten photos: fetch them all at once, the wait is the slowest one.
    results = await asyncio.gather(
        *(_download(http, url, max_bytes=max_bytes, seconds=timeout) for url in unique)
    )
    return {url: data for url, data in zip(unique, results, strict=True) if data is not None}


async def _download(
    http: httpx.AsyncClient, url: str, *, max_bytes: int, seconds: float
) -> bytes | None:
    try:
        # The deadline covers the whole download: a host that drips bytes is as stuck
        # as one that never answers.
        async with asyncio.timeout(seconds):
            return await _fetch(http, url, max_bytes=max_bytes, seconds=seconds)
    except _Dropped as reason:
        logger.warning("photo %s dropped: %s", url, reason)
    except TimeoutError:
        logger.warning("photo %s dropped: no complete answer within %.1f s", url, seconds)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        logger.warning("photo %s dropped: %s: %s", url, type(error).__name__, error)
    return None


async def _fetch(http: httpx.AsyncClient, url: str, *, max_bytes: int, seconds: float) -> bytes:
    target = url
    for _ in range(MAX_REDIRECTS + 1):
        if urlsplit(target).scheme.lower() not in WEB_SCHEMES:
            raise _Dropped(f"not a web address: {target[:100]!r}")
        # Redirects are followed here, not by httpx, so every hop is checked as above.
        async with http.stream("GET", target, follow_redirects=False, timeout=seconds) as response:
            if response.is_redirect:
                location = response.headers.get("Location", "")
                target = str(response.url.join(location))
                continue
            return await _read_image(response, max_bytes)
    raise _Dropped(f"more than {MAX_REDIRECTS} redirects")


async def _read_image(response: httpx.Response, max_bytes: int) -> bytes:
    if response.status_code != httpx.codes.OK:
        raise _Dropped(f"HTTP {response.status_code}")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in ALLOWED_TYPES:
        raise _Dropped(f"content type {content_type[:50]!r} is not a photo")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _Dropped(f"{declared} bytes declared, over the limit of {max_bytes}")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise _Dropped(f"over the limit of {max_bytes} bytes")
    if not _looks_like_image(body):
        raise _Dropped(f"the body of {len(body)} bytes is not a JPEG, PNG or WebP")
    return bytes(body)


def _looks_like_image(data: bytes | bytearray) -> bool:
    # A server may label an error page image/jpeg; Telegram would refuse the whole album.
    return (
        data.startswith(b"\xff\xd8\xff")
        or data.startswith(b"\x89PNG\r\n\x1a\n")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )
