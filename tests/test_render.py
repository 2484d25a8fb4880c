"""Unit tests of ``bot.render``: the history summary and the photo album, in English.

Every text is also parsed with the validator the fake Telegram uses
(``tests.fakes.html_entities.parse_html``, strict), so a test fails whenever Telegram would
answer "can't parse entities" or the message would be too long.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.autoastat import History, parse_history
from bot.i18n import Catalogues, Translator
from bot.render import (
    ALBUM_LIMIT,
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    Album,
    album,
    summary,
    telegram_length,
)
from bot.vin import VinFacts, decode
from tests.fakes.html_entities import ParsedText, parse_html
from tests.vins import SAMPLE_VIN

SAMPLE_PATH = Path(__file__).parent / "data" / f"history-{SAMPLE_VIN}.json"
TODAY = datetime.date(2026, 12, 3)
MARKUP = "<b>A&B</b> & <i>\"'"
IMAGES = "https://s.autoastat.com/images/iaai/2021/2/12/1HGCM56127A182028"


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def t() -> Translator:
    return Catalogues().translator("en")


@pytest.fixture(scope="module")
def facts() -> VinFacts:
    return decode(SAMPLE_VIN, today=TODAY)


@pytest.fixture
def sample() -> list[dict[str, Any]]:
    """The vendor sample as plain JSON data (oldest sale first), a fresh copy per test."""
    data: list[dict[str, Any]] = json.loads(SAMPLE_PATH.read_text("utf-8"))
    return data


def full_sale(**overrides: Any) -> dict[str, Any]:
    """A sale with every field set (like the sample's newest), with some fields replaced."""
    sale: dict[str, Any] = {
        "win_amount": 1750,
        "currency": "USD",
        "date": "2021-02-26T07:40:50+00:00",
        "sold": True,
        "auction_lot_number": 29589213,
        "auction": "iaai",
        "odometer": {"value": 149163, "unit_of_measure": "mi", "status": "not_actual"},
        "status": "sold",
        "primary_damage": "Left Front",
        "secondary_damage": "Left Side",
        "seller": {"name": "CA Auto Sales", "insurance": False},
        "loss_type": "Collision",
    }
    sale.update(overrides)
    return sale


def history(*sales: dict[str, Any]) -> History:
    return parse_history(json.dumps(list(sales)))


def valid(html: str) -> ParsedText:
    """Parse as Telegram would (strictly); raises EntityParseError if Telegram would refuse."""
    return parse_html(html)


def render(t: Translator, facts: VinFacts, *sales: dict[str, Any]) -> str:
    """The summary of these sales, checked to be HTML Telegram accepts and to fit."""
    text = summary(SAMPLE_VIN, facts, history(*sales), t)
    parsed = valid(text)
    assert parsed.utf16_length <= MESSAGE_LIMIT
    # The renderer's own measure may overcount, never undercount.
    assert telegram_length(text) >= parsed.utf16_length
    return text


def blocks(text: str) -> list[str]:
    """The summary's parts: header first, then one block per sale shown (and maybe a note)."""
    return text.split("\n\n")


def only_block(t: Translator, facts: VinFacts, sale: dict[str, Any]) -> str:
    """The block of the one sale in a one-sale history."""
    parts = blocks(render(t, facts, sale))
    assert len(parts) == 2, parts
    return parts[1]


def dated(day: int, **overrides: Any) -> dict[str, Any]:
    """A full sale `day` days after 1 Jan 2000 (a higher day is newer), with lot number `day`."""
    when = datetime.datetime(2000, 1, 1, 12, tzinfo=datetime.UTC) + datetime.timedelta(days=day)
    return full_sale(
        **{"date": when.isoformat(), "auction_lot_number": 10_000_000 + day} | overrides
    )


def lots_shown(text: str) -> list[int]:
    return [int(lot) - 10_000_000 for lot in re.findall(r"<code>(\d+)</code>", text)]


def album_of(t: Translator, *sales: dict[str, Any]) -> Album | None:
    made = album(SAMPLE_VIN, history(*sales), t)
    if made is not None:
        caption = valid(made.caption)
        assert caption.utf16_length <= CAPTION_LIMIT
    return made


def with_previews(day: int, previews: list[str] | None, **overrides: Any) -> dict[str, Any]:
    return dated(day, images={"thumbs": previews, "previews": previews}, **overrides)


def photo(n: int) -> str:
    return f"{IMAGES}/{n}-lot_preview.jpg"


# --------------------------------------------------------------------------- the sample


def test_sample_header_names_the_vin_the_car_and_the_record_count(
    t: Translator, facts: VinFacts, sample: list[dict[str, Any]]
) -> None:
    head = blocks(render(t, facts, *sample))[0]

    assert head.splitlines() == [
        f"🚗 <b>{SAMPLE_VIN}</b>",
        "2003 · Ford · United States",
        "3 auction records",
    ]


def test_sample_sales_come_newest_first(
    t: Translator, facts: VinFacts, sample: list[dict[str, Any]]
) -> None:
    parts = blocks(render(t, facts, *sample))

    assert len(parts) == 4
    assert [part.splitlines()[0].split(" · ")[0] for part in parts[1:]] == [
        "<b>Feb 26, 2021</b>",
        "<b>Feb 19, 2021</b>",
        "<b>Feb 12, 2021</b>",
    ]


def test_sample_shows_every_field_of_a_sale(
    t: Translator, facts: VinFacts, sample: list[dict[str, Any]]
) -> None:
    newest = blocks(render(t, facts, *sample))[1]

    assert newest.splitlines() == [
        "<b>Feb 26, 2021</b> · IAAI · lot <code>29589213</code>",
        "Sold, winning bid <b>$1,750</b>",
        "Odometer: 149,163 mi (not actual)",
        "Damage: Left Front, secondary Left Side",
        "Loss type: Collision",
        "Seller: CA Auto Sales (not an insurer)",
    ]


def test_sample_unsold_sales_show_the_highest_bid_not_a_winning_one(
    t: Translator, facts: VinFacts, sample: list[dict[str, Any]]
) -> None:
    _, sold, unsold_newer, unsold_older = blocks(render(t, facts, *sample))

    assert "winning bid <b>$1,750</b>" in sold
    assert "Not sold, highest bid <b>$1,625</b>" in unsold_newer
    assert "Not sold, highest bid <b>$1,425</b>" in unsold_older
    assert "winning" not in unsold_newer + unsold_older


def test_an_insurer_seller_is_called_one(t: Translator, facts: VinFacts) -> None:
    block = only_block(t, facts, full_sale(seller={"name": "State Farm", "insurance": True}))

    assert "Seller: State Farm (insurer)" in block


def test_a_seller_that_may_or_may_not_be_an_insurer_is_just_named(
    t: Translator, facts: VinFacts
) -> None:
    block = only_block(t, facts, full_sale(seller={"name": "Dealer"}))

    assert block.splitlines()[-1] == "Seller: Dealer"


def test_copart_is_spelled_as_its_brand_and_unknown_auctions_as_they_came(
    t: Translator, facts: VinFacts
) -> None:
    assert " · Copart · " in only_block(t, facts, full_sale(auction="copart"))
    assert " · Manheim · " in only_block(t, facts, full_sale(auction="Manheim"))


def test_sales_are_ordered_by_date_whatever_the_input_order_undated_last(
    t: Translator, facts: VinFacts
) -> None:
    sales = [dated(5), dated(1), full_sale(date=None, auction_lot_number=7), dated(9), dated(3)]

    text = render(t, facts, *sales)

    assert lots_shown(text)[:4] == [9, 5, 3, 1]
    assert blocks(text)[-1].startswith("IAAI · lot <code>7</code>")


# --------------------------------------------------------------------------- statuses in words


@pytest.mark.parametrize(
    ("status", "sold", "words"),
    [
        ("sold", True, "Sold"),
        ("notsold", False, "Not sold"),
        ("pending", None, "Sale pending"),
        ("removed", None, "Removed from sale"),
        ("unknown", None, "Outcome unknown"),
    ],
)
def test_each_sale_status_is_shown_in_words(
    t: Translator, facts: VinFacts, status: str, sold: bool | None, words: str
) -> None:
    status_line = only_block(t, facts, full_sale(status=status, sold=sold)).splitlines()[1]

    assert status_line.startswith(f"{words}, ")
    if status not in words.lower():
        assert status not in status_line


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("actual", "actual"),
        ("not_actual", "not actual"),
        ("exempt", "exempt"),
        ("exceeds_limit", "exceeds mechanical limits"),
        ("broken", "broken"),
        ("burnt", "burnt"),
        ("inoperable_digital_dash", "digital dash inoperable"),
        ("missing", "missing"),
    ],
)
def test_each_odometer_status_is_shown_in_words(
    t: Translator, facts: VinFacts, status: str, words: str
) -> None:
    odometer = {"value": 120500, "unit_of_measure": "mi", "status": status}

    block = only_block(t, facts, full_sale(odometer=odometer))

    assert f"Odometer: 120,500 mi ({words})" in block
    assert "_" not in block


