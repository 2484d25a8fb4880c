"""One lookup of a VIN: cache, single-flight, limits and the API put together.

The order of the steps is what keeps paid requests rare:

1. a fresh cached history answers at once and costs nothing;
2. a lookup of the same VIN already in flight is joined, not repeated;
3. otherwise the user's quota and a budget slot are reserved together, the
   API is asked, and the answer (even "no records") is cached before anyone
   sees it.

This module knows nothing of Telegram; its callers render the outcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.autoastat import (
    AutoastatClient,
    AutoastatError,
    History,
    RateLimited,
    Unauthorised,
    Unavailable,
    dump_history,
    parse_history,
)
from bot.limits import Clock, Limits, Refusal
from bot.storage import Storage

logger = logging.getLogger(__name__)

# Called with the delay before the next attempt after a 503.
RetryNotice = Callable[[float], Awaitable[None]]
# Called when the answer has to come from the API, so the asker may show they wait.
WaitNotice = Callable[[], None]
# Called once when the API starts refusing the token, again only after it accepted it.
TokenAlarm = Callable[[], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]


class Source(StrEnum):
    """Where a found history came from."""

    CACHE = "cache"
    FRESH = "fresh"
    SHARED = "shared"  # fetched by a concurrent lookup of the same VIN
    DEMO = "demo"  # the vendor's sample, not this car's history


@dataclass(frozen=True, slots=True)
class Found:
    """The VIN's history (possibly empty: no records)."""

    history: History
    fetched_at: float
    source: Source


@dataclass(frozen=True, slots=True)
class Refused:
    """A limit stopped the lookup before anything was spent."""

    refusal: Refusal


@dataclass(frozen=True, slots=True)
class Failed:
    """The API was asked but gave no history; the user's quota was given back."""

    error: AutoastatError


Outcome = Found | Refused | Failed


class Lookups(Protocol):
    """What the chat surfaces need of a lookup service (the real one, or the demo)."""

    async def lookup(
        self,
        vin: str,
        user_id: int,
        *,
        on_retry: RetryNotice | None = None,
        on_wait: WaitNotice | None = None,
        refresh: bool = False,
    ) -> Outcome:
        """Find the VIN's history for this user."""

    async def cached(self, vin: str) -> Found | None:
        """The VIN's history if it can be had without spending anything."""


@dataclass(frozen=True, slots=True)
class _Ask:
    """One lookup as asked, carried through the steps that answer it."""

    vin: str
    user_id: int
    on_retry: RetryNotice | None
    on_wait: WaitNotice | None
    refresh: bool

    def waiting(self) -> None:
        """The answer has to come from the API: let the asker show it."""
        if self.on_wait is not None:
            self.on_wait()


@dataclass(frozen=True, slots=True)
class _Resolution:
    outcome: Outcome
    requests: int  # upstream requests this resolution made


