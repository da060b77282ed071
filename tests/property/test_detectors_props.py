"""Properties of the content detectors, the display masks and the fake-data generators."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from finpolicy.domains import masking
from finpolicy.domains.detectors import DETECTORS, bank_card, cn_resident_id, detect_column
from finpolicy.testing import fakes

# Independent reference checks, written from the standards rather than imported, so the
# properties compare two implementations instead of one with itself.


def _reference_id_check(body: str) -> str:
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def _reference_luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


rngs = st.randoms(use_true_random=False)
_GENERATORS = {
    "cn_resident_id": fakes.resident_id,
    "bank_card": fakes.bank_card,
    "cn_mobile": fakes.mobile,
    "email": fakes.email,
    "cn_uscc": fakes.uscc,
    "passport": fakes.passport,
}


def _replace_one(value: str, index: int, alphabet: str, rng: random.Random) -> str:
    other = rng.choice([c for c in alphabet if c != value[index]])
    return value[:index] + other + value[index + 1:]


@given(rngs)
def test_generated_values_always_detect(rng: random.Random) -> None:
    for name, generate in _GENERATORS.items():
        value = generate(rng)
        assert DETECTORS[name].check(value), (name, value)


@given(rngs)
def test_id_with_a_corrupted_check_character_is_never_detected(rng: random.Random) -> None:
    assert not cn_resident_id(fakes.invalid_resident_id(rng))
    good = fakes.resident_id(rng)
    # `x` and `X` are the same check character, so the replacement differs from both
    others = "".join(c for c in "0123456789X" if c != good[17].upper())
    assert not cn_resident_id(_replace_one(good, 17, others, rng))


@given(rngs, st.integers(0, 16))
def test_id_with_any_single_digit_changed_is_never_detected(rng: random.Random, i: int) -> None:
    assert not cn_resident_id(_replace_one(fakes.resident_id(rng), i, "0123456789", rng))


@given(rngs)
def test_card_with_a_corrupted_check_digit_is_never_detected(rng: random.Random) -> None:
    assert not bank_card(fakes.invalid_bank_card(rng))
    good = fakes.bank_card(rng)
    assert not bank_card(_replace_one(good, len(good) - 1, "0123456789", rng))


@given(rngs, st.integers(0, 18))
def test_card_with_any_single_digit_changed_is_never_detected(rng: random.Random, i: int) -> None:
    good = fakes.bank_card(rng)
    assert not bank_card(_replace_one(good, i % len(good), "0123456789", rng))


_id_candidates = st.builds(
    lambda province, district, birth, seq, check: f"{province}{district}{birth:%Y%m%d}{seq}{check}",
    st.sampled_from(["11", "31", "44", "51", "65", "83"]),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.dates(dt.date(1900, 1, 1), dt.date.today()),
    st.from_regex(r"[0-9]{3}", fullmatch=True),
    st.sampled_from("0123456789X"),
)


@given(_id_candidates)
def test_well_formed_id_is_detected_exactly_when_its_check_character_is_right(value: str) -> None:
    assert cn_resident_id(value) == (_reference_id_check(value[:17]) == value[17])


_card_candidates = st.builds(
    lambda prefix, length, rest: (prefix + rest)[:length],
    st.sampled_from(["62", "4", "53", "2720", "3589", "9558", "95599"]),
    st.integers(16, 19),
    st.from_regex(r"[0-9]{19}", fullmatch=True),
)


@given(_card_candidates)
def test_card_with_known_prefix_is_detected_exactly_when_luhn_holds(value: str) -> None:
    assert 16 <= len(value) <= 19
    assert bank_card(value) == _reference_luhn_ok(value)


@given(st.text())
def test_detectors_answer_a_bool_for_any_text(value: str) -> None:
    for detector in DETECTORS.values():
        assert detector.check(value) in (True, False)


@given(st.text(min_size=1))
def test_masking_never_returns_a_non_empty_input_unchanged(value: str) -> None:
    for mask in masking.MASKS.values():
        assert mask(value) != value


@given(st.text(min_size=1), st.integers(0, 30), st.integers(0, 30))
def test_partial_masking_never_returns_the_input_and_keeps_length(
    value: str, keep_first: int, keep_last: int
) -> None:
    masked = masking.partial(keep_first, keep_last)(value)
    assert masked != value
    assert len(masked) in (len(value), len(value) + 1)  # +1 only for an all-'*' input


@given(rngs)
def test_id_mask_hides_the_birth_date_of_generated_ids(rng: random.Random) -> None:
    masked = masking.id_number(fakes.resident_id(rng))
    assert len(masked) == 18
    assert masked[6:14] == "********"


@given(st.text(st.characters(blacklist_categories=["Z", "C"]), min_size=18, max_size=18))
def test_id_mask_hides_positions_7_to_14_of_any_18_characters(value: str) -> None:
    assert masking.id_number(value)[6:14] == "********"


@given(st.from_regex(r"[0-9]{1,25}", fullmatch=True), st.booleans())
def test_card_mask_reveals_at_most_6_leading_and_4_trailing_digits(
    digits: str, spaced: bool
) -> None:
    value = " ".join(digits[i:i + 4] for i in range(0, len(digits), 4)) if spaced else digits
    masked = masking.card_number(value)
    assert len(masked) == len(digits)
    lead = len(masked) - len(masked.lstrip("0123456789"))
    trail = len(masked) - len(masked.rstrip("0123456789"))
    shown = sum(c != "*" for c in masked)
    assert lead <= 6
    assert trail <= 4
    assert shown == min(lead + trail, len(masked))  # nothing revealed in the middle
    assert masked[:lead] == digits[:lead]
    assert masked[len(masked) - trail:] == digits[len(digits) - trail:]
    if len(digits) < 11:
        assert lead == 0


_column_values = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=20),
    st.integers(),
    rngs.map(fakes.resident_id),
    rngs.map(fakes.invalid_resident_id),
    rngs.map(fakes.bank_card),
    rngs.map(fakes.mobile),
    rngs.map(fakes.email),
)


@given(st.data(), st.lists(_column_values, max_size=30))
def test_detect_column_does_not_depend_on_value_order(
    data: st.DataObject, values: list[object]
) -> None:
    shuffled = data.draw(st.permutations(values))
    assert detect_column(shuffled) == detect_column(values)
