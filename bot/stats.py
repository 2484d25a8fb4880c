"""What the operators see in ``/stats`` and ``python -m bot stats``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from babel.dates import format_time
from babel.numbers import format_percent

from bot.i18n import Translator
from bot.limits import BUDGET_WINDOW
from bot.lookup import Source
from bot.storage import Storage

DAY = 86400.0
WEEK = 7 * DAY
SERVED = (Source.FRESH.value, Source.CACHE.value, Source.SHARED.value)


@dataclass(frozen=True, slots=True)
class Period:
    """Lookups of one period, by how they ended, and who asked."""

    counts: dict[str, int]
    active_users: int

    def count(self, outcome: str) -> int:
        """Lookups that ended this way."""
        return self.counts.get(outcome, 0)

    @property
    def hit_rate(self) -> float | None:
        """Share of answered lookups that cost no request (cache or shared), or None."""
        answered = sum(self.count(outcome) for outcome in SERVED)
        free = self.count(Source.CACHE.value) + self.count(Source.SHARED.value)
        return free / answered if answered else None


@dataclass(frozen=True, slots=True)
class Stats:
    """The figures of ``/stats``."""

    budget_used: int
    budget_limit: int
    next_slot_at: float | None
    today: Period
    week: Period
    queued: int


async def gather(storage: Storage, *, hourly_budget: int, now: float) -> Stats:
    """Read the figures from the database."""
    window_start = now - BUDGET_WINDOW
    oldest = await storage.oldest_budget_entry(since=window_start)
    return Stats(
        budget_used=await storage.budget_used(since=window_start),
        budget_limit=hourly_budget,
        next_slot_at=None if oldest is None else oldest + BUDGET_WINDOW,
        today=await _period(storage, since=now - DAY),
        week=await _period(storage, since=now - WEEK),
        queued=await storage.queue_length(),
    )


async def _period(storage: Storage, *, since: float) -> Period:
    return Period(
        counts=await storage.lookup_counts(since=since),
        active_users=await storage.active_users(since=since),
    )


def describe(stats: Stats, t: Translator) -> str:
    """The figures as a message (HTML)."""
    lines = [
        t.gettext(
            "<b>Budget</b>: {used} of {limit} requests in the last hour, {left} left.",
            used=stats.budget_used,
            limit=stats.budget_limit,
            left=max(0, stats.budget_limit - stats.budget_used),
        )
    ]
    if stats.next_slot_at is not None:
        moment = datetime.fromtimestamp(stats.next_slot_at, UTC)
        clock = format_time(moment, "HH:mm", locale=t.locale)
        lines.append(t.gettext("Next slot frees at {time} UTC.", time=clock))
    periods = ((t.gettext("Last 24 hours"), stats.today), (t.gettext("Last 7 days"), stats.week))
    for title, period in periods:
        lines.append("")
        lines.append(f"<b>{title}</b>")
        lines.append(
            t.gettext(
                "fresh {fresh}, from cache {cached}, shared {shared}, refused {refused}, "
                "failed {failed}",
                fresh=period.count(Source.FRESH.value),
                cached=period.count(Source.CACHE.value),
                shared=period.count(Source.SHARED.value),
                refused=period.count("refused"),
                failed=period.count("failed"),
            )
        )
        rate = period.hit_rate
        lines.append(
            t.gettext(
                "cache hit rate {rate}, active users {users}",
                rate="-" if rate is None else format_percent(rate, locale=t.locale),
                users=period.active_users,
            )
        )
    lines.append("")
    lines.append(t.gettext("Queued lookups: {count}", count=stats.queued))
    return "\n".join(lines)