def test_an_unknown_sale_status_is_shown_as_it_came(t: Translator, facts: VinFacts) -> None:
    block = only_block(t, facts, full_sale(status="on_hold", sold=None))

    assert "on_hold" in block.splitlines()[1]


def test_an_unknown_odometer_status_is_shown_as_it_came(t: Translator, facts: VinFacts) -> None:
    odometer = {"value": 5, "unit_of_measure": "km", "status": "rolled_back"}

    assert "Odometer: 5 km (rolled_back)" in only_block(t, facts, full_sale(odometer=odometer))


# --------------------------------------------------------------------------- missing fields

ALL_NULL = dict.fromkeys(full_sale(), None) | {"images": None}


@pytest.mark.parametrize(
    "sale",
    [
        pytest.param({}, id="empty"),
        pytest.param(ALL_NULL, id="all-null"),
        pytest.param({"date": "2021-02-26T07:40:50+00:00"}, id="only-date"),
        pytest.param(full_sale(seller={"insurance": True}), id="seller-without-name"),
        pytest.param(full_sale(seller={"name": None, "insurance": None}), id="empty-seller"),
        pytest.param(full_sale(odometer={"status": "actual"}), id="odometer-without-value"),
        pytest.param(full_sale(odometer={}), id="empty-odometer"),
        pytest.param(full_sale(odometer={"value": 1000}), id="odometer-without-unit"),
        pytest.param(full_sale(win_amount=None), id="no-amount"),
        pytest.param(full_sale(currency=None), id="no-currency"),
        pytest.param(full_sale(status=None, sold=None), id="no-status"),
        pytest.param(full_sale(primary_damage=None), id="only-secondary-damage"),
        pytest.param(full_sale(auction=None, auction_lot_number=None), id="no-auction"),
    ],
)
def test_missing_fields_never_show_as_none(
    t: Translator, facts: VinFacts, sale: dict[str, Any]
) -> None:
    block = only_block(t, facts, sale)

    assert block.strip()
    for placeholder in ("None", "null", "{", "}", ", ,", "()", "  "):
        assert placeholder not in block
    assert not block.endswith((",", "·", " "))


