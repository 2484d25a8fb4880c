"""``python -m bench``: the real bot against the test fakes, side by side with a bare PTB floor.

Run from the repository root. Four sections, in one run:

1. **Cached lookups against the floor.** A burst of ``--users`` users (300) ask one cached
   VIN. The bot runs in a process of its own (:mod:`bench.worker`), the fakes run here, so
   the CPU time read in the worker is the bot's alone; divided by the updates it is the CPU
   per update. The floor (:mod:`bench.floor`) is a bare PTB application making the same two
   calls with the same PTB settings. Latency is measured here, on the fake's clock: from
   ``getUpdates`` handing an update out to the fake receiving that user's album. Both run
   with the production rate limiter (30 messages a second: the burst then takes at least
   users x 2 / 30 seconds and its latency measures the limiter) and again without it (both
   the bot and the floor), where latency measures the code. Bot and floor run side by side,
   each polling a fake Bot API of its own, and their bursts are taken in turns; the fakes
   and the processes under test are kept on different CPUs. A last burst of the bot, with
   the limiter, is profiled (pyinstrument when installed, else cProfile).
2. **Fresh lookups.** The fake API answers after a fixed delay; lookups of distinct VINs
   one after another; the bot's latency minus that delay is what the bot adds.
3. **Limits under concurrency.** In this process, like the tests: a thousand users asking
   distinct VINs with ``HOURLY_BUDGET=100`` must cost exactly 100 requests, and a hundred
   users asking one uncached VIN exactly one. These are counts: PASS or FAIL.
4. **Growth.** :mod:`bench.growth`, in a process of its own.

Every request goes to 127.0.0.1. Nothing is asserted on a time: the figures are printed, and
written to ``BENCHMARKS.md`` with the machine they were measured on. The exit status is 1
when a limit check fails, else 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from bench import report
from bench.fakes import BenchTelegram
from bench.floor import PassThroughLimiter
from bench.profiling import Summary, best_available
from bench.stats import Spread
from tests.fakes.autoastat import FakeAutoastat
from tests.vins import SAMPLE_VIN, valid_vin

REPOSITORY = Path(__file__).resolve().parents[1]
FRESH_DELAY = 0.2  # seconds the fake API takes to answer in section 2
LIMITS_DELAY = 0.2  # ... and in section 3, so that many requests are in flight at once
LIMITS_BUDGET = 100
# AIORateLimiter's overall limit; a burst with the limiter cannot be quicker than this.
TELEGRAM_RATE = 30
LIMITER_DRAIN = 2.0  # seconds; its bucket holds one second's worth
WORKER_START_TIMEOUT = 60.0
# With two cores or more, the fakes (this process) and the process under test each get one
# of their own: the CPU figures then do not depend on where the scheduler put whom, and a
# wall-clock profile of the process under test is not charged the fakes' turns.
FAKES_CPU, UNDER_TEST_CPU = 0, 1
PROTOCOL_TIMEOUT = 60.0


@dataclass(frozen=True)
class Options:
    """Sizes of one run."""

    users: int
    warmup: int
    repeats: int
    limiter_repeats: int
    fresh: int
    limits_users: int
    limits_same: int
    growth_rows: tuple[int, ...]
    growth_calls: int
    growth_reserves: int
    profile: bool
    profile_out: Path | None
    quick: bool
    output: Path

    @classmethod
    def from_arguments(cls, arguments: argparse.Namespace) -> Options:
        """Defaults for a full run, tiny ones for ``--quick``."""
        quick = bool(arguments.quick)
        users = arguments.users if arguments.users is not None else (20 if quick else 300)
        return cls(
            users=users,
            warmup=min(users, 5 if quick else 50),
            repeats=1 if quick else 3,
            limiter_repeats=1 if quick else 2,
            fresh=3 if quick else 30,
            # Above the budget even when quick: "exactly 100" needs more askers than slots.
            limits_users=150 if quick else 1000,
            limits_same=20 if quick else 100,
            growth_rows=(10, 10_000) if quick else (10, 1_000_000),
            growth_calls=100 if quick else 2000,
            growth_reserves=50 if quick else 500,
            profile=not arguments.no_profile,
            profile_out=arguments.profile_out,
            quick=quick,
            output=arguments.output,
        )


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Burst:
    """One burst of users asking the cached VIN at once."""

    users: int
    cpu_per_update: float  # seconds
    latencies: list[float]  # seconds, getUpdates -> sendMediaGroup, one per user
    wall: float  # seconds, first update handed out -> last album
    chat_actions: int
    connections: int  # to the fake Bot API, during the burst


@dataclass
class Contender:
    """The bot or the floor in one configuration."""

    name: str
    bursts: list[Burst] = field(default_factory=list)
    memory: dict[str, Any] = field(default_factory=dict)

    @property
    def cpu_per_update(self) -> float:
        """The median over the repeated bursts: one disturbed burst does not move it."""
        return _middle([burst.cpu_per_update for burst in self.bursts])

    @property
    def latency(self) -> Spread:
        """Over every update of every measured burst."""
        return Spread.of([value for burst in self.bursts for value in burst.latencies])

    @property
    def wall(self) -> float:
        """The median burst's wall time."""
        return _middle([burst.wall for burst in self.bursts])

    @property
    def connections(self) -> int:
        """The most connections to the Bot API one burst used."""
        return max((burst.connections for burst in self.bursts), default=0)

    @property
    def chat_actions(self) -> int:
        """'Typing' actions sent during the measured bursts (a cached answer needs none)."""
        return sum(burst.chat_actions for burst in self.bursts)


