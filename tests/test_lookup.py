"""``bot.lookup.LookupService`` against the fake autoAstat server, end to end below Telegram.

Everything is real except the time: a real ``AutoastatClient`` over a shared
``httpx.AsyncClient`` talks HTTP to ``FakeAutoastat`` on 127.0.0.1, a real SQLite
``Storage`` lives in the test's folder, and real ``Limits`` count the budget and the quotas.
The clock is moved by hand and the injected ``sleep`` only records its delays (and moves the
clock), so no test waits for a retry.

Concurrency is ordered with events, never with sleeps: ``ObservedStorage`` counts cache reads
(each asker reads the cache before it joins or starts a flight) and can hold reservations
back, and ``HeldAnswers`` can keep the server's answers back inside the HTTP transport.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
import pytest
from pydantic import SecretStr

from bot.autoastat import (
    AutoastatClient,
    AutoastatError,
    BadResponse,
    NetworkFailure,
    RateLimited,
    Unauthorised,
    Unavailable,
    parse_history,
)
from bot.limits import BUDGET_WINDOW, QUOTA_WINDOW, Limits
from bot.lookup import Failed, Found, LookupService, Outcome, Refused, RetryNotice, Source
from bot.storage import CachedHistory, Granted, Refusal, Storage, Window
from tests.clock import START, Clock
from tests.fakes.autoastat import SAMPLE_PATH, FakeAutoastat, Response
from tests.vins import SAMPLE_VIN, valid_vin

ALICE, BOB, ADMIN = 1, 2, 99
CACHE_TTL = 24 * 3600.0
RETRY_DELAY = 30.0
# Only a failing test ever waits this long for a condition.
DEADLINE = 10.0

SAMPLE = parse_history(SAMPLE_PATH.read_bytes())


# --------------------------------------------------------------------------- the rig


class Sleeps:
    """The service's sleep: records each delay and moves the clock instead of waiting."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.clock.advance(seconds)


class ObservedStorage(Storage):
    """A real Storage that counts cache reads and can hold reservations back."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        super().__init__(connection)
        self.cache_reads = 0
        self._reservations = asyncio.Event()
        self._reservations.set()
        self._changed = asyncio.Event()

    async def cached_history(self, vin: str, *, fetched_after: float) -> CachedHistory | None:
        found = await super().cached_history(vin, fetched_after=fetched_after)
        # The caller resumes in this same step: it has joined or started a flight before
        # any waiter below runs.
        self.cache_reads += 1
        self._changed.set()
        self._changed = asyncio.Event()
        return found

    async def reserve(
        self,
        *,
        vin: str,
        user_id: int | None,
        now: float,
        budget: Window,
        quota: Window | None,
    ) -> Granted | Refusal:
        await self._reservations.wait()
        return await super().reserve(vin=vin, user_id=user_id, now=now, budget=budget, quota=quota)

    def hold_reservations(self) -> None:
        self._reservations.clear()

    def release_reservations(self) -> None:
        self._reservations.set()

    async def wait_for_cache_reads(self, count: int) -> None:
        async with asyncio.timeout(DEADLINE):
            while self.cache_reads < count:
                await self._changed.wait()


class HeldAnswers(httpx.AsyncBaseTransport):
    """The ordinary HTTP transport, which can keep the server's answers back until released."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._open = asyncio.Event()
        self._open.set()

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        try:
            await self._open.wait()
        except BaseException:
            await response.aclose()
            raise
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class Rig:
    """One LookupService and everything it runs on."""

    fake: FakeAutoastat
    storage: ObservedStorage
    limits: Limits
    service: LookupService
    clock: Clock
    sleeps: Sleeps

    async def lookup(
        self, user: int = ALICE, vin: str = SAMPLE_VIN, *, on_retry: RetryNotice | None = None
    ) -> Outcome:
        return await self.service.lookup(vin, user, on_retry=on_retry)

    def start(
        self, user: int = ALICE, vin: str = SAMPLE_VIN, **kwargs: Any
    ) -> asyncio.Task[Outcome]:
        return asyncio.create_task(self.lookup(user, vin, **kwargs))

    async def budget_used(self) -> int:
        return await self.storage.budget_used(since=self.clock.now - BUDGET_WINDOW)

    async def quota_used(self, user: int) -> int:
        return (await self.limits.quota_status(user)).used


