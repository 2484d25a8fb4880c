"""Small statistics for the report: nearest-rank percentiles, and the memory of a process."""

from __future__ import annotations

import math
import resource
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: a value that was measured, never one in between."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Spread:
    """Median, p99 and maximum of a set of samples."""

    median: float
    p99: float
    maximum: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """The spread of these samples (NaN when there are none)."""
        if not values:
            return cls(math.nan, math.nan, math.nan, 0)
        return cls(
            median=statistics.median(values),
            p99=percentile(values, 0.99),
            maximum=max(values),
            count=len(values),
        )


def memory() -> dict[str, Any]:
    """This process's memory in KiB: ``maxrss_kb`` (ru_maxrss), ``hwm_kb``, ``rss_kb``.

    On Linux a process started by a big one reports in ru_maxrss the parent's peak as
    well (the kernel folds the old address space's peak in at exec), so the benchmark's
    children, started by a process holding the fakes, read high there. VmHWM, the peak of
    the process's own address space, has no such share; it is None where /proc is missing.
    """
    status: dict[str, int] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                status[key] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return {
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "hwm_kb": status.get("VmHWM"),
        "rss_kb": status.get("VmRSS"),
    }
