"""Telegram cannot fetch the lot photos: the bot uploads them, and reuses their file_ids."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence

import pytest

from bot.app import BotApplication
from tests.fakes.autoastat import FakeAutoastat
from tests.fakes.telegram import Call, FakeTelegram
from tests.handlers.conversation import containing, text_of, to_chat
from tests.vins import SAMPLE_VIN, valid_vin

ALICE, BOB = 1001, 1002
NOTE = "photos could not be sent"
ALBUM_SIZE = 10


def serve_sample_from_the_fake(fake_autoastat: FakeAutoastat) -> list[str]:
    """Point the sample's photos at the fake autoAstat; return the album's URLs in order."""
    sales = fake_autoastat.sample_history(local_images=True)
    fake_autoastat.set_history(SAMPLE_VIN, sales)
    # Every sale of the sample has the same previews; the album takes the first ten.
    return list(sales[0]["images"]["previews"][:ALBUM_SIZE])


def image_name(url: str, fake_autoastat: FakeAutoastat) -> str:
    """The name set_image knows an image URL of the fake by."""
    return url.removeprefix(fake_autoastat.image_url(""))


def media_of(call: Call) -> list[str]:
    """What each photo of an album (or the one photo) was sent as: URL, file_id or attach://."""
    if call.method == "sendPhoto":
        return [str(call.params.get("photo", "attach://photo"))]
    return [str(item["media"]) for item in call.params["media"]]


def largest_file_ids(call: Call) -> list[str]:
    """The file_id of the largest size of each photo Telegram answered the call with."""
    messages = call.response if isinstance(call.response, list) else [call.response]
    return [
        max(message["photo"], key=lambda size: size["width"] * size["height"])["file_id"]
        for message in messages
    ]


async def stored_file_ids(application: BotApplication, urls: Sequence[str]) -> dict[str, str]:
    """The file_ids the bot keeps for these URLs."""
    return await application.bot_data.services.storage.photo_file_ids(urls)


async def wait_stored(
    application: BotApplication, urls: Sequence[str], *, excluding: Sequence[str] = ()
) -> dict[str, str]:
    """Wait until the bot has stored a file_id (other than `excluding`) for every URL."""
    async with asyncio.timeout(5):
        while True:
            stored = await stored_file_ids(application, urls)
            if len(stored) == len(urls) and not set(stored.values()) & set(excluding):
                return stored
            await asyncio.sleep(0.01)


def notes(telegram: FakeTelegram, chat_id: int | None = None) -> list[Call]:
    """The "photos could not be sent" messages (to this chat)."""
    return [c for c in telegram.calls_to("sendMessage") if containing(NOTE, chat_id)(c)]