def _middle(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


@dataclass
class Variant:
    """Bot and floor with, or without, the Telegram rate limiter."""

    limiter: bool
    bot: Contender
    floor: Contender


@dataclass(frozen=True)
class LimitCheck:
    """One concurrency check of the limits: a count against the exact expectation."""

    name: str
    users: int
    vins: int
    requests: int
    expected: int
    peak_in_flight: int
    albums: int
    answered: int

    @property
    def passed(self) -> bool:
        """Exactly the expected number of requests, and every user answered."""
        return self.requests == self.expected and self.answered == self.users


@dataclass
class Results:
    """Everything one run measured."""

    options: Options
    machine: dict[str, str]
    variants: list[Variant] = field(default_factory=list)
    fresh_delay: float = FRESH_DELAY
    fresh_bot: Spread | None = None
    fresh_floor: Spread | None = None
    limits: list[LimitCheck] = field(default_factory=list)
    growth: dict[str, Any] = field(default_factory=dict)
    profile: Summary | None = None
    profile_users: int = 0
    pinned: bool = False
    seconds: float = 0.0


# --- the process under test ----------------------------------------------------------------


class Worker:
    """A :mod:`bench.worker` process and its line protocol."""

    def __init__(
        self,
        name: str,
        process: asyncio.subprocess.Process,
        log: Path,
        telegram: BenchTelegram,
    ) -> None:
        self.name = name
        self.telegram = telegram  # the fake Bot API this worker polls, and no other does
        self._process = process
        self._log = log

    async def receive(self, within: float = PROTOCOL_TIMEOUT) -> dict[str, Any]:
        """The next message from the worker, waiting at most `within` seconds."""
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), within)
        except TimeoutError:
            raise RuntimeError(f"{self.name}: no answer within {within:.0f} s") from None
        if not line:
            await self._process.wait()
            tail = self._log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited ({self._process.returncode}):\n{tail}")
        message: dict[str, Any] = json.loads(line)
        if message.get("event") == "error":
            raise RuntimeError(f"{self.name}: {message.get('error')}")
        return message

    async def send(self, command: str) -> None:
        """One command line to the worker."""
        assert self._process.stdin is not None
        self._process.stdin.write(f"{command}\n".encode())
        await self._process.stdin.drain()

    async def stats(self) -> dict[str, Any]:
        """CPU seconds so far and memory, read in the worker."""
        await self.send("stats")
        return await self.receive()

    async def stop(self) -> None:
        """Ask it to quit; kill it if it does not."""
        if self._process.returncode is not None:
            return
        with contextlib.suppress(ConnectionError):
            await self.send("quit")
        try:
            await asyncio.wait_for(self._process.wait(), 30)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()


