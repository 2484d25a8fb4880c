"""Finding VINs in free text, normalising them, and what a VIN tells offline.

Users paste VINs into chat messages in every imaginable shape: lower case, split into groups
by spaces or dashes, surrounded by words, typed on a Cyrillic keyboard layout with letters
that merely look Latin, or copied from a PDF with invisible characters inside. ``find_vins``
works through such a message in four steps:

1. *Clean*: NFKC (full-width forms become ASCII), drop invisible characters (zero-width
   and bidi marks, soft hyphens), fold every kind of dash to ``-`` and every horizontal
   space to `` ``.
2. *Chain*: split the text into maximal alphanumeric runs. Runs joined only by spaces and
   dashes form a chain; a newline or any other punctuation ends one.
3. *Window*: inside a chain, every stretch of consecutive runs whose lengths add up to
   exactly 17 is a candidate. Runs are never split, so a run longer than 17 is never part of
   a VIN, and ``CAR`` in front of a VIN is never glued onto it unless the lengths add up.
   Several runs must also read as one split VIN rather than words around a number: at most
   one of them may be letters only (``_looks_like_one_vin``).
4. *Validate and resolve*: a candidate becomes a VIN when, after mapping look-alikes (``O``
   and ``Q`` to ``0``, ``I`` to ``1``, Cyrillic to Latin), it is all ISO 3779 characters and
   contains a letter and a digit. Overlapping VINs in one chain are resolved as described in
   ``_resolve``.

Every step is a single regex pass or a bounded amount of work per run, so the cost is linear
in the length of the message.

Joining groups has a price: prose with a number in it can add up to 17 characters
("hi can you check 2019 ford" gives H1CANY0UCHECK2019). Only the character rules above are
applied, so that no real VIN is ever rejected; callers that care can treat a VIN found in a
longer message with more suspicion than one sent on its own.

The rest of the module works on normalised VINs: the North American check digit
(49 CFR 565.15) and an offline decoding of model year, manufacturer and country.
"""

from __future__ import annotations

import datetime
import re
import string
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from operator import mul
from typing import NamedTuple

__all__ = [
    "ALPHABET",
    "VIN_LENGTH",
    "VinFacts",
    "check_digit",
    "decode",
    "find_vins",
    "is_north_american",
    "looks_mistyped",
    "normalise",
]

VIN_LENGTH: int = 17
# ISO 3779 leaves out I, O and Q so they cannot be confused with 1 and 0.
ALPHABET: frozenset[str] = frozenset("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")

# --- Cleaning -------------------------------------------------------------------------------

# Invisible characters that copy-paste from web pages and PDFs leaves inside VINs.
_INVISIBLE = (
    "\u00ad"  # soft hyphen
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, non-joiner, joiner, word joiner, BOM
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"  # LRM, RLM, embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
)
# NFKC already folds most of these; listing them keeps cleaning independent of that detail.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACES += "\u202f\u205f\u3000"
_REPLACEMENTS: dict[str, str] = (
    dict.fromkeys(_INVISIBLE, "") | dict.fromkeys(_DASHES, "-") | dict.fromkeys(_SPACES, " ")
)
# A regex substitution rather than str.translate: most messages contain none of these, and a
# search for a character class is far cheaper than translating every character.
_TO_REPLACE = re.compile("[" + re.escape("".join(_REPLACEMENTS)) + "]")

# Characters trimmed from both ends of a single candidate given to ``normalise``.
_EDGES = string.whitespace + "-\x85\u2028\u2029"

# An alphanumeric run is [^\W_]: exactly the characters for which str.isalnum() holds, in any
# script, so a Cyrillic word is one run (and fails validation) rather than a source of
# stray Latin-looking fragments.
_CHAIN = re.compile(r"[^\W_]+(?:[ -]+[^\W_]+)*")
_SEPARATORS = re.compile(r"[ -]+")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[A-Z]")
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
# Letters a VIN never has, in Latin and in Cyrillic (O, and the Ukrainian I).
_WORD_ONLY_LETTER = re.compile("[IOQioq\u041e\u043e\u0406\u0456]")

