"""A VIN's history as Telegram HTML: the summary message and the photo album.

Pure functions of the history and a translator, so they test without a bot.
Every string that comes from the API goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.autoastat import History, Odometer, OdometerStatus, Sale, SaleStatus, newest_first
from bot.damage import translate_damage
from bot.i18n import N_, Translator
from bot.vin import VinFacts

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
ALBUM_LIMIT = 10

# No single field from the API may crowd out the rest of a sale.
FIELD_LIMIT = 100

AUCTION_NAMES = {"iaai": "IAAI", "copart": "Copart"}
_TAG = re.compile(r"<[^>]+>")
SALE_STATUS_WORDS = {
    SaleStatus.SOLD: N_("Sold"),
    SaleStatus.NOT_SOLD: N_("Not sold"),
    SaleStatus.PENDING: N_("Sale pending"),
    SaleStatus.REMOVED: N_("Removed from sale"),
    SaleStatus.UNKNOWN: N_("Outcome unknown"),
}
ODOMETER_STATUS_WORDS = {
    OdometerStatus.ACTUAL: N_("actual"),
    OdometerStatus.NOT_ACTUAL: N_("not actual"),
    OdometerStatus.EXEMPT: N_("exempt"),
    OdometerStatus.EXCEEDS_LIMIT: N_("exceeds mechanical limits"),
    OdometerStatus.BROKEN: N_("broken"),
    OdometerStatus.BURNT: N_("burnt"),
    OdometerStatus.INOPERABLE_DIGITAL_DASH: N_("digital dash inoperable"),
    OdometerStatus.MISSING: N_("missing"),
}
# ISO 4217; anything else from the API is shown as text, not formatted as money.
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
PARAGRAPH = "\n\n"
SEPARATOR_LENGTH = len(PARAGRAPH)


def telegram_length(markup: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the text after entity parsing.

    Exact for the HTML this module writes, where every ``<`` opens a tag and every
    API string is escaped.
    """
    text = html.unescape(_TAG.sub("", markup))
    return len(text.encode("utf-16-le")) // 2


def summary(
    vin: str, facts: VinFacts, history: History, t: Translator, *, demo: bool = False
) -> str:
    """The whole history in one message: header, then sales newest first."""
    sales = newest_first(history)
    head = _header(vin, facts, len(sales), t)
    if demo:
        head = f"{demo_banner(t)}\n\n{head}"
    if not sales:
        return "\n\n".join([head, _no_records(t)])

    blocks = [_sale_block(sale, t) for sale in sales]
    whole = PARAGRAPH.join([head, *blocks])
    if telegram_length(whole) <= MESSAGE_LIMIT:
        return whole
    # Not everything fits, so a note about the rest ends the message: the newest
    # sales go in while they leave room for it. No tag spans two paragraphs, so
    # the lengths of the parts add up.
    used = telegram_length(head)
    shown = 0
    while shown + 1 < len(blocks):
        note = _more_sales(len(blocks) - shown - 1, t)
        grown = used + SEPARATOR_LENGTH + telegram_length(blocks[shown])
        if grown + SEPARATOR_LENGTH + telegram_length(note) > MESSAGE_LIMIT:
            break
        used = grown
        shown += 1
    return PARAGRAPH.join([head, *blocks[:shown], _more_sales(len(blocks) - shown, t)])


def demo_banner(t: Translator) -> str:
    """The mark on every demo answer: the data is not this car's."""
    return t.gettext(
        "⚠️ <b>Demo data</b>: the vendor's sample history, the same for every VIN. "
        "It says nothing about this car."
    )


def _header(vin: str, facts: VinFacts, count: int, t: Translator) -> str:
    lines = [f"🚗 <b>{vin}</b>"]
    country = t.country(facts.country) if facts.country else None
    described = " · ".join(
        str(part) for part in (facts.model_year, facts.manufacturer, country) if part
    )
    if described:
        lines.append(html.escape(described))
    lines.append(
        t.ngettext("{count} auction record", "{count} auction records", count)
        if count
        else t.gettext("No auction records")
    )
    return "\n".join(lines)


def _no_records(t: Translator) -> str:
    return t.gettext(
        "IAAI and Copart have no record of this VIN. That does not prove a clean "
        "history: the car may have been sold elsewhere, or repaired privately."
    )


def _more_sales(count: int, t: Translator) -> str:
    return t.ngettext(
        "…and {count} older sale that does not fit in one message.",
        "…and {count} older sales that do not fit in one message.",
        count,
    )


def _text(value: str) -> str:
    """An API string made safe for HTML and short enough to leave room for the rest."""
    if len(value) > FIELD_LIMIT:
        value = value[: FIELD_LIMIT - 1] + "…"
    return html.escape(value)


def _sale_block(sale: Sale, t: Translator) -> str:
    return "\n".join(line for line in _sale_lines(sale, t) if line)