@asynccontextmanager
async def worker(
    name: str,
    arguments: Sequence[str],
    environment: dict[str, str],
    log: Path,
    telegram: BenchTelegram,
) -> AsyncIterator[Worker]:
    """Start ``python -m bench.worker ARGUMENTS``; stop it when the block ends."""
    with log.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.worker",
            *arguments,
            cwd=REPOSITORY,
            env=environment,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log_file,
            limit=1 << 20,  # a profile summary is one long line
        )
    running = Worker(name, process, log, telegram)
    try:
        ready = await running.receive(WORKER_START_TIMEOUT)
        if ready.get("event") != "ready":
            raise RuntimeError(f"{name}: expected ready, got {ready}")
        yield running
    finally:
        await running.stop()


def setting_names() -> set[str]:
    """The environment variables the bot reads its settings from."""
    from bot.config import Settings

    return {name.upper() for name in Settings.model_fields}


def worker_environment(
    telegram: BenchTelegram, autoastat: FakeAutoastat, database: Path, **settings: str
) -> dict[str, str]:
    """The worker's environment: the fakes, a fresh database, no setting of the caller's."""
    names = setting_names()
    environment = {key: value for key, value in os.environ.items() if key not in names}
    python_path = [str(REPOSITORY), *filter(None, [os.environ.get("PYTHONPATH")])]
    return environment | {
        "PYTHONPATH": os.pathsep.join(python_path),
        "PTB_TIMEDELTA": "1",  # what bot/__init__.py sets; the floor must run the same PTB
        "BOT_TOKEN": telegram.token,
        "AUTOASTAT_TOKEN": autoastat.token,
        "AUTOASTAT_URL": autoastat.url,
        "TELEGRAM_API_URL": telegram.url,
        "DATABASE_PATH": str(database),
        **{key.upper(): value for key, value in settings.items()},
    }


def usable_cpus() -> set[int]:
    """The CPUs this process may run on."""
    return set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else set()


def cpu_arguments(index: int) -> list[str]:
    """``--cpu N`` for the `index`-th usable CPU, when there are two or more; else none.

    The process pins itself at start, before it has a thread: every thread it makes then
    stays on that CPU too (aiosqlite's hand-offs across cores cost twice as much and vary).
    """
    cpus = sorted(usable_cpus())
    return [f"--cpu={cpus[index]}"] if len(cpus) >= 2 else []


def pin(pid: int, index: int) -> None:
    """Keep a process on the `index`-th usable CPU, when there are two or more."""
    cpus = sorted(usable_cpus())
    if len(cpus) >= 2 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(pid, {cpus[index]})


@contextlib.contextmanager
def pinned_fakes() -> Iterator[bool]:
    """This process (the fakes) on the first usable CPU for the block; True if pinned."""
    cpus = usable_cpus()
    if len(cpus) < 2:
        yield False
        return
    pin(0, FAKES_CPU)
    try:
        yield True
    finally:
        os.sched_setaffinity(0, cpus)


# --- bursts --------------------------------------------------------------------------------


