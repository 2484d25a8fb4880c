"""Commands for the operators (``ADMIN_IDS``): watch the budget, steer users, refetch.

Anyone else who tries them gets the ordinary help, as if the commands did not
exist.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from telegram import Update, User
from telegram.ext import Application, CommandHandler, filters

from bot import replies, stats
from bot.context import Context
from bot.handlers.delivery import answer_vin, send_text
from bot.handlers.language import translator_for
from bot.handlers.private import help_command
from bot.i18n import Translator
from bot.vin import find_vins

RECENT_LOOKUPS = 10


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the admin commands (private chats only)."""
    for name, callback in (
        ("stats", stats_command),
        ("user", user_command),
        ("grant", grant_command),
        ("block", block_command),
        ("unblock", unblock_command),
        ("refresh", refresh_command),
    ):
        application.add_handler(CommandHandler(name, callback, filters=filters.ChatType.PRIVATE))


def _admin(update: Update, context: Context) -> User | None:
    user = update.effective_user
    if user is None or user.id not in context.bot_data.services.settings.admin_ids:
        return None
    return user


async def _reply(update: Update, context: Context, text: str) -> None:
    if update.effective_chat is not None:
        await send_text(context.bot, update.effective_chat.id, text)


async def _usage(update: Update, context: Context, text: str) -> None:
    # Usage lines name their arguments in angle brackets, which HTML would take for tags.
    await _reply(update, context, html.escape(text))


def _user_id_argument(context: Context) -> int | None:
    args = context.args or []
    return int(args[0]) if args and args[0].lstrip("-").isdigit() else None


async def stats_command(update: Update, context: Context) -> None:
    """/stats: budget, lookups today and this week, cache hit rate, users, queue."""
    admin = _admin(update, context)
    if admin is None:
        await help_command(update, context)
        return
    services = context.bot_data.services
    figures = await stats.gather(
        services.storage, hourly_budget=services.settings.hourly_budget, now=services.clock()
    )
    await _reply(update, context, stats.describe(figures, await translator_for(admin, context)))


async def user_command(update: Update, context: Context) -> None:
    """/user <id>: that user's quota, language and last lookups."""
    admin = _admin(update, context)
    if admin is None:
        await help_command(update, context)
        return
    t = await translator_for(admin, context)
    user_id = _user_id_argument(context)
    if user_id is None:
        await _usage(update, context, t.gettext("Usage: /user <user id>"))
        return
    await _reply(update, context, await _describe_user(user_id, context, t))


async def _describe_user(user_id: int, context: Context, t: Translator) -> str:
    services = context.bot_data.services
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
        moment = datetime.fromtimestamp(logged.at, UTC)
        lines.append(
            f"{t.datetime(moment)} <code>{logged.vin}</code> {html.escape(logged.outcome)}"
        )
    return "\n".join(lines)


async def grant_command(update: Update, context: Context) -> None:
    """/grant <id> <n>: n extra lookups for a user, beyond the daily quota."""
    admin = _admin(update, context)
    if admin is None:
        await help_command(update, context)
        return
    t = await translator_for(admin, context)
    args = context.args or []
    user_id = _user_id_argument(context)
    if user_id is None or len(args) != 2 or not args[1].isdigit() or not 0 < int(args[1]) <= 1000:
        await _usage(
            update, context, t.gettext("Usage: /grant <user id> <number of lookups, 1-1000>")
        )
        return
    total = await context.bot_data.services.limits.grant(user_id, int(args[1]))
    await _reply(
        update,
        context,
        t.gettext("User {id} now has {count} granted lookups.", id=user_id, count=total),
    )


async def block_command(update: Update, context: Context) -> None:
    """/block <id>: the user can no longer use the bot."""
    await _set_blocked(update, context, blocked=True)


async def unblock_command(update: Update, context: Context) -> None:
    """/unblock <id>: let a blocked user use the bot again."""
    await _set_blocked(update, context, blocked=False)


async def _set_blocked(update: Update, context: Context, *, blocked: bool) -> None:
    admin = _admin(update, context)
    if admin is None:
        await help_command(update, context)
        return
    t = await translator_for(admin, context)
    user_id = _user_id_argument(context)
    services = context.bot_data.services
    if user_id is None:
        usage = "/block" if blocked else "/unblock"
        await _usage(update, context, t.gettext("Usage: {command} <user id>", command=usage))
        return
    if blocked:
        await services.storage.block(user_id, now=services.clock())
        services.blocked.add(user_id)
        text = t.gettext("User {id} is blocked.", id=user_id)
    else:
        await services.storage.unblock(user_id)
        services.blocked.discard(user_id)
        services.refused_once.discard(user_id)
        text = t.gettext("User {id} is unblocked.", id=user_id)
    await _reply(update, context, text)


async def refresh_command(update: Update, context: Context) -> None:
    """/refresh <VIN>: fetch the history again, bypassing the cache (it spends budget)."""
    admin = _admin(update, context)
    if admin is None or update.effective_chat is None:
        await help_command(update, context)
        return
    t = await translator_for(admin, context)
    vins = find_vins(" ".join(context.args or ()))
    if not vins:
        await _usage(update, context, t.gettext("Usage: /refresh <VIN>"))
        return
    await _reply(
        update,
        context,
        t.gettext(
            "Fetching <code>{vin}</code> again from autoAstat, past the cache: this spends "
            "one request of the hour's budget.",
            vin=vins[0],
        ),
    )
    await answer_vin(
        context, chat_id=update.effective_chat.id, user=admin, vin=vins[0], refresh=True
    )
