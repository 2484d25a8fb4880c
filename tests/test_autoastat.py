"""Unit tests of ``bot.autoastat``: the response models, the client's status mapping, Retry-After.

The models are checked against the vendor's own sample answer
(``tests/data/history-1FMZU73K83ZB53903.json``, copied from the API manual) and
against drifted payloads the vendor might send later. The client is driven
through ``httpx.MockTransport``, so no test touches a network; end-to-end tests
against a fake server live elsewhere.
"""

from __future__ import annotations

import copy
import email.utils
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
from pydantic import SecretStr

from bot.autoastat import (
    EXCERPT_LENGTH,
    AutoastatClient,
    AutoastatError,
    BadResponse,
    History,
    Images,
    NetworkFailure,
    Odometer,
    OdometerStatus,
    RateLimited,
    Sale,
    SaleStatus,
    Seller,
    Unauthorised,
    Unavailable,
    dump_history,
    newest_first,
    parse_history,
    retry_after_seconds,
)

SAMPLE_VIN = "1FMZU73K83ZB53903"
SAMPLE_PATH = Path(__file__).parent / "data" / f"history-{SAMPLE_VIN}.json"
BASE_URL = "https://autoastat.test"
TOKEN = "tok-5f0c1e2d9a8b7c6d5e4f3a2b1c0d9e8f"
IMAGE_DIR = "https://s.autoastat.com/images/iaai/2021/2/12/1HGCM56127A182028"

Handler = Callable[[httpx.Request], httpx.Response]


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def sample_bytes() -> bytes:
    return SAMPLE_PATH.read_bytes()


@pytest.fixture
def sample_raw(sample_bytes: bytes) -> list[dict[str, Any]]:
    """The vendor sample as plain JSON data, a fresh copy per test so it can be edited."""
    return json.loads(sample_bytes)


@pytest.fixture(scope="module")
def sample_history(sample_bytes: bytes) -> History:
    return parse_history(sample_bytes)


def parse_one(sale: dict[str, Any]) -> Sale:
    """Parse a one-sale history and return that sale."""
    history = parse_history(json.dumps([sale]))
    assert len(history) == 1
    return history[0]


def respond(
    status: int,
    body: str | bytes = b"",
    *,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> Handler:
    """A MockTransport handler that always answers the same response."""
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    content = body.encode() if isinstance(body, str) else body

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers=all_headers)

    return handler


def respond_json(status: int, data: Any, **kwargs: Any) -> Handler:
    return respond(status, json.dumps(data), content_type="application/json", **kwargs)


async def fetch(handler: Handler, *, base_url: str = BASE_URL, vin: str = SAMPLE_VIN) -> History:
    """Run one ``fetch_history`` call against a mocked transport."""
    transport = httpx.MockTransport(handler)
    async with httpx.AsyncClient(transport=transport) as http:
        client = AutoastatClient(http, base_url, SecretStr(TOKEN))
        return await client.fetch_history(vin)


async def fetch_error(handler: Handler) -> AutoastatError:
    """Run ``fetch_history`` expecting it to fail, and return the error."""
    with pytest.raises(AutoastatError) as info:
        await fetch(handler)
    return info.value


def assert_token_free(error: AutoastatError) -> None:
    assert TOKEN not in str(error)
    assert all(TOKEN not in str(arg) for arg in error.args)
    assert TOKEN not in error.excerpt
    assert TOKEN not in repr(error)


# --------------------------------------------------------------------------- the vendor sample


def test_sample_has_three_sales(sample_history: History) -> None:
    assert isinstance(sample_history, tuple)
    assert len(sample_history) == 3
    assert all(isinstance(sale, Sale) for sale in sample_history)


