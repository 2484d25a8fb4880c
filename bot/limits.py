"""The shared hourly budget and the per-user daily quota.

* Budget: an upstream request may start only while fewer than
  ``hourly_budget`` requests started in the last 60 minutes. Every attempt
  counts, retries included, and a failed request stays counted: it was made.
* Quota: a fresh lookup (one that needs the API) is charged to the asking user;
  at most ``daily_quota`` in any 24 hours (0: no limit). A lookup that fails is
  given back. Exempt users (the admins) are never charged.

Both are reserved together, in one database transaction, before the request
starts; see :meth:`bot.storage.Storage.reserve`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.storage import Granted, Refusal, Storage, Window

__all__ = ["BUDGET_WINDOW", "QUOTA_WINDOW", "Clock", "Granted", "Limits", "QuotaStatus", "Refusal"]

Clock = Callable[[], float]

BUDGET_WINDOW = 3600.0
QUOTA_WINDOW = 86400.0
# How long to hold all requests after a 429 that does not say how long.
DEFAULT_PAUSE = 300.0


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """How much of their quota a user has left."""

    limit: int | None  # None: not limited
    used: int
    next_frees_at: float | None
    granted: int = 0  # lookups an admin added on top of the limit

    @property
    def left(self) -> int | None:
        """Lookups left now, or None when not limited."""
        return None if self.limit is None else max(0, self.limit - self.used) + self.granted


class Limits:
    """Reserves, settles and refunds budget slots and quota charges."""

    def __init__(
        self,
        storage: Storage,
        *,
        hourly_budget: int,
        daily_quota: int,
        exempt_users: frozenset[int],
        clock: Clock,
    ) -> None:
        self._storage = storage
        self._hourly_budget = hourly_budget
        self._daily_quota = daily_quota
        self._exempt = exempt_users
        self._clock = clock

    def is_exempt(self, user_id: int) -> bool:
        """Whether the user's lookups are free of the quota."""
        return self._daily_quota == 0 or user_id in self._exempt

    async def reserve(self, vin: str, user_id: int) -> Granted | Refusal:
        """Reserve one upstream request for a fresh lookup by this user."""
        now = self._clock()
        charged = not self.is_exempt(user_id)
        quota = Window(now - QUOTA_WINDOW, self._daily_quota, QUOTA_WINDOW) if charged else None
        return await self._storage.reserve(
            vin=vin,
            user_id=user_id if charged else None,
            now=now,
            budget=self._budget_window(now),
            quota=quota,
        )

    async def reserve_retry(self, vin: str) -> Granted | Refusal:
        """Reserve a budget slot for another attempt of a lookup already charged."""
        now = self._clock()
        return await self._storage.reserve(
            vin=vin, user_id=None, now=now, budget=self._budget_window(now), quota=None
        )

    async def next_slot_at(self) -> float | None:
        """When the next upstream request may start (pause and budget): None if now."""
        now = self._clock()
        return await self._storage.next_slot_at(now=now, budget=self._budget_window(now))

    async def settle(self, granted: Granted) -> None:
        """The lookup got an answer: the user's charge stands."""
        if granted.quota_charge is not None:
            await self._storage.settle(granted.quota_charge)

    async def refund(self, granted: Granted) -> None:
        """The lookup failed: give the user's charge back (the budget slot stays spent)."""
        if granted.quota_charge is not None:
            await self._storage.refund(granted.quota_charge)

    async def pause(self, seconds: float | None) -> float:
        """Hold every upstream request for a while after the API said 429; returns the end."""
        until = self._clock() + (DEFAULT_PAUSE if seconds is None else seconds)
        await self._storage.pause_upstream(until)
        return until

    async def quota_status(self, user_id: int) -> QuotaStatus:
        """The user's use of their quota in the current window."""
        if self.is_exempt(user_id):
            return QuotaStatus(limit=None, used=0, next_frees_at=None)
        charges = await self._storage.quota_charges(user_id, since=self._clock() - QUOTA_WINDOW)
        next_frees = charges[0] + QUOTA_WINDOW if charges else None
        return QuotaStatus(
            limit=self._daily_quota,
            used=len(charges),
            next_frees_at=next_frees,
            granted=await self._storage.granted(user_id),
        )

    async def grant(self, user_id: int, extra: int) -> int:
        """Give the user `extra` lookups beyond the daily quota; returns what they have now."""
        return await self._storage.grant(user_id, extra)

    def _budget_window(self, now: float) -> Window:
        return Window(now - BUDGET_WINDOW, self._hourly_budget, BUDGET_WINDOW)