class Bench:
    """The fakes, a scratch folder, and fresh user ids for every round."""

    Fakes = tuple[tuple[BenchTelegram, BenchTelegram], FakeAutoastat]

    def __init__(
        self,
        telegrams: tuple[BenchTelegram, BenchTelegram],
        autoastat: FakeAutoastat,
        scratch: Path,
        options: Options,
    ) -> None:
        # One fake Bot API each for the bot and the floor: pollers of one token would take
        # each other's updates.
        self.telegram, self.floor_telegram = telegrams
        self.autoastat = autoastat
        self.scratch = scratch
        self.options = options
        # A fresh user per ask: every burst is of users the bot has not seen yet.
        self._user_ids = itertools.count(5_000_000)
        self._vin_numbers = itertools.count(1)

    def users(self, count: int) -> list[int]:
        """`count` user ids never used before in this run."""
        return [next(self._user_ids) for _ in range(count)]

    def vins(self, count: int) -> list[str]:
        """`count` valid VINs never used before in this run."""
        return [valid_vin(next(self._vin_numbers)) for _ in range(count)]

    async def ask(
        self,
        telegram: BenchTelegram,
        users: Sequence[int],
        vins: Sequence[str],
        *,
        within: float,
        what: str = "album",
    ) -> float:
        """Every user sends their VIN at once; wait for the answers; return the wall time."""
        expectation = telegram.expect(set(users), "album" if what == "album" else "answer")
        for user, vin in zip(users, vins, strict=True):
            telegram.send_text(vin, user_id=user)
        await telegram.wait(expectation, within)
        delivered = min(telegram.delivered_at[user] for user in users)
        answered = telegram.album_at if what == "album" else telegram.answered_at
        return max(answered[user] for user in users) - delivered

    async def burst(self, process: Worker, count: int, *, limiter: bool) -> Burst:
        """`count` new users ask the cached VIN at once; CPU is read in the worker."""
        users = self.users(count)
        telegram = process.telegram
        telegram.reset_counts()
        before = await process.stats()
        within = burst_timeout(count, limiter)
        wall = await self.ask(telegram, users, [SAMPLE_VIN] * count, within=within)
        after = await process.stats()
        return Burst(
            users=count,
            cpu_per_update=(after["cpu"] - before["cpu"]) / count,
            latencies=latencies_of(telegram, users),
            wall=wall,
            chat_actions=telegram.counts["sendChatAction"],
            connections=len(telegram.connections),
        )

    async def one_by_one(self, process: Worker, vins: Sequence[str]) -> list[float]:
        """Each VIN asked by a new user once the previous answer is in; the latencies."""
        # The limiter's bucket is still full from the burst before: let it drain, or the
        # first asks would wait for it (1/30 s a message).
        await asyncio.sleep(LIMITER_DRAIN)
        latencies = []
        for vin in vins:
            [user] = self.users(1)
            await self.ask(process.telegram, [user], [vin], within=60)
            latencies.extend(latencies_of(process.telegram, [user]))
        return latencies


def latencies_of(telegram: BenchTelegram, users: Sequence[int]) -> list[float]:
    """getUpdates -> sendMediaGroup of each user, in seconds."""
    return [telegram.album_at[user] - telegram.delivered_at[user] for user in users]


def burst_timeout(users: int, limiter: bool) -> float:
    """A generous bound, so that a stuck run ends instead of hanging."""
    paced = 2 * users / TELEGRAM_RATE if limiter else 0
    return 60 + 2 * paced + users * 0.05


def progress(text: str) -> None:
    """A line for the operator watching; the report itself goes to stdout."""
    sys.stderr.write(f"[bench] {text}\n")
    sys.stderr.flush()


# --- section 1 and 2 -----------------------------------------------------------------------


async def run_variant(bench: Bench, results: Results, limiter: bool) -> Variant:
    """Bot and floor, both running, their bursts taken in turn so that any load from
    outside the benchmark falls on both alike."""
    options = bench.options
    label = "limiter" if limiter else "no-limiter"
    flags = [] if limiter else ["--no-limiter"]
    variant = Variant(limiter, Contender(name="bot"), Contender(name="floor"))
    scratch = bench.scratch
    environment = worker_environment(
        bench.telegram, bench.autoastat, scratch / f"bot-{label}.sqlite3"
    )
    flags += cpu_arguments(UNDER_TEST_CPU)
    bot_arguments = ["bot", "--profiler", best_available(), *flags]
    bot_log = scratch / f"bot-{label}.log"
    async with worker(
        f"bot ({label})", bot_arguments, environment, bot_log, bench.telegram
    ) as bot:
        # The first ask is a fresh lookup that fills the cache; the bot's answer to it is
        # what the floor sends.
        [primer] = bench.users(1)
        bench.telegram.capture(primer)
        await bench.ask(bench.telegram, [primer], [SAMPLE_VIN], within=60)
        captured = bench.telegram.captured[primer]
        reply_file = scratch / "reply.json"
        reply_file.write_text(json.dumps({"text": captured.text, "media": captured.media}))

        environment = worker_environment(
            bench.floor_telegram, bench.autoastat, scratch / f"floor-{label}.sqlite3"
        )
        floor_arguments = ["floor", "--reply", str(reply_file), *flags]
        floor_log = scratch / f"floor-{label}.log"
        async with worker(
            f"floor ({label})", floor_arguments, environment, floor_log, bench.floor_telegram
        ) as floor:
            contenders = ((bot, variant.bot), (floor, variant.floor))
            for process, contender in contenders:
                progress(f"{contender.name}, {label}: warm-up of {options.warmup} users")
                await bench.burst(process, options.warmup, limiter=limiter)
            repeats = options.limiter_repeats if limiter else options.repeats
            for repeat in range(repeats):
                for process, contender in contenders:
                    progress(
                        f"{contender.name}, {label}: burst {repeat + 1}/{repeats} "
                        f"of {options.users} users"
                    )
                    burst = await bench.burst(process, options.users, limiter=limiter)
                    contender.bursts.append(burst)
            for process, contender in contenders:
                contender.memory = await process.stats()

            if limiter:
                progress(f"bot and floor: {options.fresh} lookups one by one")
                bench.autoastat.delay = FRESH_DELAY
                try:
                    fresh = await bench.one_by_one(bot, bench.vins(options.fresh))
                    results.fresh_bot = Spread.of(fresh)
                finally:
                    bench.autoastat.delay = 0.0
                same = await bench.one_by_one(floor, [SAMPLE_VIN] * options.fresh)
                results.fresh_floor = Spread.of(same)
        if limiter and options.profile:
            # Profiled in the production configuration, after the measured bursts so that
            # the profiler's overhead is in none of them.
            progress(f"bot, {label}: profiled burst of {options.users} users")
            results.profile = await profiled_burst(bench, bot, options.users, limiter=limiter)
            results.profile_users = options.users
    return variant


