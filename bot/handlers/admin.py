"""Commands for the operators (``ADMIN_IDS``): watch the budget, steer users, refetch.

Anyone else who tries them gets the ordinary help, as if the commands did not
exist.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telegram import Update, User
from telegram.ext import Application, CommandHandler, filters

from bot import replies, stats
from bot.context import Context, Services
from bot.handlers.delivery import answer_vin
from bot.handlers.language import translator_for
from bot.handlers.private import help_command
from bot.handlers.sending import send_text
from bot.i18n import Translator
from bot.vin import find_vins

RECENT_LOOKUPS = 10
MOST_GRANTED = 1000


@dataclass(frozen=True, slots=True)
class AdminRequest:
    """One admin command: who sent it, where, with what, and how to answer."""

    admin: User
    chat_id: int
    args: list[str]
    context: Context
    t: Translator

    @property
    def services(self) -> Services:
        """The bot's open services."""
        return self.context.bot_data.services

    async def reply(self, text: str) -> None:
        """Answer in the admin's chat."""
        await send_text(self.context.bot, self.chat_id, text)

    async def usage(self, text: str) -> None:
        """Explain the command's arguments."""
        # Usage lines name their arguments in angle brackets, which HTML takes for tags.
        await self.reply(html.escape(text))

    def user_id(self) -> int | None:
        """The user id the command names first, if it is one."""
        first = self.args[0] if self.args else ""
        return int(first) if first.lstrip("-").isdigit() else None


AdminCommand = Callable[[AdminRequest], Awaitable[None]]


def admin_only(command: AdminCommand) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """Run the command for admins; show anyone else the ordinary help."""

    @functools.wraps(command)
    async def handler(update: Update, context: Context) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        if user.id not in context.bot_data.services.settings.admin_ids:
            await help_command(update, context)
            return
        t = await translator_for(user, context)
        await command(AdminRequest(user, chat.id, list(context.args or ()), context, t))

    return handler


@admin_only
async def stats_command(request: AdminRequest) -> None:
    """/stats: budget, lookups today and this week, cache hit rate, users, queue."""
    services = request.services
    figures = await stats.gather(
        services.storage, hourly_budget=services.settings.hourly_budget, now=services.clock()
    )
    await request.reply(stats.describe(figures, request.t))


@admin_only
async def user_command(request: AdminRequest) -> None:
    """/user <id>: that user's quota, language and last lookups."""
    user_id = request.user_id()
    if user_id is None:
        await request.usage(request.t.gettext("Usage: /user <user id>"))
        return
    await request.reply(await _describe_user(user_id, request.services, request.t))


async def _describe_user(user_id: int, services: Services, t: Translator) -> str:
    status = await services.limits.quota_status(user_id)
    language = await services.storage.user_language(user_id)
    lines = [
        t.gettext("<b>User {id}</b>", id=user_id),
        replies.quota_line(status, t),
        t.gettext("Granted lookups left: {count}", count=status.granted),
        t.gettext("Language chosen: {language}", language=language or "-"),
    ]
    if user_id in services.blocked:
        lines.append(t.gettext("Blocked."))
    recent = await services.storage.recent_lookups(user_id, limit=RECENT_LOOKUPS)
    if recent:
        lines.append(t.gettext("Last lookups:"))
    for logged in recent:
        moment = t.datetime(datetime.fromtimestamp(logged.at, UTC))
        lines.append(f"{moment} <code>{logged.vin}</code> {html.escape(logged.outcome)}")
    return "\n".join(lines)


@admin_only
async def grant_command(request: AdminRequest) -> None:
    """/grant <id> <n>: n extra lookups for a user, beyond the daily quota."""
    user_id, args = request.user_id(), request.args
    count = int(args[1]) if len(args) == 2 and args[1].isdigit() else 0
    if user_id is None or not 0 < count <= MOST_GRANTED:
        await request.usage(
            request.t.gettext("Usage: /grant <user id> <number of lookups, 1-1000>")
        )
        return
    total = await request.services.limits.grant(user_id, count)
    await request.reply(
        request.t.gettext("User {id} now has {count} granted lookups.", id=user_id, count=total)
    )


@admin_only
async def block_command(request: AdminRequest) -> None:
    """/block <id>: the user can no longer use the bot."""
    user_id = request.user_id()
    if user_id is None:
        await request.usage(request.t.gettext("Usage: {command} <user id>", command="/block"))
        return
    services = request.services
    await services.storage.block(user_id, now=services.clock())
    services.blocked.add(user_id)
    await request.reply(request.t.gettext("User {id} is blocked.", id=user_id))


@admin_only
async def unblock_command(request: AdminRequest) -> None:
    """/unblock <id>: let a blocked user use the bot again."""
    user_id = request.user_id()
    if user_id is None:
        await request.usage(request.t.gettext("Usage: {command} <user id>", command="/unblock"))
        return
    services = request.services
    await services.storage.unblock(user_id)
    services.blocked.discard(user_id)
    services.refused_once.discard(user_id)
    await request.reply(request.t.gettext("User {id} is unblocked.", id=user_id))


@admin_only
async def refresh_command(request: AdminRequest) -> None:
    """/refresh <VIN>: fetch the history again, bypassing the cache (it spends budget)."""
    vins = find_vins(" ".join(request.args))
    if not vins:
        await request.usage(request.t.gettext("Usage: /refresh <VIN>"))
        return
    await request.reply(
        request.t.gettext(
            "Fetching <code>{vin}</code> again from autoAstat, past the cache: this spends "
            "one request of the hour's budget.",
            vin=vins[0],
        )
    )
    await answer_vin(
        request.context, chat_id=request.chat_id, user=request.admin, vin=vins[0], refresh=True
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the admin commands (private chats only)."""
    for name, handler in (
        ("stats", stats_command),
        ("user", user_command),
        ("grant", grant_command),
        ("block", block_command),
        ("unblock", unblock_command),
        ("refresh", refresh_command),
    ):
        application.add_handler(CommandHandler(name, handler, filters=filters.ChatType.PRIVATE))