@pytest.mark.parametrize(
    ("index", "day", "win_amount", "sold", "status"),
    [
        (0, 12, "1425", False, SaleStatus.NOT_SOLD),
        (1, 19, "1625", False, SaleStatus.NOT_SOLD),
        (2, 26, "1750", True, SaleStatus.SOLD),
    ],
)
def test_sample_sale_fields(
    sample_history: History,
    sample_raw: list[dict[str, Any]],
    index: int,
    day: int,
    win_amount: str,
    sold: bool,
    status: SaleStatus,
) -> None:
    sale = sample_history[index]

    assert isinstance(sale.date, datetime)
    assert sale.date.utcoffset() == timedelta(0)
    assert sale.date == datetime(2021, 2, day, 7, 40, 50, tzinfo=UTC)

    assert type(sale.win_amount) is Decimal
    assert sale.win_amount == Decimal(win_amount)
    assert sale.currency == "USD"

    assert sale.sold is sold
    assert sale.status is status

    assert type(sale.auction_lot_number) is str
    assert sale.auction_lot_number == "29589213"
    assert sale.auction == "iaai"

    assert sale.primary_damage == "Left Front"
    assert sale.secondary_damage == "Left Side"
    assert sale.loss_type == "Collision"

    assert sale.odometer == Odometer(
        value=149163, unit_of_measure="mi", status=OdometerStatus.NOT_ACTUAL
    )
    assert sale.odometer is not None
    assert type(sale.odometer.value) is int
    assert sale.odometer.status is OdometerStatus.NOT_ACTUAL

    assert sale.seller == Seller(name="CA Auto Sales", insurance=False)
    assert sale.seller is not None
    assert sale.seller.insurance is False

    raw_images = sample_raw[index]["images"]
    assert len(sale.images.previews) == 11
    assert len(sale.images.thumbs) == 11
    assert sale.images.previews == tuple(raw_images["previews"])
    assert sale.images.thumbs == tuple(raw_images["thumbs"])
    assert sale.images.thumbs[0] == f"{IMAGE_DIR}/1-7145a6-lot_thumb.jpg"
    assert sale.images.previews[-1] == f"{IMAGE_DIR}/11-9b5d99-lot_preview.jpg"


def test_parse_history_accepts_str_and_bytes(sample_bytes: bytes) -> None:
    assert parse_history(sample_bytes.decode()) == parse_history(sample_bytes)


def test_sample_round_trip(sample_history: History) -> None:
    dumped = dump_history(sample_history)
    assert isinstance(dumped, bytes)
    assert len(json.loads(dumped)) == 3
    assert parse_history(dumped) == sample_history


def test_drifted_history_round_trip() -> None:
    history = parse_history(
        json.dumps(
            [
                {},
                {"status": "auctioned", "odometer": {"status": "rolled_back", "value": 5}},
                {"date": "2020-05-01T10:00:00", "win_amount": 99.95, "images": None},
            ]
        )
    )
    again = parse_history(dump_history(history))
    assert again == history
    assert again[1].status == "auctioned"
    assert again[2].date is not None
    assert again[2].date.tzinfo is None


# --------------------------------------------------------------------------- drifted payloads


def test_unknown_fields_are_ignored(
    sample_raw: list[dict[str, Any]], sample_history: History
) -> None:
    drifted = copy.deepcopy(sample_raw)
    for sale in drifted:
        sale["vin"] = SAMPLE_VIN
        sale["buy_now"] = {"price": 2000, "currency": "USD"}
        sale["odometer"]["reading_date"] = "2021-02-01"
        sale["seller"]["rating"] = 4.5
        sale["images"]["full"] = ["https://s.autoastat.com/full.jpg"]
    assert parse_history(json.dumps(drifted)) == sample_history


def test_empty_sale_parses_to_all_defaults() -> None:
    sale = parse_one({})
    assert sale == Sale()
    for name in Sale.model_fields:
        if name != "images":
            assert getattr(sale, name) is None, name
    assert sale.images == Images(thumbs=(), previews=())


@pytest.mark.parametrize(
    "field",
    [name for name in Sale.model_fields if name != "images"],
)
def test_null_optional_sale_field_is_none(sample_raw: list[dict[str, Any]], field: str) -> None:
    raw = sample_raw[0]
    raw[field] = None
    sale = parse_one(raw)
    assert getattr(sale, field) is None
    assert sale.auction == (None if field == "auction" else "iaai")


def test_null_images_is_empty(sample_raw: list[dict[str, Any]]) -> None:
    raw = sample_raw[0]
    raw["images"] = None
    assert parse_one(raw).images == Images()


@pytest.mark.parametrize(
    ("images", "thumbs", "previews"),
    [
        ({}, 0, 0),
        ({"thumbs": None, "previews": None}, 0, 0),
        ({"thumbs": ["t1"], "previews": None}, 1, 0),
        ({"thumbs": None, "previews": ["p1", "p2"]}, 0, 2),
    ],
)
def test_null_or_missing_image_lists_are_empty(
    images: dict[str, Any], thumbs: int, previews: int
) -> None:
    sale = parse_one({"images": images})
    assert len(sale.images.thumbs) == thumbs
    assert len(sale.images.previews) == previews