def test_a_sale_with_nothing_in_it_is_an_undated_sale_and_nothing_else(
    t: Translator, facts: VinFacts
) -> None:
    assert only_block(t, facts, {}) == "<b>Undated sale</b>"
    assert only_block(t, facts, ALL_NULL) == "<b>Undated sale</b>"


def test_a_sale_with_only_a_date_shows_only_the_date(t: Translator, facts: VinFacts) -> None:
    assert only_block(t, facts, {"date": "2021-02-26T07:40:50+00:00"}) == "<b>Feb 26, 2021</b>"


def test_missing_fields_leave_out_their_lines(t: Translator, facts: VinFacts) -> None:
    sale = full_sale(
        odometer=None, primary_damage=None, secondary_damage=None, loss_type=None, seller=None
    )

    block = only_block(t, facts, sale)

    assert block.splitlines() == [
        "<b>Feb 26, 2021</b> · IAAI · lot <code>29589213</code>",
        "Sold, winning bid <b>$1,750</b>",
    ]


def test_a_seller_without_a_name_still_tells_whether_it_is_an_insurer(
    t: Translator, facts: VinFacts
) -> None:
    block = only_block(t, facts, full_sale(seller={"insurance": True}))

    assert block.splitlines()[-1] == "Seller: not named (insurer)"


