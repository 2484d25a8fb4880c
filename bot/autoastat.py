"""The autoAstat API: response models, the HTTP client and its errors.

One call, ``GET {base}/api/history/{VIN}``, answers a JSON list of sales. The
models accept what the vendor documents and tolerate drift: unknown fields are
ignored, missing or null optional fields become ``None`` (or empty lists), and
an enumerated value the vendor adds later is kept as a plain string so it can
still be shown.

Every failure surfaces as one of these, never as an ``httpx`` error::

    AutoastatError
    ├── Unauthorised     401 / 403: the token is wrong or expired
    ├── RateLimited      429: the plan's hourly limit is spent upstream
    ├── Unavailable      503 (or another 5xx): try again later
    ├── BadResponse      not JSON, the wrong shape, or an unexpected status
    └── NetworkFailure   timeout, refused connection, broken transfer

The client makes exactly one request per call; retrying is the caller's
decision because every attempt is paid for.
"""

from __future__ import annotations

import email.utils
import logging
import time
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import httpx
import pydantic
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    field_validator,
)

logger = logging.getLogger(__name__)

EXCERPT_LENGTH = 200
VIN_LENGTH = 17


class SaleStatus(StrEnum):
    """How an auction of the lot ended."""

    UNKNOWN = "unknown"
    SOLD = "sold"
    NOT_SOLD = "notsold"
    PENDING = "pending"
    REMOVED = "removed"


class OdometerStatus(StrEnum):
    """What the auction says about the odometer reading."""

    ACTUAL = "actual"
    NOT_ACTUAL = "not_actual"
    EXEMPT = "exempt"
    EXCEEDS_LIMIT = "exceeds_limit"
    BROKEN = "broken"
    BURNT = "burnt"
    INOPERABLE_DIGITAL_DASH = "inoperable_digital_dash"
    MISSING = "missing"


# A value outside the documented enumeration is kept as the string it came as.
SaleStatusValue = Annotated[SaleStatus | str, Field(union_mode="left_to_right")]
OdometerStatusValue = Annotated[OdometerStatus | str, Field(union_mode="left_to_right")]


