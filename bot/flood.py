"""A per-user limit on how fast lookups may be asked, cached ones included.

The daily quota protects the paid API; this protects the bot and the chats
from one person pasting VINs in a loop. It lives in memory: a restart forgets
it, which costs nothing, since the paid limits are kept in the database.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

WINDOW = 60.0
# Past this many users in the table, idle ones are swept out.
SWEEP_ABOVE = 10_000


class Verdict(Enum):
    """What to do with one more lookup."""

    ALLOW = "allow"
    WARN = "warn"  # over the limit: say so, once per window
    DROP = "drop"  # over the limit and already told


@dataclass
class _Recent:
    asked: deque[float] = field(default_factory=deque)
    warned_at: float | None = None


class FloodLimit:
    """At most ``per_minute`` lookups per user in any 60 seconds; 0 switches it off."""

    def __init__(
        self, per_minute: int, *, exempt: frozenset[int], clock: Callable[[], float]
    ) -> None:
        self._per_minute = per_minute
        self._exempt = exempt
        self._clock = clock
        self._users: dict[int, _Recent] = {}

    def check(self, user_id: int) -> Verdict:
        """Count one lookup by the user, and say whether it may go ahead."""
        if self._per_minute == 0 or user_id in self._exempt:
            return Verdict.ALLOW
        now = self._clock()
        if len(self._users) > SWEEP_ABOVE:
            self.forget_idle()
        recent = self._users.setdefault(user_id, _Recent())
        while recent.asked and recent.asked[0] <= now - WINDOW:
            recent.asked.popleft()
        if len(recent.asked) < self._per_minute:
            recent.asked.append(now)
            return Verdict.ALLOW
        if recent.warned_at is not None and recent.warned_at > now - WINDOW:
            return Verdict.DROP
        recent.warned_at = now
        return Verdict.WARN

    def forget_idle(self) -> None:
        """Drop users with nothing in the window, so the table does not grow for ever."""
        cutoff = self._clock() - WINDOW
        idle = [
            user
            for user, recent in self._users.items()
            if (not recent.asked or recent.asked[-1] <= cutoff)
            and (recent.warned_at is None or recent.warned_at <= cutoff)
        ]
        for user in idle:
            del self._users[user]
