"""The test's fake Bot API with what a benchmark needs: timestamps and cheap counters.

:class:`tests.fakes.telegram.FakeTelegram` keeps every call and wakes every waiter on each
one, which a test of a few calls never notices and a burst of thousands does (each wait
re-scans the whole list). This subclass keeps counters instead of the call list, and
records, per chat, when ``getUpdates`` handed the chat's update out and when the bot's
answer arrived, on this process's clock: the bot under test runs in another process.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.fakes.telegram import Call, FakeTelegram

Awaited = Literal["album", "answer"]


@dataclass
class Expectation:
    """Chats whose album (or any answer) is still awaited."""

    what: Awaited
    pending: set[int]
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def observe(self, chat_id: int, what: Awaited) -> None:
        """Note that the chat got something; set `done` when nobody is left."""
        if what == self.what or self.what == "answer":
            self.pending.discard(chat_id)
            if not self.pending:
                self.done.set()


@dataclass(frozen=True)
class Captured:
    """The bot's answer to one chat, as sent: the floor repeats exactly these calls."""

    text: str
    media: list[dict[str, Any]]


class BenchTelegram(FakeTelegram):
    """FakeTelegram with per-chat timestamps and per-method counters, and no call log."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered_at: dict[int, float] = {}
        self.album_at: dict[int, float] = {}
        self.answered_at: dict[int, float] = {}
        self.counts: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.failure_examples: list[str] = []
        self.captured: dict[int, Captured] = {}
        # Client ports seen since the last reset: how many connections the bot's pool opened.
        self.connections: set[int] = set()
        self._capture: set[int] = set()
        self._texts: dict[int, str] = {}
        self._expectations: list[Expectation] = []

    def expect(self, chats: set[int], what: Awaited = "album") -> Expectation:
        """Start waiting for these chats; call before queueing their updates."""
        expectation = Expectation(what, set(chats))
        if not expectation.pending:
            expectation.done.set()
        self._expectations.append(expectation)
        return expectation

    async def wait(self, expectation: Expectation, within: float) -> None:
        """Wait until every chat of the expectation got its answer, at most `within` s."""
        try:
            async with asyncio.timeout(within):
                await expectation.done.wait()
        except TimeoutError:
            missing = sorted(expectation.pending)
            raise RuntimeError(
                f"no {expectation.what} for {len(missing)} chats within {within:.0f} s "
                f"(first: {missing[:5]}); failed calls: {dict(self.failures)} "
                f"{self.failure_examples[:3]}"
            ) from None
        finally:
            self._expectations.remove(expectation)

    def capture(self, chat_id: int) -> None:
        """Keep the text and album the bot sends to this chat (see :attr:`captured`)."""
        self._capture.add(chat_id)

    def reset_counts(self) -> None:
        """Forget the counters and connections (not the timestamps)."""
        self.counts.clear()
        self.connections.clear()
        self.failures.clear()
        self.failure_examples.clear()

    # --- hooks into the fake ----------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        if peer:
            self.connections.add(int(peer[1]))
        return await super()._handle(request)

    def _record(self, call: Call) -> None:
        # Counted, not kept: the list and the waiter wake-ups are what a burst cannot afford.
        self.counts[call.method] += 1
        if not call.ok:
            self.failures[call.method] += 1
            if len(self.failure_examples) < 10:
                self.failure_examples.append(call.summary())

    async def _get_updates(
        self, params: dict[str, Any], uploads: dict[str, Any], request: web.Request
    ) -> Any:
        batch = await super()._get_updates(params, uploads, request)
        now = time.perf_counter()
        for update in batch:
            message = update.get("message")
            if message is not None:
                self.delivered_at.setdefault(message["chat"]["id"], now)
        return batch

    def _send_message(
        self, params: dict[str, Any], uploads: dict[str, Any], request: web.Request
    ) -> Any:
        now = time.perf_counter()
        result = super()._send_message(params, uploads, request)
        chat_id = result["chat"]["id"]
        if chat_id in self._capture:
            self._texts[chat_id] = str(params.get("text", ""))
        self._answered(chat_id, now, "answer")
        return result

    def _send_media_group(
        self, params: dict[str, Any], uploads: dict[str, Any], request: web.Request
    ) -> Any:
        now = time.perf_counter()
        result = super()._send_media_group(params, uploads, request)
        chat_id = result[0]["chat"]["id"]
        if chat_id in self._capture:
            self.captured[chat_id] = Captured(self._texts.get(chat_id, ""), params["media"])
        self.album_at.setdefault(chat_id, now)
        self._answered(chat_id, now, "album")
        return result

    def _answered(self, chat_id: int, now: float, what: Awaited) -> None:
        self.answered_at.setdefault(chat_id, now)
        for expectation in list(self._expectations):
            expectation.observe(chat_id, what)
