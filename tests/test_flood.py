"""The per-user flood limit, with a clock the test moves."""

from __future__ import annotations

from bot.flood import WINDOW, FloodLimit, Verdict
from tests.clock import Clock


def test_the_limit_allows_n_a_minute_then_warns_once_then_drops() -> None:
    clock = Clock()
    flood = FloodLimit(3, exempt=frozenset(), clock=clock)

    verdicts = [flood.check(7) for _ in range(6)]

    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.WARN, Verdict.DROP, Verdict.DROP]


def test_the_window_rolls() -> None:
    clock = Clock()
    flood = FloodLimit(2, exempt=frozenset(), clock=clock)
    assert [flood.check(7), flood.check(7)] == [Verdict.ALLOW, Verdict.ALLOW]
    clock.now += 30
    assert flood.check(7) is Verdict.WARN

    clock.now += WINDOW - 30
    assert flood.check(7) is Verdict.ALLOW


def test_a_new_window_warns_again() -> None:
    clock = Clock()
    flood = FloodLimit(1, exempt=frozenset(), clock=clock)
    assert [flood.check(7), flood.check(7)] == [Verdict.ALLOW, Verdict.WARN]

    clock.now += WINDOW
    assert [flood.check(7), flood.check(7)] == [Verdict.ALLOW, Verdict.WARN]


def test_users_are_counted_apart_and_admins_and_zero_are_unlimited() -> None:
    clock = Clock()
    flood = FloodLimit(1, exempt=frozenset({99}), clock=clock)
    assert [flood.check(1), flood.check(2)] == [Verdict.ALLOW, Verdict.ALLOW]
    assert all(flood.check(99) is Verdict.ALLOW for _ in range(50))

    unlimited = FloodLimit(0, exempt=frozenset(), clock=clock)
    assert all(unlimited.check(1) is Verdict.ALLOW for _ in range(50))


def test_idle_users_are_forgotten() -> None:
    clock = Clock()
    flood = FloodLimit(1, exempt=frozenset(), clock=clock)
    flood.check(1)
    flood.check(2)
    flood.check(2)
    clock.now += WINDOW + 1

    flood.forget_idle()

    # A forgotten user starts afresh: allowed, not dropped as if still warned.
    assert flood.check(2) is Verdict.ALLOW
    assert flood.check(2) is Verdict.WARN
