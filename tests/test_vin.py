from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import vin as vin_module
from bot.vin import (
    ALPHABET,
    VIN_LENGTH,
    VinFacts,
    check_digit,
    decode,
    find_vins,
    is_north_american,
    looks_mistyped,
    normalise,
)

FORD = "1FMZU73K83ZB53903"  # 2003 Ford Explorer
BUS = "1M8GDM9AXKP042788"  # check digit X
TRAILER = "1J9RP1A36A1644345"
RENAULT = "VF1LM1B0H36666155"  # European: its 9th character is not a check digit
TESLA = "5YJ3E1EA4JF000317"  # 2018 Model 3
TODAY = datetime.date(2025, 6, 1)

# Latin letters and the Cyrillic letters that look like them, escaped because the glyphs are
# indistinguishable in source.
LATIN = "ABEKMHPCTXYJS"
CYRILLIC_UPPER = "\u0410\u0412\u0415\u041a\u041c\u041d\u0420\u0421\u0422\u0425\u0423\u0408\u0405"
CYRILLIC_LOWER = "\u0430\u0432\u0435\u043a\u043c\u043d\u0440\u0441\u0442\u0445\u0443\u0458\u0455"
CYRILLIC_O = "\u041e"
TO_CYRILLIC = str.maketrans(LATIN, CYRILLIC_UPPER)

HYPOTHESIS = settings(max_examples=200, derandomize=True, deadline=None, database=None)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) for char in text)


def with_check_digit(vin: str) -> str:
    return vin[:8] + check_digit(vin) + vin[9:]


# --- find_vins: the shapes users type ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        FORD,
        "vin: 1FMZU73K83ZB53903, what do you think?",
        "1fmzu73k83zb53903",
        "1FM ZU73K 83ZB53903",
        "1fmzu-73k83-zb53903",
        "1FM - ZU73K -- 83ZB53903",
        "1FM\tZU73K 83ZB53903",
        "my car 1FM ZU73K 83ZB53903",
        "1FMZU73K83ZB53903 ok?",
        "(1FMZU73K83ZB53903)",
        "\U0001f6971FMZU73K83ZB53903\U0001f525",
        "1FMZU73K83ZB539O3",  # letter O for zero
        "1FMZU73K83ZB539Q3",
        "1FMZU73K83ZB539" + CYRILLIC_O + "3",  # Cyrillic O is a zero too
        FORD.translate(TO_CYRILLIC),
        "1f\u043czu73\u043a83z\u043253903",  # lower-case Cyrillic m, k, v
        "1FMZU\u200b73K83\u200dZB53903\ufeff",  # zero-width space, joiner, BOM
        "1FMZU73\u00adK83ZB53903",  # soft hyphen
        "\u202b1FMZU73K83ZB53903\u202c",  # RTL embedding around it
        "\u200f1FM\u2066 ZU73K\u2069 83ZB53903\u200e",  # RLM, isolates, LRM
        fullwidth(FORD),
        "1FM\u00a0ZU73K\u202f83ZB53903",  # no-break and narrow no-break spaces
        "1FM\u2013ZU73K\u201483ZB53903",  # en and em dashes
        "1FM\u2212ZU73K\u201183ZB53903",  # minus sign, non-breaking hyphen
        "1FMZU\u0667\u0663K83ZB53903",  # Arabic-Indic 7 and 3
        "\u0432\u0438\u043d: 1FMZU73K83ZB53903",  # a Cyrillic word that is no VIN material
    ],
)
def test_finds_the_vin_however_it_is_typed(text: str) -> None:
    assert find_vins(text) == [FORD]


def test_finds_several_vins_in_order_of_appearance() -> None:
    text = f"first {BUS}, then 1fmzu-73k83-zb53903\nand finally {RENAULT.lower()}."
    assert find_vins(text) == [BUS, FORD, RENAULT]


def test_finds_split_vins_next_to_each_other_in_one_chain() -> None:
    assert find_vins("1FM ZU73K 83ZB53903 1M8 GDM9AXKP042788") == [FORD, BUS]


