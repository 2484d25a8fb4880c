"""Unit tests of ``bot.replies``: waits, refusals, failures and prompts, in English.

Every reply is parsed with the strict validator the fake Telegram uses, so markup a
translator or a refactoring breaks fails here rather than at Telegram.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest

from bot import replies
from bot.autoastat import (
    AutoastatError,
    BadResponse,
    NetworkFailure,
    RateLimited,
    Unauthorised,
    Unavailable,
)
from bot.i18n import Catalogues, Translator
from bot.limits import QuotaStatus, Refusal
from bot.vin import check_digit
from tests.fakes.html_entities import parse_html
from tests.vins import SAMPLE_VIN, valid_vin

# 3 Dec 2026, 18:30:00 UTC.
NOW = datetime(2026, 12, 3, 18, 30, tzinfo=UTC).timestamp()
MINUTE = 60.0


@pytest.fixture(scope="module")
def t() -> Translator:
    return Catalogues().translator("en")


def valid(text: str) -> str:
    """The text as the user reads it; fails if Telegram would refuse the HTML."""
    return parse_html(text).text


def with_digit(vin: str, digit: str) -> str:
    """The VIN with its 9th character (the check digit) replaced."""
    return vin[:8] + digit + vin[9:]


def vin_with_check_digit_x() -> str:
    """A valid North American VIN whose check digit is X."""
    for n in itertools.count():
        vin = valid_vin(n)
        if vin[8] == "X":
            return vin
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- when()


@pytest.mark.parametrize(
    ("wait", "expected"),
    [
        (12 * MINUTE, "in 12 minutes (18:42 UTC)"),
        (12 * MINUTE + 20, "in 13 minutes (18:43 UTC)"),
        (5 * MINUTE, "in 5 minutes (18:35 UTC)"),
        (2 * 3600, "in 2 hours (20:30 UTC)"),
        (6 * 3600 + 5 * MINUTE, "in 6 hours (00:35 UTC)"),
    ],
)
def test_when_says_the_wait_and_the_utc_clock_time(
    t: Translator, wait: float, expected: str
) -> None:
    assert replies.when(NOW + wait, NOW, t) == expected


@pytest.mark.parametrize("wait", [-3600, -1, 0, 0.4, 1, 29, 59.9, 60, 89])
def test_when_never_says_in_zero_or_a_negative_wait(t: Translator, wait: float) -> None:
    text = replies.when(NOW + wait, NOW, t)

    assert not re.search(r"\bin 0\b", text)
    assert "-" not in text
    assert re.fullmatch(r"in \d+ (seconds?|minutes?) \(\d\d:\d\d UTC\)", text), text
    assert int(text.split()[1]) >= 1


def test_when_shows_the_clock_time_of_the_moment_in_utc(t: Translator) -> None:
    assert replies.when(NOW + 90 * MINUTE, NOW, t).endswith("(20:00 UTC)")


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("limit", "names"),
    [
        ("quota", ["your fresh lookups", "24 hours"]),
        ("budget", ["this hour's lookups", "share"]),
        ("paused", ["slow down"]),
    ],
)
def test_refusal_names_the_limit_and_when_it_frees(
    t: Translator, limit: str, names: list[str]
) -> None:
    refused = Refusal(limit, frees_at=NOW + 12 * MINUTE)  # type: ignore[arg-type]

    text = valid(replies.refusal(refused, NOW, t))

    for name in names:
        assert name in text
    assert "in 12 minutes (18:42 UTC)" in text


def test_refusals_of_different_limits_read_differently(t: Translator) -> None:
    texts = {
        replies.refusal(Refusal(limit, frees_at=NOW + 600), NOW, t)
        for limit in ("quota", "budget", "paused")
    }

    assert len(texts) == 3


def test_quota_refusal_says_cached_vins_are_still_answered(t: Translator) -> None:
    text = replies.refusal(Refusal("quota", frees_at=NOW + 600), NOW, t)

    assert "already has are still answered" in text


# --------------------------------------------------------------------------- failures

ERRORS: list[AutoastatError] = [
    Unauthorised("HTTP 401", excerpt="<html>denied</html>"),
    RateLimited("HTTP 429", retry_after=120, excerpt='{"message": "slow"}'),
    Unavailable("HTTP 503", excerpt="<html>busy</html>"),
    BadResponse("not a history (1 validation errors)", excerpt="<html>oops</html>"),
    NetworkFailure("timed out: ReadTimeout"),
    AutoastatError("something else"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: type(error).__name__)
def test_failure_says_the_lookup_was_not_counted(t: Translator, error: AutoastatError) -> None:
    text = valid(replies.failure(error, t))

    assert "not counted against your quota" in text
    # Nothing of the upstream answer or of our internals reaches the user.
    assert str(error) not in text
    assert "html" not in text
    assert "HTTP" not in text


def test_each_kind_of_failure_has_its_own_explanation(t: Translator) -> None:
    texts = {replies.failure(error, t) for error in ERRORS}

    assert len(texts) == len(ERRORS)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (Unavailable("HTTP 503"), "down"),
        (NetworkFailure("timed out"), "did not answer in time"),
        (BadResponse("bad"), "could not read"),
        (RateLimited("HTTP 429", retry_after=None), "over its limit"),
        (Unauthorised("HTTP 401"), "temporarily unavailable"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else "",
)
def test_failure_explains_what_went_wrong(
    t: Translator, error: AutoastatError, words: str
) -> None:
    assert words in replies.failure(error, t)


# --------------------------------------------------------------------------- prompts


def test_mistyped_names_the_expected_and_the_actual_check_digit(t: Translator) -> None:
    typo = with_digit(SAMPLE_VIN, "1")
    assert check_digit(typo) == "8"

    text = replies.mistyped(typo, t)

    assert f"<code>{typo}</code>" in text
    assert "should be 8, not 1" in text
    valid(text)


def test_mistyped_names_an_x_check_digit(t: Translator) -> None:
    typo = with_digit(vin_with_check_digit_x(), "0")

    assert "should be X, not 0" in replies.mistyped(typo, t)


def test_skipped_lists_one_vin_in_the_singular(t: Translator) -> None:
    text = replies.skipped([SAMPLE_VIN], t)

    assert text == f"Skipped 1 more VIN: <code>{SAMPLE_VIN}</code>. Send it in another message."


def test_skipped_lists_several_vins_in_order_in_the_plural(t: Translator) -> None:
    vins = [valid_vin(3), valid_vin(1), valid_vin(2)]

    text = replies.skipped(vins, t)

    assert text.startswith("Skipped 3 more VINs: ")
    assert ", ".join(f"<code>{vin}</code>" for vin in vins) in text
    assert "Send them in another message." in text
    assert re.findall(r"<code>(\w+)</code>", text) == vins
    valid(text)


def test_help_names_the_users_quota_and_the_vins_per_message(t: Translator) -> None:
    status = QuotaStatus(limit=5, used=2, next_frees_at=NOW + 3600)

    text = valid(replies.help_text(status, 3, "VinHistoryBot", t))

    assert replies.quota_line(status, t) in text
    assert "3 of 5" in text
    assert "Up to 3 VINs per message" in text
    assert "IAAI" in text
    assert "Copart" in text


def test_help_of_an_unlimited_user_says_so(t: Translator) -> None:
    status = QuotaStatus(limit=None, used=0, next_frees_at=None)

    text = replies.help_text(status, 5, "VinHistoryBot", t)

    assert "not limited" in text
    assert "Up to 5 VINs" in text
    assert " of " not in replies.quota_line(status, t)


def test_quota_line_never_shows_a_negative_number_left(t: Translator) -> None:
    status = QuotaStatus(limit=5, used=7, next_frees_at=NOW)

    assert "0 of 5" in replies.quota_line(status, t)


def test_retrying_names_the_vin_and_the_delay(t: Translator) -> None:
    text = replies.retrying(SAMPLE_VIN, 30.0, t)

    assert f"<code>{SAMPLE_VIN}</code>" in text
    assert "30 seconds" in text
    valid(text)


def test_every_short_reply_is_telegram_html(t: Translator) -> None:
    for text in (
        replies.no_vin(t),
        replies.look_up_anyway(t),
        replies.photos_failed(t),
        replies.apology(t),
    ):
        assert valid(text).strip()


def test_escaped_makes_user_text_safe() -> None:
    assert valid(replies.escaped("<b>&</b>")) == "<b>&</b>"