def test_null_nested_fields_are_none() -> None:
    sale = parse_one(
        {
            "odometer": {"value": None, "unit_of_measure": None, "status": None},
            "seller": {"name": None, "insurance": None},
        }
    )
    assert sale.odometer == Odometer()
    assert sale.seller == Seller()


def test_unknown_sale_status_is_kept_as_string() -> None:
    sale = parse_one({"status": "auctioned"})
    assert sale.status == "auctioned"
    assert type(sale.status) is str
    assert not isinstance(sale.status, SaleStatus)


def test_unknown_odometer_status_is_kept_as_string() -> None:
    sale = parse_one({"odometer": {"value": 10, "status": "rolled_back"}})
    assert sale.odometer is not None
    assert sale.odometer.status == "rolled_back"
    assert type(sale.odometer.status) is str
    assert not isinstance(sale.odometer.status, OdometerStatus)


@pytest.mark.parametrize("status", list(SaleStatus))
def test_documented_sale_status_becomes_enum_member(status: SaleStatus) -> None:
    assert parse_one({"status": status.value}).status is status


@pytest.mark.parametrize("status", list(OdometerStatus))
def test_documented_odometer_status_becomes_enum_member(status: OdometerStatus) -> None:
    odometer = parse_one({"odometer": {"status": status.value}}).odometer
    assert odometer is not None
    assert odometer.status is status


@pytest.mark.parametrize(
    ("lot", "expected"),
    [
        (29589213, "29589213"),
        ("29589213", "29589213"),
        ("0029589213", "0029589213"),
        ("C-12345", "C-12345"),
    ],
)
def test_lot_number_is_always_str(lot: int | str, expected: str) -> None:
    sale = parse_one({"auction_lot_number": lot})
    assert type(sale.auction_lot_number) is str
    assert sale.auction_lot_number == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (1425, Decimal("1425")),
        (1425.5, Decimal("1425.5")),
        (0.1, Decimal("0.1")),  # not Decimal(0.1), the binary float's exact value
        ("1425", Decimal("1425")),
        ("1425.50", Decimal("1425.50")),
    ],
)
def test_win_amount_is_decimal(amount: float | int | str, expected: Decimal) -> None:
    sale = parse_one({"win_amount": amount})
    assert type(sale.win_amount) is Decimal
    assert sale.win_amount == expected


