"""The bot's short answers: help, refusals, failures, prompts.

Pure functions of a translator and plain values, like :mod:`bot.render`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from babel.dates import format_time, format_timedelta

from bot.autoastat import (
    AutoastatError,
    BadResponse,
    NetworkFailure,
    RateLimited,
    Unauthorised,
    Unavailable,
)
from bot.i18n import Translator
from bot.limits import QuotaStatus, Refusal
from bot.vin import check_digit


def when(moment: float, now: float, t: Translator) -> str:
    """A near moment as a wait and a UTC clock time: "in 12 minutes (18:42 UTC)".

    Both are rounded up to the minute, and never less than one: better to promise
    a little late than to send someone back too early.
    """
    moment = max(moment, now + 60)
    minutes = math.ceil((moment - now) / 60)
    frees = math.ceil(moment / 60) * 60
    wait = format_timedelta(
        timedelta(minutes=minutes), threshold=1, format="long", locale=t.locale
    )
    clock = datetime.fromtimestamp(frees, UTC)
    return t.gettext(
        "in {wait} ({clock} UTC)", wait=wait, clock=format_time(clock, "HH:mm", locale=t.locale)
    )


def quota_line(status: QuotaStatus, t: Translator) -> str:
    """How many lookups the user has left."""
    if status.left is None:
        return t.gettext("Your lookups are not limited.")
    return t.gettext(
        "Fresh lookups left for the next 24 hours: {left} of {limit}. "
        "VINs the bot already has are answered free.",
        left=status.left,
        limit=status.limit,
    )


def help_text(status: QuotaStatus, max_vins: int, bot_username: str, t: Translator) -> str:
    """What the bot does and how to use it."""
    return "\n\n".join(
        [
            t.gettext(
                "Send me a VIN and I will show the car's history at the US salvage "
                "auctions IAAI and Copart: every sale with its date, lot, status, bid, "
                "odometer, damage and seller, and the lot photos."
            ),
            t.ngettext(
                "The VIN can be anywhere in your message, in any case, split by spaces "
                "or dashes. One VIN per message.",
                "The VIN can be anywhere in your message, in any case, split by spaces "
                "or dashes. Up to {count} VINs per message.",
                max_vins,
            ),
            quota_line(status, t),
            t.gettext(
                "In any chat, type @{bot} and a VIN to share a history there. "
                "/lang changes the language; /queue shows lookups waiting for a free slot.",
                bot=bot_username,
            ),
        ]
    )


def vin_usage(t: Translator) -> str:
    """How to use ``/vin``."""
    return t.gettext("Put the VIN after the command, for example: /vin 1FMZU73K83ZB53903")


def group_help(bot_username: str, t: Translator) -> str:
    """What the bot does in a group and the ways to ask it."""
    return t.gettext(
        "I show a car's history at the US salvage auctions IAAI and Copart. "
        "Ask with /vin followed by the VIN, mention @{bot} with a VIN, or reply to "
        "my message with one. Each lookup counts against the quota of whoever asked.",
        bot=bot_username,
    )


def group_welcome(bot_username: str, t: Translator) -> str:
    """The one message the bot posts when added to a group."""
    return t.gettext(
        "Hello! Send /vin with a VIN and I will show the car's IAAI and Copart "
        "auction history with photos. Inline works too: type @{bot} and a VIN in any chat.",
        bot=bot_username,
    )


def no_vin(t: Translator) -> str:
    """The answer to a message without a VIN."""
    return t.gettext(
        "I found no VIN in that message. A VIN has 17 letters and digits, "
        "for example 1FMZU73K83ZB53903."
    )


def skipped(vins: Sequence[str], t: Translator) -> str:
    """The VINs over the per-message limit, named so the user can send them again."""
    listed = ", ".join(f"<code>{vin}</code>" for vin in vins)
    return t.ngettext(
        "Skipped {count} more VIN: {vins}. Send it in another message.",
        "Skipped {count} more VINs: {vins}. Send them in another message.",
        len(vins),
        vins=listed,
    )


def mistyped(vin: str, t: Translator) -> str:
    """A North American VIN whose check digit does not match."""
    return t.gettext(
        "<code>{vin}</code> looks mistyped: for these 17 characters the 9th (the check "
        "digit) should be {expected}, not {actual}. Please check the VIN; a wrong one "
        "would still use up a lookup.",
        vin=vin,
        expected=check_digit(vin),
        actual=vin[8],
    )


def mistyped_title(t: Translator) -> str:
    """A one-line heading for a VIN that fails its check digit."""
    return t.gettext("The VIN looks mistyped")


def refusal_title(t: Translator) -> str:
    """A one-line heading for a lookup a limit refused."""
    return t.gettext("No lookup possible right now")


def failure_title(t: Translator) -> str:
    """A one-line heading for a lookup the service failed."""
    return t.gettext("The lookup failed")


def look_up_anyway(t: Translator) -> str:
    """The label of the button that looks a mistyped-looking VIN up all the same."""
    return t.gettext("Look it up anyway")


def refusal(refused: Refusal, now: float, t: Translator) -> str:
    """Which limit stopped the lookup, and when it frees."""
    frees = when(refused.frees_at, now, t)
    match refused.limit:
        case "quota":
            return t.gettext(
                "You have used all your fresh lookups for the last 24 hours. "
                "The next one frees {when}. VINs the bot already has are still answered.",
                when=frees,
            )
        case "budget":
            return t.gettext(
                "The bot has used up this hour's lookups, which all its users share. "
                "The next one frees {when}.",
                when=frees,
            )
        case "paused":
            return t.gettext(
                "The history service asked the bot to slow down. Lookups resume {when}.",
                when=frees,
            )


def queue_button(t: Translator) -> str:
    """The label of the button that queues a lookup the budget refused."""
    return t.gettext("Queue it: answer here when a slot frees")


def queued(vin: str, place: int, t: Translator) -> str:
    """The lookup is in the queue."""
    return t.gettext(
        "<code>{vin}</code> is queued, number {place} in line. The answer comes here as "
        "soon as a lookup slot frees; /queue shows or cancels what you have waiting.",
        vin=vin,
        place=place,
    )


def queue_full(per_user: int, t: Translator) -> str:
    """The user already has as many lookups waiting as allowed (or this very VIN)."""
    return t.ngettext(
        "You can have {count} lookup waiting at a time, and each VIN once. See /queue.",
        "You can have {count} lookups waiting at a time, and each VIN once. See /queue.",
        per_user,
    )


def queue_list(vins: Sequence[str], t: Translator) -> str:
    """What the user has waiting."""
    if not vins:
        return t.gettext("You have no lookups waiting.")
    listed = "\n".join(f"{n}. <code>{vin}</code>" for n, vin in enumerate(vins, start=1))
    return t.gettext("Waiting for a free slot:\n{vins}", vins=listed)


def cancel_button(vin: str, t: Translator) -> str:
    """The label of the button that takes one lookup off the queue."""
    return t.gettext("Cancel {vin}", vin=vin)


def cancelled(vin: str, t: Translator) -> str:
    """The lookup left the queue."""
    return t.gettext("<code>{vin}</code> is no longer queued.", vin=vin)


def failure(error: AutoastatError, t: Translator) -> str:
    """What went wrong upstream, in the user's words; the quota was given back."""
    not_charged = t.gettext("This lookup was not counted against your quota.")
    match error:
        case Unauthorised():
            reason = t.gettext("Lookups are temporarily unavailable. Please try again later.")
        case RateLimited():
            reason = t.gettext(
                "The history service is over its limit right now. Please try again later."
            )
        case Unavailable():
            reason = t.gettext(
                "The history service is down for the moment. Please try again in a few minutes."
            )
        case NetworkFailure():
            reason = t.gettext("The history service did not answer in time. Please try again.")
        case BadResponse():
            reason = t.gettext(
                "The history service sent an answer the bot could not read. "
                "Please try again later."
            )
        case _:
            reason = t.gettext("The lookup failed. Please try again later.")
    return f"{reason} {not_charged}"