async def profiled_burst(bench: Bench, bot: Worker, users: int, *, limiter: bool) -> Summary:
    """One more burst with the profiler on in the bot's event loop thread."""
    await bot.send("profile-start")
    await bot.receive()
    await bench.burst(bot, users, limiter=limiter)
    report_path = bench.scratch / "profile.txt"
    await bot.send(f"profile-stop {report_path}")
    message = await bot.receive(within=120)
    if bench.options.profile_out is not None:
        # The whole call tree, for whoever wants more than the top entries.
        bench.options.profile_out.write_text(report_path.read_text())
    return Summary.from_json(message["summary"])


# --- section 3 -----------------------------------------------------------------------------


async def limits_check(
    bench: Bench, name: str, users: Sequence[int], vins: Sequence[str], expected: int
) -> LimitCheck:
    """Run the real bot in this process on a fresh database; count what reached the API."""
    import bot.app
    from bot.config import Settings

    settings = Settings(
        _env_file=None,
        bot_token=bench.telegram.token,
        autoastat_token=bench.autoastat.token,
        autoastat_url=bench.autoastat.url,
        telegram_api_url=bench.telegram.url,
        database_path=bench.scratch / f"limits-{len(bench.autoastat.requests)}.sqlite3",
        hourly_budget=LIMITS_BUDGET,
        user_daily_quota=0,
        user_rate_limit=0,
    )
    # Telegram's rate limit would only stretch the run: the limits under test are the API's.
    with mock.patch.object(bot.app, "AIORateLimiter", PassThroughLimiter):
        application = bot.app.build_application(settings)
    before = len(bench.autoastat.requests)
    bench.autoastat.max_concurrent = 0
    albums_before = set(bench.telegram.album_at)
    async with bot.app.running(application):
        within = 120 + len(users) * 0.1
        await bench.ask(bench.telegram, users, vins, within=within, what="answer")
    albums = sum(
        1 for user in users if user in bench.telegram.album_at and user not in albums_before
    )
    answered = sum(1 for user in users if user in bench.telegram.answered_at)
    return LimitCheck(
        name=name,
        users=len(users),
        vins=len(set(vins)),
        requests=len(bench.autoastat.requests) - before,
        expected=expected,
        peak_in_flight=bench.autoastat.max_concurrent,
        albums=albums,
        answered=answered,
    )


