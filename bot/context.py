"""The shared resources handlers reach through their callback context."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
from telegram.ext import CallbackContext, ExtBot

from bot.config import Settings
from bot.flood import FloodLimit
from bot.i18n import Catalogues
from bot.limits import Clock, Limits
from bot.lookup import Lookups
from bot.queue import LookupQueue
from bot.storage import Storage


@dataclass(frozen=True, slots=True)
class Services:
    """Everything opened at start and closed at shutdown."""

    settings: Settings
    storage: Storage
    http: httpx.AsyncClient
    limits: Limits
    lookups: Lookups
    catalogues: Catalogues
    flood: FloodLimit
    queue: LookupQueue
    # The one clock of limits, stats and replies, so that they agree (and tests can move it).
    clock: Clock
    # Users an admin blocked, mirrored from the database for the gate.
    blocked: set[int] = field(default_factory=set)
    # Users and chats already told they may not use the bot.
    refused_once: set[int] = field(default_factory=set)
    # Every update asks for its user's language, so choices read from the database
    # are kept here; the database stays the truth across restarts. None records
    # "never chose", which is worth remembering too.
    chosen_languages: dict[int, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Background:
    """Tasks that run as long as the bot."""

    queue: asyncio.Task[None]  # the worker answering queued lookups
    upkeep: list[asyncio.Task[None]]  # pruning, heartbeat


class BotData:
    """The application's ``bot_data``: one typed slot instead of string keys."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self.background: Background | None = None

    @property
    def services(self) -> Services:
        """The open services; only valid between start and shutdown."""
        if self._services is None:
            raise RuntimeError("services are not open (outside post_init/post_shutdown)")
        return self._services

    @services.setter
    def services(self, value: Services) -> None:
        self._services = value

    def release(self) -> Services | None:
        """Hand back the services for closing, leaving the slot empty."""
        services, self._services = self._services, None
        return services


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