def _sale_lines(sale: Sale, t: Translator) -> Iterable[str]:
    yield _sale_title(sale, t)
    yield _join(_status(sale, t), _bid(sale, t))
    if sale.odometer is not None:
        yield _odometer(sale.odometer, t)
    yield _damage(sale, t)
    if sale.loss_type:
        yield t.gettext("Loss type: {loss}", loss=_text(translate_damage(sale.loss_type, t)))
    yield _seller(sale, t)


def _sale_title(sale: Sale, t: Translator) -> str:
    parts = []
    if sale.date is not None:
        parts.append(f"<b>{t.date(sale.date)}</b>")
    if sale.auction:
        parts.append(_text(AUCTION_NAMES.get(sale.auction.lower(), sale.auction)))
    if sale.auction_lot_number:
        lot = f"<code>{_text(sale.auction_lot_number)}</code>"
        parts.append(t.gettext("lot {lot}", lot=lot))
    undated = t.gettext("Undated sale")
    return " · ".join(parts) or f"<b>{undated}</b>"


def _status(sale: Sale, t: Translator) -> str:
    if sale.status is None:
        return ""
    if isinstance(sale.status, SaleStatus):
        return t.gettext(SALE_STATUS_WORDS[sale.status])
    return t.gettext("Status: {status}", status=_text(sale.status))


def _bid(sale: Sale, t: Translator) -> str:
    if sale.win_amount is None:
        return ""
    currency = (sale.currency or "USD").strip().upper()
    if _CURRENCY_CODE.fullmatch(currency):
        amount = html.escape(t.money(sale.win_amount, currency))
    else:
        amount = f"{html.escape(t.number(sale.win_amount))} {_text(currency)}"
    # A car that did not sell still had a top bid; calling it "winning" would mislead.
    bold = f"<b>{amount}</b>"
    if sale.status == SaleStatus.SOLD or sale.sold:
        return t.gettext("winning bid {amount}", amount=bold)
    return t.gettext("highest bid {amount}", amount=bold)


def _odometer(odometer: Odometer, t: Translator) -> str:
    if odometer.value is None:
        reading = t.gettext("no reading")
    else:
        reading = t.distance(odometer.value, _text(odometer.unit_of_measure or ""))
    status = _odometer_status(odometer.status, t)
    text = f"{reading} ({status})" if status else reading
    return t.gettext("Odometer: {reading}", reading=text)


def _odometer_status(status: OdometerStatus | str | None, t: Translator) -> str:
    if status is None:
        return ""
    if isinstance(status, OdometerStatus):
        return t.gettext(ODOMETER_STATUS_WORDS[status])
    return _text(status)


def _damage(sale: Sale, t: Translator) -> str:
    if sale.primary_damage and sale.secondary_damage:
        return t.gettext(
            "Damage: {primary}, secondary {secondary}",
            primary=_text(translate_damage(sale.primary_damage, t)),
            secondary=_text(translate_damage(sale.secondary_damage, t)),
        )
    damage = sale.primary_damage or sale.secondary_damage
    if not damage:
        return ""
    return t.gettext("Damage: {primary}", primary=_text(translate_damage(damage, t)))


def _seller(sale: Sale, t: Translator) -> str:
    seller = sale.seller
    if seller is None or (not seller.name and seller.insurance is None):
        return ""
    name = _text(seller.name) if seller.name else t.gettext("not named")
    match seller.insurance:
        case True:
            return t.gettext("Seller: {name} (insurer)", name=name)
        case False:
            return t.gettext("Seller: {name} (not an insurer)", name=name)
        case None:
            return t.gettext("Seller: {name}", name=name)


def _join(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class Album:
    """Preview photos of one sale, and the caption shown under the album."""

    photos: tuple[str, ...]
    caption: str


def album(vin: str, history: History, t: Translator, *, demo: bool = False) -> Album | None:
    """The previews of the newest sale that has any, or None when no sale has photos."""
    for sale in newest_first(history):
        photos = _distinct_photo_urls(sale.images.previews)[:ALBUM_LIMIT]
        if photos:
            caption = _album_caption(vin, sale, t)
            if demo:
                note = t.gettext("Demo data, not this car.")
                caption = f"{caption}\n{note}"
            return Album(photos=photos, caption=caption)
    return None


def _distinct_photo_urls(urls: Sequence[str]) -> tuple[str, ...]:
    # Only plain web addresses go to Telegram: nothing else may pose as a file.
    seen = dict.fromkeys(
        url for url in urls if url.startswith(("https://", "http://")) and url.isprintable()
    )
    return tuple(url for url in seen if " " not in url)


def _album_caption(vin: str, sale: Sale, t: Translator) -> str:
    return f"{vin} · {_sale_title(sale, t)}"