def test_a_seller_with_nothing_known_is_left_out(t: Translator, facts: VinFacts) -> None:
    assert "Seller" not in only_block(t, facts, full_sale(seller={}))


def test_an_odometer_without_a_value_says_there_is_no_reading(
    t: Translator, facts: VinFacts
) -> None:
    odometer = {"unit_of_measure": "mi", "status": "missing"}

    block = only_block(t, facts, full_sale(odometer=odometer))

    assert "Odometer: no reading (missing)" in block
    assert " mi" not in block


def test_an_odometer_without_a_unit_shows_the_bare_number(t: Translator, facts: VinFacts) -> None:
    block = only_block(t, facts, full_sale(odometer={"value": 1000}))

    assert "Odometer: 1,000\n" in block


def test_only_one_damage_is_shown_without_the_word_secondary(
    t: Translator, facts: VinFacts
) -> None:
    primary_only = only_block(t, facts, full_sale(secondary_damage=None))
    secondary_only = only_block(t, facts, full_sale(primary_damage=None))

    assert "Damage: Left Front\n" in primary_only
    assert "Damage: Left Side\n" in secondary_only
    assert "secondary" not in primary_only + secondary_only


def test_no_amount_means_no_bid_but_the_status_stays(t: Translator, facts: VinFacts) -> None:
    status_line = only_block(t, facts, full_sale(win_amount=None)).splitlines()[1]

    assert status_line == "Sold"


def test_no_status_still_shows_the_bid(t: Translator, facts: VinFacts) -> None:
    status_line = only_block(t, facts, full_sale(status=None, sold=False)).splitlines()[1]

    assert status_line == "highest bid <b>$1,750</b>"


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        pytest.param(1425, "USD", "$1,425", id="whole-usd"),
        pytest.param(1425.0, "USD", "$1,425", id="whole-as-float"),
        pytest.param(1425.5, "USD", "$1,425.50", id="fractional"),
        pytest.param(0.99, "USD", "$0.99", id="cents"),
        pytest.param(1250000, "USD", "$1,250,000", id="grouping"),
        pytest.param(1425, "EUR", "€1,425", id="euro"),
        pytest.param(1425.25, "EUR", "€1,425.25", id="fractional-euro"),
        pytest.param(1425, "usd", "$1,425", id="lower-case-code"),
        # The API sells US auctions; an amount without a currency is read as dollars.
        pytest.param(1425, None, "$1,425", id="missing-currency"),
        pytest.param(1425, "", "$1,425", id="empty-currency"),
    ],
)
def test_bids_show_the_amount_with_its_currency(
    t: Translator, facts: VinFacts, amount: float, currency: str | None, shown: str
) -> None:
    block = only_block(t, facts, full_sale(win_amount=amount, currency=currency))

    assert f"winning bid <b>{shown}</b>" in block


def test_an_unknown_currency_code_still_shows_with_the_amount(
    t: Translator, facts: VinFacts
) -> None:
    block = only_block(t, facts, full_sale(win_amount=900, currency="BTC"))

    assert "BTC" in block
    assert "900" in block


def test_sold_flag_alone_also_makes_the_bid_a_winning_one(t: Translator, facts: VinFacts) -> None:
    block = only_block(t, facts, full_sale(status=None, sold=True))

    assert "winning bid" in block