# --- Mapping a candidate to VIN characters ---------------------------------------------------

# Cyrillic letters that look like Latin ones, as typed on a Russian or Ukrainian layout
# (escaped, since the glyphs are indistinguishable in source). Cyrillic U (U+0423/U+0443) is
# included: upper case it is indistinguishable from Y and lower case from y.
# Ukrainian I (U+0406/U+0456) stands for I and so becomes 1 like the Latin letter; JE and DZE
# complete the visually identical set. Letters that only resemble digits (ZE for 3) are left
# out: digits are typed the same on every layout, so such a letter is part of a real word.
_CYRILLIC_UPPER = "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423"
_CYRILLIC_UPPER += "\u0406\u0408\u0405"
_CYRILLIC_LOWER = "\u0430\u0432\u0435\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0445\u0443"
_CYRILLIC_LOWER += "\u0456\u0458\u0455"
_CYRILLIC_AS_LATIN = "ABEKMHOPCTXYIJS"
# VINs never contain I, O or Q, so whoever typed one meant the digit.
_AMBIGUOUS = {"I": "1", "O": "0", "Q": "0"}


def _build_to_vin() -> dict[int, str]:
    sources = string.ascii_uppercase + string.ascii_lowercase + _CYRILLIC_UPPER + _CYRILLIC_LOWER
    targets = string.ascii_uppercase * 2 + _CYRILLIC_AS_LATIN * 2
    return {
        ord(source): _AMBIGUOUS.get(target, target)
        for source, target in zip(sources, targets, strict=True)
    }


_TO_VIN = _build_to_vin()

# --- Check digit (49 CFR 565.15) -------------------------------------------------------------

_TRANSLITERATION: dict[str, int] = {
    **{digit: int(digit) for digit in string.digits},
    **{letter: value for value, letter in enumerate("ABCDEFGH", start=1)},
    **{letter: value for value, letter in enumerate("JKLMN", start=1)},
    "P": 7,
    "R": 9,
    **{letter: value for value, letter in enumerate("STUVWXYZ", start=2)},
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Positions are zero-based throughout: the check digit is the 9th character.
_CHECK_POSITION = 8
_NORTH_AMERICA = frozenset("12345")

# --- Model year (position 10) ----------------------------------------------------------------

# Index i stands for 1980 + i and, one 30-year cycle later, 2010 + i.
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
_FIRST_CYCLE = 1980
_YEAR_POSITION = 9
_CYCLE_HINT_POSITION = 6
_CYCLE = 30

# --- Country (positions 1-2) -----------------------------------------------------------------

# The order in which SAE allocates second characters within a region.
_SECOND_CHARACTER_ORDER = "ABCDEFGHJKLMNPRSTUVWXYZ1234567890"
# For each first character: (last second character of a range, country) in allocation order;
# each range starts right after the previous one. None marks a gap that is not allocated or
# that is too small to be worth naming.
_REGIONS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "1": (("0", "United States"),),
    "2": (("0", "Canada"),),
    "3": (("W", "Mexico"), ("7", "Costa Rica"), ("0", "Cayman Islands")),
    "4": (("0", "United States"),),
    "5": (("0", "United States"),),
    "6": (("W", "Australia"),),
    "7": (("E", "New Zealand"), ("Z", "United States")),
    "8": (
        ("E", "Argentina"),
        ("K", "Chile"),
        ("R", "Ecuador"),
        ("W", "Peru"),
        ("2", "Venezuela"),
    ),
    "9": (
        ("E", "Brazil"),
        ("K", "Colombia"),
        ("R", "Paraguay"),
        ("W", "Uruguay"),
        ("2", "Trinidad and Tobago"),
        ("9", "Brazil"),
    ),
    "A": (("H", "South Africa"),),
    "J": (("0", "Japan"),),
    "K": (("E", "Sri Lanka"), ("K", "Israel"), ("R", "South Korea"), ("0", "Kazakhstan")),
    "L": (("0", "China"),),
    "M": (("E", "India"), ("K", "Indonesia"), ("R", "Thailand")),
    "N": (("E", "Iran"), ("K", "Pakistan"), ("R", "Turkey")),
    "P": (("E", "Philippines"), ("K", "Singapore"), ("R", "Malaysia")),
    "R": (
        ("E", "United Arab Emirates"),
        ("K", "Taiwan"),
        ("M", "Vietnam"),
        ("R", "Saudi Arabia"),
    ),
    "S": (("M", "United Kingdom"), ("T", "Germany"), ("Z", "Poland"), ("4", "Latvia")),
    "T": (
        ("H", "Switzerland"),
        ("P", "Czech Republic"),
        ("V", "Hungary"),
        ("1", "Portugal"),
    ),
    "U": (("G", None), ("M", "Denmark"), ("T", "Ireland"), ("X", "Romania")),
    "V": (
        ("E", "Austria"),
        ("R", "France"),
        ("W", "Spain"),
        ("2", "Serbia"),
        ("5", "Croatia"),
        ("0", "Estonia"),
    ),
    "W": (("0", "Germany"),),
    "X": (
        ("E", "Bulgaria"),
        ("K", "Greece"),
        ("R", "Netherlands"),
        ("W", "Russia"),
        ("2", "Luxembourg"),
        ("0", "Russia"),
    ),
    "Y": (
        ("E", "Belgium"),
        ("K", "Finland"),
        ("R", "Malta"),
        ("W", "Sweden"),
        ("2", "Norway"),
        ("5", "Belarus"),
        ("0", "Ukraine"),
    ),
    "Z": (("R", "Italy"), ("W", None), ("2", "Slovenia"), ("5", "Lithuania"), ("0", "Russia")),
}

