"""Inline mode: ``@bot VIN`` in any chat.

Telegram sends a query on every keystroke, so nothing is spent until the query
holds a whole VIN that passes its check digit. A cached VIN is answered at
once; an uncached one is looked up only as long as Telegram waits for the
answer, and otherwise continues in the private chat through a button.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineQueryResult, InlineQueryResultsButton, Update
from telegram.error import BadRequest
from telegram.ext import Application, InlineQueryHandler

from bot import inline_results, replies, vin
from bot.context import Context
from bot.flood import Verdict
from bot.handlers.language import translator_for
from bot.i18n import Translator
from bot.lookup import Failed, Found, Outcome, Refused, Source

logger = logging.getLogger(__name__)

# Results are personal (one user's quota is not another's) and kept briefly,
# so that a refusal does not outlive the limit that caused it.
CACHE_SECONDS = 30
NOTICE_CACHE_SECONDS = 5


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the inline query handler."""
    application.add_handler(InlineQueryHandler(inline_query))


async def inline_query(update: Update, context: Context) -> None:
    """Answer a query with the VIN's history, a hint, or a way to the private chat."""
    query = update.inline_query
    if query is None:
        return
    t = await translator_for(query.from_user, context)
    found = vin.find_vins(query.query)
    if not found:
        await _answer(query.id, context, [inline_results.type_whole_vin(context.bot.username, t)])
        return

    the_vin = found[0]
    if vin.looks_mistyped(the_vin):
        mistyped = inline_results.notice(
            "mistyped", replies.mistyped_title(t), replies.mistyped(the_vin, t)
        )
        button = inline_results.open_private_chat(the_vin, t)
        await _answer(query.id, context, [mistyped], button=button)
        return

    if context.bot_data.services.flood.check(query.from_user.id) is not Verdict.ALLOW:
        notice = inline_results.notice(
            "slow-down", replies.slow_down_title(t), replies.slow_down(t)
        )
        await _answer(query.id, context, [notice])
        return

    outcome = await _lookup_in_time(context, update, the_vin, query.from_user.id)
    if outcome is None:
        # Too slow for Telegram: the lookup goes on and fills the cache, and the
        # button takes the user to the private chat where the answer waits.
        await _answer(query.id, context, [], button=inline_results.open_private_chat(the_vin, t))
        return
    now = context.bot_data.services.clock()
    await _answer(query.id, context, _results(the_vin, outcome, t, now))


async def _lookup_in_time(
    context: Context, update: Update, the_vin: str, user_id: int
) -> Outcome | None:
    """The lookup's outcome if it comes before Telegram gives up on the query, else None."""
    services = context.bot_data.services
    cached = await services.lookups.cached(the_vin)
    if cached is not None:
        return cached
    task = context.application.create_task(
        services.lookups.lookup(the_vin, user_id), update=update, name=f"inline lookup {the_vin}"
    )
    done, _ = await asyncio.wait({task}, timeout=services.settings.inline_answer_timeout)
    return task.result() if task in done else None


def _results(the_vin: str, outcome: Outcome, t: Translator, now: float) -> list[InlineQueryResult]:
    match outcome:
        case Found():
            return inline_results.history_results(
                the_vin,
                vin.decode(the_vin),
                outcome.history,
                t,
                demo=outcome.source is Source.DEMO,
            )
        case Refused():
            text = replies.refusal(outcome.refusal, now, t)
            return [inline_results.notice("refused", replies.refusal_title(t), text)]
        case Failed():
            text = replies.failure(outcome.error, t)
            return [inline_results.notice("failed", replies.failure_title(t), text)]


async def _answer(
    query_id: str,
    context: Context,
    results: list[InlineQueryResult],
    *,
    button: InlineQueryResultsButton | None = None,
) -> None:
    history = any(result.id.endswith(":summary") for result in results)
    try:
        await context.bot.answer_inline_query(
            query_id,
            results,
            cache_time=CACHE_SECONDS if history else NOTICE_CACHE_SECONDS,
            is_personal=True,
            button=button,
        )
    except BadRequest as error:
        # The user typed on and Telegram dropped this query; the next one is answered.
        if "query is too old" not in error.message.lower():
            raise
        logger.info("inline query %s expired before the answer", query_id)
