"""Demo mode: every lookup answered from the vendor's sample history, no API request.

autoAstat has no free trial, so an operator can try the whole bot in Telegram
with only a BotFather token (``AUTOASTAT_TOKEN=demo`` or ``--demo``). Demo
answers touch neither the cache nor the limits: sample data must never be
served later as a real car's history.
"""

from __future__ import annotations

import time
from functools import cache
from importlib.resources import files

from bot.autoastat import History, parse_history
from bot.lookup import Found, RetryNotice, Source, WaitNotice


@cache
def sample_history() -> History:
    """The vendor's sample answer, shipped inside the package."""
    return parse_history(files("bot").joinpath("data", "sample_history.json").read_bytes())


class DemoLookups:
    """Answers like :class:`bot.lookup.LookupService`, always with the sample."""

    async def lookup(
        self,
        vin: str,
        user_id: int,
        *,
        on_retry: RetryNotice | None = None,
        on_wait: WaitNotice | None = None,
        refresh: bool = False,
    ) -> Found:
        """The sample history, whatever the VIN."""
        return await self.cached(vin)

    async def cached(self, vin: str) -> Found:
        """The sample history, whatever the VIN."""
        return Found(sample_history(), time.time(), Source.DEMO)