# --- Manufacturer (WMI, positions 1-3) -------------------------------------------------------

# Makes commonly seen at US salvage auctions. Two-character entries are fallbacks for
# manufacturers that own every WMI under that prefix; three-character entries win.
_WMIS_BY_MAKE: dict[str, str] = {
    "Ford": "1FA 1FB 1FC 1FD 1FM 1FT 1ZV 2FA 2FM 2FT 3FA 3FM 3FT MAJ NM0 WF0",
    "Lincoln": "1LN 2LM 3LN 5LM 5LT",
    "Mercury": "1ME 2ME 3ME 4M2",
    "Chevrolet": "1G1 1GA 1GB 1GC 1GN 2G1 2GC 2GN 3G1 3GC 3GN KL1 KL7 KL8",
    "GMC": "1GD 1GJ 1GK 1GT 2GK 2GT 3GK 3GT",
    "Cadillac": "1G6 1GY 3GY",
    "Buick": "1G4 2G4 5GA KL4 LRB",
    "Pontiac": "1G2 2G2 5Y2 6G2",
    "Oldsmobile": "1G3",
    "Saturn": "1G8 5GZ",
    "Hummer": "5GR 5GT",
    "Chrysler": "1A4 1A8 1C3 1C4 2A4 2A8 2C3 2C4 2C8 3A4 3A8 3C3 3C4",
    "Dodge": "1B3 1B4 1B7 1D3 1D4 1D7 1D8 2B3 2B4 2B7 2D4 2D8 3D3 3D4 3D7",
    "Jeep": "1J4 1J8 ZAC",
    "Ram": "1C6 1C7 3C6 3C7",
    "Fiat": "ZFA ZFB",
    "Alfa Romeo": "ZAR ZAS",
    "Maserati": "ZAM ZN6",
    "Ferrari": "ZFF",
    "Lamborghini": "ZHW",
    "Tesla": "5YJ 7G2 7SA LRW XP7",
    "Rivian": "7FC 7PD",
    "Lucid": "50E",
    "Polestar": "LPS",
    "Toyota": "JT 2T1 2T3 3TM 3TY 4T1 4T3 4T4 5TB 5TD 5TE 5TF 5YF JTD JTE JTK JTM JTN",
    "Lexus": "2T2 58A JT6 JT8 JTH JTJ",
    "Honda": "19X 1HG 2HG 2HJ 2HK 3CZ 5FN 5FP 5J6 7FA JH2 JHL JHM SHH SHS",
    "Acura": "19U 19V 2HN 5J8 JH4",
    "Nissan": "1N4 1N6 3N1 3N6 4N2 5N1 JN1 JN8 KNM",  # KNM: Rogues built by Renault Samsung
    "Infiniti": "3PC 5N3 JNK JNR",
    "Hyundai": "KM 5NM 5NP 5NT KM8 KMH",
    "Genesis": "KMT KMU",
    "Kia": "3KP 5XX 5XY KNA KNC KND KNE",
    "Subaru": "JF 4S3 4S4 JF1 JF2",
    "Mazda": "1YV 3MV 3MZ 4F2 4F4 7MM JM1 JM3",
    "Mitsubishi": "4A3 4A4 JA3 JA4 JA7 JMB JMY ML3",
    "Suzuki": "JS 2S3",
    "Isuzu": "4S2 JAA JAC JAL",
    "BMW": "WB 3MW 4US 5UX 5YM WBA WBS WBX WBY",
    "Mini": "WMW WMZ",
    "Mercedes-Benz": "4JG 55S W1K W1N WDB WDC WDD",
    "Smart": "WME",
    "Volkswagen": "1V2 1VW 3VV 3VW 9BW WV1 WV2 WVG WVW",
    "Audi": "TRU WA1 WAU WUA",
    "Porsche": "WP WP0 WP1",
    "Volvo": "YV 7JR LYV YV1 YV4",
    "Land Rover": "SAL",
    "Jaguar": "SAD SAJ",
    "Bentley": "SCB",
    "Rolls-Royce": "SCA",
    "Aston Martin": "SCF",
    "McLaren": "SBM",
    "Harley-Davidson": "1HD",
    "Yamaha": "JYA",
    "Kawasaki": "JKA",
    "Ducati": "ZDM",
    "Freightliner": "1FU 1FV",
    "International": "1HT",
    "Kenworth": "1XK",
    "Peterbilt": "1XP",
}
_MAKES: dict[str, str] = {
    wmi: make for make, wmis in _WMIS_BY_MAKE.items() for wmi in wmis.split()
}

