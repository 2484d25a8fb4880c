"""A fake Telegram Bot API server (aiohttp) that the real python-telegram-bot can talk to.

Point PTB at it with::

    ApplicationBuilder().token(fake.token).base_url(f"{fake.url}/bot")
        .base_file_url(f"{fake.url}/file/bot")

Tests queue updates (``send_text``, ``press_button``, ``inline_query``, ...), the bot fetches
them with ``getUpdates`` and its calls are recorded in ``fake.calls``.  The fake refuses what
Telegram refuses (bad HTML, overlong texts, albums of 1 or 11, unknown query ids, ...) so that
bot bugs surface as ``BadRequest`` in tests rather than in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from tests.fakes.html_entities import EntityParseError, ParsedText, parse_html, utf16_len

__all__ = [
    "DEFAULT_GROUP_ID",
    "DEFAULT_SUPERGROUP_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_USER_ID",
    "Call",
    "FakeTelegram",
]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
DEFAULT_USER_ID = 424242
DEFAULT_GROUP_ID = -987654321
DEFAULT_SUPERGROUP_ID = -1001987654321

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_UPLOAD_PHOTO = 10 * 1024 * 1024

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
WRONG_FILE = "wrong file identifier/HTTP URL specified"
GET_UPDATES_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)

# Parameters whose form value is a plain string even when it looks like JSON ("123", "true").
# PTB sends strings raw and JSON-encodes everything else (see RequestParameter.json_value).
STRING_FIELDS = frozenset(
    {
        "action",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "custom_emoji_id",
        "description",
        "document",
        "emoji",
        "file_id",
        "inline_message_id",
        "inline_query_id",
        "language_code",
        "message_effect_id",
        "name",
        "next_offset",
        "parse_mode",
        "photo",
        "query",
        "secret_token",
        "short_description",
        "sticker",
        "switch_pm_parameter",
        "switch_pm_text",
        "text",
        "thumbnail",
        "title",
        "url",
        "video",
        "voice",
    }
)

# Telegram's default when allowed_updates was never set: everything but these.
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_PREFIX = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_BUTTON_URL = re.compile(r"(?:https?://[^\s/?#]+|tg://)\S*", re.IGNORECASE)


class ApiError(Exception):
    """An error answer of the Bot API, raised in a method handler."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, text: str) -> ApiError:
        """A 400 with Telegram's "Bad Request: " prefix."""
        return cls(400, f"Bad Request: {text}")

    def body(self) -> dict[str, Any]:
        """The JSON envelope Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class _Abandoned(Exception):
    """The client went away while its getUpdates was parked; answer nothing, record nothing."""


@dataclass
class Call:
    """One Bot API request: ``response`` is the result when ``ok``, else the error envelope."""

    method: str
    params: dict[str, Any]
    response: Any
    ok: bool
    files: dict[str, bytes] = field(default_factory=dict)
    status: int = 200

    @property
    def description(self) -> str | None:
        """The error description of a failed call (None when it succeeded)."""
        if self.ok or not isinstance(self.response, dict):
            return None
        description = self.response.get("description")
        return str(description) if description is not None else None

    def summary(self, width: int = 160) -> str:
        """One line for failure messages."""
        outcome = "ok" if self.ok else f"{self.status} {self.description!r}"
        params = json.dumps(self.params, ensure_ascii=False, default=str)
        if len(params) > width:
            params = params[: width - 3] + "..."
        uploads = f" files={sorted(self.files)}" if self.files else ""
        return f"{self.method} -> {outcome} params={params}{uploads}"


@dataclass(frozen=True)
class _Upload:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class _Fault:
    status: int
    description: str
    parameters: dict[str, Any] | None
    remaining: int


@dataclass
class _Stored:
    message: dict[str, Any]
    from_bot: bool
    deleted: bool = False


@dataclass
class _FileRecord:
    file_unique_id: str
    file_size: int
    data: bytes | None
    photo: list[dict[str, Any]] | None = None


@dataclass
class _PollTicket:
    request: web.Request
    conflicted: bool = False


class _FetchFailed(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


Handler = Callable[[dict[str, Any], dict[str, _Upload], web.Request], Any]


class _HasToDict(Protocol):
    """A PTB object such as telegram.Message (tests may pass those instead of dicts)."""

    def to_dict(self) -> dict[str, Any]: ...


def _as_dict(obj: Mapping[str, Any] | _HasToDict) -> Mapping[str, Any]:
    return obj if isinstance(obj, Mapping) else obj.to_dict()


class FakeTelegram:
    """Fake Bot API server on 127.0.0.1 with a test-side API to queue updates and inspect calls."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = "VinHistoryBot",
        first_name: str = "VIN History",
        strict_html: bool = True,
        url_photo_size: tuple[int, int] = (640, 480),
        reject_non_image_uploads: bool = False,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(prefix) if prefix.isdigit() else 123456,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        # strict_html refuses bare "&" and ">" (Telegram lets them through); see html_entities.
        self.strict_html = strict_html
        # Telegram does not tell us the size of a photo sent by URL; assume autoAstat previews.
        self.url_photo_size = url_photo_size
        self.reject_non_image_uploads = reject_non_image_uploads
        self.calls: list[Call] = []
        # URL prefix -> error text Telegram reports when it cannot fetch it.
        self.unfetchable_urls: dict[str, str] = {}
        self.dropped_updates: list[dict[str, Any]] = []
        self.webhook_url = ""
        self._updates: list[dict[str, Any]] = []
        self._delivered: set[int] = set()
        self._allowed_updates: frozenset[str] | None = None
        self._update_ids = itertools.count(1)
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], _Stored] = {}
        self._bot_messages: list[tuple[int, int]] = []
        self._callback_queries: dict[str, bool] = {}
        self._inline_queries: dict[str, bool] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._files: dict[str, _FileRecord] = {}
        self._file_ids = itertools.count(1)
        self._url_photos: dict[str, list[dict[str, Any]]] = {}
        self._media_group_ids = itertools.count(13_000_000_000_000_001)
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._delays: dict[str, float] = {}
        self._poll: _PollTicket | None = None
        self._stopping = False
        self._stopped = asyncio.Event()
        # Replaced by a fresh Event on every change; waiters loop and re-check their condition.
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendMediaGroup": self._send_media_group,
                "sendChatAction": self._send_chat_action,
                "answerCallbackQuery": self._answer_callback_query,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "setMyCommands": self._set_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getMyCommands": self._get_my_commands,
                "answerInlineQuery": self._answer_inline_query,
                "getFile": self._get_file,
            }.items()
        }

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on an OS-chosen port of 127.0.0.1."""
        # Photos may be uploaded (10 MB); aiohttp's default body limit is 1 MB.
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: when PTB cancels a long poll (Updater.stop) the parked handler
        # is cancelled instead of living on until its timeout.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Release parked long polls (they answer []) and shut the server down."""
        self._stopping = True
        self._stopped.set()
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT``; PTB's base_url is ``f"{url}/bot"``."""
        if self._url is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url`` / ``Bot(base_url=...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder().base_file_url`` / ``Bot(base_file_url=...)``."""
        return f"{self.url}/file/bot"

    # --- queueing updates ------------------------------------------------------------------

    def push_update(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """Queue a raw update (without update_id); return it with its update_id."""
        queued = {"update_id": next(self._update_ids), **copy.deepcopy(dict(update))}
        self._updates.append(queued)
        self._notify()
        return copy.deepcopy(queued)

    def ensure_chat(
        self,
        chat_id: int,
        *,
        chat_type: str = "private",
        title: str | None = None,
        first_name: str = "Test",
        username: str | None = None,
    ) -> dict[str, Any]:
        """Register a chat the bot may send to (done implicitly by send_text & co.)."""
        chat = self._chats.get(chat_id)
        if chat is None or chat["type"] != chat_type:
            chat = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = first_name
            else:
                chat["title"] = title or "Test Group"
            if username:
                chat["username"] = username
            self._chats[chat_id] = chat
        elif title and chat_type != "private":
            chat["title"] = title
        return copy.deepcopy(chat)

    def send_text(
        self,
        text: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        chat_type: str = "private",
        language_code: str | None = "en",
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        chat_title: str | None = None,
        reply_to_message: Mapping[str, Any] | _HasToDict | None = None,
        entities: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Queue a user's text message ("/cmd" gets a bot_command entity); return the update."""
        user = self._register_user(user_id, first_name, last_name, username, language_code)
        chat = self._chat_of(chat_id, chat_type, user, chat_title)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": _now(),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if entities is None:
            command = _BOT_COMMAND_PREFIX.match(text)
            if command:
                length = utf16_len(command.group())
                entities = [{"type": "bot_command", "offset": 0, "length": length}]
        if entities:
            message["entities"] = [dict(e) for e in entities]
        if reply_to_message is not None:
            message["reply_to_message"] = self._quoted(_as_dict(reply_to_message))
        self._messages[(chat["id"], message["message_id"])] = _Stored(message, from_bot=False)
        return self.push_update({"message": message})

    def press_button(
        self,
        message: Mapping[str, Any] | _HasToDict,
        callback_data: str,
        *,
        user_id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
    ) -> str:
        """Queue a callback_query for a button of a message the bot sent; return the query id."""
        message = _as_dict(message)
        chat_id = message["chat"]["id"]
        stored = self._messages.get((chat_id, message["message_id"]))
        if stored is None or not stored.from_bot:
            raise AssertionError(
                f"press_button: message {message.get('message_id')} in chat "
                f"{chat_id} was not sent by the bot"
            )
        if stored.deleted:
            raise AssertionError(f"press_button: message {message['message_id']} was deleted")
        current = stored.message
        available = [
            button.get("callback_data")
            for row in current.get("reply_markup", {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]
        if callback_data not in available:
            raise AssertionError(
                f"press_button: the current version of message {current['message_id']} has no "
                f"button with callback_data {callback_data!r}; it has {available}"
            )
        if user_id is None:
            user_id = chat_id if current["chat"]["type"] == "private" else DEFAULT_USER_ID
        user = self._register_user(user_id, first_name, None, username, language_code)
        query_id = str(next(self._query_ids))
        self._callback_queries[query_id] = False
        self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": copy.deepcopy(current),
                    "chat_instance": str(abs(chat_id) * 7919 % 10**12),
                    "data": callback_data,
                }
            }
        )
        return query_id

    def inline_query(
        self,
        query: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        language_code: str | None = "en",
        first_name: str = "Test",
        username: str | None = None,
        offset: str = "",
        chat_type: str | None = None,
    ) -> str:
        """Queue an inline_query update; return its id (answer it with answerInlineQuery)."""
        user = self._register_user(user_id, first_name, None, username, language_code)
        query_id = str(next(self._query_ids))
        self._inline_queries[query_id] = False
        payload: dict[str, Any] = {"id": query_id, "from": user, "query": query, "offset": offset}
        if chat_type is not None:
            payload["chat_type"] = chat_type
        self.push_update({"inline_query": payload})
        return query_id

    def add_member(
        self,
        chat_id: int = DEFAULT_GROUP_ID,
        *,
        user_id: int | None = None,
        by_user_id: int = DEFAULT_USER_ID,
        chat_type: str = "group",
        title: str = "Test Group",
        first_name: str = "New member",
    ) -> list[dict[str, Any]]:
        """Add the bot (``user_id=None``) or a user to a group; return the queued updates."""
        # For the bot Telegram sends my_chat_member, then a new_chat_members service message.
        adder = self._register_user(by_user_id, "Test", None, None, "en")
        chat = self.ensure_chat(chat_id, chat_type=chat_type, title=title)
        if user_id is None:
            member = copy.deepcopy(self.bot_user)
        else:
            member = self._register_user(user_id, first_name, None, None, "en")
        updates = []
        if user_id is None:
            updates.append(
                self.push_update(
                    {
                        "my_chat_member": {
                            "chat": chat,
                            "from": adder,
                            "date": _now(),
                            "old_chat_member": {"user": member, "status": "left"},
                            "new_chat_member": {"user": member, "status": "member"},
                        }
                    }
                )
            )
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": _now(),
            "chat": chat,
            "from": adder,
            "new_chat_members": [member],
        }
        self._messages[(chat_id, message["message_id"])] = _Stored(message, from_bot=False)
        updates.append(self.push_update({"message": message}))
        return updates

    def block_bot(self, user_id: int = DEFAULT_USER_ID, *, blocked: bool = True) -> dict[str, Any]:
        """The user blocks (or unblocks) the bot: sends to them fail with 403 until unblocked."""
        user = self._register_user(user_id, "Test", None, None, "en")
        chat = self.ensure_chat(user_id)
        if blocked:
            self._blocked.add(user_id)
        else:
            self._blocked.discard(user_id)
        bot = copy.deepcopy(self.bot_user)
        member = {"user": bot, "status": "member"}
        kicked = {"user": bot, "status": "kicked", "until_date": 0}
        old, new = (member, kicked) if blocked else (kicked, member)
        update = {"chat": chat, "from": user, "date": _now()}
        return self.push_update(
            {"my_chat_member": {**update, "old_chat_member": old, "new_chat_member": new}}
        )

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (getUpdates with a higher offset)."""
        return copy.deepcopy(self._updates)

    # --- faults ----------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (e.g. 429 retry_after, 403 blocked)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected failure",
                403: "Forbidden: bot was blocked by the user",
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, f"Error {status}")
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        canonical = self._canonical(method)
        fault = _Fault(status, description, parameters, times)
        self._faults.setdefault(canonical, []).append(fault)

    def set_delay(self, method: str, seconds: float) -> None:
        """Answer every call of ``method`` only after ``seconds`` (0 removes the delay)."""
        self._delays[self._canonical(method)] = seconds

    def make_unfetchable(self, prefix: str, *, error: str = "WEBPAGE_CURL_FAILED") -> None:
        """Photo URLs starting with ``prefix`` cannot be fetched by "Telegram"."""
        self.unfetchable_urls[prefix] = error

    # --- inspection ------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of ``method`` (case-insensitive, like the Bot API)."""
        canonical = self._canonical(method)
        return [call for call in self.calls if call.method == canonical]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline is the point of this helper
    ) -> list[Call]:
        """Wait until ``count`` calls of ``method`` (ok or not) match ``predicate``; return all."""

        def matching() -> list[Call]:
            return [c for c in self.calls_to(method) if predicate is None or predicate(c)]

        try:
            await self._wait_until(lambda: len(matching()) >= count, timeout)
        except TimeoutError:
            found = len(matching())
            what = f"{count} call(s) to {self._canonical(method)}"
            if predicate is not None:
                what += f" matching {getattr(predicate, '__name__', predicate)}"
            raise AssertionError(
                f"FakeTelegram: timed out after {timeout}s waiting for {what}; "
                f"{found} matching.\n{self.describe_calls()}"
            ) from None
        return matching()

    async def wait_for_long_poll(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until a getUpdates long poll is parked on the server."""
        try:
            await self._wait_until(lambda: self._poll is not None, timeout)
        except TimeoutError:
            raise AssertionError(
                f"FakeTelegram: no getUpdates long poll within {timeout}s.\n"
                f"{self.describe_calls()}"
            ) from None

    async def wait_delivered(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every queued update has been handed out by getUpdates."""
        try:
            await self._wait_until(lambda: not self._undelivered(), timeout)
        except TimeoutError:
            ids = [u["update_id"] for u in self._undelivered()]
            raise AssertionError(
                f"FakeTelegram: updates {ids} not fetched within {timeout}s (is the bot "
                f"polling?).\n{self.describe_calls()}"
            ) from None

    def describe_calls(self, limit: int = 40) -> str:
        """Human-readable list of the recorded calls (getUpdates collapsed)."""
        polls = sum(1 for c in self.calls if c.method == "getUpdates")
        others = [c for c in self.calls if c.method != "getUpdates"]
        lines = [f"Recorded calls: {len(self.calls)} ({polls} getUpdates not listed)"]
        lines += [f"  {i}. {c.summary()}" for i, c in enumerate(others[-limit:], 1)]
        if len(others) > limit:
            lines.insert(1, f"  ... {len(others) - limit} earlier calls omitted")
        return "\n".join(lines)

    def get_message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Current version of a message (after edits), or None if unknown."""
        stored = self._messages.get((chat_id, message_id))
        return copy.deepcopy(stored.message) if stored else None

    def sent_messages(
        self, chat_id: int | None = None, *, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Messages the bot sent (current versions, in order), optionally for one chat."""
        result = []
        for key in self._bot_messages:
            stored = self._messages[key]
            if chat_id is not None and key[0] != chat_id:
                continue
            if stored.deleted and not include_deleted:
                continue
            result.append(copy.deepcopy(stored.message))
        return result

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Text (or caption, or "") of each message the bot sent."""
        return [m.get("text", m.get("caption", "")) for m in self.sent_messages(chat_id)]

    def my_commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands set with setMyCommands for this scope and language."""
        return copy.deepcopy(self._commands.get((_scope_key(scope), language_code), []))

    # --- HTTP plumbing ---------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(self, condition: Callable[[], bool], seconds: float) -> None:
        async with asyncio.timeout(seconds):
            while not condition():
                await self._changed.wait()

    def _canonical(self, method: str) -> str:
        entry = self._methods.get(method.lower())
        return entry[0] if entry else method

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._notify()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            error = ApiError(401, "Unauthorized")
            self._record(Call(method, {}, error.body(), ok=False, status=401))
            return web.json_response(error.body(), status=401)
        entry = self._methods.get(method.lower())
        try:
            params, uploads = await _read_params(request)
        except ApiError as unreadable:
            body = unreadable.body()
            self._record(Call(method, {}, body, ok=False, status=unreadable.status))
            return web.json_response(body, status=unreadable.status)
        files = {name: upload.data for name, upload in uploads.items()}
        if entry is None:
            body = ApiError(404, "Not Found").body()
            self._record(Call(method, params, body, False, files, 404))
            return web.json_response(body, status=404)
        method, handler = entry
        delay = self._delays.get(method, 0.0)
        if delay > 0:
            # Interruptible, so that stop() never waits for a delayed answer.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stopped.wait()
        try:
            fault = self._take_fault(method)
            if fault is not None:
                raise ApiError(fault.status, fault.description, fault.parameters)
            result = handler(params, uploads, request)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as error:
            self._record(Call(method, params, error.body(), False, files, error.status))
            return web.json_response(error.body(), status=error.status)
        except _Abandoned:
            return web.json_response([], status=499)
        self._record(Call(method, params, copy.deepcopy(result), True, files))
        return web.json_response({"ok": True, "result": result})

    def _take_fault(self, method: str) -> _Fault | None:
        faults = self._faults.get(method)
        if not faults:
            return None
        fault = faults[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            faults.pop(0)
        return fault

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        path = request.match_info["path"]
        for file_id, record in self._files.items():
            if record.data is not None and _file_path(file_id) == path:
                return web.Response(body=record.data, content_type="application/octet-stream")
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    # --- state helpers ---------------------------------------------------------------------

    def _register_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return copy.deepcopy(user)

    def _chat_of(
        self,
        chat_id: int | None,
        chat_type: str,
        user: dict[str, Any],
        title: str | None,
    ) -> dict[str, Any]:
        if chat_type == "private":
            return self.ensure_chat(
                user["id"] if chat_id is None else chat_id,
                first_name=user["first_name"],
                username=user.get("username"),
            )
        if chat_id is None:
            chat_id = DEFAULT_SUPERGROUP_ID if chat_type == "supergroup" else DEFAULT_GROUP_ID
        return self.ensure_chat(chat_id, chat_type=chat_type, title=title)

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _quoted(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """A message as embedded in reply_to_message (current version, no nested reply)."""
        stored = self._messages.get((message["chat"]["id"], message["message_id"]))
        quoted = copy.deepcopy(stored.message if stored else dict(message))
        quoted.pop("reply_to_message", None)
        return quoted

    def _undelivered(self) -> list[dict[str, Any]]:
        return [u for u in self._updates if u["update_id"] not in self._delivered]

    def _chat(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Resolve the chat_id parameter like Telegram: unknown chats are "chat not found"."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise ApiError.bad_request("chat_id is empty")
        chat: dict[str, Any] | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            chat = self._chats.get(raw)
        elif isinstance(raw, str) and raw.startswith("@"):
            name = raw[1:].lower()
            chat = next(
                (c for c in self._chats.values() if c.get("username", "").lower() == name), None
            )
        if chat is None:
            raise ApiError.bad_request("chat not found")
        if chat["id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _stored_bot_message(self, params: Mapping[str, Any], missing: str) -> _Stored:
        chat = self._chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise ApiError.bad_request("message identifier is not specified")
        stored = self._messages.get((chat["id"], _as_int(message_id, "message_id")))
        if stored is None or stored.deleted:
            raise ApiError.bad_request(missing)
        return stored

    def _new_bot_message(self, chat: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(chat["id"]),
            "from": copy.deepcopy(self.bot_user),
            "chat": copy.deepcopy(chat),
            "date": _now(),
            **content,
        }
        key = (chat["id"], message["message_id"])
        self._messages[key] = _Stored(message, from_bot=True)
        self._bot_messages.append(key)
        return copy.deepcopy(message)

    def _reply_to(self, chat: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
            chat = self._chat(reply) if "chat_id" in reply else chat
        else:
            message_id = params.get("reply_to_message_id")
            allow = bool(params.get("allow_sending_without_reply"))
        if message_id is None:
            return {}
        stored = self._messages.get((chat["id"], _as_int(message_id, "message_id")))
        if stored is None or stored.deleted:
            if allow:
                return {}
            raise ApiError.bad_request("message to be replied not found")
        return {"reply_to_message": self._quoted(stored.message)}

    # --- validation ------------------------------------------------------------------------

    def _parse(self, text: str, parse_mode: Any, entities: Any) -> ParsedText:
        if entities:
            if not isinstance(entities, list):
                raise ApiError.bad_request("can't parse entities JSON object")
            return ParsedText(text, [dict(e) for e in entities])
        mode = str(parse_mode or "").lower()
        if mode == "html":
            try:
                return parse_html(text, strict=self.strict_html)
            except EntityParseError as error:
                raise ApiError.bad_request(f"can't parse entities: {error}") from None
        if mode in ("", "markdown", "markdownv2"):
            # Markdown is not validated: the bot uses HTML.
            return ParsedText(text, [])
        raise ApiError.bad_request("unsupported parse_mode")

    def _message_text(self, params: Mapping[str, Any], key: str = "message_text") -> ParsedText:
        text = params.get(key)
        if not isinstance(text, str) or not text:
            raise ApiError.bad_request("message text is empty")
        entity_key = "entities" if key == "text" or key == "message_text" else f"{key}_entities"
        parsed = self._parse(text, params.get("parse_mode"), params.get(entity_key))
        if not parsed.text.strip():
            raise ApiError.bad_request("message text is empty")
        if parsed.utf16_length > MAX_TEXT:
            raise ApiError.bad_request("message is too long")
        return parsed

    def _caption(self, params: Mapping[str, Any]) -> dict[str, Any]:
        caption = params.get("caption")
        if caption is None or caption == "":
            return {}
        if not isinstance(caption, str):
            raise ApiError.bad_request("can't parse caption: must be a string")
        parsed = self._parse(caption, params.get("parse_mode"), params.get("caption_entities"))
        if parsed.utf16_length > MAX_CAPTION:
            raise ApiError.bad_request("message caption is too long")
        content: dict[str, Any] = {"caption": parsed.text}
        if parsed.entities:
            content["caption_entities"] = parsed.entities
        return content

    def _markup(self, markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup; return what a Message echoes (only inline keyboards)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError.bad_request(
                    'can\'t parse inline keyboard button: field "inline_keyboard" must be an '
                    "Array of Arrays"
                )
            buttons = [button for row in rows for button in row]
            if len(buttons) > 100:
                raise ApiError.bad_request("reply markup is too long")
            for button in buttons:
                _check_inline_button(button)
            return {"inline_keyboard": rows} if buttons else None
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError.bad_request("can't parse keyboard: must be an Array of Arrays")
            for button in (b for row in rows for b in row):
                text = button if isinstance(button, str) else (button or {}).get("text")
                if not isinstance(text, str) or not text:
                    raise ApiError.bad_request("keyboard button text is empty")
            return None
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return None
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")

    # --- files and photos ------------------------------------------------------------------

    def _new_file_id(self) -> tuple[str, str]:
        n = next(self._file_ids)
        return f"AgACAgIAAxkBAAI{n:07d}FakeFileId", f"AQAD{n:07d}"

    def _photo_sizes(self, width: int, height: int, data: bytes | None) -> list[dict[str, Any]]:
        """Telegram's thumbnails of a photo: side 90, 320, 800, 1280 up to the original."""
        biggest = max(width, height, 1)
        total = len(data) if data is not None else width * height // 8
        sizes: list[dict[str, Any]] = []
        for side in (90, 320, 800, 1280, 2560):
            scale = min(1.0, side / biggest)
            file_id, unique_id = self._new_file_id()
            size: dict[str, Any] = {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "file_size": max(1, round(total * scale * scale)),
            }
            sizes.append(size)
            if scale >= 1.0:
                break
        for size in sizes:
            self._files[size["file_id"]] = _FileRecord(
                size["file_unique_id"], size["file_size"], data, sizes
            )
        return sizes

    def _photo(self, media: Any, uploads: Mapping[str, _Upload]) -> list[dict[str, Any]]:
        """Resolve a photo given as upload, attach://name, URL or file_id to its PhotoSizes."""
        if isinstance(media, str) and media.startswith("attach://"):
            upload = uploads.get(media.removeprefix("attach://"))
            if upload is None:
                raise ApiError.bad_request(WRONG_FILE)
            media = upload
        if isinstance(media, _Upload):
            return self._uploaded_photo(media)
        if not isinstance(media, str) or not media:
            raise ApiError.bad_request("there is no photo in the request")
        if media.lower().startswith(("http://", "https://")):
            for prefix, error in self.unfetchable_urls.items():
                if media.startswith(prefix):
                    raise _FetchFailed(error)
            if media not in self._url_photos:
                self._url_photos[media] = self._photo_sizes(*self.url_photo_size, None)
            return copy.deepcopy(self._url_photos[media])
        record = self._files.get(media)
        if record is None or record.photo is None:
            raise ApiError.bad_request(WRONG_FILE)
        return copy.deepcopy(record.photo)

    def _uploaded_photo(self, upload: _Upload) -> list[dict[str, Any]]:
        if not upload.data:
            raise ApiError.bad_request("file must be non-empty")
        if len(upload.data) > MAX_UPLOAD_PHOTO:
            raise ApiError.bad_request("PHOTO_SAVE_FILE_INVALID (photos are limited to 10 MB)")
        size = _image_size(upload.data)
        if size is None:
            if self.reject_non_image_uploads:
                raise ApiError.bad_request("IMAGE_PROCESS_FAILED")
            size = self.url_photo_size
        if size[0] + size[1] > 10000:
            raise ApiError.bad_request("PHOTO_INVALID_DIMENSIONS")
        return self._photo_sizes(size[0], size[1], upload.data)

    def _other_media(self, kind: str, media: Any, uploads: Mapping[str, _Upload]) -> Any:
        """Minimal objects for non-photo album items (the bot only sends photos)."""
        attached = isinstance(media, str) and media.startswith("attach://")
        if attached and media.removeprefix("attach://") not in uploads:
            raise ApiError.bad_request(WRONG_FILE)
        file_id, unique_id = self._new_file_id()
        obj: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id}
        if kind == "video":
            obj.update(width=640, height=480, duration=1)
        if kind == "audio":
            obj["duration"] = 1
        return obj

    # --- Bot API methods -------------------------------------------------------------------

    def _true(self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request) -> bool:
        return True

    def _get_me(self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request) -> Any:
        return copy.deepcopy(self.bot_user)

    def _set_webhook(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> bool:
        self.webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
            self._notify()
        return True

    def _get_webhook_info(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(
        self, params: dict[str, Any], uploads: dict[str, _Upload], request: web.Request
    ) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset", 0), "offset")
        limit = min(max(_as_int(params.get("limit", 100), "limit"), 1), 100)
        timeout = max(0.0, float(params.get("timeout", 0) or 0))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            # An empty list restores Telegram's default; the setting persists across calls.
            self._allowed_updates = frozenset(allowed) if allowed else None
        self._confirm(offset)

        previous = self._poll
        if previous is not None:
            transport = previous.request.transport
            previous.conflicted = transport is not None and not transport.is_closing()
        ticket = _PollTicket(request)
        self._poll = ticket
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if ticket.conflicted:
                    raise ApiError(409, GET_UPDATES_CONFLICT)
                if self._poll is not ticket and not ticket.conflicted:
                    # Superseded after our client went away: nobody is listening.
                    raise _Abandoned
                batch = self._deliverable(limit)
                remaining = deadline - loop.time()
                if batch or self._stopping or remaining <= 0:
                    break
                try:
                    async with asyncio.timeout(remaining):
                        await self._changed.wait()
                except TimeoutError:
                    pass
        finally:
            if self._poll is ticket:
                self._poll = None
                self._notify()
        self._delivered.update(u["update_id"] for u in batch)
        self._notify()
        return copy.deepcopy(batch)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            # Telegram: take the last -offset updates, forget everything before them.
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._notify()

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        batch = []
        for update in list(self._updates):
            kind = next((k for k in update if k != "update_id"), "")
            allowed = (
                kind not in NOT_DELIVERED_BY_DEFAULT
                if self._allowed_updates is None
                else kind in self._allowed_updates
            )
            if not allowed:
                # Telegram never delivers these: drop them like it does.
                self._updates.remove(update)
                self.dropped_updates.append(update)
                continue
            batch.append(update)
            if len(batch) >= limit:
                break
        return batch

    def _send_message(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> Any:
        chat = self._chat(params)
        parsed = self._message_text(params, "text")
        markup = self._markup(params.get("reply_markup"))
        content: dict[str, Any] = {"text": parsed.text}
        if parsed.entities:
            content["entities"] = parsed.entities
        if markup:
            content["reply_markup"] = markup
        if isinstance(params.get("link_preview_options"), dict):
            content["link_preview_options"] = params["link_preview_options"]
        content.update(self._reply_to(chat, params))
        return self._new_bot_message(chat, content)

    def _send_photo(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> Any:
        chat = self._chat(params)
        # PTB uploads a sendPhoto file as the multipart part "photo" itself (no attach://).
        photo: Any = uploads.get("photo", params.get("photo"))
        if photo is None:
            raise ApiError.bad_request("there is no photo in the request")
        content = self._caption(params)
        markup = self._markup(params.get("reply_markup"))
        try:
            content["photo"] = self._photo(photo, uploads)
        except _FetchFailed:
            raise ApiError.bad_request(WRONG_FILE) from None
        if markup:
            content["reply_markup"] = markup
        content.update(self._reply_to(chat, params))
        return self._new_bot_message(chat, content)

    def _send_media_group(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> Any:
        chat = self._chat(params)
        media = params.get("media")
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise ApiError.bad_request("can't parse media JSON object")
        if not 2 <= len(media) <= 10:
            raise ApiError.bad_request(
                f"media group must contain 2-10 items, got {len(media)} (use sendPhoto for one)"
            )
        if "reply_markup" in params:
            raise ApiError.bad_request("an album can't have reply_markup (strict fake)")
        kinds = {item.get("type") for item in media}
        if not kinds <= {"photo", "video", "document", "audio"}:
            raise ApiError.bad_request(f"unsupported media type in media group: {kinds}")
        if len(kinds) > 1 and not kinds <= {"photo", "video"}:
            raise ApiError.bad_request("documents and audio can't be mixed with other media")
        captions = [self._caption(item) for item in media]
        reply = self._reply_to(chat, params)
        contents: list[dict[str, Any]] = []
        for index, (item, caption) in enumerate(zip(media, captions, strict=True), 1):
            kind = str(item["type"])
            try:
                if kind == "photo":
                    body: Any = self._photo(item.get("media"), uploads)
                else:
                    body = self._other_media(kind, item.get("media"), uploads)
            except _FetchFailed as failure:
                raise ApiError.bad_request(
                    f'failed to send message #{index} with the error message "{failure.error}"'
                ) from None
            contents.append({kind: body, **caption})
        group_id = str(next(self._media_group_ids))
        return [
            self._new_bot_message(chat, {**content, "media_group_id": group_id, **reply})
            for content in contents
        ]

    def _send_chat_action(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> bool:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError.bad_request("wrong parameter action in request")
        return True

    def _answer_callback_query(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self._callback_queries.get(query_id, True):
            raise ApiError.bad_request(QUERY_TOO_OLD)
        text = params.get("text")
        if isinstance(text, str) and utf16_len(text) > 200:
            raise ApiError.bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        return True

    def _edit(
        self,
        stored: _Stored,
        changes: dict[str, Any],
        markup: dict[str, Any] | None,
    ) -> Any:
        message = stored.message
        old = {key: message.get(key) for key in changes}
        if old == changes and message.get("reply_markup") == markup:
            raise ApiError.bad_request(NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        # Editing without reply_markup removes the inline keyboard, as on Telegram.
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = _now()
        return copy.deepcopy(message)

    def _edit_message_text(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> Any:
        parsed = self._message_text(params, "text")
        markup = self._markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        stored = self._stored_bot_message(params, "message to edit not found")
        if not stored.from_bot:
            raise ApiError.bad_request("message can't be edited")
        if "text" not in stored.message:
            raise ApiError.bad_request("there is no text in the message to edit")
        changes = {"text": parsed.text, "entities": parsed.entities or None}
        return self._edit(stored, changes, markup)

    def _edit_message_caption(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> Any:
        caption = self._caption(params)
        markup = self._markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        stored = self._stored_bot_message(params, "message to edit not found")
        if not stored.from_bot:
            raise ApiError.bad_request("message can't be edited")
        if "text" in stored.message:
            raise ApiError.bad_request("there is no caption in the message to edit")
        changes = {
            "caption": caption.get("caption"),
            "caption_entities": caption.get("caption_entities"),
        }
        return self._edit(stored, changes, markup)

    def _edit_message_reply_markup(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> Any:
        markup = self._markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        stored = self._stored_bot_message(params, "message to edit not found")
        if not stored.from_bot:
            raise ApiError.bad_request("message can't be edited")
        return self._edit(stored, {}, markup)

    def _delete_message(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> bool:
        stored = self._stored_bot_message(params, "message to delete not found")
        if not stored.from_bot and stored.message["chat"]["type"] != "private":
            raise ApiError.bad_request("message can't be deleted for everyone")
        stored.deleted = True
        return True

    def _set_my_commands(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError.bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError.bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError.bad_request("can't parse BotCommand: must be an Object")
            if not _COMMAND.fullmatch(str(command.get("command", ""))):
                raise ApiError.bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.get("scope")), str(params.get("language_code", "")))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _delete_my_commands(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> bool:
        key = (_scope_key(params.get("scope")), str(params.get("language_code", "")))
        self._commands.pop(key, None)
        return True

    def _get_my_commands(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> Any:
        key = (_scope_key(params.get("scope")), str(params.get("language_code", "")))
        return copy.deepcopy(self._commands.get(key, []))

    def _answer_inline_query(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> bool:
        query_id = str(params.get("inline_query_id", ""))
        if self._inline_queries.get(query_id, True):
            raise ApiError.bad_request(QUERY_TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list):
            raise ApiError.bad_request("can't parse inline query results JSON object")
        if len(results) > 50:
            raise ApiError.bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            self._check_inline_result(result, seen)
        button = params.get("button")
        if button is not None:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError.bad_request("can't parse InlineQueryResultsButton")
            start = button.get("start_parameter")
            if "web_app" not in button and not _START_PARAMETER.fullmatch(str(start or "")):
                raise ApiError.bad_request("START_PARAM_INVALID")
        switch_pm = params.get("switch_pm_parameter")
        if switch_pm is not None and not _START_PARAMETER.fullmatch(str(switch_pm)):
            raise ApiError.bad_request("START_PARAM_INVALID")
        if len(str(params.get("next_offset", "")).encode()) > 64:
            raise ApiError.bad_request("NEXT_OFFSET_INVALID")
        self._inline_queries[query_id] = True
        return True

    def _check_inline_result(self, result: Any, seen: set[str]) -> None:
        if not isinstance(result, dict):
            raise ApiError.bad_request("can't parse inline query result: must be an Object")
        result_id = result.get("id")
        if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
            raise ApiError.bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise ApiError.bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        kind = result.get("type")

        def require(*names: str) -> None:
            for name in names:
                if not result.get(name):
                    raise ApiError.bad_request(
                        f"can't parse inline query result: Can't find field \"{name}\""
                    )

        if kind == "article":
            require("title", "input_message_content")
        elif kind == "photo" and not result.get("photo_file_id"):
            require("photo_url", "thumbnail_url")
        content = result.get("input_message_content")
        if content is not None:
            if not isinstance(content, dict):
                raise ApiError.bad_request(
                    'can\'t parse inline query result: Field "input_message_content" must be '
                    "of type Object"
                )
            if "message_text" in content:
                self._message_text(content, "message_text")
        if result.get("caption"):
            self._caption(result)
        self._markup(result.get("reply_markup"))

    def _get_file(
        self, params: dict[str, Any], uploads: dict[str, _Upload], _: web.Request
    ) -> Any:
        file_id = str(params.get("file_id", ""))
        record = self._files.get(file_id)
        if record is None or record.data is None:
            raise ApiError.bad_request("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": len(record.data),
            "file_path": _file_path(file_id),
        }


# --- module helpers ------------------------------------------------------------------------


def _now() -> int:
    return int(time.time())


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ApiError.bad_request(f"wrong parameter {name} in request")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError.bad_request(f"wrong parameter {name} in request") from None


def _scope_key(scope: Any) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _file_path(file_id: str) -> str:
    return f"photos/{file_id}.jpg"


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise ApiError.bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise ApiError.bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise ApiError.bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in BUTTON_ACTIONS if name in button]
    if not actions:
        raise ApiError.bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise ApiError.bad_request(
            f"can't parse inline keyboard button: exactly one of the optional fields must be "
            f"used, got {actions} (strict fake)"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
            raise ApiError.bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not _BUTTON_URL.fullmatch(str(button["url"])):
        raise ApiError.bad_request("BUTTON_URL_INVALID")


def _decode_value(name: str, value: Any) -> Any:
    """Undo PTB's encoding: strings are sent raw, everything else as JSON."""
    if not isinstance(value, str) or name in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, _Upload]]:
    """Parameters from the query string plus a JSON, urlencoded or multipart body."""
    raw: dict[str, Any] = dict(request.query)
    uploads: dict[str, _Upload] = {}
    if request.content_type == "application/json":
        body = await request.read()
        if body.strip():
            try:
                loaded = json.loads(body)
            except ValueError:
                raise ApiError.bad_request("can't parse JSON encoded request body") from None
            if not isinstance(loaded, dict):
                raise ApiError.bad_request("JSON body must be an object")
            raw.update(loaded)
    elif request.body_exists:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                # Close aiohttp's temporary file now, or it warns at garbage collection.
                with value.file:
                    data = value.file.read()
                uploads[key] = _Upload(value.filename, value.content_type, data)
            elif isinstance(value, bytes | bytearray):
                raw[key] = bytes(value).decode("utf-8", "replace")
            else:
                raw[key] = value
    return {key: _decode_value(key, value) for key, value in raw.items()}, uploads


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG, or None if ``data`` is not one of those."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while pos + 9 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        # SOF0..SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return None