# --------------------------------------------------------------------------- escaping


def _set(sale: dict[str, Any], path: str, value: str) -> dict[str, Any]:
    """Put `value` at a dotted path ("seller.name") of the sale."""
    *parents, leaf = path.split(".")
    node = sale
    for key in parents:
        node = node[key]
    node[leaf] = value
    return sale


API_STRINGS = [
    "seller.name",
    "primary_damage",
    "secondary_damage",
    "loss_type",
    "auction_lot_number",
    "auction",
    "status",
    "odometer.status",
    "odometer.unit_of_measure",
]


@pytest.mark.parametrize("path", API_STRINGS)
def test_markup_in_any_api_string_is_escaped(t: Translator, facts: VinFacts, path: str) -> None:
    sale = _set(full_sale(), path, MARKUP)

    text = render(t, facts, sale)

    assert MARKUP not in text
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in text
    # What the user reads is exactly what the API sent.
    assert MARKUP in valid(text).text


def test_markup_in_the_currency_is_escaped(t: Translator, facts: VinFacts) -> None:
    text = render(t, facts, full_sale(currency="<&>"))

    assert "&lt;&amp;&gt;" in text
    assert "<&>" in valid(text).text


def test_escaping_adds_no_formatting_of_its_own(t: Translator, facts: VinFacts) -> None:
    plain = valid(render(t, facts, full_sale()))
    marked = valid(render(t, facts, _set(full_sale(), "seller.name", MARKUP)))

    assert [entity["type"] for entity in marked.entities] == [
        entity["type"] for entity in plain.entities
    ]


def test_every_field_full_of_markup_at_once_still_parses(t: Translator, facts: VinFacts) -> None:
    sale = full_sale(currency="<&>")
    for path in API_STRINGS:
        _set(sale, path, MARKUP)

    parsed = valid(render(t, facts, sale, dated(1)))

    assert parsed.text.count(MARKUP) == len(API_STRINGS)


# --------------------------------------------------------------------------- long fields


@pytest.mark.parametrize("path", API_STRINGS)
def test_a_10000_character_field_is_cut_and_the_sale_still_shows(
    t: Translator, facts: VinFacts, path: str
) -> None:
    sale = _set(full_sale(), path, "W" * 10_000)

    text = render(t, facts, sale)

    assert "older sale" not in text
    assert "<b>Feb 26, 2021</b>" in text
    assert "W" * 99 + "…" in text
    assert "W" * 101 not in text
    assert telegram_length(text) < 1000


def test_a_10000_character_currency_is_cut_and_the_sale_still_shows(
    t: Translator, facts: VinFacts
) -> None:
    text = render(t, facts, full_sale(currency="W" * 10_000))

    assert "<b>Feb 26, 2021</b>" in text
    assert "older sale" not in text


def test_a_long_field_of_markup_is_cut_before_escaping_never_inside_an_entity(
    t: Translator, facts: VinFacts
) -> None:
    text = render(t, facts, full_sale(seller={"name": "&<" * 5_000, "insurance": False}))

    seller = valid(text).text.splitlines()[-1]
    assert seller.startswith("Seller: &<&<")
    assert seller.endswith("… (not an insurer)")


def test_a_sale_whose_every_field_is_long_markup_still_shows(
    t: Translator, facts: VinFacts
) -> None:
    quotes = '"' * 10_000
    sale = full_sale()
    for path in API_STRINGS:
        _set(sale, path, quotes)

    text = render(t, facts, sale)

    assert "older sale" not in text
    assert "<b>Feb 26, 2021</b>" in text


# --------------------------------------------------------------------------- long histories


