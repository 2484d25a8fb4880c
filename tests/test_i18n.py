"""The catalogues: complete, in step with the code, and formatting per language.

A message in the code without a translation, a translation that loses a
``{placeholder}`` or a tag, a fuzzy entry, a plural entry short of forms, or a
template older than the code each fail a test here, so that a translator never
works from a stale ``locales/messages.pot`` and a user never meets English by
surprise.
"""

from __future__ import annotations

import ast
import io
import re
import string
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from bot import damage, vin
from bot.config import ConfigError, load_settings
from bot.damage import translate_damage
from bot.i18n import COUNTRY_CODES, SOURCE_LANGUAGE, Catalogues, Translator, available_languages

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
TEMPLATE = LOCALES / "messages.pot"
# `pybabel extract -k gettext -k ngettext:1,2` adds these to Babel's defaults (which hold N_).
KEYWORDS = {**DEFAULT_KEYWORDS, "gettext": None, "ngettext": (1, 2)}
MARKERS = {"gettext", "ngettext", "N_"}
TRANSLATED = sorted(
    name
    for name in (po.parent.parent.name for po in LOCALES.glob("*/LC_MESSAGES/messages.po"))
    if name != SOURCE_LANGUAGE
)

FORMATTER = string.Formatter()
# The tags Telegram HTML knows; other angle brackets ("<user id>") are text.
TAG = re.compile(
    r"</?(?:b|strong|i|em|u|ins|s|strike|del|code|pre|a|tg-spoiler|span|blockquote)\b[^>]*>"
)
CYRILLIC = re.compile("[\u0400-\u04ff]")
# Letters only one of the two languages has: a catalogue holding the other's is
# likely a copy of the other with letters changed.
NOT_IN = {"ru": "іїєґІЇЄҐ", "uk": "ыэъёЫЭЪЁ"}


def _extracted() -> Catalog:
    """The template as `pybabel extract` (see README) would write it now."""
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT / "bot", method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _catalogue(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, abort_invalid=True)


