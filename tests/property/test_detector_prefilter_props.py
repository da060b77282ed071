"""The RE2 pre-filters that spare single classifications most detector checks never drop a
value a check accepts: ``detect_column`` (one RE2 set pass per value, then only the checks
it names) agrees with running every check on every value, for identifiers written every
way a bank's text holds them, near-misses and any text at all."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from finpolicy.domains.candidates import PrefilterSet
from finpolicy.domains.detectors import (
    DETECTORS,
    PREFILTERS,
    DetectorMatch,
    accepting,
    detect_column,
)
from finpolicy.identity import _visible, invisible
from finpolicy.testing import fakes

_SET = PrefilterSet(PREFILTERS)
_MAKERS = (fakes.resident_id, fakes.invalid_resident_id, fakes.bank_card,
           fakes.invalid_bank_card, fakes.mobile, fakes.email, fakes.uscc, fakes.passport,
           fakes.chinese_name)
_AROUND = ["", " ", "x", "X", "客户身份证号", "，请回电", "+86", "86", "0086 ", "\u3000", "\xa0",
           "\n", " \t", "-", "5", "12 ", "ID", "@", "@x.com", ".cn", "８６", "１２ ", "卡号:",
           "tel:", "mail ", ".", "_", "号码", "\u200b", "ａ", "(", ")"]
_FULL_WIDTH = {ord(c): 0xFF10 + int(c) for c in "0123456789"}


def _grouped(value: str, rng: random.Random) -> str:
    """``value`` split the ways people write these numbers (6-8-4, 4-4-4-4…, 3-4-4, 4-6-5),
    or at random places, with spaces or hyphens."""
    seps = [rng.choice([" ", "-", "  ", "--", " - "]) for _ in range(6)]
    cuts = {18: (6, 14), 19: (4, 8, 12, 16), 16: (4, 8, 12), 15: (4, 10), 11: (3, 7)}.get(
        len(value), ())
    if rng.random() < 0.3:
        cuts = tuple(sorted(rng.sample(range(1, len(value)), min(3, len(value) - 1))))
    out, last = [], 0
    for i, cut in enumerate(cuts):
        out += [value[last:cut], seps[i] if rng.random() < 0.5 else seps[0]]
        last = cut
    return "".join(out) + value[last:]


def _written(rng: random.Random) -> str:
    """An identifier (valid or not) as a note or a column may hold it."""
    value = rng.choice(_MAKERS)(rng)
    if rng.random() < 0.4:
        value = _grouped(value, rng)
    if rng.random() < 0.2:
        value = value.translate(_FULL_WIDTH)
    if rng.random() < 0.2:
        value = value.replace("X", rng.choice("xＸｘ"))
    if rng.random() < 0.3:  # one character changed, dropped or doubled
        i = rng.randrange(len(value))
        value = value[:i] + rng.choice(["", value[i] * 2, str(rng.randrange(10))]) \
            + value[i + 1:]
    before = "".join(rng.choice(_AROUND) for _ in range(rng.randrange(3)))
    after = "".join(rng.choice(_AROUND) for _ in range(rng.randrange(3)))
    return before + value + after


_ALPHABET = st.sampled_from([*"0123456789 -Xx@._+８６１３\u3000\n\tAaE客号", "\xa0", "\u2028"])
_values = st.one_of(
    st.randoms(use_true_random=False).map(_written),
    st.lists(st.randoms(use_true_random=False).map(_written), min_size=2, max_size=3).map(
        lambda parts: "，".join(parts)),
    st.text(_ALPHABET, max_size=40),
    st.text(max_size=40),
)


def _every_check(values: list[str]) -> list[DetectorMatch]:
    """``detect_column`` as it reads without a pre-filter: every check on every value."""
    texts = [v for v in values if v.strip()]
    total = len(texts)
    matches = []
    for name, detector in DETECTORS.items():
        count = sum(detector.check(t) for t in texts)
        matches.append(DetectorMatch(name, count, total, count / total if total else 0.0))
    return sorted(matches, key=lambda m: (-m.share, m.name))


@settings(max_examples=1_000)
@given(_values)
def test_the_prefilter_set_names_every_detector_that_accepts_a_value(value: str) -> None:
    could = _SET.candidates(value)
    accepted = {name for name, detector in DETECTORS.items() if detector.check(value)}
    assert could is None or accepted <= could, (value, accepted - (could or set()))
    assert detect_column([value]) == _every_check([value])


@settings(max_examples=300)
@given(_values, st.permutations(sorted(DETECTORS)).map(lambda names: names[:7]))
def test_accepting_names_the_detectors_whose_checks_accept_a_value_in_the_order_asked(
        value: str, names: list[str]) -> None:
    assert accepting(value, names) == tuple(n for n in names if DETECTORS[n].check(value))


@settings(max_examples=200)
@given(st.lists(_values, max_size=12))
def test_a_small_column_is_measured_as_every_check_measures_it(values: list[str]) -> None:
    assert detect_column(values) == _every_check(values)


def test_many_written_identifiers_pass_the_prefilters_and_are_found_alike() -> None:
    rng = random.Random(20)
    values = [_written(rng) for _ in range(20_000)]
    found: Counter[str] = Counter()
    for value in values:
        accepted = {n for n, d in DETECTORS.items() if d.check(value)}
        could = _SET.candidates(value)
        assert could is not None and accepted <= could, (value, accepted)
        found.update(accepted)
    assert set(found) == set(DETECTORS)  # every detector accepts some, most of them hundreds
    assert min(found.values()) > 100, found


def test_text_the_set_cannot_read_goes_to_every_check() -> None:
    lone = "客户身份证号110101199003074514\ud800"  # a lone surrogate is no UTF-8
    assert _SET.candidates(lone) is None
    assert detect_column([lone]) == _every_check([lone])
    assert {m.name for m in detect_column([lone]) if m.matched} == {"cn_resident_id_in_text"}


@given(st.text())
def test_visible_text_drops_exactly_the_invisible_characters(text: str) -> None:
    assert _visible(text) == "".join(c for c in text if not invisible(c))


def test_visible_text_drops_every_invisible_printable_character() -> None:
    printable_invisible = [c for c in map(chr, range(0x110000))
                           if c.isprintable() and invisible(c)]
    assert "\ufe0f" in printable_invisible  # a variation selector: printable, yet invisible
    assert all(_visible(f"a{c}b") == "ab" for c in printable_invisible)
