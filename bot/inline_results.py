"""Inline mode answers (``@bot VIN`` in any chat) built from a lookup's outcome.

Pure functions, like :mod:`bot.render`, which they reuse for the texts: a
chosen inline result sends exactly one message, so the summary is an article
and the photos are photo results of their own.
"""

from __future__ import annotations

import html

from telegram import (
    InlineQueryResult,
    InlineQueryResultArticle,
    InlineQueryResultPhoto,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from telegram.constants import InlineQueryLimit, ParseMode

from bot import render
from bot.autoastat import History, Sale, SaleStatus, newest_first
from bot.damage import translate_damage
from bot.i18n import Translator
from bot.vin import VinFacts

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# A title must fit on one line of the results list.
TITLE_LIMIT = 64
DESCRIPTION_LIMIT = 200


def history_results(
    vin: str, facts: VinFacts, history: History, t: Translator, *, demo: bool = False
) -> list[InlineQueryResult]:
    """The summary as an article, then one photo result per preview of the newest sale."""
    sales = newest_first(history)
    album = render.album(vin, history, t, demo=demo)
    title = _title(vin, facts, sales, t)
    demo_mark = t.gettext("DEMO")
    article = InlineQueryResultArticle(
        id=f"{vin}:summary",
        title=f"{demo_mark} · {title}"[:TITLE_LIMIT] if demo else title,
        description=_description(sales, t),
        input_message_content=InputTextMessageContent(
            render.summary(vin, facts, history, t, demo=demo),
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
        ),
        thumbnail_url=album.photos[0] if album else None,
    )
    results: list[InlineQueryResult] = [article]
    if album is None:
        return results
    for index, url in enumerate(album.photos):
        results.append(
            InlineQueryResultPhoto(
                id=f"{vin}:photo:{index}",
                photo_url=url,
                thumbnail_url=url,
                caption=album.caption,
                parse_mode=ParseMode.HTML,
            )
        )
    return results[: InlineQueryLimit.RESULTS]


def notice(result_id: str, title: str, text: str) -> InlineQueryResultArticle:
    """A result that only tells something: a hint, a refusal, a failure."""
    return InlineQueryResultArticle(
        id=result_id,
        title=title[:TITLE_LIMIT],
        description=_plain(text),
        input_message_content=InputTextMessageContent(
            text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        ),
    )


def type_whole_vin(bot_username: str, t: Translator) -> InlineQueryResultArticle:
    """The hint shown while the query is not yet a whole VIN."""
    return notice(
        "hint",
        t.gettext("Type all 17 characters of the VIN"),
        t.gettext(
            "Type the whole VIN after the bot's name, for example "
            "@{bot} 1FMZU73K83ZB53903, and the auction history appears here.",
            bot=bot_username,
        ),
    )


def open_private_chat(vin: str, t: Translator) -> InlineQueryResultsButton:
    """The button that continues the lookup in the private chat (``/start <VIN>``)."""
    return InlineQueryResultsButton(
        text=t.gettext("Look up {vin} in the chat with the bot", vin=vin), start_parameter=vin
    )


def _title(vin: str, facts: VinFacts, sales: list[Sale], t: Translator) -> str:
    car = " ".join(str(part) for part in (facts.model_year, facts.manufacturer) if part) or vin
    if not sales:
        return f"{car} · {t.gettext('No auction records')}"[:TITLE_LIMIT]
    parts = [car, t.ngettext("{count} sale", "{count} sales", len(sales))]
    last_price = next((sale for sale in sales if sale.win_amount is not None), None)
    if last_price is not None and last_price.win_amount is not None:
        parts.append(t.money(last_price.win_amount, (last_price.currency or "USD").upper()))
    return " · ".join(parts)[:TITLE_LIMIT]


def _description(sales: list[Sale], t: Translator) -> str:
    if not sales:
        return t.gettext("No record does not prove a clean history.")
    newest = sales[0]
    parts = []
    if newest.date is not None:
        parts.append(t.date(newest.date))
    if newest.auction:
        parts.append(render.AUCTION_NAMES.get(newest.auction.lower(), newest.auction))
    if newest.status == SaleStatus.SOLD:
        parts.append(t.gettext("Sold"))
    if newest.primary_damage:
        parts.append(translate_damage(newest.primary_damage, t))
    return " · ".join(parts)[:DESCRIPTION_LIMIT]


def _plain(text: str) -> str:
    """A description line: Telegram shows it as plain text, so the markup goes."""
    without_tags = "".join(part.split(">", 1)[-1] for part in text.split("<"))
    return html.unescape(without_tags)
