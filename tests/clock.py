"""A clock tests move by hand, for everything that takes a `clock` callable."""

from __future__ import annotations

# Some time in 2027: far from the epoch, so that "an hour ago" is a real moment.
START = 1_800_000_000.0


class Clock:
    """Returns `now`, which only the test changes."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.now += seconds