# Since 2011 FCA/Stellantis share WMIs across brands and spell the brand at position 5.
_STELLANTIS_WMIS = frozenset(
    ("1C3", "1C4", "1C6", "1C7", "2C3", "2C4", "3C3", "3C4", "3C6", "3C7", "ZAC", "ZFB")
)
_STELLANTIS_BRANDS = {"C": "Chrysler", "D": "Dodge", "F": "Fiat", "J": "Jeep", "R": "Ram"}
_STELLANTIS_BRAND_POSITION = 4
_STELLANTIS_SCHEME_SINCE = 2011


# --- Public API ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VinFacts:
    """What a VIN tells without asking anyone."""

    model_year: int | None
    manufacturer: str | None
    country: str | None  # English country name, e.g. "United States"


def find_vins(text: str) -> list[str]:
    """Every distinct VIN in the text, normalised, in order of first appearance."""
    found = (vin for runs in _chains(_clean(text)) for vin in _vins_in_chain(runs))
    return list(dict.fromkeys(found))


def normalise(candidate: str) -> str | None:
    """The VIN a user meant by one candidate string (e.g. '1fmzu-73k83-zb53903'), or None.

    The whole candidate, apart from surrounding whitespace, must be one VIN, possibly split
    into groups by spaces or dashes; use ``find_vins`` for free text.
    """
    return _to_vin(_SEPARATORS.sub("", _clean(candidate).strip(_EDGES)))