class LookupService:
    """Answers lookups while spending as little of the API budget as possible."""

    def __init__(
        self,
        *,
        storage: Storage,
        client: AutoastatClient,
        limits: Limits,
        cache_ttl: float,
        retry_delay: float,
        retries: int = 2,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        on_token_rejected: TokenAlarm | None = None,
    ) -> None:
        self._storage = storage
        self._client = client
        self._limits = limits
        self._cache_ttl = cache_ttl
        self._retry_delay = retry_delay
        self._retries = retries
        self._clock = clock
        self._sleep = sleep
        self._flights: dict[str, asyncio.Task[_Resolution]] = {}
        self._on_token_rejected = on_token_rejected
        self._token_rejected = False

    async def lookup(
        self,
        vin: str,
        user_id: int,
        *,
        on_retry: RetryNotice | None = None,
        on_wait: WaitNotice | None = None,
        refresh: bool = False,
    ) -> Outcome:
        """Find the VIN's history for this user, from the cache or the API.

        `on_wait` is called if the answer has to come from the API (a cached one
        comes at once); `refresh` skips the cache, so the API is asked anyway.
        """
        started = time.perf_counter()
        ask = _Ask(vin, user_id, on_retry, on_wait, refresh)
        resolution = await self._resolve(ask)
        _log(vin, user_id, resolution, time.perf_counter() - started)
        await self._storage.log_lookup(
            at=self._clock(), user_id=user_id, vin=vin, outcome=outcome_name(resolution.outcome)
        )
        return resolution.outcome

    async def cached(self, vin: str) -> Found | None:
        """The VIN's history if the cache has a fresh one; never spends anything."""
        cached = await self._storage.cached_history(
            vin, fetched_after=self._clock() - self._cache_ttl
        )
        if cached is None:
            return None
        return Found(parse_history(cached.payload), cached.fetched_at, Source.CACHE)

    async def _resolve(self, ask: _Ask) -> _Resolution:
        vin = ask.vin
        found = None if ask.refresh else await self.cached(vin)
        if found is not None:
            return _Resolution(found, requests=0)

        while True:
            flight = self._flights.get(vin)
            if flight is None:
                break
            ask.waiting()
            # Shielded: one asker giving up must not cancel the others' answer.
            shared = await asyncio.shield(flight)
            match shared.outcome:
                case Found() as found:
                    return _Resolution(
                        Found(found.history, found.fetched_at, Source.SHARED), requests=0
                    )
                case Failed():
                    return _Resolution(shared.outcome, requests=0)
                case Refused():
                    # That asker's own quota may be what refused; try on ours, as
                    # the leader of a flight of our own.
                    self._land(vin, flight)
                    continue

        flight = asyncio.create_task(self._fetch(ask), name=f"lookup {vin}")
        self._flights[vin] = flight
        flight.add_done_callback(lambda done: self._land(vin, done))
        return await asyncio.shield(flight)

    def _land(self, vin: str, flight: asyncio.Task[_Resolution]) -> None:
        """Forget a finished flight, and only that one: a newer one may have taken off."""
        if self._flights.get(vin) is flight:
            del self._flights[vin]

    async def _fetch(self, ask: _Ask) -> _Resolution:
        vin = ask.vin
        # A flight that just ended may have filled the cache after we looked.
        found = None if ask.refresh else await self.cached(vin)
        if found is not None:
            return _Resolution(found, requests=0)

        granted = await self._limits.reserve(vin, ask.user_id)
        if isinstance(granted, Refusal):
            return _Resolution(Refused(granted), requests=0)
        ask.waiting()

        requests = 0
        try:
            while True:
                requests += 1
                try:
                    history = await self._client.fetch_history(vin)
                    break
                except Unavailable:
                    if not await self._may_retry(vin, requests, ask.on_retry):
                        raise
        except AutoastatError as error:
            await self._limits.refund(granted)
            await self._after_failure(error)
            return _Resolution(Failed(error), requests)
        except BaseException:
            await self._limits.refund(granted)
            raise

        self._token_rejected = False
        fetched_at = self._clock()
        await self._storage.store_history(vin, dump_history(history), fetched_at=fetched_at)
        await self._limits.settle(granted)
        return _Resolution(Found(history, fetched_at, Source.FRESH), requests)

    async def _may_retry(self, vin: str, attempts: int, on_retry: RetryNotice | None) -> bool:
        """After a 503: wait, then take a budget slot for one more attempt if any is left."""
        if attempts > self._retries:
            return False
        if on_retry is not None:
            # The notice goes to whoever asked first; if it cannot be delivered
            # (a blocked bot, a Telegram error), everyone sharing the lookup still
            # deserves the retry.
            try:
                await on_retry(self._retry_delay)
            except Exception:
                logger.warning("could not send the retry notice for %s", vin, exc_info=True)
        await self._sleep(self._retry_delay)
        # A retry is a request like any other: it needs a budget slot of its own.
        return not isinstance(await self._limits.reserve_retry(vin), Refusal)

    async def _after_failure(self, error: AutoastatError) -> None:
        if isinstance(error, RateLimited):
            until = await self._limits.pause(error.retry_after)
            logger.warning(
                "autoastat rate limit hit; requests held for %.0f s", until - self._clock()
            )
        elif isinstance(error, Unauthorised):
            logger.error("autoastat refused the token (%s); check AUTOASTAT_TOKEN", error)
            if not self._token_rejected and self._on_token_rejected is not None:
                self._token_rejected = True
                try:
                    await self._on_token_rejected()
                except Exception:
                    logger.warning("could not raise the rejected-token alarm", exc_info=True)
        else:
            logger.warning("autoastat failed: %s; body starts %r", error, error.excerpt)


def outcome_name(outcome: Outcome) -> str:
    """How the lookup log names an outcome: a source of the history, refused or failed."""
    match outcome:
        case Found():
            return outcome.source.value
        case Refused():
            return "refused"
        case Failed():
            return "failed"


def _log(vin: str, user_id: int, resolution: _Resolution, elapsed: float) -> None:
    outcome = resolution.outcome
    match outcome:
        case Found():
            result = f"found {len(outcome.history)} sales ({outcome.source})"
        case Refused():
            result = f"refused by {outcome.refusal.limit}"
        case Failed():
            result = f"failed: {type(outcome.error).__name__}"
    logger.info(
        "lookup vin=%s user=%d %s, spent %d requests, in %.0f ms",
        vin,
        user_id,
        result,
        resolution.requests,
        elapsed * 1000,
    )