def retrying(vin: str, delay: float, t: Translator) -> str:
    """The service said 503: the bot will try again by itself."""
    return t.ngettext(
        "The history service is busy. I will try <code>{vin}</code> again in {count} "
        "second; no need to send it again.",
        "The history service is busy. I will try <code>{vin}</code> again in {count} "
        "seconds; no need to send it again.",
        max(1, round(delay)),
        vin=vin,
    )


def not_allowed(t: Translator) -> str:
    """The one answer to someone outside the allowlist."""
    return t.gettext(
        "Sorry, this bot is private: its operator has not opened it to you. "
        "If you think that is a mistake, ask whoever gave you the link."
    )


def slow_down(t: Translator) -> str:
    """The one notice a user gets when asking faster than the per-minute limit."""
    return t.gettext(
        "That is a lot of VINs at once. Please wait a minute; "
        "the ones sent meanwhile are not looked up."
    )


def slow_down_title(t: Translator) -> str:
    """A one-line heading for the per-minute limit."""
    return t.gettext("Too many lookups in a minute")


def photos_failed(t: Translator) -> str:
    """Telegram would not take the album."""
    return t.gettext("The lot photos could not be sent this time.")


def apology(t: Translator) -> str:
    """An unexpected error in a handler."""
    return t.gettext("Sorry, something went wrong on my side. Please try again.")


def escaped(text: str) -> str:
    """Escape a user's or the API's text for HTML."""
    return html.escape(text)