MakeRig = Callable[..., Awaitable[Rig]]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def transport() -> HeldAnswers:
    return HeldAnswers()


@pytest.fixture
async def http(transport: HeldAnswers) -> AsyncIterator[httpx.AsyncClient]:
    """The one HTTP client every service of a test shares (the bot has one, too)."""
    async with httpx.AsyncClient(transport=transport, timeout=5.0, trust_env=False) as client:
        yield client


@pytest.fixture
async def make_rig(
    tmp_path: Path, fake_autoastat: FakeAutoastat, http: httpx.AsyncClient, clock: Clock
) -> AsyncIterator[MakeRig]:
    """Build a service on the test's database; a second call is a restart of the bot."""
    opened: list[Storage] = []

    async def make(
        *,
        budget: int = 100,
        quota: int = 10,
        retries: int = 2,
        client: httpx.AsyncClient | None = None,
        **options: Any,
    ) -> Rig:
        storage = await ObservedStorage.open(tmp_path / "bot.sqlite3")
        assert isinstance(storage, ObservedStorage)
        opened.append(storage)
        limits = Limits(
            storage,
            hourly_budget=budget,
            daily_quota=quota,
            exempt_users=frozenset({ADMIN}),
            clock=clock,
        )
        sleeps = Sleeps(clock)
        autoastat = AutoastatClient(
            client or http, fake_autoastat.url, SecretStr(fake_autoastat.token)
        )
        service = LookupService(
            storage=storage,
            client=autoastat,
            limits=limits,
            cache_ttl=CACHE_TTL,
            retry_delay=RETRY_DELAY,
            retries=retries,
            clock=clock,
            sleep=sleeps,
            **options,
        )
        return Rig(fake_autoastat, storage, limits, service, clock, sleeps)

    yield make
    for storage in opened:
        await storage.close()


@pytest.fixture
async def rig(make_rig: MakeRig) -> Rig:
    return await make_rig()


def found(outcome: Outcome, source: Source) -> Found:
    assert isinstance(outcome, Found), outcome
    assert outcome.source == source
    return outcome


def found_any(outcome: Outcome) -> Found:
    assert isinstance(outcome, Found), outcome
    return outcome


def failed(outcome: Outcome, error: type[AutoastatError]) -> AutoastatError:
    assert isinstance(outcome, Failed), outcome
    assert type(outcome.error) is error
    return outcome.error


def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def unavailable(count: int) -> list[Response]:
    return [Response(503, {"message": "Service Unavailable"}) for _ in range(count)]