def _entries(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def _key(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else str(message.id)


def _forms(message: Message) -> list[str]:
    string_ = message.string
    return list(string_) if isinstance(string_, tuple | list) else [str(string_)]


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in FORMATTER.parse(text) if field is not None}


def _literal_messages(source: Path) -> Iterator[tuple[str, int]]:
    """Every literal handed to gettext, ngettext or N_, f-strings included."""
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        first = node.args[0]
        if name in MARKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield first.value, node.lineno


@pytest.fixture(scope="module")
def catalogues() -> Catalogues:
    return Catalogues()


def test_russian_and_ukrainian_ship_with_the_bot() -> None:
    assert {"ru", "uk"} <= set(TRANSLATED)
    assert available_languages() == Catalogues().languages == ["en", "ru", "uk"]


# -- the template and the code ------------------------------------------------------------


def test_the_template_is_up_to_date_with_the_code() -> None:
    written = io.BytesIO()
    write_po(written, _extracted(), omit_header=True, no_location=True, sort_output=True)

    assert TEMPLATE.read_bytes().decode() == written.getvalue().decode(), (
        "locales/messages.pot is stale: run the pybabel extract command in the README"
    )


def test_every_message_in_the_code_reaches_the_template() -> None:
    # A gettext call inside an f-string is invisible to extraction and so never translated.
    extracted = {_key(message) for message in _entries(_extracted())}
    missed = [
        f"{source.relative_to(ROOT)}:{line}: {text!r}"
        for source in sorted((ROOT / "bot").rglob("*.py"))
        for text, line in _literal_messages(source)
        if text not in extracted
    ]

    assert not missed, "move these calls out of f-strings:\n" + "\n".join(missed)


# -- every catalogue ---------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    translated = {
        _key(message): message for message in _entries(_catalogue(language)) if message.string
    }
    untranslated = [
        _key(message)
        for message in _entries(_extracted())
        if _key(message) not in translated or not all(_forms(translated[_key(message)]))
    ]

    assert not untranslated, f"{language}: no translation for {untranslated}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_entry_is_fuzzy(language: str) -> None:
    catalog = _catalogue(language)

    assert not catalog.fuzzy, f"{language}: the header is marked fuzzy"
    assert [_key(m) for m in _entries(catalog) if m.fuzzy] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language: str) -> None:
    broken = []
    for message in _entries(_catalogue(language)):
        ids = list(message.id) if isinstance(message.id, tuple | list) else [message.id]
        # A plural form may leave {count} out ("одна запись"), never add or rename one.
        wanted = set().union(*(_placeholders(text) for text in ids))
        for form in _forms(message):
            found = _placeholders(form)
            if found != wanted and not (len(ids) > 1 and found == wanted - {"count"}):
                broken.append(f"{_key(message)!r}: {form!r}")

    assert not broken, f"{language}: placeholders differ:\n" + "\n".join(broken)


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_markup(language: str) -> None:
    # Telegram refuses a message whose tags do not match.
    broken = [
        f"{_key(message)!r}: {form!r}"
        for message in _entries(_catalogue(language))
        for form in _forms(message)
        if Counter(TAG.findall(form)) != Counter(TAG.findall(_key(message)))
    ]

    assert not broken, f"{language}: tags differ:\n" + "\n".join(broken)


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_entries_have_every_form_the_language_needs(language: str) -> None:
    catalog = _catalogue(language)
    plurals = [message for message in _entries(catalog) if message.pluralizable]

    assert catalog.num_plurals == get_plural(language).num_plurals
    assert plurals
    short = [_key(m) for m in plurals if len(_forms(m)) != catalog.num_plurals]
    assert short == []


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_a_translation_is_written_in_its_own_alphabet(language: str) -> None:
    wrong = [
        form
        for message in _entries(_catalogue(language))
        for form in _forms(message)
        if not CYRILLIC.search(form) or any(letter in form for letter in NOT_IN[language])
    ]

    assert wrong == []


# -- plurals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("ru", 1, "История аукционов: 1 запись"),
        ("ru", 2, "История аукционов: 2 записи"),
        ("ru", 5, "История аукционов: 5 записей"),
        ("ru", 11, "История аукционов: 11 записей"),
        ("ru", 21, "История аукционов: 21 запись"),
        ("ru", 24, "История аукционов: 24 записи"),
        ("ru", 112, "История аукционов: 112 записей"),
        ("uk", 1, "Історія аукціонів: 1 запис"),
        ("uk", 2, "Історія аукціонів: 2 записи"),
        ("uk", 5, "Історія аукціонів: 5 записів"),
        ("uk", 11, "Історія аукціонів: 11 записів"),
        ("uk", 21, "Історія аукціонів: 21 запис"),
        ("uk", 24, "Історія аукціонів: 24 записи"),
        ("uk", 112, "Історія аукціонів: 112 записів"),
        ("en", 1, "1 auction record"),
        ("en", 21, "21 auction records"),
    ],
)
def test_plural_forms_follow_the_language(
    catalogues: Catalogues, language: str, count: int, expected: str
) -> None:
    t = catalogues.translator(language)

    assert t.ngettext("{count} auction record", "{count} auction records", count) == expected


@pytest.mark.parametrize(
    ("language", "counts", "expected"),
    [
        ("ru", (1, 3, 5, 21), ["1 продажа", "3 продажи", "5 продаж", "21 продажа"]),
        ("uk", (1, 3, 5, 21), ["1 продаж", "3 продажі", "5 продажів", "21 продаж"]),
    ],
)
def test_sales_are_counted_as_natives_count_them(
    catalogues: Catalogues, language: str, counts: tuple[int, ...], expected: list[str]
) -> None:
    t = catalogues.translator(language)

    assert [t.ngettext("{count} sale", "{count} sales", n) for n in counts] == expected


