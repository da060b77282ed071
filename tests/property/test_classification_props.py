"""Properties of data classification: check digits gate detection, records take their highest
field, masks hide what they must, sample order never matters, both engines agree."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import attrs
from hypothesis import assume, given
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.domains.detectors import (
    bank_card,
    cn_resident_id,
    luhn_check_digit,
    resident_id_check_char,
)
from finpolicy.testing import fakes

ON = dt.date(2026, 3, 1)
CONTENT_RULES = {"core-id-number-by-content", "core-card-by-content"}

seeds = st.integers(0, 2**32 - 1)
NAMES = ["身份证号", "id_number", "交易流水", "transaction_history", "风险偏好", "risk_preference",
         "资产状况", "联系电话", "contact_phone", "name", "姓名", "card_no", "email", "balance",
         "credit_score", "login_history", "remarks", "col1", "password", "Contact Phone"]
GENERATORS = [fakes.resident_id, fakes.bank_card, fakes.mobile, fakes.email, fakes.passport,
              fakes.uscc, fakes.chinese_name, fakes.invalid_resident_id,
              fakes.invalid_bank_card]


@st.composite
def samples(draw: Any) -> list[str]:
    """A column: values of one or two kinds, some blanks, some free text."""
    rng = random.Random(draw(seeds))
    kinds = draw(st.lists(st.sampled_from(GENERATORS), min_size=1, max_size=2))
    values = [rng.choice(kinds)(rng) for _ in range(draw(st.integers(0, 12)))]
    values += draw(st.lists(st.sampled_from(["", " ", "n/a", "0", "未知"]), max_size=3))
    values += draw(st.lists(st.text(max_size=20), max_size=2))
    return values


@st.composite
def fields(draw: Any) -> fp.DataField:
    name = draw(st.sampled_from(NAMES) | st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True))
    tags = draw(st.lists(st.sampled_from(["contact", "account", "authentication", "behaviour",
                                          "financial_status", "misc"]), max_size=2))
    derived = draw(st.lists(st.sampled_from(NAMES), max_size=2))
    return fp.DataField(name=name, sample_values=draw(samples()), tags=tags,
                        derived_from=derived)


def _bad_id(draw: Any) -> str:
    rng = random.Random(draw(seeds))
    good = fakes.resident_id(rng)
    wrong = draw(st.sampled_from([c for c in "0123456789X" if c != good[17]]))
    return good[:17] + wrong


def _neutral(d: Any) -> Any:
    if isinstance(d, fp.RecordClassificationDecision):
        return attrs.evolve(d, engine="compiled",
                            fields={n: _neutral(c) for n, c in d.fields.items()})
    return attrs.evolve(d, engine="compiled")


@given(st.data())
def test_a_value_failing_the_id_check_digit_is_never_an_id(
        engines: dict[str, fp.PolicyEngine], data: st.DataObject) -> None:
    values = [_bad_id(data.draw) for _ in range(data.draw(st.integers(1, 5)))]
    # also arbitrary 18-character strings whose last character is not the check character
    body = data.draw(st.from_regex(r"[1-6][0-9]{16}", fullmatch=True))
    last = data.draw(st.sampled_from("0123456789Xx"))
    assume(resident_id_check_char(body) != last.upper())
    values.append(body + last)
    assert not any(cn_resident_id(v) for v in values)
    for e in engines.values():
        c = e.classify(fp.DataField(name="col1", sample_values=values), as_of=ON)
        assert c.detector != "cn_resident_id" and not set(c.rule_ids) & CONTENT_RULES


@given(st.from_regex(r"62[0-9]{14,17}", fullmatch=True), st.sampled_from("0123456789"))
def test_a_number_failing_luhn_is_never_a_card(engines: dict[str, fp.PolicyEngine],
                                               number: str, last: str) -> None:
    assume(luhn_check_digit(number[:-1]) != last)
    value = number[:-1] + last
    assert not bank_card(value)
    for e in engines.values():
        c = e.classify(fp.DataField(name="col1", sample_values=[value]), as_of=ON)
        assert c.detector != "bank_card" and c.level is fp.DataLevel.ORDINARY


@given(st.dictionaries(st.sampled_from(NAMES), samples(), min_size=1, max_size=5))
def test_a_record_takes_the_highest_level_of_its_fields(
        engines: dict[str, fp.PolicyEngine], record: dict[str, list[str]]) -> None:
    results = [e.classify_record(record, as_of=ON) for e in engines.values()]
    for r in results:
        assert r.level == max(c.level for c in r.fields.values())
        assert list(r.fields) == list(record)
        for name, values in record.items():
            alone = fp.DataField(name=name, sample_values=values)
            assert r.fields[name] == engines[r.engine].classify(alone, as_of=ON)
    assert _neutral(results[1]) == results[0]


@given(fields())
def test_both_engines_classify_alike(engines: dict[str, fp.PolicyEngine],
                                     field: fp.DataField) -> None:
    a = engines["compiled"].classify(field, as_of=ON)
    b = engines["durable"].classify(field, as_of=ON)
    assert _neutral(b) == a


@given(fields(), st.randoms(use_true_random=False))
def test_classification_never_depends_on_sample_order(
        engines: dict[str, fp.PolicyEngine], field: fp.DataField, rnd: random.Random) -> None:
    shuffled = list(field.sample_values)
    rnd.shuffle(shuffled)
    other = field.model_copy(update={"sample_values": shuffled})
    for e in engines.values():
        a, b = e.classify(field, as_of=ON), e.classify(other, as_of=ON)
        assert (a.level, a.category, a.mask, a.detector, a.share, a.hits, a.obligations) == (
            b.level, b.category, b.mask, b.detector, b.share, b.hits, b.obligations)


@given(seeds, st.sampled_from(["id_number", "身份证号", "notes"]))
def test_an_id_number_never_shows_its_birth_date(engines: dict[str, fp.PolicyEngine],
                                                 seed: int, field: str) -> None:
    value = fakes.resident_id(random.Random(seed))
    for e in engines.values():
        masked = e.mask(value, field=field, as_of=ON)
        assert masked != value and len(masked) == len(value)
        assert set(masked[6:14]) == {"*"}


@given(seeds, st.sampled_from(["card_number", "银行卡号", "col7"]))
def test_a_card_number_shows_at_most_its_first_6_and_last_4(
        engines: dict[str, fp.PolicyEngine], seed: int, field: str) -> None:
    value = fakes.bank_card(random.Random(seed))
    for e in engines.values():
        masked = e.mask(value, field=field, as_of=ON)
        shown = [i for i, ch in enumerate(masked) if ch != "*"]
        assert masked != value
        assert all(i < 6 or i >= len(value) - 4 for i in shown)
        assert masked[:6] == value[:6] and masked[-4:] == value[-4:]


@given(seeds)
def test_names_keep_their_first_character_and_mobiles_3_and_4(
        engines: dict[str, fp.PolicyEngine], seed: int) -> None:
    rng = random.Random(seed)
    name, mobile = fakes.chinese_name(rng), fakes.mobile(rng)
    for e in engines.values():
        masked = e.mask(name, field="姓名", as_of=ON)
        assert masked[0] == name[0] and set(masked[1:]) <= {"*"} and masked != name
        m = e.mask(mobile, field="contact_phone", as_of=ON)
        assert m == mobile[:3] + "****" + mobile[-4:]


@given(fields(), st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != ""))
def test_masking_never_returns_a_core_value_unchanged(
        engines: dict[str, fp.PolicyEngine], field: fp.DataField, value: str) -> None:
    e = engines["compiled"]
    if e.classify(field, as_of=ON).level is fp.DataLevel.CORE:
        assert e.mask(value, field=field, as_of=ON) != value