def test_200_sales_are_cut_to_one_message_with_a_note_of_the_exact_rest(
    t: Translator, facts: VinFacts
) -> None:
    text = render(t, facts, *(dated(day) for day in range(200)))

    shown = lots_shown(text)
    hidden = 200 - len(shown)
    assert 0 < len(shown) < 200
    assert shown == list(range(199, 199 - len(shown), -1))
    assert "200 auction records" in blocks(text)[0]
    assert blocks(text)[-1] == f"…and {hidden} older sales that do not fit in one message."
    assert telegram_length(text) <= MESSAGE_LIMIT
    # No room is wasted: one more sale would not have fitted.
    shortest = min(telegram_length(block) for block in blocks(text)[1:-1])
    assert telegram_length(text) + len("\n\n") + shortest > MESSAGE_LIMIT


def _unbounded_length(t: Translator, facts: VinFacts, sales: list[dict[str, Any]]) -> int:
    """How long the summary of all these sales would be with no message limit."""
    head = blocks(summary(SAMPLE_VIN, facts, history(*sales), t))[0]
    return telegram_length(head) + sum(
        len("\n\n") + telegram_length(only_block(t, facts, sale)) for sale in sales
    )


def _sales_totalling(
    t: Translator, facts: VinFacts, target: int, oldest: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Sales (newest first) whose full summary is exactly `target` long, `oldest` last."""
    tail = [] if oldest is None else [oldest]
    sales: list[dict[str, Any]] = []
    while _unbounded_length(t, facts, [*sales, dated(100 - len(sales)), *tail]) < target - 300:
        sales.append(dated(100 - len(sales)))
    missing = target - _unbounded_length(t, facts, [*sales, *tail])
    # Pad the loss types (plain ASCII: one character is one unit) to hit the target exactly.
    for sale in sales:
        pad = min(missing, 80)
        sale["loss_type"] += "x" * pad
        missing -= pad
    assert missing == 0
    sales += tail
    assert _unbounded_length(t, facts, sales) == target
    return sales


def test_sales_that_fit_exactly_are_all_shown_without_a_note(
    t: Translator, facts: VinFacts
) -> None:
    sales = _sales_totalling(t, facts, MESSAGE_LIMIT)

    text = render(t, facts, *sales)

    assert telegram_length(text) == MESSAGE_LIMIT
    assert len(lots_shown(text)) == len(sales)
    assert "older sale" not in text


def test_one_character_too_many_hides_one_sale_in_the_singular(
    t: Translator, facts: VinFacts
) -> None:
    sales = _sales_totalling(t, facts, MESSAGE_LIMIT + 1)

    text = render(t, facts, *sales)

    assert len(lots_shown(text)) == len(sales) - 1
    assert blocks(text)[-1] == "…and 1 older sale that does not fit in one message."


def test_sales_that_fit_exactly_with_a_tiny_oldest_sale_are_all_shown(
    t: Translator, facts: VinFacts
) -> None:
    oldest = {"date": "2000-01-01T12:00:00+00:00"}
    sales = _sales_totalling(t, facts, MESSAGE_LIMIT, oldest=oldest)

    text = render(t, facts, *sales)

    assert "older sale" not in text
    assert blocks(text)[-1] == "<b>Jan 1, 2000</b>"


# --------------------------------------------------------------------------- no records


def test_no_records_says_so_and_that_it_proves_no_clean_history(
    t: Translator, facts: VinFacts
) -> None:
    text = render(t, facts)

    head, *rest = blocks(text)
    assert head.splitlines()[-1] == "No auction records"
    assert "0 auction records" not in text
    assert len(rest) == 1
    assert "no record of this VIN" in rest[0]
    assert "does not prove a clean history" in rest[0]


def test_one_record_is_singular(t: Translator, facts: VinFacts) -> None:
    assert blocks(render(t, facts, full_sale()))[0].splitlines()[-1] == "1 auction record"


def test_a_vin_that_tells_nothing_has_no_empty_description_line(t: Translator) -> None:
    nothing = VinFacts(model_year=None, manufacturer=None, country=None)

    text = summary(SAMPLE_VIN, nothing, history(full_sale()), t)

    assert blocks(text)[0].splitlines() == [f"🚗 <b>{SAMPLE_VIN}</b>", "1 auction record"]


# --------------------------------------------------------------------------- the album


def test_sample_album_has_the_first_ten_previews_of_the_newest_sale(
    t: Translator, sample: list[dict[str, Any]]
) -> None:
    made = album_of(t, *sample)

    assert made is not None
    newest = sample[2]["images"]["previews"]
    assert made.photos == tuple(newest[:ALBUM_LIMIT])
    assert SAMPLE_VIN in made.caption
    assert "Feb 26, 2021" in made.caption


def test_album_skips_a_newer_sale_without_photos(t: Translator) -> None:
    sales = [
        with_previews(1, [photo(1)]),
        with_previews(2, [photo(2), photo(3)]),
        with_previews(3, None),
        dated(4, images=None),
    ]

    made = album_of(t, *sales)

    assert made is not None
    assert made.photos == (photo(2), photo(3))
    assert "lot <code>10000002</code>" in made.caption


def test_album_photos_are_distinct_in_their_first_order(t: Translator) -> None:
    previews = [photo(3), photo(1), photo(3), photo(2), photo(1)]

    made = album_of(t, with_previews(1, previews))

    assert made is not None
    assert made.photos == (photo(3), photo(1), photo(2))


def test_album_has_at_most_ten_photos_counted_after_removing_repeats(t: Translator) -> None:
    previews = [photo(n) for n in (1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)]

    made = album_of(t, with_previews(1, previews))

    assert made is not None
    assert made.photos == tuple(photo(n) for n in range(1, 11))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a.jpg",
        "file:///etc/passwd",
        "attach://photo",
        "javascript:alert(1)",
        "AgACAgIAAxkBAAIBY2Zfake_file_id",
        "/images/a.jpg",
        "",
        " https://example.com/a.jpg",
        "https://example.com/a b.jpg",
        "https://example.com/a\tb.jpg",
        "https://example.com/a.jpg\n",
        "https://example.com/a\u00a0b.jpg",
        "https://example.com/a\u2028b.jpg",
    ],
)
def test_album_drops_urls_that_are_not_plain_web_addresses(t: Translator, url: str) -> None:
    made = album_of(t, with_previews(1, [url, photo(1), url]))

    assert made is not None
    assert made.photos == (photo(1),)


def test_album_keeps_http_and_https(t: Translator) -> None:
    previews = ["http://example.com/a.jpg", "https://example.com/b.jpg"]

    made = album_of(t, with_previews(1, previews))

    assert made is not None
    assert made.photos == tuple(previews)


def test_album_skips_a_newer_sale_whose_urls_are_all_unusable(t: Translator) -> None:
    sales = [with_previews(1, [photo(1)]), with_previews(2, ["ftp://x/y.jpg", "a b"])]

    made = album_of(t, *sales)

    assert made is not None
    assert made.photos == (photo(1),)


@pytest.mark.parametrize(
    "sales",
    [
        pytest.param([], id="no-records"),
        pytest.param([dated(1), dated(2, images=None)], id="no-images"),
        pytest.param([dated(1, images={"thumbs": [photo(1)]})], id="thumbs-only"),
        pytest.param([with_previews(1, ["ftp://x/y.jpg"])], id="only-unusable"),
    ],
)
def test_no_album_when_no_sale_has_usable_previews(
    t: Translator, sales: list[dict[str, Any]]
) -> None:
    assert album_of(t, *sales) is None


def test_album_caption_with_huge_markup_fields_still_fits_and_parses(t: Translator) -> None:
    sale = with_previews(1, [photo(1)], auction="&<" * 5_000, auction_lot_number="<>" * 5_000)

    made = album_of(t, sale)

    assert made is not None
    assert made.caption.startswith(SAMPLE_VIN)
    caption = valid(made.caption)
    assert caption.utf16_length <= CAPTION_LIMIT
    assert "&<&<" in caption.text


def test_album_of_an_undated_sale_still_has_a_caption(t: Translator) -> None:
    made = album_of(t, {"images": {"previews": [photo(1)]}})

    assert made is not None
    assert SAMPLE_VIN in made.caption
    assert "None" not in made.caption
