"""Profiling the event loop of the process under test, and summing the profile up.

The profiler is started and stopped from the event loop's own thread (both profilers
watch only the thread that starts them), so the aiosqlite worker thread is not in it:
its time shows as waiting in the loop. The summary gives the functions with the most
time of their own, and the same time summed per package, which is where a fix is chosen.
"""

from __future__ import annotations

import cProfile
import importlib.util
import pstats
import sys
import sysconfig
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

# The event loop waiting for something to do (the selector's system call): not work.
# pyinstrument names it "epoll.poll", cProfile "<method 'poll' of 'select.epoll' objects>".
IDLE_FUNCTIONS = ("epoll.poll", "'select.epoll'", "poll.poll", "select.select", "kqueue.control")
_STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
_REPOSITORY = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Entry:
    """One function, or one package, and its time in the profile."""

    name: str
    where: str
    own: float  # seconds spent in the function itself
    calls: int = 0


@dataclass(frozen=True)
class Summary:
    """The top of a profile."""

    profiler: str
    functions: list[Entry]
    packages: list[Entry]
    busy: float  # seconds of work (idle loop frames excluded)

    def to_json(self) -> dict[str, Any]:
        """Plain data for the control channel."""
        return {
            "profiler": self.profiler,
            "busy": self.busy,
            "functions": [asdict(entry) for entry in self.functions],
            "packages": [asdict(entry) for entry in self.packages],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        """The inverse of :meth:`to_json`."""
        return cls(
            profiler=str(data["profiler"]),
            busy=float(data["busy"]),
            functions=[Entry(**entry) for entry in data["functions"]],
            packages=[Entry(**entry) for entry in data["packages"]],
        )


class Profiler(Protocol):
    """What the worker needs of a profiler."""

    name: str

    def start(self) -> None:
        """Begin sampling or tracing the calling thread."""

    def stop(self, report: Path, top: int) -> Summary:
        """End, write the full report, and return its top."""


def package_of(path: str) -> str:
    """A short name of where code lives: ``bot``, ``telegram``, ``asyncio``, ..."""
    if not path or path == "~" or path.startswith("<"):  # cProfile writes "~" for C code
        return "builtins"
    resolved = Path(path).resolve()
    parts = resolved.parts
    if "site-packages" in parts:
        index = parts.index("site-packages")
        return parts[index + 1].removesuffix(".py") if index + 1 < len(parts) else "?"
    if resolved.is_relative_to(_REPOSITORY):
        return resolved.relative_to(_REPOSITORY).parts[0].removesuffix(".py")
    if resolved.is_relative_to(_STDLIB):
        return resolved.relative_to(_STDLIB).parts[0].removesuffix(".py")
    return resolved.name


def short_path(path: str) -> str:
    """A path relative to the repository, site-packages or the standard library."""
    if not path or path.startswith("<"):
        return path
    resolved = Path(path).resolve()
    parts = resolved.parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :])
    for base in (_REPOSITORY, _STDLIB):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return str(resolved)


def _summarise(profiler: str, rows: list[tuple[str, str, int, float, int]], top: int) -> Summary:
    """`rows`: (function, file, line, own seconds, calls)."""
    work = [row for row in rows if not any(idle in row[0] for idle in IDLE_FUNCTIONS)]
    busy = sum(row[3] for row in work)
    functions = [
        Entry(name=name, where=f"{short_path(file)}:{line}", own=own, calls=calls)
        for name, file, line, own, calls in sorted(work, key=lambda row: -row[3])[:top]
    ]
    per_package: dict[str, float] = defaultdict(float)
    for _, file, _, own, _ in work:
        per_package[package_of(file)] += own
    packages = [
        Entry(name=name, where="", own=own)
        for name, own in sorted(per_package.items(), key=lambda item: -item[1])
    ]
    return Summary(profiler=profiler, functions=functions, packages=packages, busy=busy)


class CProfiler:
    """The standard library's deterministic profiler (its overhead inflates small calls)."""

    name = "cProfile"

    def __init__(self) -> None:
        self._profile = cProfile.Profile()

    def start(self) -> None:
        """Trace the calling thread."""
        self._profile.enable()

    def stop(self, report: Path, top: int) -> Summary:
        """Write the stats sorted by own time; return the top."""
        self._profile.disable()
        with report.open("w") as out:
            stats = pstats.Stats(self._profile, stream=out)
            stats.sort_stats("tottime").print_stats(60)
            stats.sort_stats("cumulative").print_stats(60)
        # pstats keeps its table in an attribute typeshed does not declare.
        table: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
        table = stats.stats  # type: ignore[attr-defined]
        rows = [
            (func, file, line, own, calls)
            for (file, line, func), (_, calls, own, _, _) in table.items()
        ]
        return _summarise(self.name, rows, top)


class PyInstrumentProfiler:
    """pyinstrument's sampling profiler: little overhead, so the proportions hold."""

    name = "pyinstrument"

    def __init__(self) -> None:
        from pyinstrument import Profiler as Sampler

        # Wall-clock samples: a CPU-time timer would be called on every Python call and
        # return, a system call each, and slow the process down many times over. The
        # benchmark pins the fakes and the process under test to different cores, so that
        # wall time in this thread is, but for the waits left out below, its own work.
        self._sampler = Sampler(interval=0.0005, async_mode="disabled")

    def start(self) -> None:
        """Sample the calling thread."""
        self._sampler.start()

    def stop(self, report: Path, top: int) -> Summary:
        """Write the call tree; return the top by own time."""
        session = self._sampler.stop()
        flat = self._sampler.output_text(unicode=True, flat=True, flat_time="self")
        tree = self._sampler.output_text(unicode=True, show_all=False)
        report.write_text(f"{flat}\n\n{tree}")
        own: dict[tuple[str, str, int], float] = defaultdict(float)
        root = session.root_frame()
        stack = [root] if root is not None else []
        while stack:
            frame = stack.pop()
            key = (frame.function or "?", frame.file_path or "", frame.line_no or 0)
            own[key] += frame.total_self_time
            # Synthetic children ([self], [await]) are already in the parent's own time.
            stack.extend(child for child in frame.children if not child.is_synthetic)
        rows = [(func, file, line, seconds, 0) for (func, file, line), seconds in own.items()]
        return _summarise(self.name, rows, top)


def best_available() -> str:
    """pyinstrument when it is installed (``pip install pyinstrument``), else cProfile."""
    return "pyinstrument" if importlib.util.find_spec("pyinstrument") else "cprofile"


def make_profiler(name: str) -> Profiler:
    """The profiler of that name."""
    if name == "pyinstrument":
        return PyInstrumentProfiler()
    if name == "cprofile":
        return CProfiler()
    sys.exit(f"unknown profiler {name!r}")