def test_a_vin_typed_twice_is_reported_once() -> None:
    text = f"{FORD} or was it 1fm-zu73k-83zb53903? yes, {FORD}. And {TESLA}"
    assert find_vins(text) == [FORD, TESLA]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1FM ZU73K\n83ZB53903",  # a newline ends a group
        "1FM ZU73K\r\n83ZB53903",
        "1FM.ZU73K.83ZB53903",  # other punctuation ends a group too
        "1FM/ZU73K/83ZB53903",
        "1FM_ZU73K_83ZB53903",
        "1FM, ZU73K, 83ZB53903",
        "1FMZU73K83ZB539031",  # 18 characters
        "VIN1FMZU73K83ZB53903",  # a word glued on makes a longer run
        "1FMZU73K83ZB5390",  # 16 characters
        "1FM ZU73K 83ZB5390",
        "CHARACTERIZATIONS",  # 17 letters: O and I must not count as digits
        "the quick brown fox jumps over the lazy dog",
        "12345678901234567",  # no letter
        "1234 5678 9012 3456 7",
        "0000O0000QQ0000I1",  # only letters that become digits
        "1FMZU73K83ZB5390\u0416",  # a letter no VIN can contain
        "1FMZU73K83ZB53903".replace("K", "\u00c4"),
    ],
)
def test_finds_nothing_where_there_is_no_vin(text: str) -> None:
    assert find_vins(text) == []


def test_a_word_before_a_split_vin_is_not_swallowed() -> None:
    # "MY" + "1FMZU73K83ZB539" is 17 characters too, but neither checks out nor names a make.
    assert find_vins("my 1FMZU73K83ZB539 03") == [FORD]


def test_a_valid_check_digit_beats_a_later_start() -> None:
    # "788SOLDONAUCTIONS" is 17 characters too and starts later; neither WMI is in the table.
    assert find_vins("1M8GDM9AXKP042 788 sold on auctions") == [BUS]


def test_a_known_manufacturer_beats_a_later_start() -> None:
    # "000001" + "JETTA" + "DIESEL" is 17 characters too, and starts later.
    assert find_vins("WVWZZZ1JZXW 000001 jetta diesel") == ["WVWZZZ1JZXW000001"]


def test_otherwise_the_later_candidate_wins() -> None:
    # Neither "CARVF1LM1B0H36666" nor the Renault VIN can be verified or has a known WMI.
    assert find_vins("car VF1LM1B0H36666 155") == [RENAULT]


def test_finds_vins_in_a_long_message() -> None:
    filler = "The car was damaged in a flood, engine does not start. " * 40
    text = f"{filler}{FORD}. {filler}\n1fm zu73k 83zb53903 {filler} {TESLA}"
    assert len(text) > 4096
    assert find_vins(text) == [FORD, TESLA]


# --- normalise -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (FORD, FORD),
        ("1fmzu-73k83-zb53903", FORD),
        ("  1FM ZU73K 83ZB53903\n", FORD),
        ("- 1FM-ZU73K-83ZB53903 -", FORD),
        ("1FMZU73K83ZB539O3", FORD),
        ("1fmzu73k83zb539q3", FORD),
        ("VF1LM1B0H36666155".replace("0", "o"), RENAULT),
        ("vf1lm1b\u043eh36666155", RENAULT),  # Cyrillic lower-case o
        ("1J9RP1A36A1644345".replace("1", "I"), TRAILER),
        ("1J9RP1A36A1644345".replace("1", "i"), TRAILER),
        (fullwidth(TESLA.lower()), TESLA),
        ("1FM ZU73K", None),
        ("1FMZU73K83ZB539031", None),
        ("vin 1FMZU73K83ZB53903", None),
        ("1FMZU73K83ZB53903.", None),
        ("1FM\nZU73K83ZB53903", None),
        ("1FM.ZU73K83ZB53903", None),
        ("CHARACTERIZATIONS", None),
        ("12345678901234567", None),
        ("", None),
    ],
)
def test_normalise(candidate: str, expected: str | None) -> None:
    assert normalise(candidate) == expected


# --- check digit ---------------------------------------------------------------------------


@pytest.mark.parametrize("vin", [BUS, TRAILER, FORD, TESLA])
def test_check_digit_of_valid_vins(vin: str) -> None:
    assert check_digit(vin) == vin[8]
    assert not looks_mistyped(vin)


def test_check_digit_can_be_x() -> None:
    assert check_digit(BUS) == "X"