def check_digit(vin: str) -> str:
    """The North American check digit ('0'-'9' or 'X') computed for a 17-char VIN."""
    _require_vin(vin)
    return _check_digit(vin)


def is_north_american(vin: str) -> bool:
    """True when the VIN was assigned in North America (first character 1..5)."""
    _require_vin(vin)
    return _is_north_american(vin)


def looks_mistyped(vin: str) -> bool:
    """True when a North American VIN's 9th character is not its check digit.

    Elsewhere the check digit is optional, so a mismatch there proves nothing.
    """
    _require_vin(vin)
    return _is_north_american(vin) and vin[_CHECK_POSITION] != _check_digit(vin)


def decode(vin: str, *, today: datetime.date | None = None) -> VinFacts:
    """What the VIN itself tells, offline."""
    _require_vin(vin)
    if today is None:
        today = datetime.date.today()
    latest = today.year + 1  # next year's models go on sale this year
    year = _model_year(vin, latest)
    return VinFacts(model_year=year, manufacturer=_manufacturer(vin, year), country=_country(vin))


# --- Finding ---------------------------------------------------------------------------------


class _Candidate(NamedTuple):
    start: int  # index of the first run in its chain
    end: int  # index one past the last run
    vin: str


def _clean(text: str) -> str:
    return _TO_REPLACE.sub(_replacement, unicodedata.normalize("NFKC", text))


def _replacement(match: re.Match[str]) -> str:
    return _REPLACEMENTS[match.group()]


def _chains(text: str) -> Iterator[list[str]]:
    """The runs of every chain that could hold a VIN."""
    for match in _CHAIN.finditer(text):
        chain = match.group()
        # Every VIN has a digit, so most chains of ordinary prose are skipped right here.
        if len(chain) >= VIN_LENGTH and _DIGIT.search(chain):
            yield _SEPARATORS.split(chain)


def _vins_in_chain(runs: list[str]) -> list[str]:
    candidates = [
        _Candidate(start, end, vin)
        for start, end in _windows([len(run) for run in runs])
        if _looks_like_one_vin(runs[start:end])
        and (vin := _to_vin("".join(runs[start:end]))) is not None
    ]
    chosen: list[_Candidate] = []
    cluster: list[_Candidate] = []
    # Starts and ends both only grow, so overlapping candidates are always adjacent.
    for candidate in candidates:
        if cluster and candidate.start >= cluster[-1].end:
            chosen += _resolve(cluster)
            cluster = []
        cluster.append(candidate)
    chosen += _resolve(cluster)
    return [candidate.vin for candidate in chosen]


def _looks_like_one_vin(groups: list[str]) -> bool:
    """Whether groups joined by spaces or dashes read as one split VIN rather than a sentence.

    People split a VIN into groups that nearly all hold digits ("1FM ZU73K 83ZB53903"), while
    a sentence around a number is mostly words ("the car was 2019 blue"). So at most one group
    may be letters only, and it must not need an O, I or Q read as a digit: only words do.
    """
    if len(groups) == 1:
        return True
    words = [group for group in groups if not _DIGIT.search(group)]
    return len(words) <= 1 and not any(_WORD_ONLY_LETTER.search(word) for word in words)


def _windows(lengths: list[int]) -> list[tuple[int, int]]:
    """Every (start, end) such that lengths[start:end] adds up to exactly VIN_LENGTH."""
    # Lengths are positive, so prefix sums strictly increase and name their position.
    offsets = list(accumulate(lengths, initial=0))
    ends = {offset: index for index, offset in enumerate(offsets)}
    return [
        (start, ends[offset + VIN_LENGTH])
        for start, offset in enumerate(offsets)
        if offset + VIN_LENGTH in ends
    ]