def test_empty_list_is_empty_history() -> None:
    assert parse_history(b"[]") == ()
    assert parse_history("[]") == ()


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param('{"history": []}', id="object"),
        pytest.param("{}", id="empty-object"),
        pytest.param('["sold", "notsold"]', id="list-of-strings"),
        pytest.param("[1, 2]", id="list-of-numbers"),
        pytest.param("null", id="null"),
        pytest.param('[{"date": "not a date"}]', id="invalid-date"),
        pytest.param('[{"date": "2021-13-45T07:40:50+00:00"}]', id="impossible-date"),
        pytest.param('[{"win_amount": "a lot"}]', id="non-numeric-amount"),
        pytest.param('[{"images": {"thumbs": "one.jpg"}}]', id="images-not-a-list"),
        pytest.param("<html>busy</html>", id="not-json"),
        pytest.param("", id="empty-body"),
    ],
)
def test_wrong_shapes_raise_validation_error(payload: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_history(payload)


# --------------------------------------------------------------------------- newest_first


def test_newest_first_orders_by_date_with_undated_last() -> None:
    history = parse_history(
        json.dumps(
            [
                {"auction": "undated-1"},
                {"auction": "old", "date": "2019-01-01T00:00:00+00:00"},
                {"auction": "naive-new", "date": "2023-06-01T12:00:00"},
                {"auction": "undated-2", "date": None},
                {"auction": "mid", "date": "2021-02-12T07:40:50+00:00"},
            ]
        )
    )
    ordered = [sale.auction for sale in newest_first(history)]
    assert ordered[:3] == ["naive-new", "mid", "old"]
    assert set(ordered[3:]) == {"undated-1", "undated-2"}


def test_newest_first_reads_naive_dates_as_utc() -> None:
    history = parse_history(
        json.dumps(
            [
                # 07:00 UTC
                {"auction": "aware-07utc", "date": "2021-02-12T07:00:00+00:00"},
                # 08:00 naive, i.e. 08:00 UTC
                {"auction": "naive-08", "date": "2021-02-12T08:00:00"},
                # 10:00 at +05:00, i.e. 05:00 UTC
                {"auction": "aware-05utc", "date": "2021-02-12T10:00:00+05:00"},
                # 06:00 at -03:00, i.e. 09:00 UTC
                {"auction": "aware-09utc", "date": "2021-02-12T06:00:00-03:00"},
            ]
        )
    )
    ordered = [sale.auction for sale in newest_first(history)]
    assert ordered == ["aware-09utc", "naive-08", "aware-07utc", "aware-05utc"]


def test_newest_first_on_sample_and_empty(sample_history: History) -> None:
    ordered = newest_first(sample_history)
    assert isinstance(ordered, list)
    assert ordered == list(reversed(sample_history))
    assert newest_first(()) == []


# --------------------------------------------------------------------------- the client: request


@pytest.mark.parametrize(
    ("base_url", "expected_url"),
    [
        (BASE_URL, f"{BASE_URL}/api/history/{SAMPLE_VIN}"),
        (f"{BASE_URL}/", f"{BASE_URL}/api/history/{SAMPLE_VIN}"),
        (f"{BASE_URL}/proxy/", f"{BASE_URL}/proxy/api/history/{SAMPLE_VIN}"),
    ],
)
async def test_request_url_and_headers(
    sample_bytes: bytes, base_url: str, expected_url: str
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(
            200, content=sample_bytes, headers={"Content-Type": "application/json"}
        )

    history = await fetch(handler, base_url=base_url)

    assert len(history) == 3
    assert len(requests) == 1
    request = requests[0]
    assert request.method == "GET"
    assert str(request.url) == expected_url
    assert request.headers["X-API-AUTH-TOKEN"] == TOKEN
    assert request.headers["Content-Type"] == "application/json"


async def test_200_sample_is_the_history(sample_bytes: bytes, sample_history: History) -> None:
    handler = respond(200, sample_bytes, content_type="application/json")
    assert await fetch(handler) == sample_history


async def test_log_line_has_no_token(
    sample_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.autoastat"):
        await fetch(respond(200, sample_bytes, content_type="application/json"))
    assert SAMPLE_VIN in caplog.text
    assert TOKEN not in caplog.text


# --------------------------------------------------------------------------- the client: statuses

HTML = "text/html; charset=utf-8"
JSON = "application/json"

# (status, body, content type, expected error)
ERROR_STATUSES = [
    pytest.param(401, '{"error": "unauthorised"}', JSON, Unauthorised, id="401"),
    pytest.param(403, '{"error": "forbidden"}', JSON, Unauthorised, id="403"),
    pytest.param(429, '{"error": "too many requests"}', JSON, RateLimited, id="429"),
    pytest.param(500, "<html>Internal Server Error</html>", HTML, Unavailable, id="500"),
    pytest.param(502, "<html>Bad Gateway</html>", HTML, Unavailable, id="502"),
    pytest.param(503, "<html>Service unavailable</html>", HTML, Unavailable, id="503"),
    pytest.param(200, "<html>maintenance</html>", HTML, BadResponse, id="200-html"),
    pytest.param(200, "<html>maintenance</html>", JSON, BadResponse, id="200-html-as-json"),
    pytest.param(200, '{"history": []}', JSON, BadResponse, id="200-object"),
    pytest.param(200, '["a", "b"]', JSON, BadResponse, id="200-list-of-strings"),
    pytest.param(200, '[{"date": "yesterday"}]', JSON, BadResponse, id="200-bad-date"),
    pytest.param(200, "", JSON, BadResponse, id="200-empty"),
    pytest.param(404, "<html>Not Found</html>", HTML, BadResponse, id="404-html"),
    pytest.param(418, "I'm a teapot", "text/plain", BadResponse, id="418"),
    pytest.param(301, "", HTML, BadResponse, id="301"),
]


@pytest.mark.parametrize(("status", "body", "content_type", "expected"), ERROR_STATUSES)
async def test_error_status_mapping(
    status: int, body: str, content_type: str, expected: type[AutoastatError]
) -> None:
    calls: list[httpx.Request] = []
    answer = respond(status, body, content_type=content_type)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return answer(request)

    with pytest.raises(expected) as info:
        await fetch(handler)
    assert isinstance(info.value, AutoastatError)
    assert len(calls) == 1  # one paid request per call, never a retry


@pytest.mark.parametrize(("status", "body", "content_type", "expected"), ERROR_STATUSES)
async def test_echoed_token_never_reaches_the_error(
    status: int, body: str, content_type: str, expected: type[AutoastatError]
) -> None:
    echoed = f"token {TOKEN} rejected; {body}; again: {TOKEN}"
    if content_type == JSON and body.startswith("[{"):
        echoed = json.dumps([{"date": TOKEN}])  # keeps the 200 wrong-shape case wrong-shaped
    error = await fetch_error(respond(status, echoed, content_type=content_type))
    assert isinstance(error, expected)
    assert_token_free(error)
    assert "***" in error.excerpt  # the token was there and got masked, not dropped


async def test_excerpt_is_short_and_from_the_body() -> None:
    body = "<html>" + "x" * 10_000 + "</html>"
    error = await fetch_error(respond(503, body, content_type=HTML))
    assert 0 < len(error.excerpt) <= EXCERPT_LENGTH == 200
    assert body.startswith(error.excerpt)


async def test_excerpt_of_multibyte_body_is_at_most_200_characters() -> None:
    body = "ошибка " * 200
    error = await fetch_error(respond(500, body, content_type="text/plain; charset=utf-8"))
    assert 0 < len(error.excerpt) <= 200
    assert error.excerpt.startswith("ошибка")


async def test_429_with_delta_seconds() -> None:
    error = await fetch_error(respond(429, "", headers={"Retry-After": "120"}))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 120


async def test_429_with_http_date() -> None:
    later = email.utils.format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    error = await fetch_error(respond(429, "", headers={"Retry-After": later}))
    assert isinstance(error, RateLimited)
    assert error.retry_after is not None
    assert 0 < error.retry_after <= 3600


async def test_429_without_retry_after() -> None:
    error = await fetch_error(respond(429, "slow down"))
    assert isinstance(error, RateLimited)
    assert error.retry_after is None


async def test_429_with_non_ascii_digit_retry_after_is_still_rate_limited() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers=[(b"Retry-After", b"\xb2")])

    error = await fetch_error(handler)
    assert isinstance(error, RateLimited)
    assert error.retry_after is None


@pytest.mark.parametrize(
    "content_type",
    [JSON, "application/json; charset=utf-8"],
)
async def test_404_with_json_is_empty_history(content_type: str) -> None:
    handler = respond(404, '{"message": "no records"}', content_type=content_type)
    assert await fetch(handler) == ()


async def test_200_empty_list_is_empty_history() -> None:
    assert await fetch(respond_json(200, [])) == ()


@pytest.mark.parametrize(
    "exception",
    [
        pytest.param(httpx.ConnectError, id="connect-error"),
        pytest.param(httpx.ReadTimeout, id="read-timeout"),
        pytest.param(httpx.ConnectTimeout, id="connect-timeout"),
        pytest.param(httpx.RemoteProtocolError, id="broken-transfer"),
    ],
)
async def test_transport_errors_are_network_failures(exception: type[httpx.HTTPError]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # The message echoes the token, as a careless proxy or library might.
        raise exception(f"failed with X-API-AUTH-TOKEN: {TOKEN}", request=request)

    with pytest.raises(NetworkFailure) as info:
        await fetch(handler)
    error = info.value
    assert isinstance(error, AutoastatError)
    assert error.excerpt == ""
    assert_token_free(error)


async def test_token_across_the_excerpt_cut_does_not_leak() -> None:
    body = "x" * (EXCERPT_LENGTH - 10) + TOKEN
    error = await fetch_error(respond(500, body, content_type="text/plain"))
    assert TOKEN[:10] not in error.excerpt


# --------------------------------------------------------------------------- retry_after_seconds


@pytest.mark.parametrize(
    ("header", "expected"),
    [("120", 120.0), ("0", 0.0), (" 30 ", 30.0), ("86400", 86400.0)],
)
def test_retry_after_digits(header: str, expected: float) -> None:
    assert retry_after_seconds(header) == expected


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_retry_after_http_date_counts_from_now() -> None:
    now = datetime(2015, 10, 21, 7, 26, 0, tzinfo=UTC)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 120.0


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", "soon", "-5", "1.5", "12 minutes", "Wed, 99 Oct 2015 07:28:00 GMT"],
)
def test_retry_after_garbage_is_none(header: str | None) -> None:
    assert retry_after_seconds(header) is None


def test_retry_after_superscript_digit_is_none() -> None:
    assert retry_after_seconds("²") is None