async def run_limits(bench: Bench) -> list[LimitCheck]:
    """Distinct VINs against the budget, then one VIN asked by many."""
    options = bench.options
    bench.autoastat.delay = LIMITS_DELAY
    try:
        progress(f"limits: {options.limits_users} users, distinct uncached VINs")
        distinct = await limits_check(
            bench,
            "distinct VINs",
            bench.users(options.limits_users),
            bench.vins(options.limits_users),
            expected=LIMITS_BUDGET,
        )
        progress(f"limits: {options.limits_same} users, one uncached VIN")
        [vin] = bench.vins(1)
        same = await limits_check(
            bench,
            "one VIN",
            bench.users(options.limits_same),
            [vin] * options.limits_same,
            expected=1,
        )
    finally:
        bench.autoastat.delay = 0.0
    return [distinct, same]


# --- section 4 -----------------------------------------------------------------------------


async def run_growth(options: Options) -> dict[str, Any]:
    """:mod:`bench.growth` in a process of its own; its JSON."""
    arguments = [f"--rows={rows}" for rows in options.growth_rows]
    arguments += [f"--calls={options.growth_calls}", f"--reserves={options.growth_reserves}"]
    arguments += cpu_arguments(UNDER_TEST_CPU)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.growth",
        *arguments,
        cwd=REPOSITORY,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 600)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError("growth: no result within 600 s") from None
    if process.returncode != 0:
        raise RuntimeError(f"growth failed ({process.returncode}):\n{err.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(out)
    return result


# --- the run -------------------------------------------------------------------------------


@asynccontextmanager
async def fakes() -> AsyncIterator[Bench.Fakes]:
    """The fakes, started on 127.0.0.1: a Bot API for the bot, one for the floor, the API."""
    async with contextlib.AsyncExitStack() as stack:
        telegrams = (BenchTelegram(), BenchTelegram())
        autoastat = FakeAutoastat()
        for fake in (*telegrams, autoastat):
            await fake.start()
            stack.push_async_callback(fake.stop)
        # Photo URLs on the fake too: whatever the bot does with them stays on loopback.
        autoastat.set_default(body=autoastat.sample_history(local_images=True))
        yield telegrams, autoastat


async def run(options: Options, machine: dict[str, str]) -> Results:
    """Every section, in order."""
    results = Results(options=options, machine=machine)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        with pinned_fakes() as results.pinned:
            await run_sections(results, options, Path(scratch))
        progress(f"growth: {' and '.join(f'{rows:,}' for rows in options.growth_rows)} rows")
        results.growth = await run_growth(options)
    results.seconds = time.perf_counter() - started
    return results


async def run_sections(results: Results, options: Options, scratch: Path) -> None:
    """Sections 1 to 3, against the fakes."""
    async with fakes() as (telegrams, autoastat):
        bench = Bench(telegrams, autoastat, scratch, options)
        for limiter in (True, False):
            results.variants.append(await run_variant(bench, results, limiter))
        results.limits = await run_limits(bench)


def build_parser() -> argparse.ArgumentParser:
    """The options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the bot against the test fakes, beside a bare PTB floor.",
    )
    parser.add_argument("--users", type=int, help="users in a cached burst (default 300)")
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, for a smoke test (seconds)"
    )
    parser.add_argument(
        "--output", type=Path, default=Path("BENCHMARKS.md"), help="the markdown report"
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="skip the profiled burst of the bot"
    )
    parser.add_argument(
        "--profile-out", type=Path, help="also write the bot's whole profile to this file"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print the report, write the markdown; 1 if a limit check failed."""
    options = Options.from_arguments(build_parser().parse_args(argv))
    if options.users < 1:
        build_parser().error("--users must be at least 1")
    # The bot in section 3 runs in this process; its INFO lines would drown the report.
    logging.basicConfig(level=logging.WARNING)
    # The bot in this process must not pick up the caller's settings (ACCESS, ADMIN_IDS, ...):
    # the benchmark sets every one it relies on. The workers get the same treatment.
    for name in setting_names():
        os.environ.pop(name, None)
    machine = report.describe_machine()
    results = asyncio.run(run(options, machine))
    document = report.build(results)
    sys.stdout.write(report.as_text(document))
    sys.stdout.flush()
    options.output.write_text(report.as_markdown(document), encoding="utf-8")
    progress(f"written to {options.output} in {results.seconds:.0f} s")
    return 0 if all(check.passed for check in results.limits) else 1
