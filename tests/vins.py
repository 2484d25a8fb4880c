"""VINs for tests: the vendor's sample and as many other valid ones as a test needs."""

from __future__ import annotations

from bot.vin import check_digit

SAMPLE_VIN = "1FMZU73K83ZB53903"


def valid_vin(n: int) -> str:
    """The n-th of a series of distinct North American VINs with a correct check digit."""
    draft = f"1HGCM561?7A{n:06d}"
    digit = check_digit(draft.replace("?", "0"))
    return draft.replace("?", digit)