def _resolve(cluster: list[_Candidate]) -> list[_Candidate]:
    """Non-overlapping candidates from a group of overlapping ones, in text order.

    Overlaps happen when a word next to a split VIN has just the right length, as in
    "my 1FMZU73K83ZB539 03". Candidates are taken best first, where better means, in order:
    1. it is North American and its check digit is right: a random string passes one time in
       eleven, a real VIN nearly always;
    2. its WMI is a known manufacturer: words rarely start with one;
    3. it starts later: people write words before a VIN ("my car ...") more often than after.
    """
    if len(cluster) == 1:
        return cluster
    taken: set[int] = set()
    chosen: list[_Candidate] = []
    for candidate in sorted(cluster, key=_preference, reverse=True):
        runs = range(candidate.start, candidate.end)
        if taken.isdisjoint(runs):
            taken.update(runs)
            chosen.append(candidate)
    return sorted(chosen)


def _preference(candidate: _Candidate) -> tuple[bool, bool, int]:
    vin = candidate.vin
    verified = _is_north_american(vin) and vin[_CHECK_POSITION] == _check_digit(vin)
    return verified, _make_from_wmi(vin) is not None, candidate.start


def _to_vin(raw: str) -> str | None:
    """The VIN spelled by the characters of one candidate, or None.

    A candidate needs a real digit, before O/I/Q become digits, so that a word such as
    CHARACTERIZATIONS is not read as CHARACTER1ZAT10NS; it needs a letter so that a long
    number is not a VIN. Every real VIN has both, so nothing stricter is asked.
    """
    if len(raw) != VIN_LENGTH or not _DIGIT.search(raw):
        return None
    vin = raw.translate(_TO_VIN)
    if not vin.isascii():
        # Digits from other scripts (Arabic-Indic, Devanagari...) as typed on local keyboards.
        vin = "".join(str(int(char)) if char.isdecimal() else char for char in vin)
    if _VIN.fullmatch(vin) is None or _LETTER.search(vin) is None:
        return None
    return vin


# --- Checking and decoding ------------------------------------------------------------------


def _require_vin(vin: str) -> None:
    if _VIN.fullmatch(vin) is None:
        raise ValueError(f"not a normalised VIN: {vin!r}")


def _is_north_american(vin: str) -> bool:
    return vin[0] in _NORTH_AMERICA


def _check_digit(vin: str) -> str:
    total = sum(map(mul, map(_TRANSLITERATION.__getitem__, vin), _WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def _model_year(vin: str, latest: int) -> int | None:
    index = _YEAR_CODES.find(vin[_YEAR_POSITION])
    if index < 0:  # 0, U and Z never encode a year
        return None
    earlier = _FIRST_CYCLE + index
    later = earlier + _CYCLE
    if _is_north_american(vin):
        # Since 2010, US and Canadian light vehicles put a letter at position 7 and earlier
        # ones a digit, which tells the two 30-year cycles apart.
        year = later if vin[_CYCLE_HINT_POSITION].isalpha() else earlier
    else:
        year = later if later <= latest else earlier
    return year if year <= latest else None


def _make_from_wmi(vin: str) -> str | None:
    return _MAKES.get(vin[:3]) or _MAKES.get(vin[:2])


def _manufacturer(vin: str, model_year: int | None) -> str | None:
    make = _make_from_wmi(vin)
    if (
        vin[:3] in _STELLANTIS_WMIS
        and model_year is not None
        and model_year >= _STELLANTIS_SCHEME_SINCE
    ):
        return _STELLANTIS_BRANDS.get(vin[_STELLANTIS_BRAND_POSITION], make)
    return make


def _country(vin: str) -> str | None:
    position = _SECOND_CHARACTER_ORDER.index(vin[1])
    first = 0
    for last, country in _REGIONS.get(vin[0], ()):
        end = _SECOND_CHARACTER_ORDER.index(last)
        if first <= position <= end:
            return country
        first = end + 1
    return None