@pytest.mark.parametrize(
    "mutated",
    [
        "1FMZU73K83ZB53904",  # last digit
        "1FMZU73K93ZB53903",  # model year
        "2FMZU73K83ZB53903",  # first character
        "1FMZU37K83ZB53903",  # two characters swapped
    ],
)
def test_a_mistyped_north_american_vin_is_detected(mutated: str) -> None:
    assert check_digit(mutated) != mutated[8]
    assert looks_mistyped(mutated)


def test_a_european_vin_is_never_mistyped() -> None:
    assert check_digit(RENAULT) != RENAULT[8]  # the mismatch is there...
    assert not looks_mistyped(RENAULT)  # ...but outside North America it means nothing


@pytest.mark.parametrize(
    ("vin", "expected"),
    [
        (FORD, True),
        ("2C3CDXBG4EH123456", True),
        ("3C3CFFARXCT123456", True),
        (TESLA, True),
        (RENAULT, False),
        ("JTDKB20U093123456", False),
        ("WBA3A5C53CF256551", False),
        ("7FCTGAAA5NN012345", False),  # US-built, but 7 is outside the check-digit regions
    ],
)
def test_is_north_american(vin: str, expected: bool) -> None:
    assert is_north_american(vin) is expected


@pytest.mark.parametrize("function", [check_digit, is_north_american, looks_mistyped, decode])
@pytest.mark.parametrize("bad", ["", "1fmzu73k83zb53903", "1FMZU73K83ZB5390", "1FMZU73K83ZB5390O"])
def test_vin_functions_reject_what_is_not_a_normalised_vin(function: object, bad: str) -> None:
    assert callable(function)
    with pytest.raises(ValueError, match="not a normalised VIN"):
        function(bad)


# --- decode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vin", "facts"),
    [
        (FORD, VinFacts(2003, "Ford", "United States")),
        (TESLA, VinFacts(2018, "Tesla", "United States")),
        (RENAULT, VinFacts(2003, None, "France")),  # Renault is not in the table
        (BUS, VinFacts(1989, None, "United States")),  # digit at position 7: first cycle
        (TRAILER, VinFacts(2010, None, "United States")),  # letter at position 7: second cycle
        ("1FTFW1E55NFA12345", VinFacts(2022, "Ford", "United States")),
        ("2HGFC2F59KH123456", VinFacts(2019, "Honda", "Canada")),
        ("3VWC57BU5KM123456", VinFacts(2019, "Volkswagen", "Mexico")),
        ("JTDKB20U093123456", VinFacts(2009, "Toyota", "Japan")),
        ("JTJBARBZ0K2123456", VinFacts(2019, "Lexus", "Japan")),
        ("KMHD84LF5HU123456", VinFacts(2017, "Hyundai", "South Korea")),
        ("WBA3A5C53CF256551", VinFacts(2012, "BMW", "Germany")),
        ("SALGS2SV5JA123456", VinFacts(2018, "Land Rover", "United Kingdom")),
        ("YV4A22PK5K1123456", VinFacts(2019, "Volvo", "Sweden")),
        ("ZARFAMAN5K7123456", VinFacts(2019, "Alfa Romeo", "Italy")),
        ("7FCTGAAA5NN012345", VinFacts(2022, "Rivian", "United States")),
        ("LPSED3KA5ML123456", VinFacts(2021, "Polestar", "China")),
        ("9BWAB45U5KT123456", VinFacts(2019, "Volkswagen", "Brazil")),
    ],
)
def test_decode(vin: str, facts: VinFacts) -> None:
    assert decode(vin, today=TODAY) == facts


@pytest.mark.parametrize(
    ("vin", "make"),
    [
        ("1C4HJXDG5MW123456", "Jeep"),  # Wrangler
        ("1C6HJTAG5ML123456", "Jeep"),  # Gladiator under a Ram WMI
        ("1C6SRFFT6KN512345", "Ram"),
        ("2C3CDXBG4EH123456", "Dodge"),
        ("2C4RC1BG5HR123456", "Chrysler"),
        ("3C3CFFARXCT123456", "Fiat"),
        ("ZACNDFAN7R3A12345", "Dodge"),  # Hornet
        ("1C4GJ45R53B123456", "Chrysler"),  # 2003: before brands moved to position 5
    ],
)
def test_stellantis_brand_comes_from_position_5_since_2011(vin: str, make: str) -> None:
    assert decode(vin, today=TODAY).manufacturer == make


