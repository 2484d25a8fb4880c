"""The vendor's sample history rendered in every language, against files written by hand.

``tests/golden/summary.<language>.html`` is what a native reader should see. When
a change makes this test fail, read the new output as such a reader would: if
it reads worse, fix the code or the translation, not the golden file. The files
hold the no-break spaces Babel puts inside Russian and Ukrainian numbers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.autoastat import parse_history
from bot.i18n import Catalogues
from bot.render import summary
from bot.vin import decode
from tests.fakes.html_entities import parse_html
from tests.vins import SAMPLE_VIN

DATA = Path(__file__).parent / "data" / f"history-{SAMPLE_VIN}.json"
GOLDEN = Path(__file__).parent / "golden"
TODAY = date(2026, 12, 3)


@pytest.fixture(scope="module")
def catalogues() -> Catalogues:
    return Catalogues()


# Until bot/render.py names the country with Translator.country, the damage and loss
# types with bot.damage.translate_damage and the odometer with Translator.distance.


@pytest.mark.parametrize(
    "language",
    ["en", "ru", "uk"],
)
def test_the_sample_summary_reads_as_written_by_hand(
    catalogues: Catalogues, language: str
) -> None:
    history = parse_history(DATA.read_bytes())
    t = catalogues.translator(language)

    rendered = summary(SAMPLE_VIN, decode(SAMPLE_VIN, today=TODAY), history, t)

    golden = (GOLDEN / f"summary.{language}.html").read_text(encoding="utf-8")
    assert rendered + "\n" == golden
    parse_html(rendered)  # Telegram would take it


def test_every_shipped_language_has_a_golden_summary(catalogues: Catalogues) -> None:
    assert sorted(path.name for path in GOLDEN.glob("summary.*.html")) == [
        f"summary.{language}.html" for language in catalogues.languages
    ]