def _number_as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# The sample sends lot numbers as JSON numbers; they are identifiers, not amounts.
LotNumber = Annotated[str, BeforeValidator(_number_as_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Odometer(_Model):
    """The odometer reading recorded for one sale."""

    value: int | None = None
    unit_of_measure: str | None = None
    status: OdometerStatusValue | None = None


class Seller(_Model):
    """Who put the car up for auction."""

    name: str | None = None
    insurance: bool | None = None


class Images(_Model):
    """Photo URLs of the lot: small thumbnails and larger previews."""

    thumbs: tuple[str, ...] = ()
    previews: tuple[str, ...] = ()

    @field_validator("thumbs", "previews", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return () if value is None else value


class Sale(_Model):
    """One auction of the car, as the vendor reports it."""

    date: datetime | None = None
    auction: str | None = None
    auction_lot_number: LotNumber | None = None
    status: SaleStatusValue | None = None
    sold: bool | None = None
    win_amount: Decimal | None = None
    currency: str | None = None
    odometer: Odometer | None = None
    primary_damage: str | None = None
    secondary_damage: str | None = None
    loss_type: str | None = None
    seller: Seller | None = None
    images: Images = Images()

    @field_validator("images", mode="before")
    @classmethod
    def _null_images(cls, value: Any) -> Any:
        return {} if value is None else value


History = tuple[Sale, ...]

HISTORY = TypeAdapter(History)


def parse_history(payload: bytes | str) -> History:
    """Validate a JSON answer of the history endpoint."""
    return HISTORY.validate_json(payload)


def dump_history(history: History) -> bytes:
    """Serialise a history the way :func:`parse_history` reads it back."""
    return HISTORY.dump_json(history, exclude_none=True)


def newest_first(history: History) -> list[Sale]:
    """The sales ordered newest first; undated sales go last."""
    oldest = datetime.min.replace(tzinfo=UTC)

    def key(sale: Sale) -> datetime:
        if sale.date is None:
            return oldest
        # A naive timestamp would not compare with aware ones; the API speaks UTC.
        return sale.date if sale.date.tzinfo else sale.date.replace(tzinfo=UTC)

    return sorted(history, key=key, reverse=True)


class AutoastatError(Exception):
    """Any failure to get a history from autoAstat."""

    def __init__(self, message: str, *, excerpt: str = "") -> None:
        super().__init__(message)
        self.excerpt = excerpt


class Unauthorised(AutoastatError):
    """The API refused the token (401 or 403)."""


class RateLimited(AutoastatError):
    """The API's own hourly limit is spent (429)."""

    def __init__(self, message: str, *, retry_after: float | None, excerpt: str = "") -> None:
        super().__init__(message, excerpt=excerpt)
        self.retry_after = retry_after


class Unavailable(AutoastatError):
    """The API is temporarily out of service (503 or another 5xx)."""


class BadResponse(AutoastatError):
    """The API answered something that is not a history."""


class NetworkFailure(AutoastatError):
    """The request did not complete: timeout, refused connection, broken transfer."""


class AutoastatClient:
    """Fetches sale histories over a shared ``httpx.AsyncClient``."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: SecretStr) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._token = token

    async def fetch_history(self, vin: str) -> History:
        """Make one request for the VIN's history; raise an :class:`AutoastatError` on failure."""
        if not (len(vin) == VIN_LENGTH and vin.isascii() and vin.isalnum()):
            raise ValueError("not a normalised VIN")
        url = f"{self._base_url}/api/history/{vin}"
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-API-AUTH-TOKEN": self._token.get_secret_value(),
        }
        started = time.perf_counter()
        # The failure is raised outside the `except` block so that it carries no
        # link (__context__) to the httpx error, whose request holds the token.
        failure: NetworkFailure | None = None
        try:
            response = await self._http.get(url, headers=headers)
        except httpx.TimeoutException as exc:
            failure = NetworkFailure(f"timed out: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            failure = NetworkFailure(f"request failed: {type(exc).__name__}")
        if failure is not None:
            raise failure

        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info("autoastat GET %s -> %d in %.0f ms", vin, response.status_code, elapsed_ms)
        return self._history_from(response)

    def _history_from(self, response: httpx.Response) -> History:
        status = response.status_code
        excerpt = self._excerpt(response)
        if status in (401, 403):
            raise Unauthorised(f"HTTP {status}", excerpt=excerpt)
        if status == 429:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            raise RateLimited("HTTP 429", retry_after=retry_after, excerpt=excerpt)
        if status >= 500:
            raise Unavailable(f"HTTP {status}", excerpt=excerpt)
        if status == 404 and _is_json(response):
            # The vendor does not document 404; a JSON 404 is read as "no such VIN",
            # while an HTML one points at a wrong AUTOASTAT_URL and stays an error.
            return ()
        if status != 200:
            raise BadResponse(f"unexpected HTTP {status}", excerpt=excerpt)
        try:
            return parse_history(response.content)
        except pydantic.ValidationError as exc:
            # Only a summary: the error itself quotes the input, which is not ours.
            summary = f"{exc.error_count()} validation errors, first: {exc.errors()[0]['msg']}"
        raise BadResponse(f"not a history ({summary})", excerpt=excerpt)

    def _excerpt(self, response: httpx.Response) -> str:
        """A short, token-free piece of the body for the logs."""
        text = response.content.decode("utf-8", errors="replace")
        return text.replace(self._token.get_secret_value(), "***")[:EXCERPT_LENGTH]


def _is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("Content-Type", "")
    media_type = content_type.split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def retry_after_seconds(header: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not header:
        return None
    header = header.strip()
    if header.isascii() and header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