@pytest.mark.parametrize("code", ["0", "U", "Z"])
def test_a_bogus_model_year_code_gives_no_year(code: str) -> None:
    vin = FORD[:9] + code + FORD[10:]
    assert decode(vin, today=TODAY) == VinFacts(None, "Ford", "United States")


@pytest.mark.parametrize(
    ("today", "year"),
    [
        (datetime.date(2025, 1, 1), 2020),
        (datetime.date(2019, 1, 1), 2020),  # next year's models are already on sale
        (datetime.date(2018, 12, 31), 1990),
    ],
)
def test_outside_north_america_the_latest_plausible_year_wins(
    today: datetime.date, year: int
) -> None:
    assert decode("WBA3A5C53LF256551", today=today).model_year == year


def test_a_north_american_year_from_the_future_is_none() -> None:
    vin = "1FTFW1E55YFA12345"  # letter at position 7 and Y: 2030
    assert decode(vin, today=datetime.date(2025, 1, 1)).model_year is None
    assert decode(vin, today=datetime.date(2029, 1, 1)).model_year == 2030


def test_decode_defaults_to_the_real_today() -> None:
    assert decode(FORD) == VinFacts(2003, "Ford", "United States")


@pytest.mark.parametrize(
    ("prefix", "country"),
    [
        ("1", "United States"),
        ("4", "United States"),
        ("5", "United States"),
        ("2", "Canada"),
        ("3A", "Mexico"),
        ("3W", "Mexico"),
        ("3X", "Costa Rica"),
        ("7A", "New Zealand"),
        ("7S", "United States"),
        ("9B", "Brazil"),
        ("93", "Brazil"),
        ("9F", "Colombia"),
        ("AA", "South Africa"),
        ("J", "Japan"),
        ("KL", "South Korea"),
        ("KN", "South Korea"),
        ("KF", "Israel"),
        ("L", "China"),
        ("MA", "India"),
        ("NM", "Turkey"),
        ("RF", "Taiwan"),
        ("SA", "United Kingdom"),
        ("SM", "United Kingdom"),
        ("SN", "Germany"),
        ("TR", "Hungary"),
        ("VF", "France"),
        ("VR", "France"),
        ("VS", "Spain"),
        ("W", "Germany"),
        ("XL", "Netherlands"),
        ("YF", "Finland"),
        ("YS", "Sweden"),
        ("ZA", "Italy"),
        ("ZR", "Italy"),
        ("ZS", None),
        ("UA", None),
        ("BA", None),
        ("AJ", None),
    ],
)
def test_country_from_the_region_code(prefix: str, country: str | None) -> None:
    vin = (prefix + "ZZZZZZZZZZZZZZZZZ")[: VIN_LENGTH - 6] + "123456"
    assert decode(vin, today=TODAY).country == country


def test_the_wmi_table_names_each_wmi_once() -> None:
    wmis = [wmi for wmis in vin_module._WMIS_BY_MAKE.values() for wmi in wmis.split()]
    assert len(wmis) == len(set(wmis))
    assert all(len(wmi) in (2, 3) and set(wmi) <= ALPHABET for wmi in wmis)


def test_the_region_table_lists_ranges_in_allocation_order() -> None:
    order = vin_module._SECOND_CHARACTER_ORDER
    for ranges in vin_module._REGIONS.values():
        ends = [order.index(last) for last, _country in ranges]
        assert ends == sorted(set(ends))


# --- properties ----------------------------------------------------------------------------

VIN_CHARACTERS = sorted(ALPHABET)
vins = st.text(st.sampled_from(VIN_CHARACTERS), min_size=VIN_LENGTH, max_size=VIN_LENGTH).filter(
    lambda vin: any(char.isdigit() for char in vin) and any(char.isalpha() for char in vin)
)
long_texts = st.text(min_size=1, max_size=100).map(lambda text: (text * 5000)[:5000])


def assert_well_formed(found: list[str]) -> None:
    assert len(found) == len(set(found))
    for vin in found:
        assert len(vin) == VIN_LENGTH
        assert set(vin) <= ALPHABET
        assert normalise(vin) == vin


@HYPOTHESIS
@given(st.text())
def test_find_vins_never_fails_on_any_text(text: str) -> None:
    assert_well_formed(find_vins(text))