# -- formats ------------------------------------------------------------------------------

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Feb 26, 2021"), ("ru", "26.02.2021"), ("uk", "26.02.2021")],
)
def test_dates(catalogues: Catalogues, language: str, expected: str) -> None:
    t = catalogues.translator(language)

    assert t.date(date(2021, 2, 26)) == expected
    assert t.date(datetime(2021, 2, 26, 23, 59)) == expected


@pytest.mark.parametrize(
    ("language", "whole", "with_cents", "canadian"),
    [
        ("en", "$1,750", "$1,750.50", "CA$1,750"),
        ("ru", f"1{NBSP}750{NBSP}$", f"1{NBSP}750,50{NBSP}$", f"1{NBSP}750{NBSP}CA$"),
        ("uk", f"1{NBSP}750{NBSP}$", f"1{NBSP}750,50{NBSP}$", f"1{NBSP}750{NBSP}CAD"),
    ],
)
def test_money(
    catalogues: Catalogues, language: str, whole: str, with_cents: str, canadian: str
) -> None:
    t = catalogues.translator(language)

    assert t.money(Decimal(1750), "USD") == whole
    assert t.money(Decimal("1750.50"), "USD") == with_cents
    assert t.money(1750, "CAD") == canadian


def test_an_unknown_currency_keeps_its_code(catalogues: Catalogues) -> None:
    assert catalogues.translator("ru").money(1750, "XYZ") == f"1{NBSP}750{NBSP}XYZ"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["1 mi", "3 mi", "149,163 mi", "5 km"]),
        ("ru", ["1 миля", "3 мили", f"149{NBSP}163 мили", "5 км"]),
        ("uk", ["1 миля", "3 милі", f"149{NBSP}163 милі", "5 км"]),
    ],
)
def test_distances_agree_with_the_number(
    catalogues: Catalogues, language: str, expected: list[str]
) -> None:
    t = catalogues.translator(language)

    readings = [t.distance(1, "mi"), t.distance(3, "mi"), t.distance(149163, "mi")]
    assert [*readings, t.distance(5, "km")] == expected


def test_a_distance_in_another_unit_keeps_it(catalogues: Catalogues) -> None:
    t = catalogues.translator("ru")

    assert t.distance(1200, "hours") == f"1{NBSP}200 hours"
    assert t.distance(1200, None) == f"1{NBSP}200"


@pytest.mark.parametrize(
    ("language", "numbers"),
    [("en", "1,234,567.5"), ("ru", f"1{NBSP}234{NBSP}567,5"), ("uk", f"1{NBSP}234{NBSP}567,5")],
)
def test_numbers(catalogues: Catalogues, language: str, numbers: str) -> None:
    assert catalogues.translator(language).number(Decimal("1234567.5")) == numbers


# -- countries ----------------------------------------------------------------------------


def test_every_country_the_vin_decoder_names_has_a_code() -> None:
    named = {
        country for ranges in vin._REGIONS.values() for _, country in ranges if country is not None
    }

    assert named - COUNTRY_CODES.keys() == set()


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_every_country_is_named_in_every_language(catalogues: Catalogues, language: str) -> None:
    t = catalogues.translator(language)
    territories = Locale.parse(language).territories

    assert all(code in territories for code in COUNTRY_CODES.values())
    if language != "en":
        assert [name for name in COUNTRY_CODES if t.country(name) == name] == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["United States", "Germany", "South Korea", "Japan"]),
        ("ru", ["США", "Германия", "Южная Корея", "Япония"]),
        ("uk", ["США", "Німеччина", "Південна Корея", "Японія"]),
    ],
)
def test_countries_read_as_people_write_them(
    catalogues: Catalogues, language: str, expected: list[str]
) -> None:
    t = catalogues.translator(language)

    assert [t.country(name) for name in ("United States", "Germany", "South Korea", "Japan")] == (
        expected
    )


