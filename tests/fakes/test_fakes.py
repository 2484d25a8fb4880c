"""Tests of the fakes themselves: FakeTelegram driven by a real telegram.Bot, FakeAutoastat by
httpx.  If these fail, every bot test built on the fakes is suspect."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultPhoto,
    InlineQueryResultsButton,
    InputMediaPhoto,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.fakes.autoastat import FakeAutoastat, Response, tiny_jpeg
from tests.fakes.html_entities import EntityParseError, parse_html, utf16_len
from tests.fakes.telegram import (
    DEFAULT_GROUP_ID,
    DEFAULT_USER_ID,
    FakeTelegram,
    _image_size,
)

USER = DEFAULT_USER_ID
PHOTO = "https://s.autoastat.com/images/iaai/1-lot_preview.jpg"
VIN = "1FMZU73K83ZB53903"


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    """A real PTB Bot pointed at the fake, initialised (getMe) and with a known private chat."""
    fake_telegram.ensure_chat(USER)
    async with Bot(
        fake_telegram.token,
        base_url=fake_telegram.base_url,
        base_file_url=fake_telegram.base_file_url,
    ) as real_bot:
        yield real_bot


def photos(count: int, prefix: str = PHOTO) -> list[InputMediaPhoto]:
    """``count`` distinct photo URLs."""
    return [InputMediaPhoto(f"{prefix}?n={i}") for i in range(count)]


# --- html_entities -----------------------------------------------------------------------


def test_parse_html_entities_and_utf16_offsets() -> None:
    parsed = parse_html('😀 <b>bold</b> <a href="https://x.test/?a=1&amp;b=2">l&lt;nk</a>')
    assert parsed.text == "😀 bold l<nk"
    assert parsed.entities == [
        {"offset": 3, "length": 4, "type": "bold"},
        {"offset": 8, "length": 4, "type": "text_link", "url": "https://x.test/?a=1&b=2"},
    ]


def test_parse_html_pre_code_language_blockquote_spoiler() -> None:
    parsed = parse_html(
        '<pre><code class="language-python">x</code></pre><blockquote expandable>q'
        '</blockquote><span class="tg-spoiler">s</span>&#x27;&#39;&quot;'
    )
    assert parsed.text == "xqs''\""
    assert [e["type"] for e in parsed.entities] == ["pre", "expandable_blockquote", "spoiler"]
    assert parsed.entities[0]["language"] == "python"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("é<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 2'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("AT&T", 'Unescaped "&" at byte offset 2'),
        ("1 > 0", 'Unescaped ">" at byte offset 2'),
        ("&lt", 'Unescaped "&" at byte offset 0'),
        ("<a>x</a>", 'Tag "a" must have attribute "href"'),
    ],
)
def test_parse_html_refusals(source: str, message: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(source)
    assert str(caught.value).startswith(message)


def test_parse_html_lenient_mode_is_telegram_exact() -> None:
    assert parse_html("AT&T 1 > 0 &lt", strict=False).text == "AT&T 1 > 0 <"


# --- FakeTelegram: basics ----------------------------------------------------------------


async def test_get_me(bot: Bot, fake_telegram: FakeTelegram) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "VinHistoryBot"
    assert me.supports_inline_queries
    assert me.can_join_groups
    assert bot.username == "VinHistoryBot"
    assert me.id == fake_telegram.bot_user["id"] == 123456


async def test_wrong_token_is_unauthorized(fake_telegram: FakeTelegram) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("999:WRONG", base_url=fake_telegram.base_url):
            pass
    assert fake_telegram.calls[-1].status == 401


async def test_unknown_method_json_body_and_get(fake_telegram: FakeTelegram) -> None:
    api = f"{fake_telegram.base_url}{fake_telegram.token}"
    fake_telegram.ensure_chat(USER)
    async with httpx.AsyncClient() as client:
        unknown = await client.post(f"{api}/fooBar")
        as_json = await client.post(f"{api}/sendmessage", json={"chat_id": USER, "text": "42"})
        as_get = await client.get(f"{api}/getMe")
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    # Method names are case-insensitive; "42" stays a string because text is a string field.
    assert as_json.json()["result"]["text"] == "42"
    assert fake_telegram.calls_to("sendMessage")[0].params == {"chat_id": USER, "text": "42"}
    assert as_get.json()["result"]["username"] == "VinHistoryBot"


async def test_send_message_html(bot: Bot, fake_telegram: FakeTelegram) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more:1")]])
    message = await bot.send_message(
        USER, "<b>VIN</b> &amp; co", parse_mode=ParseMode.HTML, reply_markup=markup
    )
    assert message.text == "VIN & co"
    assert message.text_html == "<b>VIN</b> &amp; co"
    assert message.reply_markup == markup
    assert message.from_user is not None
    assert message.from_user.is_bot
    call = fake_telegram.calls_to("sendMessage")[0]
    # PTB JSON-encodes non-string parameters; the fake hands them back decoded.
    assert call.params["chat_id"] == USER
    assert call.params["reply_markup"] == markup.to_dict()
    assert fake_telegram.sent_texts(USER) == ["VIN & co"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<foo>x</foo>", 'unsupported start tag "foo" at byte offset 0'),
        ("Seller: A&B <Motors>", 'unescaped "&" at byte offset 9'),
        ("<b>unclosed", 'can\'t find end tag corresponding to start tag "b"'),
    ],
)
async def test_bad_html_is_refused(bot: Bot, text: str, fragment: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(USER, text, parse_mode=ParseMode.HTML)
    # PTB strips "Bad Request: " and str.capitalize()s the rest, lower-casing everything.
    assert caught.value.message.startswith("Can't parse entities: ")
    assert fragment in caught.value.message


async def test_text_limits(bot: Bot, fake_telegram: FakeTelegram) -> None:
    await bot.send_message(USER, "x" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "x" * 4097)
    # 2049 emoji are 4098 UTF-16 code units.
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "😀" * 2049)
    # 16384 characters of source, but 4096 after unescaping: accepted.
    escaped = "&lt;" * 4000 + "<b>" + "&amp;" * 96 + "</b>"
    message = await bot.send_message(USER, escaped, parse_mode=ParseMode.HTML)
    assert message.text is not None
    assert utf16_len(message.text) == 4096
    for empty in ("", "  \n", "<b></b>"):
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(USER, empty, parse_mode=ParseMode.HTML)
    assert len(fake_telegram.sent_messages(USER)) == 2


async def test_unknown_chat_blocked_user_and_chat_action(
    bot: Bot, fake_telegram: FakeTelegram
) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "hi")
    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")
    fake_telegram.block_bot(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "hi")


async def test_callback_data_limit_and_button_rules(bot: Bot) -> None:
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "hi", reply_markup=too_long)
    text_only = InlineKeyboardMarkup([[InlineKeyboardButton("x")]])
    with pytest.raises(BadRequest, match="text buttons are unallowed"):
        await bot.send_message(USER, "hi", reply_markup=text_only)


async def test_edit_delete_and_not_modified(bot: Bot, fake_telegram: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "<i>loading</i>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<i>loading</i>", USER, sent.message_id, parse_mode="HTML")
    edited = await bot.edit_message_text("done", USER, sent.message_id)
    assert isinstance(edited, type(sent))
    assert edited.edit_date is not None
    assert fake_telegram.sent_texts(USER) == ["done"]
    assert await bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    assert fake_telegram.sent_messages(USER) == []


async def test_commands_round_trip(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("vin", "Look up a VIN")], language_code="en")
    assert await bot.get_my_commands(language_code="en") == (BotCommand("vin", "Look up a VIN"),)
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("VIN-lookup", "x")])
    assert await bot.delete_my_commands(language_code="en")
    assert await bot.get_my_commands(language_code="en") == ()


# --- FakeTelegram: photos ----------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 10])
async def test_media_group_sizes_accepted(bot: Bot, count: int) -> None:
    media = photos(count)
    media[0] = InputMediaPhoto(PHOTO, caption="<b>2021</b> lot", parse_mode=ParseMode.HTML)
    messages = await bot.send_media_group(USER, media)
    assert len(messages) == count
    assert len({m.media_group_id for m in messages}) == 1
    assert messages[0].caption == "2021 lot"
    assert all(m.photo and m.photo[-1].width == 640 for m in messages)


@pytest.mark.parametrize("count", [1, 11])
async def test_media_group_sizes_refused(bot: Bot, count: int) -> None:
    with pytest.raises(BadRequest, match="Media group must contain 2-10 items"):
        await bot.send_media_group(USER, photos(count))


async def test_media_group_caption_limit(bot: Bot) -> None:
    media = [InputMediaPhoto(PHOTO, caption="x" * 1025), *photos(1)]
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_media_group(USER, media)


async def test_unfetchable_url(bot: Bot, fake_telegram: FakeTelegram) -> None:
    fake_telegram.make_unfetchable("https://dead.example/")
    media = [*photos(1), *photos(2, "https://dead.example/x.jpg")]
    with pytest.raises(BadRequest) as caught:
        await bot.send_media_group(USER, media)
    # Telegram says "WEBPAGE_CURL_FAILED"; PTB's capitalize() lower-cases it.
    assert caught.value.message == (
        'Failed to send message #2 with the error message "webpage_curl_failed"'
    )
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_photo(USER, "https://dead.example/y.jpg")
    assert fake_telegram.sent_messages() == []


async def test_uploaded_bytes_and_file_id_reuse(bot: Bot, fake_telegram: FakeTelegram) -> None:
    jpeg = tiny_jpeg(64, 48)
    fake_telegram.make_unfetchable("https://")  # uploads never need a fetch
    messages = await bot.send_media_group(USER, [InputMediaPhoto(jpeg), InputMediaPhoto(jpeg)])
    call = fake_telegram.calls_to("sendMediaGroup")[0]
    assert list(call.files.values()) == [jpeg, jpeg]
    assert all(item["media"].startswith("attach://") for item in call.params["media"])
    largest = messages[0].photo[-1]
    assert (largest.width, largest.height, largest.file_size) == (64, 48, len(jpeg))

    again = await bot.send_photo(USER, largest.file_id, caption="reused")
    assert again.photo[-1].file_unique_id == largest.file_unique_id
    single = await bot.send_photo(USER, jpeg)
    assert fake_telegram.calls_to("sendPhoto")[-1].files == {"photo": jpeg}
    assert single.photo
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(USER, "AgACAgIAAxkBAAnotAfileId")
    file = await bot.get_file(largest.file_id)
    assert await file.download_as_bytearray() == bytearray(jpeg)


# --- FakeTelegram: inline mode and callback queries --------------------------------------


def article(result_id: str, text: str = "<b>VIN</b>") -> InlineQueryResultArticle:
    """An article result whose message text is HTML."""
    content = InputTextMessageContent(text, parse_mode=ParseMode.HTML)
    return InlineQueryResultArticle(result_id, "Title", content)


async def test_answer_inline_query(bot: Bot, fake_telegram: FakeTelegram) -> None:
    query_id = fake_telegram.inline_query(VIN)
    photo = InlineQueryResultPhoto("p1", PHOTO, PHOTO)
    button = InlineQueryResultsButton("Open the bot", start_parameter=f"vin_{VIN}")
    assert await bot.answer_inline_query(query_id, [article("a1"), photo], button=button)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_inline_query(query_id, [article("a1")])
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_inline_query("12345", [article("a1")])


@pytest.mark.parametrize(
    ("results", "button", "fragment"),
    [
        ([article(str(i)) for i in range(51)], None, "Results_too_much"),
        ([article("same"), article("same")], None, "Result_id_duplicate"),
        ([article("x" * 65)], None, "Result_id_invalid"),
        ([article("a", "<blink>")], None, "Can't parse entities"),
        ([article("a")], InlineQueryResultsButton("go", start_parameter="vin lookup"), "Start"),
    ],
)
async def test_answer_inline_query_refusals(
    bot: Bot,
    fake_telegram: FakeTelegram,
    results: list[InlineQueryResultArticle],
    button: InlineQueryResultsButton | None,
    fragment: str,
) -> None:
    query_id = fake_telegram.inline_query(VIN)
    with pytest.raises(BadRequest, match=fragment):
        await bot.answer_inline_query(query_id, results, button=button)


async def test_inline_photo_result_needs_thumbnail(fake_telegram: FakeTelegram) -> None:
    query_id = fake_telegram.inline_query(VIN)
    results = [{"type": "photo", "id": "1", "photo_url": PHOTO}]
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{fake_telegram.base_url}{fake_telegram.token}/answerInlineQuery",
            json={"inline_query_id": query_id, "results": results},
        )
    assert answer.status_code == 400
    assert 'Can\'t find field "thumbnail_url"' in answer.json()["description"]


async def test_press_button_and_answer_callback(bot: Bot, fake_telegram: FakeTelegram) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Sale 2", callback_data="sale:2")]])
    sent = await bot.send_message(USER, "History", reply_markup=markup)
    message = fake_telegram.sent_messages(USER)[0]
    with pytest.raises(AssertionError, match="no button with callback_data 'sale:3'"):
        fake_telegram.press_button(message, "sale:3")
    query_id = fake_telegram.press_button(sent, "sale:2")  # a PTB Message works too
    (update,) = await bot.get_updates(timeout=0)
    assert update.callback_query is not None
    assert update.callback_query.id == query_id
    assert update.callback_query.data == "sale:2"
    assert update.callback_query.from_user.id == USER
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query_id, "ok")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


# --- FakeTelegram: getUpdates ------------------------------------------------------------


async def test_get_updates_offset_and_limit(bot: Bot, fake_telegram: FakeTelegram) -> None:
    first = fake_telegram.send_text("/start")
    fake_telegram.send_text("/vin 1FMZU73K83ZB53903", chat_type="group")
    fake_telegram.add_member(DEFAULT_GROUP_ID)
    (only,) = await bot.get_updates(timeout=0, limit=1)
    assert only.update_id == first["update_id"]
    assert only.message is not None
    assert only.message.text == "/start"
    assert only.message.entities[0].type == "bot_command"
    # Without a higher offset nothing is confirmed: the same update comes again.
    again = await bot.get_updates(timeout=0)
    assert next(u.update_id for u in again) == first["update_id"]
    assert len(again) == 4
    assert again[2].my_chat_member is not None
    assert again[3].message is not None
    assert again[3].message.new_chat_members
    assert await bot.get_updates(offset=again[-1].update_id + 1, timeout=0) == ()
    assert fake_telegram.pending_updates == []


async def test_long_poll_returns_promptly_on_new_update(
    bot: Bot, fake_telegram: FakeTelegram
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake_telegram.wait_for_long_poll()
    started = time.monotonic()
    fake_telegram.send_text("hello")
    (update,) = await asyncio.wait_for(poll, timeout=2)
    assert time.monotonic() - started < 1
    assert isinstance(update, Update)
    assert update.message is not None
    assert update.message.text == "hello"


async def test_long_poll_times_out_with_empty_list(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 3


async def test_stop_releases_long_poll(bot: Bot, fake_telegram: FakeTelegram) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await fake_telegram.wait_for_long_poll()
    started = time.monotonic()
    await fake_telegram.stop()
    assert await asyncio.wait_for(poll, timeout=3) == ()
    assert time.monotonic() - started < 2


async def test_second_poller_gets_conflict(fake_telegram: FakeTelegram) -> None:
    url = f"{fake_telegram.base_url}{fake_telegram.token}/getUpdates"
    async with httpx.AsyncClient() as client:
        first = asyncio.create_task(client.post(url, data={"timeout": "10"}))
        await fake_telegram.wait_for_long_poll()
        second = await client.post(url, data={"timeout": "0"})
        answer = await asyncio.wait_for(first, timeout=2)
    assert second.json() == {"ok": True, "result": []}
    assert answer.status_code == 409
    assert answer.json()["description"].startswith("Conflict: terminated by other getUpdates")


# --- FakeTelegram: fault injection and waiting -------------------------------------------


async def test_fail_next_429_and_403(bot: Bot, fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "hi")
    assert caught.value.retry_after == dt.timedelta(seconds=3)  # PTB_TIMEDELTA=1, conftest
    assert fake_telegram.calls_to("sendMessage")[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    fake_telegram.fail_next("sendmessage", status=403, times=2)
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked"):
            await bot.send_message(USER, "hi")
    assert (await bot.send_message(USER, "hi")).text == "hi"


async def test_wait_for_lists_calls_on_timeout(bot: Bot, fake_telegram: FakeTelegram) -> None:
    await bot.send_message(USER, "hello there")
    with pytest.raises(AssertionError) as caught:
        await fake_telegram.wait_for("sendPhoto", timeout=0.05)
    report = str(caught.value)
    assert "waiting for 1 call(s) to sendPhoto" in report
    assert "sendMessage -> ok" in report
    assert "hello there" in report


async def test_wait_for_predicate_and_count(bot: Bot, fake_telegram: FakeTelegram) -> None:
    async def send_later() -> None:
        for text in ("a", "b", "c"):
            await bot.send_message(USER, text)

    sender = asyncio.create_task(send_later())
    calls = await fake_telegram.wait_for(
        "sendMessage", lambda call: call.params["text"] != "a", count=2
    )
    await sender
    assert [call.params["text"] for call in calls] == ["b", "c"]


async def test_application_polls_and_stops_promptly(fake_telegram: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<b>Send me a VIN</b>")

    application = (
        ApplicationBuilder()
        .token(fake_telegram.token)
        .base_url(fake_telegram.base_url)
        .base_file_url(fake_telegram.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling()
        fake_telegram.send_text("/start")
        (call,) = await fake_telegram.wait_for("sendMessage")
        await fake_telegram.wait_for_long_poll()
        started = time.monotonic()
        await application.updater.stop()
        await application.stop()
    assert time.monotonic() - started < 2
    assert call.ok
    assert call.response["text"] == "Send me a VIN"
    assert [c.method for c in fake_telegram.calls[:3]] == ["getMe", "deleteWebhook", "getUpdates"]
    # The final getUpdates(offset=...) of Updater.stop confirmed the /start update.
    assert fake_telegram.pending_updates == []


# --- FakeAutoastat -----------------------------------------------------------------------


def api_headers(fake: FakeAutoastat) -> dict[str, str]:
    """The headers the autoAstat manual requires."""
    return {"X-API-AUTH-TOKEN": fake.token, "Content-Type": "application/json"}


async def test_autoastat_sample_with_headers(fake_autoastat: FakeAutoastat) -> None:
    async with httpx.AsyncClient(headers=api_headers(fake_autoastat)) as client:
        answer = await client.get(fake_autoastat.history_url(VIN))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    sales: list[dict[str, Any]] = answer.json()
    assert sales == fake_autoastat.sample_history()
    assert len(sales) == 3
    assert sales[2]["status"] == "sold"
    (request,) = fake_autoastat.requests
    assert request.vin == VIN
    assert request.status == 200
    assert request.headers["X-API-AUTH-TOKEN"] == fake_autoastat.token


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "application/json"}, 401),
        ({"X-API-AUTH-TOKEN": "wrong", "Content-Type": "application/json"}, 401),
        ({"X-API-AUTH-TOKEN": "test-autoastat-token"}, 400),
    ],
)
async def test_autoastat_refuses_bad_headers(
    fake_autoastat: FakeAutoastat, headers: dict[str, str], status: int
) -> None:
    async with httpx.AsyncClient(headers=headers) as client:
        answer = await client.get(fake_autoastat.history_url(VIN))
    assert answer.status_code == status
    if status == 401:
        assert answer.json() == {"message": "Unauthorized"}


async def test_autoastat_scripted_then_configured(fake_autoastat: FakeAutoastat) -> None:
    fake_autoastat.set_history(VIN, [])
    fake_autoastat.queue_responses(
        VIN,
        [
            Response(503, {"message": "Service unavailable"}),
            Response(429, "Too many requests", headers={"Retry-After": "30"}),
        ],
    )
    fake_autoastat.set_response("WBA00000000000000", body="<html>oops</html>")
    async with httpx.AsyncClient(headers=api_headers(fake_autoastat)) as client:
        statuses = [(await client.get(fake_autoastat.history_url(VIN))) for _ in range(3)]
        garbage = await client.get(fake_autoastat.history_url("WBA00000000000000"))
        other = await client.get(fake_autoastat.history_url("VF1LM1B0H36666155"))
    assert [a.status_code for a in statuses] == [503, 429, 200]
    assert statuses[1].headers["Retry-After"] == "30"
    assert statuses[2].json() == []
    assert garbage.status_code == 200
    assert garbage.text == "<html>oops</html>"
    assert other.json() == fake_autoastat.sample_history()
    assert fake_autoastat.request_count(VIN) == 3
    assert fake_autoastat.request_count() == 5


async def test_autoastat_delay_and_hang(fake_autoastat: FakeAutoastat) -> None:
    fake_autoastat.set_response(VIN, body=[], delay=0.3)
    fake_autoastat.hang("1J9RP1A36A1644345")
    async with httpx.AsyncClient(headers=api_headers(fake_autoastat)) as client:
        started = time.monotonic()
        assert (await client.get(fake_autoastat.history_url(VIN))).json() == []
        assert time.monotonic() - started >= 0.3
        with pytest.raises(httpx.ReadTimeout):
            await client.get(fake_autoastat.history_url("1J9RP1A36A1644345"), timeout=0.2)
    assert fake_autoastat.request_count("1j9rp1a36a1644345") == 1


async def test_autoastat_max_concurrent(fake_autoastat: FakeAutoastat) -> None:
    async with httpx.AsyncClient(headers=api_headers(fake_autoastat)) as client:
        for _ in range(3):
            await client.get(fake_autoastat.history_url(VIN))
        assert fake_autoastat.max_concurrent == 1
        fake_autoastat.hang(VIN)
        pending = [
            asyncio.create_task(client.get(fake_autoastat.history_url(VIN))) for _ in range(4)
        ]
        await fake_autoastat.wait_for_requests(vin=VIN, count=7)
        assert fake_autoastat.in_flight == 4
        assert fake_autoastat.max_concurrent == 4
        started = time.monotonic()
        await fake_autoastat.stop()  # releases the hung requests
        answers = await asyncio.gather(*pending)
    assert time.monotonic() - started < 2
    assert {a.status_code for a in answers} == {503}


async def test_autoastat_wait_for_requests_timeout(fake_autoastat: FakeAutoastat) -> None:
    with pytest.raises(AssertionError, match=r"waited 0\.05s for 1 request"):
        await fake_autoastat.wait_for_requests(timeout=0.05)


async def test_autoastat_images(fake_autoastat: FakeAutoastat) -> None:
    sales = fake_autoastat.sample_history(local_images=True)
    url = sales[0]["images"]["previews"][0]
    assert url.startswith(f"{fake_autoastat.url}/images/iaai/2021/")
    fake_autoastat.set_image("missing.jpg", status=404, body="nope", content_type="text/html")
    async with httpx.AsyncClient() as client:
        image = await client.get(url)
        missing = await client.get(fake_autoastat.image_url("missing.jpg"))
    assert image.headers["content-type"] == "image/jpeg"
    assert _image_size(image.content) == (64, 48)
    assert missing.status_code == 404
    assert len(fake_autoastat.image_requests) == 2
