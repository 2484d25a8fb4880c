"""Translations and locale-aware formatting.

Catalogues are gettext ``.po`` files under ``locales/<lang>/LC_MESSAGES/``;
they are compiled in memory at start, so no binary ``.mo`` file is ever
committed or built. Messages use ``str.format`` placeholders (``{count}``),
which translators can move but must not rename.

Mark a message that is translated later, away from where it is written, with
:func:`N_`, so that extraction still finds it.
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

# ISO 3166 codes of the country names bot.vin gives, so that Babel can name
# them in every language.
COUNTRY_CODES: dict[str, str] = {
    "Argentina": "AR",
    "Australia": "AU",
    "Austria": "AT",
    "Belarus": "BY",
    "Belgium": "BE",
    "Brazil": "BR",
    "Bulgaria": "BG",
    "Canada": "CA",
    "Cayman Islands": "KY",
    "Chile": "CL",
    "China": "CN",
    "Colombia": "CO",
    "Costa Rica": "CR",
    "Croatia": "HR",
    "Czech Republic": "CZ",
    "Denmark": "DK",
    "Ecuador": "EC",
    "Estonia": "EE",
    "Finland": "FI",
    "France": "FR",
    "Germany": "DE",
    "Greece": "GR",
    "Hungary": "HU",
    "India": "IN",
    "Indonesia": "ID",
    "Iran": "IR",
    "Ireland": "IE",
    "Israel": "IL",
    "Italy": "IT",
    "Japan": "JP",
    "Kazakhstan": "KZ",
    "Latvia": "LV",
    "Lithuania": "LT",
    "Luxembourg": "LU",
    "Malaysia": "MY",
    "Malta": "MT",
    "Mexico": "MX",
    "Netherlands": "NL",
    "New Zealand": "NZ",
    "Norway": "NO",
    "Pakistan": "PK",
    "Paraguay": "PY",
    "Peru": "PE",
    "Philippines": "PH",
    "Poland": "PL",
    "Portugal": "PT",
    "Romania": "RO",
    "Russia": "RU",
    "Saudi Arabia": "SA",
    "Serbia": "RS",
    "Singapore": "SG",
    "Slovenia": "SI",
    "South Africa": "ZA",
    "South Korea": "KR",
    "Spain": "ES",
    "Sri Lanka": "LK",
    "Sweden": "SE",
    "Switzerland": "CH",
    "Taiwan": "TW",
    "Thailand": "TH",
    "Trinidad and Tobago": "TT",
    "Turkey": "TR",
    "Ukraine": "UA",
    "United Arab Emirates": "AE",
    "United Kingdom": "GB",
    "United States": "US",
    "Uruguay": "UY",
    "Venezuela": "VE",
    "Vietnam": "VN",
}

# CLDR's names can be formal ("Соединенные Штаты", "Республика Корея") or
# abbreviated (the Cayman Islands); these are the names people write.
_COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "ru": {"US": "США", "KR": "Южная Корея", "KY": "Каймановы острова", "ZA": "ЮАР"},
    "uk": {"US": "США", "ZA": "ПАР"},
}

# CLDR writes a foreign currency in Ukrainian as its code ("1 750 USD"); prices
# on Ukrainian car sites, like Russian ones, carry the sign.
_CURRENCY_SIGNS: dict[str, dict[str, str]] = {
    "uk": {"USD": "$", "EUR": "€", "GBP": "£"},
}

# Russian and Ukrainian readers expect an all-numeric day-first date in a list
# of sales ("26.02.2021"); CLDR's medium form, an abbreviated month and a year
# mark ("26 февр. 2021"), reads like a form, and Ukrainian CLDR short gives a
# two-digit year.
_DATE_PATTERNS: dict[str, str] = {"ru": "dd.MM.yyyy", "uk": "dd.MM.yyyy"}


def N_(message: str) -> str:  # the name gettext tools look for by default
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def _locales_dir() -> Path:
    # Installed, the catalogues ship inside the package; in a source checkout
    # they sit at the top of the repository.
    packaged = Path(__file__).with_name("locales")
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "locales"


LOCALES_DIR = _locales_dir()


def available_languages(directory: Path = LOCALES_DIR) -> list[str]:
    """The languages the bot ships, without compiling any catalogue."""
    found = {po.parent.parent.name for po in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return sorted(found | {SOURCE_LANGUAGE})


class Translator:
    """Messages and formats of one language."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    @cached_property
    def locale(self) -> Locale:
        """The Babel locale of the language."""
        return Locale.parse(self.language)

    @cached_property
    def language_name(self) -> str:
        """The language's name in itself, as a label starts it ("Русский")."""
        name = self.locale.get_display_name(self.locale) or self.language
        return name[:1].upper() + name[1:]

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
        whole = Decimal(amount) == Decimal(amount).to_integral_value()
        pattern = self.locale.currency_formats["standard"].pattern
        if whole:
            pattern = re.sub(r"\.0+", "", pattern)
        sign = _CURRENCY_SIGNS.get(self.language, {}).get(currency)
        if sign is not None:
            # A lone ¤ stands for the symbol; a quoted sign is printed as it is.
            pattern = re.sub(r"(?<!¤)¤(?!¤)", f"'{sign}'", pattern)
        try:
            return numbers.format_currency(
                amount,
                currency,
                format=pattern,
                currency_digits=not whole,
                locale=self.locale,
            )
        except numbers.UnknownCurrencyError:
            return f"{self.number(amount)} {currency}"

    def distance(self, value: int, unit: str | None) -> str:
        """An odometer reading: "149,163 mi", "149 163 мили"; another unit goes as it came."""
        # Russian and Ukrainian decline the unit with the number (1 миля, 3 мили,
        # 5 миль), so the unit and the number are one plural message.
        match unit:
            case "mi":
                return self.ngettext("{count} mi", "{count} mi", value)
            case "km":
                return self.ngettext("{count} km", "{count} km", value)
            case None | "":
                return self.number(value)
            case other:
                return f"{self.number(value)} {other}"

    def date(self, value: date | datetime) -> str:
        """A calendar date: "Feb 26, 2021" in English, "26.02.2021" in Russian."""
        pattern = _DATE_PATTERNS.get(self.language, "medium")
        return dates.format_date(value, format=pattern, locale=self.locale)

    def datetime(self, value: datetime) -> str:
        """A date and time, short, in the time zone the value carries."""
        return dates.format_datetime(
            value, format="short", tzinfo=value.tzinfo, locale=self.locale
        )

    def country(self, name: str) -> str:
        """A country as bot.vin names it in English, named in this language."""
        code = COUNTRY_CODES.get(name)
        if code is None:
            return name
        preferred = _COUNTRY_NAMES.get(self.language, {}).get(code)
        return preferred or self.locale.territories.get(code, name)


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
            raise ValueError(
                f"no catalogue for the default language {default!r}; "
                f"there are {', '.join(self.languages)} in {directory}"
            )
        self.default = default

    @property
    def languages(self) -> list[str]:
        """The language codes with a catalogue."""
        return sorted(self._translators)

    def __contains__(self, language: object) -> bool:
        """Whether there is a catalogue for this exact language code."""
        return language in self._translators

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