@HYPOTHESIS
@given(st.one_of(long_texts, st.text(max_size=5000)))
def test_find_vins_never_fails_on_long_text(text: str) -> None:
    assert_well_formed(find_vins(text))


@HYPOTHESIS
@given(st.lists(st.one_of(vins, st.sampled_from([" ", "-", "\n", ".", "a", "1", "O"]))))
def test_find_vins_never_fails_on_vin_like_text(pieces: list[str]) -> None:
    found = find_vins("".join(pieces))
    assert_well_formed(found)
    assert find_vins(" ".join(found)) == found


@HYPOTHESIS
@given(prefix=st.text(), vin=vins, suffix=st.text())
def test_a_vin_in_any_surrounding_text_is_found(prefix: str, vin: str, suffix: str) -> None:
    assert vin in find_vins(f"{prefix} {vin} {suffix}")


@st.composite
def split_and_lowered(draw: st.DrawFn) -> tuple[str, str]:
    vin = draw(vins)
    cuts = sorted(draw(st.sets(st.integers(1, VIN_LENGTH - 1), max_size=8)))
    pieces = [vin[start:end] for start, end in zip([0, *cuts], [*cuts, VIN_LENGTH], strict=True)]
    # People split a VIN into groups that hold digits; a letters-only group is glued to the
    # next one, so that at most the last is letters only.
    groups: list[str] = []
    for piece in pieces:
        if groups and not any(char.isdigit() for char in groups[-1]):
            groups[-1] += piece
        else:
            groups.append(piece)
    separators = st.sampled_from([" ", "-", " - ", "  ", "\u2013", "\u00a0"])
    text = groups[0]
    for group in groups[1:]:
        text += draw(separators) + group
    lowered = "".join(char.lower() if draw(st.booleans()) else char for char in text)
    return vin, lowered


@pytest.mark.parametrize(
    "sentence",
    [
        "hi can you check 2019 ford",
        "I paid 5000 USD for it",
        "my 2015 honda accord was hit",
        "the car was 2019 blue",
        "A 1 A 1 A 1 A 1 A 1 A 1 A 1 A 1 A",
    ],
)
def test_a_sentence_around_a_number_is_not_a_split_vin(sentence: str) -> None:
    assert find_vins(sentence) == []


@HYPOTHESIS
@given(split_and_lowered())
def test_a_vin_split_into_groups_and_lowered_is_found(case: tuple[str, str]) -> None:
    vin, text = case
    assert find_vins(text) == [vin]
    assert find_vins(f"VIN: {text}.") == [vin]
    assert normalise(text) == vin


@HYPOTHESIS
@given(vin=vins, data=st.data())
def test_a_vin_with_cyrillic_look_alikes_is_found(vin: str, data: st.DataObject) -> None:
    look_alikes = {
        latin: (upper, lower)
        for latin, upper, lower in zip(LATIN, CYRILLIC_UPPER, CYRILLIC_LOWER, strict=True)
    }
    typed = "".join(
        data.draw(st.sampled_from([char, *look_alikes[char]])) if char in look_alikes else char
        for char in vin
    )
    assert find_vins(f"{typed} ?") == [vin]
    assert normalise(typed) == vin


@HYPOTHESIS
@given(vins)
def test_decode_never_fails_and_stays_plausible(vin: str) -> None:
    facts = decode(vin, today=TODAY)
    assert facts.model_year is None or 1980 <= facts.model_year <= TODAY.year + 1
    assert facts.country is None or facts.country.strip() == facts.country != ""
    assert looks_mistyped(with_check_digit(vin)) is False


_INVISIBLE = st.sampled_from(
    list("\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202b\u202c\u2066\u2069\u00ad")
)


@HYPOTHESIS
@given(vin=vins, data=st.data())
def test_invisible_marks_inside_a_vin_next_to_emoji_and_rtl_text_are_ignored(
    vin: str, data: st.DataObject
) -> None:
    characters = list(vin)
    for position in sorted(data.draw(st.lists(st.integers(0, 17), max_size=6)), reverse=True):
        characters.insert(position, data.draw(_INVISIBLE))
    before = data.draw(st.sampled_from(["🚗 ", "مرحبا ", "שלום ", "VIN: ", ""]))
    after = data.draw(st.sampled_from([" 👍", " ?", "", "\u202e reversed"]))

    assert vin in find_vins(before + "".join(characters) + after)
