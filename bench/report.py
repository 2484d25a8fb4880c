"""The report: the machine, then the four sections, as terminal text and as markdown.

:func:`build` turns the results into a small document model (paragraphs, tables,
listings) once; :func:`as_text` and :func:`as_markdown` only lay it out, so the terminal
and ``BENCHMARKS.md`` always carry the same figures.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.stats import Spread

if TYPE_CHECKING:
    from bench.run import Contender, Results, Variant

REPOSITORY = Path(__file__).resolve().parents[1]
WIDTH = 96
TARGET_RATIO = 1.25


@dataclass(frozen=True)
class Table:
    """Rows of cells; the first `left` columns are left-aligned, the others right-aligned.

    A cell in backticks is code: kept as such in markdown (where ``<listcomp>`` would
    otherwise read as a tag), shown without them in the terminal.
    """

    headers: list[str]
    rows: list[list[str]]
    left: int = 1


@dataclass(frozen=True)
class Listing:
    """Preformatted lines (query plans)."""

    lines: list[str]


Block = str | Table | Listing


@dataclass
class Section:
    """A numbered part of the report."""

    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    """The whole report."""

    title: str
    machine: list[tuple[str, str]]
    sections: list[Section]
    closing: list[str]


# --- the machine ---------------------------------------------------------------------------


def describe_machine() -> dict[str, str]:
    """CPU, cores, memory, versions, date and commit: what the figures depend on."""
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": _cpu_model(),
        "cores": _cores(),
        "memory": _memory(),
        "OS": platform.platform(terse=True),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "python-telegram-bot": _version("python-telegram-bot"),
        "httpx": _version("httpx"),
        "aiosqlite": _version("aiosqlite"),
        "pydantic": _version("pydantic"),
        "SQLite": sqlite3.sqlite_version,
        "commit": _commit(),
        "load average at start": _load(),
    }


def _load() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine moves the figures."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cores() -> str:
    total = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else total
    return f"{usable}" if usable == total else f"{usable} usable of {total}"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.0f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        # Fixed arguments, no shell: nothing here comes from outside.
        head = subprocess.run(  # noqa: S603
            [git, "rev-parse", "--short", "HEAD"],
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} with uncommitted changes" if dirty else head


# --- figures -------------------------------------------------------------------------------


def ms(seconds: float, digits: int = 2) -> str:
    """Seconds as milliseconds."""
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.{digits}f} ms"


def us(microseconds: float) -> str:
    """Microseconds, as measured."""
    return "n/a" if math.isnan(microseconds) else f"{microseconds:.0f} us"


def ratio(mine: float, floor: float) -> str:
    """How many times the floor."""
    if math.isnan(mine) or math.isnan(floor) or floor <= 0:
        return "n/a"
    return f"{mine / floor:.2f}x"


def mib(kib: float | None) -> str:
    """KiB (ru_maxrss on Linux) as MiB."""
    return "n/a" if kib is None else f"{kib / 1024:.0f} MiB"


# --- the document --------------------------------------------------------------------------


def build(results: Results) -> Document:
    """The report of one run."""
    machine = [*results.machine.items(), ("load average at end", _load())]
    options = results.options
    if options.quick:
        machine.append(("sizes", "--quick: tiny sizes for a smoke test; not figures to quote"))
    return Document(
        title="VIN history bot: benchmark",
        machine=machine,
        sections=[
            _cached_section(results),
            _fresh_section(results),
            _limits_section(results),
            _growth_section(results),
        ],
        closing=[
            f"The run took {results.seconds:.0f} s. Reproduce with `python -m bench` "
            "from the repository root (`--users N`, `--quick`, `--output PATH`).",
        ],
    )


def _cached_section(results: Results) -> Section:
    options = results.options
    section = Section("1. Cached lookups against the floor")
    section.blocks.append(
        f"{options.users} new users ask the same cached VIN at once; the bot answers each "
        "with its summary and an album of ten photos by URL. The floor is a bare "
        "python-telegram-bot application that makes the same two calls, with the bot's exact "
        "text and photos, and nothing else, built with the same PTB settings (64 concurrent "
        "updates, the same rate limiter, the same polling). CPU per update is the CPU time "
        "(time.process_time, all threads) of the process under test over the burst, divided "
        "by the updates; the fake Telegram and autoAstat servers run in another process. "
        "Latency runs from the fake's getUpdates handing the update out to the fake "
        "receiving that user's album, on the fake's clock. Every burst is of users the bot "
        "has not seen before, after a warm-up burst."
        + (
            " The fakes run on one CPU and the process under test on another "
            "(sched_setaffinity), so that neither takes the other's turns."
            if results.pinned
            else ""
        )
    )
    for variant in results.variants:
        section.blocks.extend(_variant_blocks(variant))
    if results.variants:
        section.blocks.append(_memory_table(results.variants))
        section.blocks.append(MEMORY_NOTE)
    if results.profile is not None:
        section.blocks.extend(_profile_blocks(results))
    return section


def _variant_blocks(variant: Variant) -> list[Block]:
    bot, floor = variant.bot, variant.floor
    repeats = len(bot.bursts)
    users = bot.bursts[0].users if bot.bursts else 0
    if variant.limiter:
        heading = (
            "**With AIORateLimiter, as in production** (the main figure is CPU per update). "
            f"The limiter lets 30 messages a second through, so a burst of {users} users x 2 "
            f"messages takes at least {2 * users / 30:.0f} s by design: the latency below is "
            "the limiter's queue, reported as it is, not the code's speed. "
            f"CPU per update is the median of {repeats} bursts each."
        )
    else:
        heading = (
            "**Without the rate limiter, for both the bot and the floor** (a pass-through "
            "limiter in its place, the only change): latency measures the code. CPU per "
            f"update is the median of {repeats} bursts each."
        )
    rows = [
        [
            "CPU per update",
            ms(bot.cpu_per_update),
            ms(floor.cpu_per_update),
            ratio(bot.cpu_per_update, floor.cpu_per_update),
        ],
        ["CPU per update, lowest to highest burst", _range(bot), _range(floor), ""],
        [
            "our code per update (bot - floor)",
            ms(bot.cpu_per_update - floor.cpu_per_update),
            "",
            "",
        ],
        [
            "latency median",
            ms(bot.latency.median, 1),
            ms(floor.latency.median, 1),
            ratio(bot.latency.median, floor.latency.median),
        ],
        [
            "latency p99",
            ms(bot.latency.p99, 1),
            ms(floor.latency.p99, 1),
            ratio(bot.latency.p99, floor.latency.p99),
        ],
        [
            "burst, first update to last album",
            f"{bot.wall:.2f} s",
            f"{floor.wall:.2f} s",
            ratio(bot.wall, floor.wall),
        ],
        ["updates per second", _rate(bot), _rate(floor), ""],
        [
            "connections to the Bot API (most in a burst)",
            str(bot.connections),
            str(floor.connections),
            "",
        ],
        [
            "'typing' actions sent in the bursts",
            str(bot.chat_actions),
            str(floor.chat_actions),
            "",
        ],
    ]
    blocks: list[Block] = [heading, Table(["", "bot", "floor", "bot / floor"], rows)]
    if variant.limiter:
        measured = bot.cpu_per_update / floor.cpu_per_update if floor.cpu_per_update else math.nan
        verdict = "met" if measured <= TARGET_RATIO else "NOT met"
        blocks.append(
            f"Target, the bot within {TARGET_RATIO}x of the floor's CPU per update: "
            f"{verdict} ({ratio(bot.cpu_per_update, floor.cpu_per_update)})."
        )
    if not variant.limiter:
        blocks.append(
            "Without the limiter both sides keep dozens of connections open at once (row "
            "above), and httpcore's pool looks at every open connection on each request, so "
            "the cost of a request grows with how many are in flight; these CPU figures vary "
            "from burst to burst with that, and measure the pool as much as either program."
        )
    if bot.chat_actions:
        blocks.append(
            f"The bot sent {bot.chat_actions} 'typing' actions during these bursts: a "
            "lookup that waits over 0.3 s for its turn in a busy event loop shows 'typing', "
            "one more request to Telegram each."
        )
    return blocks


def _range(contender: Contender) -> str:
    values = [burst.cpu_per_update for burst in contender.bursts]
    if len(values) < 2:
        return "-"
    return f"{min(values) * 1000:.2f}-{max(values) * 1000:.2f} ms"


def _rate(contender: Contender) -> str:
    if not contender.bursts or contender.wall <= 0:
        return "n/a"
    return f"{contender.bursts[0].users / contender.wall:.0f}"


def _memory_table(variants: list[Variant]) -> Table:
    rows = []
    for variant in variants:
        label = "with the limiter" if variant.limiter else "without the limiter"
        bot, floor = variant.bot.memory, variant.floor.memory
        rows.append(
            [f"peak RSS (VmHWM), {label}", mib(bot.get("hwm_kb")), mib(floor.get("hwm_kb"))]
        )
        rows.append(
            [f"ru_maxrss, {label}", mib(bot.get("maxrss_kb")), mib(floor.get("maxrss_kb"))]
        )
    return Table(["memory of the process under test, after its bursts", "bot", "floor"], rows)


MEMORY_NOTE = (
    "ru_maxrss of a process started by a bigger one carries the parent's peak too (Linux "
    "folds the old address space's peak in at exec), and the benchmark holding the fakes "
    "is the bigger one here; VmHWM is the process's own peak."
)


def _profile_blocks(results: Results) -> list[Block]:
    profile = results.profile
    assert profile is not None
    users = max(1, results.profile_users)
    busy = profile.busy
    blocks: list[Block] = [
        f"**Profile of the bot** ({profile.profiler}, the event loop's thread) over one more "
        f"burst of {users} users with the limiter: {ms(busy / users)} of work per update "
        "in that thread (idle waiting left out; the aiosqlite thread is not in it, and the "
        "profiler's own overhead inflates the figures, so read them as proportions)."
    ]
    rows = [
        [
            f"`{entry.name}`",
            f"`{entry.where}`",
            ms(entry.own / users, 3),
            f"{100 * entry.own / busy:.1f}%",
        ]
        for entry in profile.functions[:15]
    ]
    headers = ["function (own time)", "where", "per update", "share"]
    blocks.append(Table(headers, rows, left=2))
    package_rows = [
        [entry.name, ms(entry.own / users, 3), f"{100 * entry.own / busy:.1f}%"]
        for entry in profile.packages[:12]
    ]
    blocks.append(Table(["package (own time)", "per update", "share"], package_rows))
    return blocks


def _fresh_section(results: Results) -> Section:
    options = results.options
    delay = results.fresh_delay
    section = Section("2. Fresh lookups")
    section.blocks.append(
        f"The fake autoAstat answers every request after {ms(delay, 0)}. {options.fresh} new "
        f"users ask {options.fresh} distinct uncached VINs one after another (the production "
        "configuration; one-by-one asks never wait for the rate limiter). Latency: "
        "getUpdates -> album, as above."
    )
    bot = results.fresh_bot or Spread.of([])
    floor = results.fresh_floor or Spread.of([])
    rows = [
        ["bot, fresh lookup", ms(bot.median, 1), ms(bot.p99, 1), ms(bot.maximum, 1)],
        [
            f"bot minus the API's {ms(delay, 0)}: what the bot adds",
            ms(bot.median - delay, 1),
            ms(bot.p99 - delay, 1),
            ms(bot.maximum - delay, 1),
        ],
        [
            "floor, the same two sends and nothing else",
            ms(floor.median, 1),
            ms(floor.p99, 1),
            ms(floor.maximum, 1),
        ],
        [
            "bot's own lookup path (bot - API - floor)",
            ms(bot.median - delay - floor.median, 1),
            "",
            "",
        ],
    ]
    section.blocks.append(Table(["", "median", "p99", "max"], rows))
    return section


def _limits_section(results: Results) -> Section:
    section = Section("3. Limits under concurrency")
    section.blocks.append(
        "The real bot in the benchmark's process, as the tests run it, on a fresh database "
        "with HOURLY_BUDGET=100, USER_DAILY_QUOTA=0 and USER_RATE_LIMIT=0; the fake API takes "
        "200 ms so that many requests are in flight at once. Every user asks at the same "
        "moment. Telegram's rate limiter is left out here: it only paces the answers."
    )
    rows = [
        [
            check.name,
            str(check.users),
            str(check.vins),
            str(check.requests),
            str(check.expected),
            str(check.peak_in_flight),
            str(check.albums),
            str(check.answered),
            "PASS" if check.passed else "FAIL",
        ]
        for check in results.limits
    ]
    headers = [
        "check",
        "users",
        "VINs",
        "API requests",
        "expected",
        "peak in flight",
        "albums",
        "answered",
        "result",
    ]
    section.blocks.append(Table(headers, rows))
    for check in results.limits:
        noun = "request" if check.requests == 1 else "requests"
        section.blocks.append(
            f"{check.name}: {check.requests} {noun} reached the API for {check.users} "
            f"users (expected exactly {check.expected}); {check.answered} of {check.users} "
            f"answered: {'PASS' if check.passed else 'FAIL'}"
        )
    return section


def _growth_section(results: Results) -> Section:
    growth = results.growth
    sizes: list[dict[str, Any]] = growth.get("sizes", [])
    section = Section("4. Growth")
    section.blocks.append(
        "The bot's own code on databases made by Storage.open and filled with sqlite3 "
        "executemany: one cached history per row (small filler payloads; the VIN read "
        "carries the real one), and budget and quota ledgers of as many rows spread over "
        "the past year (a million budget rows is a year at 100 an hour: what the ledgers "
        "hold if they are never pruned), outside the windows where such old rows are. Each "
        "call is timed alone; "
        "the reservations move a clock on by 37 s each, so the window stays just short of "
        "full and every one is granted, as at steady full use. Sizes are timed in turns, "
        "in blocks, so that other work on the machine falls on each alike."
        + (
            " The process runs on one CPU, its aiosqlite threads with it."
            if results.pinned
            else ""
        )
    )
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        headers = ["", f"{small['rows']:,} rows", f"{large['rows']:,} rows", "ratio"]
        rows = []
        for key, label in (
            ("cached_history", "Storage.cached_history (the SQL)"),
            ("lookup_cached", "LookupService.cached (SQL + parsing)"),
            ("reserve", "Limits.reserve (budget + quota check, reserve)"),
        ):
            for stat in ("median_us", "p99_us"):
                a, b = small[key][stat], large[key][stat]
                name = f"{label}, {stat.removesuffix('_us')}"
                rows.append([name, us(a), us(b), f"{b / a:.2f}x" if a else "n/a"])
        a, b = small["refund_unsettled_ms"], large["refund_unsettled_ms"]
        rows.append(
            [
                "refund_unsettled at start (once)",
                f"{a:.1f} ms",
                f"{b:.1f} ms",
                f"{b / a:.0f}x" if a else "n/a",
            ]
        )
        rows.append(
            ["database file", f"{small['file_mb']:.1f} MB", f"{large['file_mb']:.1f} MB", ""]
        )
        section.blocks.append(Table(headers, rows))
    bot_memory = [variant.bot.memory for variant in results.variants if variant.bot.memory]
    section.blocks.append(
        "Resident memory after the run: the growth process, which held the largest "
        f"database open, peaked at {mib(growth.get('hwm_kb'))} (VmHWM; ru_maxrss "
        f"{mib(growth.get('maxrss_kb'))}); the bot, after its bursts, at "
        f"{', '.join(mib(memory.get('hwm_kb')) for memory in bot_memory) or 'n/a'} "
        "(with and without the limiter; section 1)."
    )
    plans: list[dict[str, Any]] = growth.get("plans", [])
    if plans:
        section.blocks.append(
            "EXPLAIN QUERY PLAN of every statement the timed calls ran (caught with SQLite's "
            "trace hook, literals shown as ?), on the largest database:"
        )
        lines = []
        for plan in plans:
            lines.append(plan["statement"])
            lines.extend(f"    -> {step}" for step in plan["plan"] or ["(no plan: a write)"])
        section.blocks.append(Listing(lines))
    return section


# --- layout --------------------------------------------------------------------------------


def as_text(document: Document) -> str:
    """For the terminal: wrapped paragraphs, aligned columns."""
    out = [document.title, "=" * len(document.title), ""]
    width = max(len(key) for key, _ in document.machine)
    out += [f"{key.ljust(width)}  {value}" for key, value in document.machine]
    for section in document.sections:
        out += ["", "", section.title, "-" * len(section.title)]
        for block in section.blocks:
            out.append("")
            if isinstance(block, Table):
                out += _text_table(block)
            elif isinstance(block, Listing):
                out += [f"  {line}" for line in block.lines]
            else:
                out += textwrap.wrap(block.replace("**", ""), WIDTH)
    out += [""] + [line for text in document.closing for line in textwrap.wrap(text, WIDTH)]
    return "\n".join(out) + "\n"


def _text_table(table: Table) -> list[str]:
    rows = [[cell.strip("`") for cell in row] for row in table.rows]
    columns = list(zip(table.headers, *rows, strict=True))
    widths = [max(len(cell) for cell in column) for column in columns]

    def line(cells: list[str]) -> str:
        laid = [
            cell.ljust(width) if index < table.left else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  " + "  ".join(laid).rstrip()

    rule = "  " + "  ".join("-" * width for width in widths)
    return [line(table.headers), rule, *(line(row) for row in rows)]


def as_markdown(document: Document) -> str:
    """For BENCHMARKS.md."""
    out = [f"# {document.title}", ""]
    out += ["| machine | |", "| --- | --- |"]
    out += [f"| {key} | {value} |" for key, value in document.machine]
    for section in document.sections:
        out += ["", f"## {section.title}"]
        for block in section.blocks:
            out.append("")
            if isinstance(block, Table):
                out += _markdown_table(block)
            elif isinstance(block, Listing):
                out += ["```", *block.lines, "```"]
            else:
                out.append(block)
    out += ["", *document.closing]
    return "\n".join(out) + "\n"


def _markdown_table(table: Table) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    align = ["---"] * table.left + ["---:"] * (len(table.headers) - table.left)
    return [line(table.headers), line(align), *(line(row) for row in table.rows)]
