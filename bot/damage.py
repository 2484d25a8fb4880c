"""Damage and loss types as IAAI and Copart name them, in the user's language.

The auctions write the same type in several ways ("FRONT END", "Front End",
"BURN - ENGINE", "Burn-Engine"), so values are matched by a folded form. A
type not listed here is shown as the API sent it.
"""

from __future__ import annotations

import re

from bot.i18n import N_, Translator

# Each message (the English text users see), then the other spellings that mean it.
_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Front End"), ("Front",)),
    (N_("Rear End"), ("Rear",)),
    (N_("Front & Rear"), ("Front and Rear",)),
    (N_("Left Front"), ("Front Left",)),
    (N_("Right Front"), ("Front Right",)),
    (N_("Left Rear"), ("Rear Left",)),
    (N_("Right Rear"), ("Rear Right",)),
    (N_("Left Side"), ()),
    (N_("Right Side"), ()),
    (N_("Side"), ("Sides", "Side Damage")),
    (N_("All Over"), ()),
    (N_("Roof"), ("Top/Roof", "Top", "Roof/Top")),
    (N_("Undercarriage"), ("Under Carriage",)),
    (N_("Rollover"), ("Roll Over",)),
    (N_("Collision"), ()),
    (N_("Hail"), ()),
    (N_("Water/Flood"), ("Flood/Water",)),
    (N_("Flood"), ()),
    (N_("Fresh Water"), ()),
    (N_("Salt Water"), ()),
    (N_("Water"), ()),
    (N_("Fire"), ()),
    (N_("Burn"), ()),
    (N_("Burn - Engine"), ("Engine Burn",)),
    (N_("Burn - Interior"), ("Interior Burn",)),
    (N_("Burn - Exterior"), ("Exterior Burn",)),
    (N_("Minor Dent/Scratches"), ("Minor Dents/Scratches", "Minor Dent/Scratch")),
    (N_("Mechanical"), ()),
    (N_("Electrical"), ()),
    (N_("Engine Damage"), ("Engine",)),
    (N_("Transmission Damage"), ("Transmission",)),
    (N_("Suspension"), ()),
    (N_("Frame Damage"), ("Frame",)),
    (N_("Vandalism"), ("Vandalized",)),
    (N_("Theft"), ()),
    (N_("Stripped"), ()),
    (N_("Normal Wear"), ("Normal Wear & Tear", "Normal Wear and Tear")),
    (N_("Biohazard/Chemical"), ("Bio Hazard/Chemical",)),
    (N_("Biohazard"), ("Bio Hazard",)),
    (N_("Damage History"), ()),
    (N_("Partial Repair"), ()),
    (N_("Rejected Repair"), ()),
    (N_("Replaced VIN"), ()),
    (N_("Missing/Altered VIN"), ()),
    (N_("Repossession"), ()),
    (N_("Unknown"), ()),
    (N_("Other"), ()),
)

_SEPARATOR = re.compile(r"\s*([/&-])\s*")


def _fold(value: str) -> str:
    """The form two spellings of one type share: case, spaces and spacing around / & - aside."""
    return _SEPARATOR.sub(r"\1", " ".join(value.casefold().split()))


_MESSAGES: dict[str, str] = {
    _fold(spelling): message for message, others in _TYPES for spelling in (message, *others)
}


def translate_damage(value: str, t: Translator) -> str:
    """A damage or loss type from the API in the user's language, or as it came if unknown."""
    message = _MESSAGES.get(_fold(value))
    return value if message is None else t.gettext(message)
