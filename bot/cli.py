"""The terminal commands besides ``run``: ``lookup``, ``stats``, ``check``, ``health``.

They use the same settings, database, cache and limits as the running bot, so
an operator can try the token and the output without Telegram.
"""

from __future__ import annotations

import html
import re
import sys
import time

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot import maintenance, render, replies, stats
from bot.app import OPERATOR_ID, close_services, open_services
from bot.config import Settings
from bot.i18n import Catalogues
from bot.lookup import Failed, Found, Refused, Source
from bot.storage import Storage
from bot.vin import decode, find_vins

USAGE_ERROR = 2
FAILURE = 1
_TAG = re.compile(r"<[^>]+>")


def plain_text(markup: str) -> str:
    """Telegram HTML as terminal text: tags dropped, entities unescaped."""
    return html.unescape(_TAG.sub("", markup))


async def lookup(settings: Settings, text: str, language: str | None) -> int:
    """Print the summary of the VIN in `text`, as the bot would send it."""
    vins = find_vins(text)
    if not vins:
        sys.stderr.write(f"no VIN in {text!r}: a VIN has 17 letters and digits\n")
        return USAGE_ERROR
    vin = vins[0]
    services = await open_services(settings, time.time, bot=None)
    try:
        t = services.catalogues.translator(language)
        outcome = await services.lookups.lookup(vin, OPERATOR_ID)
    finally:
        await close_services(services)

    match outcome:
        case Found():
            demo = outcome.source is Source.DEMO
            text = render.summary(vin, decode(vin), outcome.history, t, demo=demo)
            sys.stdout.write(plain_text(text) + "\n")
            sys.stdout.write(f"({outcome.source}: {_spent(outcome.source)})\n")
            return 0
        case Refused():
            sys.stderr.write(plain_text(replies.refusal(outcome.refusal, time.time(), t)) + "\n")
        case Failed():
            sys.stderr.write(
                f"{plain_text(replies.failure(outcome.error, t))} ({outcome.error})\n"
            )
    return FAILURE


def _spent(source: Source) -> str:
    return "one API request" if source is Source.FRESH else "no API request"


async def check(settings: Settings) -> int:
    """Check the settings, the database and the Telegram token; print what was found."""
    findings = [("settings", True, "read; demo mode" if settings.demo else "read")]
    findings.append(await _check_database(settings))
    findings.append(await _check_telegram(settings))
    if not settings.demo:
        findings.append(("autoastat", True, "not called: every request is paid for"))
    for name, ok, detail in findings:
        sys.stdout.write(f"{'ok  ' if ok else 'FAIL'}  {name}: {detail}\n")
    return 0 if all(ok for _, ok, _ in findings) else FAILURE


async def _check_database(settings: Settings) -> tuple[str, bool, str]:
    try:
        storage = await Storage.open(settings.database_path)
        try:
            await storage.check_writable()
            version = await storage.schema_version()
        finally:
            await storage.close()
    except Exception as error:
        return "database", False, f"{settings.database_path}: {error}"
    return "database", True, f"{settings.database_path} is writable (schema version {version})"


async def _check_telegram(settings: Settings) -> tuple[str, bool, str]:
    bot = Bot(
        settings.bot_token.get_secret_value(),
        base_url=f"{settings.telegram_base}/bot",
        base_file_url=f"{settings.telegram_base}/file/bot",
    )
    try:
        async with bot:
            me = bot.bot
    except InvalidToken:
        return "telegram", False, "Telegram rejected BOT_TOKEN"
    except TelegramError as error:
        return "telegram", False, f"could not reach Telegram: {error}"
    inline = "inline mode on" if me.supports_inline_queries else "inline mode off (/setinline)"
    return "telegram", True, f"token accepted for @{me.username}, {inline}"


async def show_stats(settings: Settings) -> int:
    """Print what /stats shows in Telegram."""
    storage = await Storage.open(settings.database_path)
    try:
        figures = await stats.gather(
            storage, hourly_budget=settings.hourly_budget, now=time.time()
        )
    finally:
        await storage.close()
    t = Catalogues(default=settings.default_language).translator(None)
    sys.stdout.write(plain_text(stats.describe(figures, t)) + "\n")
    return 0


def health(settings: Settings) -> int:
    """Exit 0 while the running bot's heartbeat is fresh (for Docker's HEALTHCHECK)."""
    if maintenance.is_alive(settings.database_path):
        return 0
    sys.stderr.write("no fresh heartbeat: the bot is not running, or stuck\n")
    return FAILURE
