"""The SQLite database: connection, schema migrations and every SQL statement.

One aiosqlite connection serves the whole process. Transactions belong to a
connection, not to a coroutine, so every ``BEGIN ... COMMIT`` block runs under
one ``asyncio.Lock``; that is what makes check-and-reserve atomic against
concurrent lookups. Times are Unix epoch seconds (REAL).

No other module knows SQL, so moving to another database is a change here.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiosqlite

logger = logging.getLogger(__name__)

# Each entry migrates the schema from version N to N + 1; append, never edit.
MIGRATIONS: Sequence[Sequence[str]] = (
    (
        """CREATE TABLE history_cache (
            vin TEXT PRIMARY KEY,
            fetched_at REAL NOT NULL,
            payload BLOB NOT NULL
        ) WITHOUT ROWID""",
        # One row per upstream request started: the shared hourly budget.
        """CREATE TABLE budget_ledger (
            id INTEGER PRIMARY KEY,
            started_at REAL NOT NULL,
            vin TEXT NOT NULL
        )""",
        "CREATE INDEX budget_ledger_by_time ON budget_ledger (started_at)",
        # One row per fresh lookup a user is charged for; unsettled rows are
        # reservations still in flight.
        """CREATE TABLE quota_ledger (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            charged_at REAL NOT NULL,
            vin TEXT NOT NULL,
            settled INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX quota_ledger_by_user ON quota_ledger (user_id, charged_at)",
        # Set when the API answers 429: no request may start before `until`.
        """CREATE TABLE upstream_pause (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            until REAL NOT NULL
        )""",
    ),
    (
        # One row per user who chose something; `language` is NULL until they pick
        # one with /lang, and then wins over the language Telegram reports.
        """CREATE TABLE users (
            user_id INTEGER PRIMARY KEY,
            language TEXT,
            updated_at REAL
        )""",
    ),
    (
        # Every lookup answered, for /stats and /user; pruned after LOG_DAYS.
        """CREATE TABLE lookup_log (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            user_id INTEGER NOT NULL,
            vin TEXT NOT NULL,
            outcome TEXT NOT NULL
        )""",
        "CREATE INDEX lookup_log_by_time ON lookup_log (at)",
        "CREATE INDEX lookup_log_by_user ON lookup_log (user_id, at)",
        # Lookups an admin granted on top of the daily quota; spent once each.
        """CREATE TABLE quota_grants (
            user_id INTEGER PRIMARY KEY,
            extra INTEGER NOT NULL CHECK (extra >= 0)
        )""",
        # A charge paid from a grant does not count against the daily window.
        "ALTER TABLE quota_ledger ADD COLUMN granted INTEGER NOT NULL DEFAULT 0",
        "CREATE TABLE blocked_users (user_id INTEGER PRIMARY KEY, blocked_at REAL NOT NULL)",
        # Telegram's file_id for a photo uploaded once, so it is never fetched again.
        """CREATE TABLE photo_files (
            url TEXT PRIMARY KEY,
            file_id TEXT NOT NULL,
            stored_at REAL NOT NULL
        ) WITHOUT ROWID""",
        # Lookups waiting for a budget slot, answered in order of asking.
        """CREATE TABLE queued_lookups (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            vin TEXT NOT NULL,
            language TEXT,
            reply_to INTEGER,
            asked_at REAL NOT NULL
        )""",
        "CREATE INDEX queued_lookups_by_user ON queued_lookups (user_id)",
    ),
    (
        # Chats that refuse the bot's messages (the user blocked it): nothing is
        # sent, and no paid lookup is made, for them until they come back.
        "CREATE TABLE unreachable_chats (chat_id INTEGER PRIMARY KEY, since REAL NOT NULL)",
    ),
    (
        # The start-up sweep of unsettled charges reads only these few rows, not the
        # whole ledger.
        "CREATE INDEX quota_ledger_unsettled ON quota_ledger (id) WHERE settled = 0",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

Limit = Literal["budget", "quota", "paused"]


@dataclass(frozen=True, slots=True)
class Granted:
    """A reserved budget slot and, unless the user is exempt, a quota charge."""

    budget_entry: int
    quota_charge: int | None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A limit that is reached, and when its next unit frees."""

    limit: Limit
    frees_at: float


@dataclass(frozen=True, slots=True)
class QueuedLookup:
    """A lookup waiting for a budget slot, and where its answer goes."""

    id: int
    user_id: int
    chat_id: int
    vin: str
    language: str | None
    reply_to: int | None
    asked_at: float


@dataclass(frozen=True, slots=True)
class LoggedLookup:
    """One line of the lookup log."""

    at: float
    user_id: int
    vin: str
    outcome: str


@dataclass(frozen=True, slots=True)
class CachedHistory:
    """A history as it was stored, and when it was fetched."""

    payload: bytes
    fetched_at: float


@dataclass(frozen=True, slots=True)
class Window:
    """A rolling limit: at most `allowed` units that started after `since`."""

    since: float
    allowed: int
    length: float


class Storage:
    """All database access of the bot."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Storage:
        """Open (creating if needed) the database and bring its schema up to date."""
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        try:
            for pragma in (
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA busy_timeout = 5000",
                "PRAGMA foreign_keys = ON",
            ):
                await connection.execute(pragma)
            storage = cls(connection)
            await storage._migrate()
        except BaseException:
            await connection.close()
            raise
        return storage

    async def close(self) -> None:
        """Close the connection after any transaction in progress."""
        async with self._write_lock:
            await self._db.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        # IMMEDIATE takes the write lock at BEGIN, so the checks that follow
        # see the same rows the writes change, even with a second process.
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def check_writable(self) -> None:
        """Take the write lock and let it go: fails if the file cannot be written."""
        async with self._transaction():
            pass

    async def schema_version(self) -> int:
        """The version the schema is at."""
        return await self._scalar_int("PRAGMA user_version")

    async def _migrate(self) -> None:
        current = await self.schema_version()
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"database schema is at version {current}, newer than this code's "
                f"{SCHEMA_VERSION}; upgrade the bot"
            )
        for version in range(current, SCHEMA_VERSION):
            async with self._transaction() as db:
                for statement in MIGRATIONS[version]:
                    await db.execute(statement)
                # PRAGMA takes no parameters; the value is our own integer.
                await db.execute(f"PRAGMA user_version = {version + 1}")
            logger.info("database migrated to schema version %d", version + 1)

    # -- the history cache -------------------------------------------------

    async def cached_history(self, vin: str, *, fetched_after: float) -> CachedHistory | None:
        """The stored history of a VIN if it was fetched after the given time."""
        row = await _first(
            self._db,
            "SELECT payload, fetched_at FROM history_cache WHERE vin = ? AND fetched_at > ?",
            (vin, fetched_after),
        )
        return None if row is None else CachedHistory(payload=row[0], fetched_at=row[1])

    async def store_history(self, vin: str, payload: bytes, *, fetched_at: float) -> None:
        """Keep a fetched history, replacing any older one."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO history_cache (vin, fetched_at, payload) VALUES (?, ?, ?) "
                "ON CONFLICT (vin) DO UPDATE SET "
                "fetched_at = excluded.fetched_at, payload = excluded.payload",
                (vin, fetched_at, payload),
            )

    # -- limits --------------------------------------------------------------

    async def reserve(
        self,
        *,
        vin: str,
        user_id: int | None,
        now: float,
        budget: Window,
        quota: Window | None,
    ) -> Granted | Refusal:
        """Check the pause, the budget and the user's quota, and reserve all in one go.

        `user_id` None or `quota` None charges no quota (exempt users, retries).
        """
        from_grant = False
        async with self._transaction() as db:
            paused_until = await self._paused_until(db)
            if paused_until is not None and paused_until > now:
                return Refusal("paused", paused_until)

            budget_frees = await self._window_frees_at(
                db, "SELECT started_at FROM budget_ledger WHERE started_at > ?", (), budget
            )
            if budget_frees is not None:
                return Refusal("budget", budget_frees)

            if user_id is not None and quota is not None:
                quota_frees = await self._window_frees_at(
                    db,
                    "SELECT charged_at FROM quota_ledger "
                    "WHERE user_id = ? AND granted = 0 AND charged_at > ?",
                    (user_id,),
                    quota,
                )
                if quota_frees is not None:
                    cursor = await db.execute(
                        "UPDATE quota_grants SET extra = extra - 1 "
                        "WHERE user_id = ? AND extra > 0",
                        (user_id,),
                    )
                    if cursor.rowcount == 0:
                        return Refusal("quota", quota_frees)
                    from_grant = True

            cursor = await db.execute(
                "INSERT INTO budget_ledger (started_at, vin) VALUES (?, ?)", (now, vin)
            )
            budget_entry = _last_id(cursor)
            charge = None
            if user_id is not None:
                cursor = await db.execute(
                    "INSERT INTO quota_ledger (user_id, charged_at, vin, granted) "
                    "VALUES (?, ?, ?, ?)",
                    (user_id, now, vin, from_grant),
                )
                charge = _last_id(cursor)
            return Granted(budget_entry=budget_entry, quota_charge=charge)

    @staticmethod
    async def _window_frees_at(
        db: aiosqlite.Connection, select_times: str, params: tuple[int, ...], window: Window
    ) -> float | None:
        """None while the window has room, else when its next unit frees."""
        # The window is full when `allowed` units started after `since`; the
        # next one frees when the oldest of the excess leaves the window.
        query = f"{select_times} ORDER BY 1 DESC LIMIT 1 OFFSET ?"
        row = await _first(db, query, (*params, window.since, window.allowed - 1))
        return None if row is None else float(row[0]) + window.length

    async def next_slot_at(self, *, now: float, budget: Window) -> float | None:
        """When an upstream request may next start: None if now, else the moment."""
        paused_until = await self._paused_until(self._db)
        if paused_until is not None and paused_until > now:
            return paused_until
        return await self._window_frees_at(
            self._db, "SELECT started_at FROM budget_ledger WHERE started_at > ?", (), budget
        )

    async def settle(self, quota_charge: int) -> None:
        """Make a reserved quota charge final: the lookup got its answer."""
        async with self._transaction() as db:
            await db.execute("UPDATE quota_ledger SET settled = 1 WHERE id = ?", (quota_charge,))

    async def refund(self, quota_charge: int) -> None:
        """Give a quota charge back to the user (and to their grant): the lookup failed."""
        async with self._transaction() as db:
            await self._refund_where(db, "id = ?", (quota_charge,))

    async def refund_unsettled(self) -> int:
        """Give back every charge whose lookup never finished (the process died)."""
        async with self._transaction() as db:
            return await self._refund_where(db, "settled = 0", ())

    @staticmethod
    async def _refund_where(
        db: aiosqlite.Connection, condition: str, params: tuple[int, ...]
    ) -> int:
        # `condition` is one of this class's own literals, never outside input.
        async with db.execute(
            f"DELETE FROM quota_ledger WHERE {condition} RETURNING user_id, granted",  # noqa: S608
            params,
        ) as cursor:
            rows = list(await cursor.fetchall())
        for user_id, granted in rows:
            if granted:
                await db.execute(
                    "UPDATE quota_grants SET extra = extra + 1 WHERE user_id = ?", (user_id,)
                )
        return len(rows)

    async def quota_charges(self, user_id: int, *, since: float) -> list[float]:
        """When the user was charged after `since`, oldest first."""
        async with self._db.execute(
            "SELECT charged_at FROM quota_ledger "
            "WHERE user_id = ? AND granted = 0 AND charged_at > ? ORDER BY charged_at",
            (user_id, since),
        ) as cursor:
            return [float(row[0]) async for row in cursor]

    async def budget_used(self, *, since: float) -> int:
        """Upstream requests started after `since`."""
        return await self._scalar_int(
            "SELECT count(*) FROM budget_ledger WHERE started_at > ?", (since,)
        )

    async def pause_upstream(self, until: float) -> None:
        """Let no upstream request start before `until` (keeps the later of two pauses)."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO upstream_pause (id, until) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET until = max(until, excluded.until)",
                (until,),
            )

    async def upstream_paused_until(self) -> float | None:
        """When the last pause ends (possibly in the past), or None."""
        return await self._paused_until(self._db)

    @staticmethod
    async def _paused_until(db: aiosqlite.Connection) -> float | None:
        row = await _first(db, "SELECT until FROM upstream_pause WHERE id = 1", ())
        return None if row is None else float(row[0])

    # -- user languages -----------------------------------------------------

    async def user_language(self, user_id: int) -> str | None:
        """The language the user chose with /lang, or None if they never chose one."""
        row = await _first(self._db, "SELECT language FROM users WHERE user_id = ?", (user_id,))
        return None if row is None or row[0] is None else str(row[0])

    async def set_user_language(self, user_id: int, language: str, *, now: float) -> None:
        """Remember the language the user chose, replacing an earlier choice."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO users (user_id, language, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET "
                "language = excluded.language, updated_at = excluded.updated_at",
                (user_id, language, now),
            )

    # -- grants and blocks (admin commands) ------------------------------------

    async def grant(self, user_id: int, extra: int) -> int:
        """Give the user `extra` more lookups beyond the daily quota; returns their total."""
        async with (
            self._transaction() as db,
            db.execute(
                "INSERT INTO quota_grants (user_id, extra) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET extra = extra + excluded.extra "
                "RETURNING extra",
                (user_id, extra),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return 0 if row is None else int(row[0])

    async def granted(self, user_id: int) -> int:
        """Granted lookups the user has left."""
        return await self._scalar_int(
            "SELECT extra FROM quota_grants WHERE user_id = ?", (user_id,)
        )

    async def block(self, user_id: int, *, now: float) -> None:
        """Keep the user from using the bot."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO blocked_users (user_id, blocked_at) VALUES (?, ?)",
                (user_id, now),
            )

    async def unblock(self, user_id: int) -> None:
        """Let a blocked user use the bot again."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM blocked_users WHERE user_id = ?", (user_id,))

    async def blocked_users(self) -> set[int]:
        """Everyone an admin blocked."""
        async with self._db.execute("SELECT user_id FROM blocked_users") as cursor:
            return {int(row[0]) async for row in cursor}

    # -- the lookup log and statistics ----------------------------------------

    async def log_lookup(self, *, at: float, user_id: int, vin: str, outcome: str) -> None:
        """Note one answered lookup."""
        # One statement is its own transaction; the lock keeps it out of another
        # coroutine's open one. This runs for every answer, cached ones included.
        async with self._write_lock:
            await self._db.execute(
                "INSERT INTO lookup_log (at, user_id, vin, outcome) VALUES (?, ?, ?, ?)",
                (at, user_id, vin, outcome),
            )

    async def lookup_counts(self, *, since: float) -> dict[str, int]:
        """How many lookups ended each way after `since`."""
        async with self._db.execute(
            "SELECT outcome, count(*) FROM lookup_log WHERE at > ? GROUP BY outcome", (since,)
        ) as cursor:
            return {str(outcome): int(count) async for outcome, count in cursor}

    async def active_users(self, *, since: float) -> int:
        """Distinct users who asked after `since`."""
        return await self._scalar_int(
            "SELECT count(DISTINCT user_id) FROM lookup_log WHERE at > ?", (since,)
        )

    async def recent_lookups(self, user_id: int, *, limit: int) -> list[LoggedLookup]:
        """The user's latest lookups, newest first."""
        async with self._db.execute(
            "SELECT at, user_id, vin, outcome FROM lookup_log WHERE user_id = ? "
            "ORDER BY at DESC LIMIT ?",
            (user_id, limit),
        ) as cursor:
            return [LoggedLookup(float(a), int(u), str(v), str(o)) async for a, u, v, o in cursor]

    async def oldest_budget_entry(self, *, since: float) -> float | None:
        """When the oldest request still inside the budget window started."""
        async with self._db.execute(
            "SELECT min(started_at) FROM budget_ledger WHERE started_at > ?", (since,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else float(row[0])

    # -- photos Telegram already has --------------------------------------------

    async def photo_file_ids(self, urls: Sequence[str]) -> dict[str, str]:
        """The file_ids Telegram gave for these photo URLs, where it gave one."""
        if not urls:
            return {}
        marks = ", ".join("?" * len(urls))
        rows = await self._db.execute_fetchall(
            f"SELECT url, file_id FROM photo_files WHERE url IN ({marks})",  # noqa: S608
            tuple(urls),
        )
        return {str(url): str(file_id) for url, file_id in rows}

    async def store_photo_file_ids(self, file_ids: dict[str, str], *, now: float) -> None:
        """Remember the file_id Telegram gave for each uploaded photo URL."""
        async with self._transaction() as db:
            await db.executemany(
                "INSERT INTO photo_files (url, file_id, stored_at) VALUES (?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET "
                "file_id = excluded.file_id, stored_at = excluded.stored_at",
                [(url, file_id, now) for url, file_id in file_ids.items()],
            )

    # -- chats that refuse the bot ---------------------------------------------

    async def mark_unreachable(self, chat_id: int, *, now: float) -> None:
        """The chat refuses the bot's messages."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO unreachable_chats (chat_id, since) VALUES (?, ?)",
                (chat_id, now),
            )

    async def mark_reachable(self, chat_id: int) -> None:
        """The chat takes the bot's messages again."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM unreachable_chats WHERE chat_id = ?", (chat_id,))

    async def is_unreachable(self, chat_id: int) -> bool:
        """Whether the chat refuses the bot's messages."""
        return bool(
            await self._scalar_int(
                "SELECT count(*) FROM unreachable_chats WHERE chat_id = ?", (chat_id,)
            )
        )

    # -- the queue of lookups waiting for a budget slot -------------------------

    async def enqueue(
        self,
        *,
        user_id: int,
        chat_id: int,
        vin: str,
        language: str | None,
        reply_to: int | None,
        now: float,
        per_user: int,
    ) -> int | None:
        """Queue a lookup; its place in the whole queue, or None if the user has enough waiting."""
        async with self._transaction() as db:
            async with db.execute(
                "SELECT count(*), sum(vin = ?) FROM queued_lookups WHERE user_id = ?",
                (vin, user_id),
            ) as cursor:
                row = await cursor.fetchone()
            waiting, same = (0, 0) if row is None else (int(row[0]), int(row[1] or 0))
            if waiting >= per_user or same:
                return None
            await db.execute(
                "INSERT INTO queued_lookups (user_id, chat_id, vin, language, reply_to, asked_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, chat_id, vin, language, reply_to, now),
            )
            async with db.execute("SELECT count(*) FROM queued_lookups") as cursor:
                row = await cursor.fetchone()
        return 0 if row is None else int(row[0])

    async def next_queued(self) -> QueuedLookup | None:
        """The lookup that has waited longest."""
        lookups = await self._queued("ORDER BY id LIMIT 1", ())
        return lookups[0] if lookups else None

    async def queued_for(self, user_id: int) -> list[QueuedLookup]:
        """What the user has waiting, oldest first."""
        return await self._queued("WHERE user_id = ? ORDER BY id", (user_id,))

    async def queue_length(self) -> int:
        """How many lookups wait."""
        return await self._scalar_int("SELECT count(*) FROM queued_lookups")

    async def dequeue(self, queued_id: int, *, user_id: int | None = None) -> bool:
        """Take a lookup off the queue (only the user's own, when `user_id` is given)."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM queued_lookups WHERE id = ? AND (? IS NULL OR user_id = ?)",
                (queued_id, user_id, user_id),
            )
            return cursor.rowcount > 0

    async def _queued(self, clause: str, params: tuple[int, ...]) -> list[QueuedLookup]:
        # `clause` is one of this class's own literals, never outside input.
        async with self._db.execute(
            "SELECT id, user_id, chat_id, vin, language, reply_to, asked_at "  # noqa: S608
            f"FROM queued_lookups {clause}",
            params,
        ) as cursor:
            return [QueuedLookup(*row) async for row in cursor]

    # -- pruning ---------------------------------------------------------------

    async def prune(self, *, now: float, cache_ttl: float, log_days: float) -> dict[str, int]:
        """Delete rows no limit, cache or statistic needs any more; counts per table."""
        cutoffs = {
            # The windows are an hour and a day; a day's margin keeps /stats honest.
            "budget_ledger": ("started_at", now - 2 * 86400),
            "quota_ledger": ("charged_at", now - 2 * 86400),
            "history_cache": ("fetched_at", now - cache_ttl),
            "lookup_log": ("at", now - log_days * 86400),
            "photo_files": ("stored_at", now - 30 * 86400),
        }
        deleted = {}
        async with self._transaction() as db:
            for table, (column, cutoff) in cutoffs.items():
                # Table and column names are the literals above.
                cursor = await db.execute(
                    f"DELETE FROM {table} WHERE {column} < ?",  # noqa: S608
                    (cutoff,),
                )
                deleted[table] = cursor.rowcount
        return deleted

    async def _scalar_int(self, query: str, params: tuple[float, ...] = ()) -> int:
        row = await _first(self._db, query, params)
        return 0 if row is None else int(row[0])


async def _first(
    db: aiosqlite.Connection, query: str, params: tuple[object, ...]
) -> sqlite3.Row | None:
    """The first row of a query, in one round trip to the database thread."""
    rows = await db.execute_fetchall(query, params)
    return next(iter(rows), None)


def _last_id(cursor: aiosqlite.Cursor) -> int:
    if cursor.lastrowid is None:  # pragma: no cover - SQLite always sets it after INSERT
        raise RuntimeError("INSERT returned no row id")
    return cursor.lastrowid
