"""Building the python-telegram-bot ``Application`` and its shared resources."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from telegram import Bot
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot import alerts, maintenance
from bot.autoastat import AutoastatClient
from bot.commands import publish_commands
from bot.config import Settings
from bot.context import Background, BotData, Services
from bot.demo import DemoLookups
from bot.flood import FloodLimit
from bot.handlers import admin, errors, gate, group, inline, language, membership, private
from bot.handlers import queue as queue_handlers
from bot.i18n import Catalogues
from bot.limits import Clock, Limits
from bot.lookup import Lookups, LookupService
from bot.queue import LookupQueue
from bot.storage import Storage

logger = logging.getLogger(__name__)

# The user id lookups from the terminal are made under: the operator, never charged.
OPERATOR_ID = 0

BotApplication = Application[Any, Any, Any, Any, BotData, Any]

# How long a stopping bot lets the queue's worker finish the lookup in hand.
QUEUE_FINISH_SECONDS = 20.0

# How many updates run at once: lookups mostly wait on the API or Telegram.
CONCURRENT_UPDATES = 64


def build_application(settings: Settings, *, clock: Clock = time.time) -> BotApplication:
    """The application with every handler, ready to run; resources open at start."""

    async def post_init(application: BotApplication) -> None:
        services = await open_services(settings, clock, application.bot)
        application.bot_data.services = services
        await publish_commands(application.bot, services.catalogues)
        application.bot_data.background = start_background(application.bot, services)

    async def post_shutdown(application: BotApplication) -> None:
        services = application.bot_data.release()
        await stop_background(services, application.bot_data.background)
        if services is not None:  # None when start-up failed half-way
            await close_services(services)

    telegram = settings.telegram_base
    application: BotApplication = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(f"{telegram}/bot")
        .base_file_url(f"{telegram}/file/bot")
        .context_types(ContextTypes(bot_data=BotData))
        .concurrent_updates(CONCURRENT_UPDATES)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    gate.register(application)
    private.register(application)
    group.register(application)
    membership.register(application)
    inline.register(application)
    language.register(application)
    admin.register(application)
    queue_handlers.register(application)
    errors.register(application)
    return application


async def open_services(settings: Settings, clock: Clock, bot: Bot | None) -> Services:
    """Open the database and the API client, and recover from an unclean stop.

    Without a `bot` (the terminal lookup) the admins cannot be alerted; the log still is.
    """
    catalogues = Catalogues(default=settings.default_language)

    async def alert_token_rejected() -> None:
        if bot is not None:
            text = alerts.token_rejected(catalogues.translator(None))
            await alerts.tell_admins(bot, settings.admin_ids, text)

    storage = await Storage.open(settings.database_path)
    refunded = await storage.refund_unsettled()
    if refunded:
        logger.warning("gave back %d quota charges of lookups cut short by a restart", refunded)
    # A stuck request must not hold a lookup, and everyone waiting on it, for long.
    timeout = httpx.Timeout(
        settings.autoastat_timeout, connect=min(5.0, settings.autoastat_timeout)
    )
    http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
    limits = Limits(
        storage,
        hourly_budget=settings.hourly_budget,
        daily_quota=settings.user_daily_quota,
        exempt_users=settings.admin_ids | {OPERATOR_ID},
        clock=clock,
    )
    client = AutoastatClient(http, settings.autoastat_base, settings.autoastat_token)
    lookups: Lookups = (
        DemoLookups()
        if settings.demo
        else LookupService(
            storage=storage,
            client=client,
            limits=limits,
            cache_ttl=settings.cache_ttl_seconds,
            retry_delay=settings.retry_delay,
            clock=clock,
            on_token_rejected=alert_token_rejected,
        )
    )
    return Services(
        settings=settings,
        storage=storage,
        http=http,
        limits=limits,
        lookups=lookups,
        catalogues=catalogues,
        flood=FloodLimit(settings.user_rate_limit, exempt=settings.admin_ids, clock=clock),
        blocked=await storage.blocked_users(),
        queue=LookupQueue(storage=storage, limits=limits, lookups=lookups, clock=clock),
        clock=clock,
    )


def start_background(bot: Bot, services: Services) -> Background:
    """Start the tasks that run as long as the bot: queue worker, pruning, heartbeat."""
    settings = services.settings
    return Background(
        queue=asyncio.create_task(
            services.queue.run(queue_handlers.deliverer(bot, services)), name="lookup queue"
        ),
        upkeep=[
            asyncio.create_task(
                maintenance.prune_forever(
                    services.storage, cache_ttl=settings.cache_ttl_seconds, clock=services.clock
                ),
                name="pruning",
            ),
            asyncio.create_task(
                maintenance.beat_forever(services.storage, settings.database_path),
                name="heartbeat",
            ),
        ],
    )


async def stop_background(services: Services | None, background: Background | None) -> None:
    """Stop the background tasks and wait until they have let go of the database.

    The queue's worker may finish the lookup in hand, for a while: the answer is
    paid for. Cut short, the lookup stays queued and is answered after the restart.
    """
    if background is None:
        return
    if services is not None:
        services.queue.stop()
        await asyncio.wait([background.queue], timeout=QUEUE_FINISH_SECONDS)
    tasks = [background.queue, *background.upkeep]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def close_services(services: Services) -> None:
    """Close what :func:`open_services` opened."""
    await services.http.aclose()
    await services.storage.close()


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where Telegram posts updates, and the secret it must send along."""

    url: str
    secret: str
    listen: str = "0.0.0.0"  # noqa: S104 - a webhook must be reachable from outside
    port: int = 8080

    @property
    def path(self) -> str:
        """The path the local server answers on: the path part of the public URL."""
        return urlsplit(self.url).path.lstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> Webhook | None:
        """The webhook the settings ask for, or None for long polling."""
        if settings.webhook_url is None or settings.webhook_secret is None:
            return None
        return cls(
            url=str(settings.webhook_url),
            secret=settings.webhook_secret.get_secret_value(),
            port=settings.port,
        )


@asynccontextmanager
async def running(
    application: BotApplication, webhook: Webhook | None = None
) -> AsyncIterator[BotApplication]:
    """Run the application inside an existing event loop: long polling, or a webhook.

    ``run_polling`` and ``run_webhook`` own the event loop and the process
    signals, which suits ``python -m bot``; tests and benchmarks use this
    instead, which starts and stops everything in the same order.
    """
    if application.updater is None:
        raise RuntimeError("the application was built without an updater")
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        if webhook is None:
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
        else:
            await application.updater.start_webhook(
                listen=webhook.listen,
                port=webhook.port,
                url_path=webhook.path,
                webhook_url=webhook.url,
                secret_token=webhook.secret,
            )
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