async def test_photos_telegram_cannot_fetch_are_uploaded_after_the_summary(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    urls = serve_sample_from_the_fake(fake_autoastat)
    fake_telegram.make_unfetchable(fake_autoastat.image_url(""))

    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    refused, uploaded = await fake_telegram.wait_for("sendMediaGroup", count=2)
    stored = await wait_stored(bot, urls)

    summary = fake_telegram.calls_to("sendMessage")[0]
    assert "3 auction records" in text_of(summary)
    assert fake_telegram.calls.index(summary) < fake_telegram.calls.index(refused)
    assert not refused.ok
    assert media_of(refused) == urls
    assert uploaded.ok, uploaded.description
    assert len(uploaded.files) == ALBUM_SIZE
    assert all(media.startswith("attach://") for media in media_of(uploaded))
    assert sorted(name.removeprefix("attach://") for name in media_of(uploaded)) == sorted(
        uploaded.files
    )
    assert uploaded.params["media"][0]["caption"].startswith(SAMPLE_VIN)
    assert sorted(fake_autoastat.image_requests) == sorted(
        image_name(url, fake_autoastat) for url in urls
    )
    assert stored == dict(zip(urls, largest_file_ids(uploaded), strict=True))
    assert notes(fake_telegram) == []


async def test_a_second_ask_sends_the_stored_file_ids(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    urls = serve_sample_from_the_fake(fake_autoastat)
    fake_telegram.make_unfetchable(fake_autoastat.image_url(""))
    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    await fake_telegram.wait_for("sendMediaGroup", count=2)
    stored = await wait_stored(bot, urls)
    downloads = len(fake_autoastat.image_requests)

    fake_telegram.send_text(SAMPLE_VIN, user_id=BOB)
    album = (await fake_telegram.wait_for("sendMediaGroup", to_chat(BOB)))[0]

    assert album.ok, album.description
    assert media_of(album) == [stored[url] for url in urls]
    assert album.files == {}
    assert not any(media.startswith(("http", "attach://")) for media in media_of(album))
    assert len(fake_autoastat.image_requests) == downloads
    assert len(fake_telegram.calls_to("sendMediaGroup")) == 3
    assert notes(fake_telegram) == []


async def test_an_image_that_404s_leaves_an_album_of_the_rest(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    urls = serve_sample_from_the_fake(fake_autoastat)
    fake_telegram.make_unfetchable(fake_autoastat.image_url(""))
    fake_autoastat.set_image(image_name(urls[3], fake_autoastat), status=404, body="gone")

    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    uploaded = (await fake_telegram.wait_for("sendMediaGroup", count=2))[1]
    rest = urls[:3] + urls[4:]
    stored = await wait_stored(bot, rest)

    assert uploaded.ok, uploaded.description
    assert len(uploaded.files) == ALBUM_SIZE - 1
    assert uploaded.params["media"][0]["caption"].startswith(SAMPLE_VIN)
    assert await stored_file_ids(bot, [urls[3]]) == {}
    assert stored == dict(zip(rest, largest_file_ids(uploaded), strict=True))
    assert notes(fake_telegram) == []


async def test_one_image_left_goes_as_an_uploaded_photo(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    urls = serve_sample_from_the_fake(fake_autoastat)
    fake_telegram.make_unfetchable(fake_autoastat.image_url(""))
    for url in urls[1:]:
        fake_autoastat.set_image(
            image_name(url, fake_autoastat), body="<html/>", content_type="text/html"
        )

    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    photo = (await fake_telegram.wait_for("sendPhoto"))[0]
    stored = await wait_stored(bot, urls[:1])

    assert photo.ok, photo.description
    assert set(photo.files) == {"photo"}
    assert str(photo.params["caption"]).startswith(SAMPLE_VIN)
    assert stored == {urls[0]: largest_file_ids(photo)[0]}
    assert [call.ok for call in fake_telegram.calls_to("sendMediaGroup")] == [False]
    assert notes(fake_telegram) == []


async def test_a_single_unfetchable_photo_is_uploaded(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    sale = fake_autoastat.sample_history(local_images=True)[0]
    sale["images"]["previews"] = sale["images"]["previews"][:1]
    fake_autoastat.set_history(SAMPLE_VIN, [sale])
    fake_telegram.make_unfetchable(
        fake_autoastat.image_url(""), error="failed to get HTTP URL content"
    )

    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    refused, uploaded = await fake_telegram.wait_for("sendPhoto", count=2)
    stored = await wait_stored(bot, sale["images"]["previews"])

    assert not refused.ok
    assert refused.params["photo"] == sale["images"]["previews"][0]
    assert uploaded.ok, uploaded.description
    assert set(uploaded.files) == {"photo"}
    assert list(stored.values()) == largest_file_ids(uploaded)
    assert notes(fake_telegram) == []


async def test_when_no_image_can_be_downloaded_one_note_is_sent(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    urls = serve_sample_from_the_fake(fake_autoastat)
    fake_telegram.make_unfetchable(fake_autoastat.image_url(""))
    for url in urls:
        fake_autoastat.set_image(image_name(url, fake_autoastat), status=404, body="gone")

    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    await fake_telegram.wait_for("sendMessage", containing(NOTE, ALICE))

    texts = [text_of(call) for call in fake_telegram.calls_to("sendMessage")]
    assert "3 auction records" in texts[0]
    assert NOTE in texts[1]
    assert len(notes(fake_telegram)) == 1
    assert [call.ok for call in fake_telegram.calls_to("sendMediaGroup")] == [False]
    assert fake_telegram.calls_to("sendPhoto") == []
    assert len(fake_autoastat.image_requests) == ALBUM_SIZE
    assert await stored_file_ids(bot, urls) == {}


async def test_a_rejected_stored_file_id_falls_back_to_downloading(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    urls = serve_sample_from_the_fake(fake_autoastat)
    # File ids Telegram no longer knows (say, from another bot's token).
    stale = {url: f"AgACAgIAAxkBAAIStale{n:02d}" for n, url in enumerate(urls)}
    await bot.bot_data.services.storage.store_photo_file_ids(stale, now=0.0)

    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    refused, uploaded = await fake_telegram.wait_for("sendMediaGroup", count=2)
    stored = await wait_stored(bot, urls, excluding=list(stale.values()))

    assert not refused.ok
    assert "wrong file identifier" in str(refused.description)
    assert media_of(refused) == list(stale.values())
    assert uploaded.ok, uploaded.description
    assert len(uploaded.files) == ALBUM_SIZE
    assert len(fake_autoastat.image_requests) == ALBUM_SIZE
    assert stored == dict(zip(urls, largest_file_ids(uploaded), strict=True))
    assert notes(fake_telegram) == []


async def test_known_file_ids_and_urls_go_together(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    urls = serve_sample_from_the_fake(fake_autoastat)
    # Upload one photo on its own, so Telegram knows its file_id.
    fake_telegram.make_unfetchable(urls[0])
    sale = fake_autoastat.sample_history(local_images=True)[0]
    sale["images"]["previews"] = urls[:1]
    fake_autoastat.set_history(SAMPLE_VIN, [sale])
    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    stored = await wait_stored(bot, urls[:1])
    fake_telegram.unfetchable_urls.clear()
    downloads = len(fake_autoastat.image_requests)

    # Another car whose lot shows the same photos, all ten of them.
    other_vin = valid_vin(1)
    fake_autoastat.set_history(other_vin, fake_autoastat.sample_history(local_images=True))
    fake_telegram.send_text(other_vin, user_id=BOB)
    album = (await fake_telegram.wait_for("sendMediaGroup", to_chat(BOB)))[0]

    assert album.ok, album.description
    assert media_of(album) == [stored[urls[0]], *urls[1:]]
    assert album.files == {}
    assert len(fake_autoastat.image_requests) == downloads


async def test_other_telegram_errors_on_the_album_leave_the_note(
    bot: BotApplication, fake_telegram: FakeTelegram, fake_autoastat: FakeAutoastat
) -> None:
    serve_sample_from_the_fake(fake_autoastat)
    fake_telegram.fail_next("sendMediaGroup", status=400, description="Bad Request: injected")

    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    await fake_telegram.wait_for("sendMessage", containing(NOTE, ALICE))

    assert len(fake_telegram.calls_to("sendMediaGroup")) == 1
    assert fake_autoastat.image_requests == []
    assert "3 auction records" in text_of(fake_telegram.calls_to("sendMessage")[0])


async def test_a_broken_photo_cache_costs_neither_the_album_nor_the_answer(
    bot: BotApplication,
    fake_telegram: FakeTelegram,
    fake_autoastat: FakeAutoastat,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tried_to_store = asyncio.Event()

    async def broken_read(*args: object, **kwargs: object) -> dict[str, str]:
        raise sqlite3.OperationalError("disk I/O error")

    async def broken_write(*args: object, **kwargs: object) -> None:
        tried_to_store.set()
        raise sqlite3.OperationalError("disk I/O error")

    storage = bot.bot_data.services.storage
    monkeypatch.setattr(storage, "photo_file_ids", broken_read)
    monkeypatch.setattr(storage, "store_photo_file_ids", broken_write)
    urls = serve_sample_from_the_fake(fake_autoastat)
    fake_telegram.make_unfetchable(fake_autoastat.image_url(""))

    fake_telegram.send_text(SAMPLE_VIN, user_id=ALICE)
    uploaded = (await fake_telegram.wait_for("sendMediaGroup", count=2))[1]
    async with asyncio.timeout(5):
        await tried_to_store.wait()

    # The bot handled the failed write before this test woke: it logs without awaiting.
    assert uploaded.ok, uploaded.description
    assert len(uploaded.files) == len(urls)
    assert "could not read the stored photo file_ids" in caplog.text
    assert "could not store 10 photo file_ids" in caplog.text
    assert "album for" not in caplog.text
    assert notes(fake_telegram) == []
