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
        async with self._db.execute(
            "SELECT payload, fetched_at FROM history_cache WHERE vin = ? AND fetched_at > ?",
            (vin, fetched_after),
        ) as cursor:
            row = await cursor.fetchone()
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
                    "SELECT charged_at FROM quota_ledger WHERE user_id = ? AND charged_at > ?",
                    (user_id,),
                    quota,
                )
                if quota_frees is not None:
                    return Refusal("quota", quota_frees)

            cursor = await db.execute(
                "INSERT INTO budget_ledger (started_at, vin) VALUES (?, ?)", (now, vin)
            )
            budget_entry = _last_id(cursor)
            charge = None
            if user_id is not None:
                cursor = await db.execute(
                    "INSERT INTO quota_ledger (user_id, charged_at, vin) VALUES (?, ?, ?)",
                    (user_id, now, vin),
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
        async with db.execute(query, (*params, window.since, window.allowed - 1)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else float(row[0]) + window.length

    async def settle(self, quota_charge: int) -> None:
        """Make a reserved quota charge final: the lookup got its answer."""
        async with self._transaction() as db:
            await db.execute("UPDATE quota_ledger SET settled = 1 WHERE id = ?", (quota_charge,))

    async def refund(self, quota_charge: int) -> None:
        """Give a quota charge back to the user: the lookup failed."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM quota_ledger WHERE id = ?", (quota_charge,))

    async def refund_unsettled(self) -> int:
        """Give back every charge whose lookup never finished (the process died)."""
        async with self._transaction() as db:
            cursor = await db.execute("DELETE FROM quota_ledger WHERE settled = 0")
            return cursor.rowcount

    async def quota_charges(self, user_id: int, *, since: float) -> list[float]:
        """When the user was charged after `since`, oldest first."""
        async with self._db.execute(
            "SELECT charged_at FROM quota_ledger WHERE user_id = ? AND charged_at > ? "
            "ORDER BY charged_at",
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
        async with db.execute("SELECT until FROM upstream_pause WHERE id = 1") as cursor:
            row = await cursor.fetchone()
        return None if row is None else float(row[0])

    async def _scalar_int(self, query: str, params: tuple[float, ...] = ()) -> int:
        async with self._db.execute(query, params) as cursor:
            row = await cursor.fetchone()
        return 0 if row is None else int(row[0])


def _last_id(cursor: aiosqlite.Cursor) -> int:
    if cursor.lastrowid is None:  # pragma: no cover - SQLite always sets it after INSERT
        raise RuntimeError("INSERT returned no row id")
    return cursor.lastrowid
