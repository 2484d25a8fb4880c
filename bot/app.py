"""Building the python-telegram-bot ``Application`` and its shared resources."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from telegram import Bot
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot import alerts
from bot.autoastat import AutoastatClient
from bot.commands import publish_commands
from bot.config import Settings
from bot.context import BotData, Services
from bot.flood import FloodLimit
from bot.handlers import errors, gate, group, inline, private
from bot.i18n import Catalogues
from bot.limits import Clock, Limits
from bot.lookup import LookupService
from bot.storage import Storage

logger = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, BotData, Any]

# How many updates run at once: lookups mostly wait on the API or Telegram.
CONCURRENT_UPDATES = 64


def build_application(settings: Settings, *, clock: Clock = time.time) -> BotApplication:
    """The application with every handler, ready to run; resources open at start."""

    async def post_init(application: BotApplication) -> None:
        application.bot_data.services = await open_services(settings, clock, application.bot)
        await publish_commands(application.bot, application.bot_data.services.catalogues)

    async def post_shutdown(application: BotApplication) -> None:
        services = application.bot_data.release()
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
    inline.register(application)
    errors.register(application)
    return application


async def open_services(settings: Settings, clock: Clock, bot: Bot) -> Services:
    """Open the database and the API client, and recover from an unclean stop."""
    catalogues = Catalogues()

    async def alert_token_rejected() -> None:
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
        exempt_users=settings.admin_ids,
        clock=clock,
    )
    client = AutoastatClient(http, settings.autoastat_base, settings.autoastat_token)
    lookups = LookupService(
        storage=storage,
        client=client,
        limits=limits,
        cache_ttl=settings.cache_ttl_seconds,
        retry_delay=settings.retry_delay,
        clock=clock,
        on_token_rejected=alert_token_rejected,
    )
    return Services(
        settings=settings,
        storage=storage,
        http=http,
        limits=limits,
        lookups=lookups,
        catalogues=catalogues,
        flood=FloodLimit(settings.user_rate_limit, exempt=settings.admin_ids, clock=clock),
    )


async def close_services(services: Services) -> None:
    """Close what :func:`open_services` opened."""
    await services.http.aclose()
    await services.storage.close()


@asynccontextmanager
async def running(application: BotApplication) -> AsyncIterator[BotApplication]:
    """Run the application with long polling inside an existing event loop.

    ``run_polling`` owns the event loop and the process signals, which suits
    ``python -m bot``; tests and benchmarks use this instead, in the same order.
    """
    if application.updater is None:
        raise RuntimeError("the application was built without an updater")
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
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
