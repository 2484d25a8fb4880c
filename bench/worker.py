"""The process under test: the real bot (``bot``) or the bare PTB floor (``floor``).

Run by :mod:`bench.run`, never by hand::

    python -m bench.worker bot|floor [--no-limiter] [--reply FILE] [--profiler NAME] [--cpu N]

The settings come from the environment, as for ``python -m bot`` (the fakes' addresses,
a fresh database). The benchmark talks to this process over stdin and stdout, one JSON
object a line, so that the CPU time is read *in* the process under test
(:func:`time.process_time`, all its threads) at the exact start and end of a burst:

* ``stats`` answers ``{"cpu": s, "maxrss_kb": n, "hwm_kb": n, "rss_kb": n}``;
* ``profile-start`` / ``profile-stop PATH`` profile the event loop's thread;
* ``quit`` (or the end of stdin) stops polling and exits.

The first line written is ``{"event": "ready"}``, once the application polls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any
from unittest import mock

from bench.floor import PassThroughLimiter, Reply, build_floor
from bench.floor import running as floor_running
from bench.profiling import Profiler, make_profiler
from bench.stats import memory

TOP_ENTRIES = 25


class Control:
    """The line protocol with the benchmark, read on a thread of its own."""

    def __init__(self, loop: asyncio.AbstractEventLoop, profiler_name: str) -> None:
        self._loop = loop
        self._profiler_name = profiler_name
        self._profiler: Profiler | None = None
        self._write_lock = threading.Lock()
        self.quit = asyncio.Event()

    def send(self, message: dict[str, Any]) -> None:
        """One line to the benchmark (from either thread)."""
        with self._write_lock:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()

    def listen(self) -> None:
        """Start reading commands; runs until ``quit`` or the end of stdin."""
        threading.Thread(target=self._read, name="bench control", daemon=True).start()

    def _read(self) -> None:
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "stats":
                # Read here, not on the loop: a busy loop must not delay the reading.
                self.send(stats())
            elif command == "profile-start":
                self._loop.call_soon_threadsafe(self._profile_start)
            elif command == "profile-stop":
                self._loop.call_soon_threadsafe(self._profile_stop, Path(argument))
            elif command == "quit":
                break
        self._loop.call_soon_threadsafe(self.quit.set)

    # Both run on the event loop's thread: the profilers watch the thread that starts them.
    def _profile_start(self) -> None:
        self._profiler = make_profiler(self._profiler_name)
        self._profiler.start()
        self.send({"event": "profiling", "profiler": self._profiler.name})

    def _profile_stop(self, report: Path) -> None:
        if self._profiler is None:
            self.send({"event": "error", "error": "profile-stop without profile-start"})
            return
        summary = self._profiler.stop(report, TOP_ENTRIES)
        self._profiler = None
        self.send({"event": "profiled", "summary": summary.to_json()})


def stats() -> dict[str, Any]:
    """CPU seconds of the whole process so far, and its memory (see bench.stats.memory)."""
    return {"cpu": time.process_time(), **memory()}


def bot_application(limiter: bool) -> tuple[Any, AbstractAsyncContextManager[Any]]:
    """The real bot from the environment's settings, configured like ``python -m bot``."""
    import bot.app
    from bot.config import Settings
    from bot.logs import configure_logging

    # No .env of the developer's: the benchmark sets every value it relies on.
    settings = Settings(_env_file=None)
    configure_logging(settings)
    if limiter:
        application = bot.app.build_application(settings)
    else:
        # The only change for the runs labelled "without the limiter"; the floor gets the same.
        with mock.patch.object(bot.app, "AIORateLimiter", PassThroughLimiter):
            application = bot.app.build_application(settings)
    return application, bot.app.running(application)


def floor_application(
    limiter: bool, reply_file: Path
) -> tuple[Any, AbstractAsyncContextManager[Any]]:
    """The floor, logging like the bot does (INFO, httpx quiet) so logging costs the same."""
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    data = json.loads(reply_file.read_text("utf-8"))
    reply = Reply.from_media(data["text"], data["media"])
    application = build_floor(
        os.environ["BOT_TOKEN"],
        os.environ["TELEGRAM_API_URL"].rstrip("/"),
        reply,
        limiter=limiter,
    )
    return application, floor_running(application)


async def serve(arguments: argparse.Namespace) -> None:
    """Poll until told to quit."""
    control = Control(asyncio.get_running_loop(), arguments.profiler)
    if arguments.app == "bot":
        _, running = bot_application(not arguments.no_limiter)
    else:
        _, running = floor_application(not arguments.no_limiter, arguments.reply)
    async with running:
        control.send({"event": "ready", **stats()})
        control.listen()
        await control.quit.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("app", choices=("bot", "floor"))
    parser.add_argument("--no-limiter", action="store_true")
    parser.add_argument("--reply", type=Path, help="the floor's reply (JSON: text, media)")
    parser.add_argument("--profiler", default="cprofile", choices=("cprofile", "pyinstrument"))
    parser.add_argument("--cpu", type=int, help="run on this CPU only (set before any thread)")
    arguments = parser.parse_args(argv)
    if arguments.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {arguments.cpu})
    if arguments.app == "floor" and arguments.reply is None:
        parser.error("the floor needs --reply")
    asyncio.run(serve(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
