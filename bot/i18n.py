"""Translations and locale-aware formatting.

Catalogues are gettext ``.po`` files under ``locales/<lang>/LC_MESSAGES/``;
they are compiled in memory at start, so no binary ``.mo`` file is ever
committed or built. Messages use ``str.format`` placeholders (``{count}``),
which translators can move but must not rename.
"""

from __future__ import annotations

import gettext
import io
import logging
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

logger = logging.getLogger(__name__)

DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


def _locales_dir() -> Path:
    # Installed, the catalogues ship inside the package; in a source checkout
    # they sit at the top of the repository.
    packaged = Path(__file__).with_name("locales")
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "locales"


LOCALES_DIR = _locales_dir()


class Translator:
    """Messages and formats of one language."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    @cached_property
    def locale(self) -> Locale:
        """The Babel locale of the language."""
        return Locale.parse(self.language)

    def gettext(self, message: str, /, **params: Any) -> str:
        """The translated message, with its placeholders filled in."""
        text = self._translations.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, count: int, /, **params: Any) -> str:
        """The plural form the language uses for `count`; `{count}` is filled in too."""
        text = self._translations.ngettext(singular, plural, count)
        return text.format(count=self.number(count), **params)

    def number(self, value: int | float | Decimal) -> str:
        """A number with the language's grouping and decimal marks."""
        return numbers.format_decimal(value, locale=self.locale)

    def money(self, amount: Decimal | int | float, currency: str) -> str:
        """An amount of money; whole amounts go without cents."""
        pattern = None
        if Decimal(amount) == Decimal(amount).to_integral_value():
            standard = self.locale.currency_formats["standard"].pattern
            pattern = re.sub(r"\.0+", "", standard)
        try:
            return numbers.format_currency(
                amount,
                currency,
                format=pattern,
                currency_digits=pattern is None,
                locale=self.locale,
            )
        except numbers.UnknownCurrencyError:
            return f"{self.number(amount)} {currency}"

    def date(self, value: date | datetime) -> str:
        """A calendar date in the language's medium format ("26 Feb 2021")."""
        return dates.format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: datetime) -> str:
        """A date and time, short, in the time zone the value carries."""
        return dates.format_datetime(
            value, format="short", tzinfo=value.tzinfo, locale=self.locale
        )


class Catalogues:
    """Every language the bot speaks, loaded once."""

    def __init__(self, directory: Path = LOCALES_DIR, default: str = SOURCE_LANGUAGE) -> None:
        self._translators: dict[str, Translator] = {
            SOURCE_LANGUAGE: Translator(SOURCE_LANGUAGE, gettext.NullTranslations())
        }
        for po_file in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            language = po_file.parent.parent.name
            self._translators[language] = Translator(language, _compile(po_file))
        if default not in self._translators:
            raise ValueError(f"no catalogue for the default language {default!r}")
        self.default = default

    @property
    def languages(self) -> list[str]:
        """The language codes with a catalogue."""
        return sorted(self._translators)

    def translator(self, language_code: str | None) -> Translator:
        """The translator for a Telegram language code ("ru", "uk", "en-US"), or the default."""
        if language_code:
            language = language_code.replace("_", "-").split("-")[0].lower()
            if language in self._translators:
                return self._translators[language]
        return self._translators[self.default]


def _compile(po_file: Path) -> gettext.GNUTranslations:
    with po_file.open("rb") as source:
        catalogue = read_po(source, abort_invalid=True)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
