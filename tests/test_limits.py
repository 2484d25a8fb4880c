"""The hourly budget and the daily quota, on a real SQLite file with a clock we move."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.limits import BUDGET_WINDOW, QUOTA_WINDOW, Granted, Limits, Refusal
from bot.storage import Storage
from tests.clock import Clock

VIN = "1FMZU73K83ZB53903"
ALICE, BOB, ADMIN = 1, 2, 99


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    yield storage
    await storage.close()


def make_limits(storage: Storage, clock: Clock, *, budget: int = 100, quota: int = 10) -> Limits:
    return Limits(
        storage,
        hourly_budget=budget,
        daily_quota=quota,
        exempt_users=frozenset({ADMIN}),
        clock=clock,
    )


async def test_budget_refuses_the_request_over_the_hourly_limit(
    storage: Storage, clock: Clock
) -> None:
    limits = make_limits(storage, clock, budget=3, quota=0)
    for _ in range(3):
        assert isinstance(await limits.reserve(VIN, ALICE), Granted)
        clock.advance(60)

    refused = await limits.reserve(VIN, ALICE)

    assert refused == Refusal("budget", frees_at=clock.now - 180 + BUDGET_WINDOW)


async def test_budget_slot_frees_exactly_one_hour_after_it_was_taken(
    storage: Storage, clock: Clock
) -> None:
    limits = make_limits(storage, clock, budget=1, quota=0)
    first = clock.now
    assert isinstance(await limits.reserve(VIN, ALICE), Granted)

    clock.now = first + BUDGET_WINDOW - 1
    assert isinstance(await limits.reserve(VIN, ALICE), Refusal)
    clock.now = first + BUDGET_WINDOW
    assert isinstance(await limits.reserve(VIN, ALICE), Granted)


async def test_budget_is_shared_by_all_users(storage: Storage, clock: Clock) -> None:
    limits = make_limits(storage, clock, budget=2, quota=10)
    assert isinstance(await limits.reserve(VIN, ALICE), Granted)
    assert isinstance(await limits.reserve(VIN, BOB), Granted)

    refused = await limits.reserve(VIN, ADMIN)

    assert isinstance(refused, Refusal)
    assert refused.limit == "budget"


async def test_concurrent_reservations_never_exceed_the_budget(
    storage: Storage, clock: Clock
) -> None:
    limits = make_limits(storage, clock, budget=7, quota=0)

    outcomes = await asyncio.gather(*(limits.reserve(f"VIN{i}", i) for i in range(40)))

    assert sum(isinstance(outcome, Granted) for outcome in outcomes) == 7
    assert await storage.budget_used(since=clock.now - BUDGET_WINDOW) == 7


async def test_quota_refuses_a_user_over_the_daily_limit_but_not_others(
    storage: Storage, clock: Clock
) -> None:
    limits = make_limits(storage, clock, quota=2)
    for _ in range(2):
        granted = await limits.reserve(VIN, ALICE)
        assert isinstance(granted, Granted)
        await limits.settle(granted)
    first_charge = clock.now
    clock.advance(600)

    refused = await limits.reserve(VIN, ALICE)

    assert refused == Refusal("quota", frees_at=first_charge + QUOTA_WINDOW)
    assert isinstance(await limits.reserve(VIN, BOB), Granted)


async def test_refused_quota_spends_no_budget(storage: Storage, clock: Clock) -> None:
    limits = make_limits(storage, clock, quota=1)
    assert isinstance(await limits.reserve(VIN, ALICE), Granted)

    assert isinstance(await limits.reserve(VIN, ALICE), Refusal)

    assert await storage.budget_used(since=clock.now - BUDGET_WINDOW) == 1


async def test_refund_gives_the_quota_back_but_not_the_budget(
    storage: Storage, clock: Clock
) -> None:
    limits = make_limits(storage, clock, budget=5, quota=1)
    granted = await limits.reserve(VIN, ALICE)
    assert isinstance(granted, Granted)

    await limits.refund(granted)

    assert (await limits.quota_status(ALICE)).left == 1
    assert await storage.budget_used(since=clock.now - BUDGET_WINDOW) == 1
    assert isinstance(await limits.reserve(VIN, ALICE), Granted)


async def test_admins_and_a_zero_quota_are_not_limited_per_user(
    storage: Storage, clock: Clock
) -> None:
    limits = make_limits(storage, clock, quota=1)
    for _ in range(3):
        granted = await limits.reserve(VIN, ADMIN)
        assert isinstance(granted, Granted)
        assert granted.quota_charge is None
    assert (await limits.quota_status(ADMIN)).left is None

    unlimited = make_limits(storage, clock, quota=0)
    for _ in range(3):
        assert isinstance(await unlimited.reserve(VIN, ALICE), Granted)


async def test_retry_takes_a_budget_slot_and_no_quota(storage: Storage, clock: Clock) -> None:
    limits = make_limits(storage, clock, budget=2, quota=1)
    assert isinstance(await limits.reserve(VIN, ALICE), Granted)

    retry = await limits.reserve_retry(VIN)

    assert isinstance(retry, Granted)
    assert retry.quota_charge is None
    assert isinstance(await limits.reserve_retry(VIN), Refusal)
    assert (await limits.quota_status(ALICE)).used == 1


async def test_pause_after_429_holds_every_request_until_it_ends(
    storage: Storage, clock: Clock
) -> None:
    limits = make_limits(storage, clock)
    until = await limits.pause(120)

    assert await limits.reserve(VIN, ALICE) == Refusal("paused", frees_at=until)
    assert await limits.reserve_retry(VIN) == Refusal("paused", frees_at=until)
    clock.advance(120)
    assert isinstance(await limits.reserve(VIN, ALICE), Granted)


async def test_a_shorter_pause_does_not_cut_a_longer_one(storage: Storage, clock: Clock) -> None:
    limits = make_limits(storage, clock)
    long_until = await limits.pause(600)
    await limits.pause(10)

    assert await storage.upstream_paused_until() == long_until


async def test_quota_status_counts_the_rolling_day(storage: Storage, clock: Clock) -> None:
    limits = make_limits(storage, clock, quota=3)
    first = clock.now
    for _ in range(2):
        granted = await limits.reserve(VIN, ALICE)
        assert isinstance(granted, Granted)
        await limits.settle(granted)
        clock.advance(3600)

    status = await limits.quota_status(ALICE)
    assert (status.used, status.left, status.next_frees_at) == (2, 1, first + QUOTA_WINDOW)

    clock.now = first + QUOTA_WINDOW
    assert (await limits.quota_status(ALICE)).used == 1


async def test_limits_survive_reopening_the_database(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    limits = make_limits(storage, clock, budget=1, quota=1)
    granted = await limits.reserve(VIN, ALICE)
    assert isinstance(granted, Granted)
    await limits.settle(granted)
    await storage.close()

    reopened = await Storage.open(path)
    try:
        limits = make_limits(reopened, clock, budget=1, quota=1)
        refused = await limits.reserve(VIN, BOB)
        assert isinstance(refused, Refusal)
        assert refused.limit == "budget"
        assert (await limits.quota_status(ALICE)).used == 1
    finally:
        await reopened.close()


async def test_unsettled_charges_are_given_back_after_a_crash(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    limits = make_limits(storage, clock, quota=2)
    settled = await limits.reserve(VIN, ALICE)
    assert isinstance(settled, Granted)
    await limits.settle(settled)
    in_flight = await limits.reserve(VIN, ALICE)
    assert isinstance(in_flight, Granted)
    await storage.close()  # the process dies before the lookup settles

    reopened = await Storage.open(path)
    try:
        assert await reopened.refund_unsettled() == 1
        status = await make_limits(reopened, clock, quota=2).quota_status(ALICE)
        assert status.used == 1
        assert await reopened.budget_used(since=clock.now - BUDGET_WINDOW) == 2
    finally:
        await reopened.close()