def test_a_country_without_a_code_is_shown_as_it_came(catalogues: Catalogues) -> None:
    assert catalogues.translator("ru").country("Atlantis") == "Atlantis"


# -- damage and loss types ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ru", "uk"),
    [
        ("FRONT END", "передняя часть", "передня частина"),
        ("front end", "передняя часть", "передня частина"),
        ("Left  Front", "левая передняя часть", "ліва передня частина"),
        ("BURN - ENGINE", "пожар в моторном отсеке", "пожежа в моторному відсіку"),
        ("Burn-Engine", "пожар в моторном отсеке", "пожежа в моторному відсіку"),
        ("WATER/FLOOD", "вода/затопление", "вода/затоплення"),
        ("Water / Flood", "вода/затопление", "вода/затоплення"),
        ("Top/Roof", "крыша", "дах"),
        ("MINOR DENTS/SCRATCHES", "мелкие вмятины и царапины", "дрібні вм’ятини й подряпини"),  # noqa: RUF001
        ("Collision", "ДТП", "ДТП"),
        ("Replaced Vin", "заменённый VIN", "замінений VIN"),
    ],
)
def test_damage_types_are_matched_whatever_their_spelling(
    catalogues: Catalogues, value: str, ru: str, uk: str
) -> None:
    assert translate_damage(value, catalogues.translator("ru")) == ru
    assert translate_damage(value, catalogues.translator("uk")) == uk


def test_damage_types_in_english_get_one_spelling(catalogues: Catalogues) -> None:
    t = catalogues.translator("en")

    assert translate_damage("FRONT END", t) == "Front End"
    assert translate_damage("replaced vin", t) == "Replaced VIN"


def test_an_unknown_damage_type_is_shown_as_it_came(catalogues: Catalogues) -> None:
    t = catalogues.translator("ru")

    assert translate_damage("Cash For Clunkers", t) == "Cash For Clunkers"
    assert translate_damage("", t) == ""


def test_no_two_damage_types_share_a_spelling() -> None:
    spellings = [
        damage._fold(spelling)
        for message, others in damage._TYPES
        for spelling in (message, *others)
    ]
    assert len(spellings) == len(set(spellings))


# -- choosing a catalogue ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "language"),
    [("ru", "ru"), ("uk", "uk"), ("en-US", "en"), ("uk_UA", "uk"), ("RU", "ru"), ("de", "en")],
)
def test_telegram_language_codes_pick_a_catalogue(
    catalogues: Catalogues, code: str, language: str
) -> None:
    assert catalogues.translator(code).language == language


def test_the_default_language_serves_unknown_codes() -> None:
    catalogues = Catalogues(default="uk")

    assert catalogues.translator("de").language == "uk"
    assert catalogues.translator(None).language == "uk"


def test_a_default_language_without_a_catalogue_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'de'.*en, ru, uk"):
        Catalogues(default="de")


def test_default_language_setting_is_checked_at_start() -> None:
    base = {"bot_token": "1:x", "autoastat_token": "y", "_env_file": None}

    assert load_settings(**base).default_language == "en"
    assert load_settings(**base, default_language=" RU ").default_language == "ru"
    with pytest.raises(ConfigError, match="DEFAULT_LANGUAGE must be one of en, ru, uk"):
        load_settings(**base, default_language="de")


@pytest.mark.parametrize(
    ("language", "name"), [("en", "English"), ("ru", "Русский"), ("uk", "Українська")]
)
def test_each_language_is_named_in_itself(
    catalogues: Catalogues, language: str, name: str
) -> None:
    assert catalogues.translator(language).language_name == name


def test_a_translator_fills_placeholders_after_translating(catalogues: Catalogues) -> None:
    t: Translator = catalogues.translator("uk")

    assert t.gettext("lot {lot}", lot="<code>1</code>") == "лот <code>1</code>"