class Notices:
    """An on_retry callback that records the delays it is told."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


# --------------------------------------------------------------------------- the cache


async def test_a_fresh_lookup_fetches_charges_and_caches(rig: Rig) -> None:
    assert await rig.service.cached(SAMPLE_VIN) is None

    outcome = found(await rig.lookup(ALICE), Source.FRESH)

    assert outcome.history == SAMPLE
    assert outcome.fetched_at == START
    assert rig.fake.request_count(SAMPLE_VIN) == 1
    assert await rig.budget_used() == 1
    assert await rig.quota_used(ALICE) == 1
    cached = await rig.service.cached(SAMPLE_VIN)
    assert cached == Found(SAMPLE, START, Source.CACHE)


async def test_a_cache_hit_costs_no_request_no_budget_and_no_quota(make_rig: MakeRig) -> None:
    rig = await make_rig(budget=1, quota=1)
    first = found(await rig.lookup(ALICE), Source.FRESH)
    rig.clock.advance(60)

    # Both the budget and Alice's quota are spent now; the cache answers all the same.
    again = found(await rig.lookup(ALICE), Source.CACHE)
    other = found(await rig.lookup(BOB), Source.CACHE)

    assert again.history == other.history == first.history
    assert again.fetched_at == other.fetched_at == START
    assert rig.fake.request_count() == 1
    assert await rig.budget_used() == 1
    assert await rig.quota_used(ALICE) == 1
    assert await rig.quota_used(BOB) == 0


async def test_the_cache_expires_after_its_ttl(rig: Rig) -> None:
    found(await rig.lookup(), Source.FRESH)

    rig.clock.advance(CACHE_TTL - 1)
    found(await rig.lookup(), Source.CACHE)
    rig.clock.advance(1)
    refreshed = found(await rig.lookup(), Source.FRESH)

    assert refreshed.fetched_at == START + CACHE_TTL
    assert rig.fake.request_count() == 2
    # Both fetches were charged (the first one has just left the 24-hour window).
    assert len(await rig.storage.quota_charges(ALICE, since=0)) == 2


async def test_no_records_is_cached_too(rig: Rig) -> None:
    rig.fake.set_history(SAMPLE_VIN, [])

    first = found(await rig.lookup(ALICE), Source.FRESH)
    second = found(await rig.lookup(BOB), Source.CACHE)

    assert first.history == second.history == ()
    assert rig.fake.request_count() == 1
    assert await rig.quota_used(ALICE) == 1
    assert await rig.quota_used(BOB) == 0


async def test_a_refresh_asks_the_api_even_with_a_fresh_cache(rig: Rig) -> None:
    found(await rig.lookup(ALICE), Source.FRESH)
    rig.clock.advance(60)
    rig.fake.set_history(SAMPLE_VIN, [])

    refreshed = found(await rig.service.lookup(SAMPLE_VIN, ALICE, refresh=True), Source.FRESH)

    assert refreshed.history == ()
    assert rig.fake.request_count() == 2
    assert await rig.quota_used(ALICE) == 2
    assert await rig.service.cached(SAMPLE_VIN) == Found((), START + 60, Source.CACHE)


async def test_a_failed_refresh_keeps_the_cached_history(rig: Rig) -> None:
    found(await rig.lookup(ALICE), Source.FRESH)
    rig.fake.set_response(SAMPLE_VIN, status=200, body="<html>maintenance</html>")

    failed(await rig.service.lookup(SAMPLE_VIN, ALICE, refresh=True), BadResponse)

    assert await rig.service.cached(SAMPLE_VIN) == Found(SAMPLE, START, Source.CACHE)
    assert await rig.quota_used(ALICE) == 1


# --------------------------------------------------------------------------- single flight


async def test_twenty_concurrent_askers_of_one_vin_make_one_request(rig: Rig) -> None:
    rig.fake.delay = 0.2
    users = range(1, 21)
    # Hold the first flight before its request until every asker has looked at the cache.
    rig.storage.hold_reservations()
    tasks = [rig.start(user) for user in users]
    await rig.storage.wait_for_cache_reads(len(tasks) + 1)  # + the flight's own re-check
    rig.storage.release_reservations()

    outcomes = await asyncio.gather(*tasks)

    assert rig.fake.request_count() == 1
    assert rig.fake.max_concurrent == 1
    answers = {user: found_any(outcome) for user, outcome in zip(users, outcomes, strict=True)}
    assert Counter(a.source for a in answers.values()) == {Source.FRESH: 1, Source.SHARED: 19}
    assert all(a.history == SAMPLE and a.fetched_at == START for a in answers.values())
    (leader,) = (user for user, a in answers.items() if a.source == Source.FRESH)
    for user in users:
        assert await rig.quota_used(user) == (1 if user == leader else 0)
    assert await rig.budget_used() == 1


async def test_askers_who_come_while_the_request_is_in_the_air_join_it(
    rig: Rig, transport: HeldAnswers
) -> None:
    transport.hold()
    leader = rig.start(ALICE)
    await rig.fake.wait_for_requests(vin=SAMPLE_VIN)
    followers = [rig.start(user) for user in range(2, 12)]
    await rig.storage.wait_for_cache_reads(2 + len(followers))
    transport.release()

    first, *rest = await asyncio.gather(leader, *followers)

    found(first, Source.FRESH)
    for outcome in rest:
        assert found(outcome, Source.SHARED).history == SAMPLE
    assert rig.fake.request_count() == 1
    assert await rig.quota_used(ALICE) == 1
    assert [await rig.quota_used(user) for user in range(2, 12)] == [0] * 10


async def test_a_failed_flight_fails_its_followers_without_charging_anyone(rig: Rig) -> None:
    rig.fake.set_response(SAMPLE_VIN, status=401, body={"message": "Unauthorized"})
    rig.storage.hold_reservations()
    tasks = [rig.start(user) for user in (ALICE, BOB, 3)]
    await rig.storage.wait_for_cache_reads(4)
    rig.storage.release_reservations()

    outcomes = await asyncio.gather(*tasks)

    for outcome in outcomes:
        failed(outcome, Unauthorised)
    assert rig.fake.request_count() == 1
    assert [await rig.quota_used(user) for user in (ALICE, BOB, 3)] == [0, 0, 0]


async def test_a_follower_does_not_inherit_the_leaders_own_quota_refusal(
    make_rig: MakeRig,
) -> None:
    rig = await make_rig(quota=1)
    found(await rig.lookup(ALICE, valid_vin(1)), Source.FRESH)  # Alice's quota is spent
    reads = rig.storage.cache_reads
    rig.storage.hold_reservations()
    leader = rig.start(ALICE)
    await rig.storage.wait_for_cache_reads(reads + 2)  # Alice's flight waits to reserve
    follower = rig.start(BOB)
    await rig.storage.wait_for_cache_reads(reads + 3)  # Bob has joined Alice's flight
    rig.storage.release_reservations()

    alice, bob = await asyncio.gather(leader, follower)

    assert isinstance(alice, Refused)
    assert alice.refusal == Refusal("quota", frees_at=START + QUOTA_WINDOW)
    assert found(bob, Source.FRESH).history == SAMPLE
    assert rig.fake.request_count(SAMPLE_VIN) == 1
    assert await rig.quota_used(ALICE) == 1
    assert await rig.quota_used(BOB) == 1


async def test_a_leaders_failing_retry_notice_does_not_break_the_followers_lookup(
    rig: Rig,
) -> None:
    async def notice_fails(delay: float) -> None:
        raise RuntimeError("Forbidden: bot was blocked by the user")

    rig.fake.queue_responses(SAMPLE_VIN, unavailable(1))
    rig.storage.hold_reservations()
    leader = rig.start(ALICE, on_retry=notice_fails)
    await rig.storage.wait_for_cache_reads(2)
    follower = rig.start(BOB)
    await rig.storage.wait_for_cache_reads(3)
    rig.storage.release_reservations()

    _, bob = await asyncio.gather(leader, follower, return_exceptions=True)

    assert isinstance(bob, Found), bob
    assert rig.fake.request_count() == 2


# --------------------------------------------------------------------------- retries


async def test_a_503_is_retried_after_the_retry_delay(rig: Rig) -> None:
    rig.fake.queue_responses(SAMPLE_VIN, unavailable(1))
    notices = Notices()

    outcome = found(await rig.lookup(ALICE, on_retry=notices), Source.FRESH)

    assert outcome.history == SAMPLE
    assert rig.fake.request_count() == 2
    assert rig.sleeps.delays == [RETRY_DELAY]
    assert notices.delays == [RETRY_DELAY]
    assert await rig.budget_used() == 2
    assert await rig.quota_used(ALICE) == 1


async def test_three_503s_fail_after_three_requests_and_give_the_quota_back(rig: Rig) -> None:
    # A fourth request would succeed; it must not be made.
    rig.fake.queue_responses(SAMPLE_VIN, unavailable(3))
    notices = Notices()

    outcome = await rig.lookup(ALICE, on_retry=notices)

    failed(outcome, Unavailable)
    assert rig.fake.request_count() == 3
    assert rig.sleeps.delays == [RETRY_DELAY, RETRY_DELAY]
    assert notices.delays == [RETRY_DELAY, RETRY_DELAY]
    assert await rig.budget_used() == 3
    assert await rig.quota_used(ALICE) == 0
    assert await rig.service.cached(SAMPLE_VIN) is None


async def test_no_retries_configured_means_one_request(make_rig: MakeRig) -> None:
    rig = await make_rig(retries=0)
    rig.fake.queue_responses(SAMPLE_VIN, unavailable(1))

    failed(await rig.lookup(), Unavailable)

    assert rig.fake.request_count() == 1
    assert rig.sleeps.delays == []


async def test_a_retry_needs_a_budget_slot_of_its_own(make_rig: MakeRig) -> None:
    rig = await make_rig(budget=2)
    rig.fake.queue_responses(SAMPLE_VIN, unavailable(3))

    failed(await rig.lookup(ALICE), Unavailable)

    assert rig.fake.request_count() == 2
    assert await rig.budget_used() == 2
    assert await rig.quota_used(ALICE) == 0


async def test_a_spent_budget_allows_no_retry_at_all(make_rig: MakeRig) -> None:
    rig = await make_rig(budget=1)
    rig.fake.queue_responses(SAMPLE_VIN, unavailable(1))

    failed(await rig.lookup(ALICE), Unavailable)

    assert rig.fake.request_count() == 1
    assert await rig.budget_used() == 1
    assert await rig.quota_used(ALICE) == 0


# --------------------------------------------------------------------------- 429


async def test_a_429_pauses_every_lookup_until_retry_after_even_across_a_restart(
    rig: Rig, make_rig: MakeRig
) -> None:
    cached_vin, other_vin = valid_vin(1), valid_vin(2)
    found(await rig.lookup(ALICE, cached_vin), Source.FRESH)
    rig.fake.set_response(
        SAMPLE_VIN,
        status=429,
        body={"message": "Too Many Requests"},
        headers={"Retry-After": "120"},
    )

    error = failed(await rig.lookup(ALICE), RateLimited)

    assert isinstance(error, RateLimited)
    assert error.retry_after == 120
    paused = Refused(Refusal("paused", frees_at=START + 120))
    assert await rig.lookup(BOB, other_vin) == paused
    assert await rig.lookup(ADMIN, other_vin) == paused
    found(await rig.lookup(BOB, cached_vin), Source.CACHE)
    rig.clock.advance(119)
    assert await rig.lookup(BOB, other_vin) == paused

    await rig.storage.close()
    restarted = await make_rig()
    assert await restarted.lookup(BOB, other_vin) == paused
    assert rig.fake.request_count() == 2
    assert await restarted.quota_used(ALICE) == 1  # the 429 was given back
    assert await restarted.quota_used(BOB) == 0

    restarted.clock.advance(1)
    found(await restarted.lookup(BOB, other_vin), Source.FRESH)
    assert rig.fake.request_count(other_vin) == 1


async def test_a_429_without_retry_after_still_pauses(rig: Rig) -> None:
    rig.fake.set_response(SAMPLE_VIN, status=429, body={"message": "Too Many Requests"})

    failed(await rig.lookup(ALICE), RateLimited)
    outcome = await rig.lookup(BOB, valid_vin(1))

    assert isinstance(outcome, Refused)
    assert outcome.refusal.limit == "paused"
    assert outcome.refusal.frees_at > START
    assert rig.fake.request_count() == 1


# --------------------------------------------------------------------------- other failures


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param({"status": 401, "body": {"message": "Unauthorized"}}, Unauthorised, id="401"),
        pytest.param({"status": 403, "body": {"message": "Forbidden"}}, Unauthorised, id="403"),
        pytest.param({"body": "<html>maintenance</html>"}, BadResponse, id="not-json"),
        pytest.param({"body": b"\x00\xff garbage"}, BadResponse, id="binary"),
        pytest.param({"body": {"sales": []}}, BadResponse, id="object-not-list"),
        pytest.param({"body": [{"date": "yesterday"}]}, BadResponse, id="wrong-field-type"),
        pytest.param({"body": [1, 2, 3]}, BadResponse, id="list-of-numbers"),
        pytest.param({"status": 400, "body": {"message": "bad"}}, BadResponse, id="400"),
        pytest.param(
            {
                "status": 404,
                "body": "<html>Not Found</html>",
                "headers": {"Content-Type": "text/html"},
            },
            BadResponse,
            id="html-404",
        ),
    ],
)
async def test_a_failed_request_gives_the_quota_back_but_spends_the_budget(
    rig: Rig, answer: dict[str, Any], error: type[AutoastatError]
) -> None:
    rig.fake.set_response(SAMPLE_VIN, **answer)

    failed(await rig.lookup(ALICE), error)

    assert rig.fake.request_count() == 1
    assert rig.sleeps.delays == []
    assert await rig.budget_used() == 1
    assert await rig.quota_used(ALICE) == 0
    assert await rig.service.cached(SAMPLE_VIN) is None


async def test_a_rejected_token_alarms_once_until_a_lookup_succeeds_again(
    make_rig: MakeRig,
) -> None:
    alarms: list[str] = []

    async def alarm() -> None:
        alarms.append("token rejected")

    rig = await make_rig(on_token_rejected=alarm)
    for n in (1, 2, 3):
        rig.fake.set_response(valid_vin(n), status=401, body={"message": "Unauthorized"})

    failed(await rig.lookup(ALICE, valid_vin(1)), Unauthorised)
    failed(await rig.lookup(ALICE, valid_vin(2)), Unauthorised)
    assert len(alarms) == 1
    found(await rig.lookup(ALICE), Source.FRESH)
    failed(await rig.lookup(ALICE, valid_vin(3)), Unauthorised)

    assert len(alarms) == 2


async def test_a_failure_is_not_cached(rig: Rig) -> None:
    rig.fake.queue_responses(SAMPLE_VIN, [Response(200, "not json")])
    failed(await rig.lookup(ALICE), BadResponse)

    found(await rig.lookup(ALICE), Source.FRESH)

    assert rig.fake.request_count() == 2
    assert await rig.quota_used(ALICE) == 1


async def test_a_json_404_is_no_records(rig: Rig) -> None:
    rig.fake.set_response(SAMPLE_VIN, status=404, body={"message": "Not Found"})

    assert found(await rig.lookup(ALICE), Source.FRESH).history == ()
    assert await rig.quota_used(ALICE) == 1


async def test_a_timeout_fails_as_a_network_failure_and_gives_the_quota_back(
    make_rig: MakeRig,
) -> None:
    async with httpx.AsyncClient(timeout=0.2, trust_env=False) as impatient:
        rig = await make_rig(client=impatient)
        rig.fake.hang(SAMPLE_VIN)

        failed(await rig.lookup(ALICE), NetworkFailure)

    assert rig.fake.request_count() == 1
    assert await rig.budget_used() == 1
    assert await rig.quota_used(ALICE) == 0


async def test_a_refused_connection_fails_as_a_network_failure(
    rig: Rig, http: httpx.AsyncClient
) -> None:
    client = AutoastatClient(http, f"http://127.0.0.1:{closed_port()}", SecretStr("token"))
    service = LookupService(
        storage=rig.storage,
        client=client,
        limits=rig.limits,
        cache_ttl=CACHE_TTL,
        retry_delay=RETRY_DELAY,
        clock=rig.clock,
        sleep=rig.sleeps,
    )

    failed(await service.lookup(SAMPLE_VIN, ALICE), NetworkFailure)

    assert await rig.quota_used(ALICE) == 0
    assert await rig.budget_used() == 1


# --------------------------------------------------------------------------- limits


async def test_a_spent_budget_refuses_with_the_time_it_frees(make_rig: MakeRig) -> None:
    rig = await make_rig(budget=1)
    found(await rig.lookup(ALICE), Source.FRESH)
    rig.clock.advance(600)

    refused = await rig.lookup(BOB, valid_vin(1))
    refused_admin = await rig.lookup(ADMIN, valid_vin(1))

    expected = Refused(Refusal("budget", frees_at=START + BUDGET_WINDOW))
    assert refused == refused_admin == expected
    assert rig.fake.request_count() == 1
    assert await rig.quota_used(BOB) == 0


async def test_a_spent_quota_refuses_the_user_but_not_others(make_rig: MakeRig) -> None:
    rig = await make_rig(quota=2)
    for n in (1, 2):
        found(await rig.lookup(ALICE, valid_vin(n)), Source.FRESH)
        rig.clock.advance(60)

    refused = await rig.lookup(ALICE, valid_vin(3))

    assert refused == Refused(Refusal("quota", frees_at=START + QUOTA_WINDOW))
    assert rig.fake.request_count(valid_vin(3)) == 0
    assert await rig.budget_used() == 2
    found(await rig.lookup(BOB, valid_vin(3)), Source.FRESH)


async def test_admins_are_exempt_from_the_quota(make_rig: MakeRig) -> None:
    rig = await make_rig(quota=1)

    for n in range(1, 4):
        found(await rig.lookup(ADMIN, valid_vin(n)), Source.FRESH)

    assert rig.fake.request_count() == 3
    assert (await rig.limits.quota_status(ADMIN)).limit is None
    assert await rig.storage.quota_charges(ADMIN, since=0) == []


# --------------------------------------------------------------------------- cancellation


async def test_an_asker_who_gives_up_does_not_cancel_the_flight(
    rig: Rig, transport: HeldAnswers
) -> None:
    transport.hold()
    asker = rig.start(ALICE)
    await rig.fake.wait_for_requests(vin=SAMPLE_VIN)

    asker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asker
    transport.release()
    # Bob joins the flight still in the air, or finds what it cached: either way no request.
    later = await rig.lookup(BOB)

    assert isinstance(later, Found)
    assert later.source in (Source.SHARED, Source.CACHE)
    assert later.history == SAMPLE
    assert rig.fake.request_count() == 1
    assert await rig.service.cached(SAMPLE_VIN) is not None
    assert await rig.quota_used(ALICE) == 1
    assert await rig.quota_used(BOB) == 0


def _flight(vin: str) -> asyncio.Task[Any]:
    (flight,) = (task for task in asyncio.all_tasks() if task.get_name() == f"lookup {vin}")
    return flight


async def test_a_flight_cancelled_mid_request_gives_the_quota_back(
    rig: Rig, transport: HeldAnswers
) -> None:
    transport.hold()
    asker = rig.start(ALICE)
    await rig.fake.wait_for_requests(vin=SAMPLE_VIN)

    _flight(SAMPLE_VIN).cancel()  # as at shutdown
    with pytest.raises(asyncio.CancelledError):
        await asker

    assert await rig.quota_used(ALICE) == 0
    assert await rig.budget_used() == 1
    assert await rig.service.cached(SAMPLE_VIN) is None
    transport.release()
    found(await rig.lookup(ALICE), Source.FRESH)
    assert rig.fake.request_count() == 2


# --------------------------------------------------------------------------- the log


def _lookup_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "bot.lookup" and record.levelno == logging.INFO
    ]


async def test_every_lookup_logs_one_info_line(
    make_rig: MakeRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.lookup")
    rig = await make_rig(quota=1)
    rig.fake.queue_responses(valid_vin(1), unavailable(3))

    found(await rig.lookup(ALICE), Source.FRESH)
    found(await rig.lookup(BOB), Source.CACHE)
    failed(await rig.lookup(BOB, valid_vin(1)), Unavailable)
    assert isinstance(await rig.lookup(ALICE, valid_vin(2)), Refused)

    fresh, cache, failure, refusal = _lookup_lines(caplog)
    for line, vin, user in [
        (fresh, SAMPLE_VIN, ALICE),
        (cache, SAMPLE_VIN, BOB),
        (failure, valid_vin(1), BOB),
        (refusal, valid_vin(2), ALICE),
    ]:
        assert f"vin={vin}" in line
        assert f"user={user}" in line
        assert re.search(r"\b\d+ ms\b", line), line
    assert "fresh" in fresh
    assert "spent 1 requests" in fresh
    assert "cache" in cache
    assert "spent 0 requests" in cache
    assert "Unavailable" in failure
    assert "spent 3 requests" in failure
    assert "quota" in refusal
    assert "spent 0 requests" in refusal


async def test_a_shared_lookup_logs_its_source_and_no_request(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.lookup")
    rig.storage.hold_reservations()
    tasks = [rig.start(ALICE), rig.start(BOB)]
    await rig.storage.wait_for_cache_reads(3)
    rig.storage.release_reservations()
    await asyncio.gather(*tasks)

    lines = _lookup_lines(caplog)

    assert len(lines) == 2
    assert sum("shared" in line and "spent 0 requests" in line for line in lines) == 1
    assert sum("fresh" in line and "spent 1 requests" in line for line in lines) == 1
