"""Lookups that wait for the hour's budget, answered into their chat when a slot frees.

The queue lives in the database, so a restart loses nothing: the worker picks
up where it stopped. Lookups are answered in order of asking; each user may
have a few waiting, so that one person cannot take every freed slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from telegram.error import Forbidden, TelegramError

from bot.limits import Clock, Limits
from bot.lookup import Lookups, Outcome, Refused
from bot.storage import QueuedLookup, Storage

logger = logging.getLogger(__name__)

PER_USER = 3
# However long the budget says, look again at least this often: a pause may be
# lifted, or the clock of the host may jump.
LONGEST_WAIT = 300.0
# After an unexpected error, wait before the next attempt instead of spinning.
ERROR_PAUSE = 30.0

Deliver = Callable[[QueuedLookup, Outcome], Awaitable[None]]


class LookupQueue:
    """Runs queued lookups one by one as budget slots free."""

    def __init__(
        self,
        *,
        storage: Storage,
        limits: Limits,
        lookups: Lookups,
        clock: Clock = time.time,
        per_user: int = PER_USER,
    ) -> None:
        self._storage = storage
        self._limits = limits
        self._lookups = lookups
        self._clock = clock
        self.per_user = per_user
        self._wakeup = asyncio.Event()
        self._stopping = False

    async def add(
        self, *, user_id: int, chat_id: int, vin: str, language: str, reply_to: int | None
    ) -> int | None:
        """Queue a lookup; its place in the queue, or None when the user has enough waiting."""
        place = await self._storage.enqueue(
            user_id=user_id,
            chat_id=chat_id,
            vin=vin,
            language=language,
            reply_to=reply_to,
            now=self._clock(),
            per_user=self.per_user,
        )
        if place is not None:
            self._wakeup.set()
        return place

    def stop(self) -> None:
        """Let the worker finish the lookup in hand, then end."""
        self._stopping = True
        self._wakeup.set()

    def wake(self) -> None:
        """Look at the queue again now: a slot may have freed sooner than expected."""
        self._wakeup.set()

    async def run(self, deliver: Deliver) -> None:
        """Answer queued lookups, through `deliver`, until stopped."""
        while not self._stopping:
            try:
                await self._answer_next(deliver)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("queued lookup failed; trying again in %.0f s", ERROR_PAUSE)
                await self._sleep_until(self._clock() + ERROR_PAUSE)

    async def _answer_next(self, deliver: Deliver) -> None:
        # Cleared before looking, so a lookup queued meanwhile cuts the next wait short.
        self._wakeup.clear()
        if self._stopping:
            return
        queued = await self._storage.next_queued()
        if queued is None:
            await self._sleep_until(None)
            return
        if await self._storage.is_unreachable(queued.chat_id):
            # The user blocked the bot: a paid lookup would go nowhere.
            logger.info("chat %d refuses the bot; its queued lookup is dropped", queued.chat_id)
            await self._storage.dequeue(queued.id)
            return
        slot_at = await self._limits.next_slot_at()
        if slot_at is not None:
            await self._sleep_until(slot_at)
            return

        outcome = await self._lookups.lookup(queued.vin, queued.user_id)
        if isinstance(outcome, Refused) and outcome.refusal.limit in ("budget", "paused"):
            # Another lookup took the slot first; wait for the next one.
            await self._sleep_until(outcome.refusal.frees_at)
            return
        try:
            await deliver(queued, outcome)
        except Forbidden:
            logger.info("chat %d refuses the bot; its queued answer is dropped", queued.chat_id)
            await self._storage.mark_unreachable(queued.chat_id, now=self._clock())
        except TelegramError as error:
            # The lookup is paid for and cached: the user gets it free by asking again.
            logger.warning(
                "could not deliver queued %s to %d: %s", queued.vin, queued.chat_id, error
            )
        await self._storage.dequeue(queued.id)

    async def _sleep_until(self, moment: float | None) -> None:
        """Wait until the moment (or a new lookup is queued), never longer than LONGEST_WAIT."""
        delay = LONGEST_WAIT if moment is None else min(LONGEST_WAIT, moment - self._clock())
        if delay <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=delay)
