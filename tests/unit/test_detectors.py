"""Known-valid and known-invalid examples for the content detectors and display masks."""

from __future__ import annotations

import datetime as dt
import random

import attrs
import pytest

from finpolicy.domains import detectors, masking
from finpolicy.domains.detectors import (
    DETECTORS,
    DetectorMatch,
    bank_card,
    cn_mobile,
    cn_resident_id,
    cn_uscc,
    detect_column,
    email,
    passport,
)
from finpolicy.errors import InputError
from finpolicy.testing import fakes

# --- resident ID -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",
        "11010519491231002x",  # lower-case check character
        "  11010519491231002X\n",  # surrounding whitespace
        "110105200002291235",  # 29 February of a leap year
        "110105190001011231",  # earliest accepted birth date
        "440305198808083213",
        "510107198511156629",
    ],
)
def test_resident_id_accepts_valid_ids(value: str) -> None:
    assert cn_resident_id(value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("110105194912310021", "wrong check character"),
        ("11010519491231002Y", "check character outside 0-9/X"),
        ("110105190002291239", "29 February 1900 is not a leap day"),
        ("110105202302291236", "29 February 2023 is not a leap day"),
        ("110105189912311237", "born before 1900"),
        ("11010519901301123X", "month 13"),
        ("110105199001001237", "day 00"),
        ("100105194912310028", "province code 10 does not exist"),
        ("990105194912310023", "province code 99 does not exist"),
        ("11010519491231002", "17 characters"),
        ("11010519491231002X0", "19 characters"),
        ("110105 19491231002X", "inner whitespace"),
        ("１１０１０５１９４９１２３１００２Ｘ", "full-width digits"),
        ("", "empty"),
    ],
)
def test_resident_id_rejects_invalid_ids(value: str, why: str) -> None:
    assert not cn_resident_id(value), why


def test_resident_id_rejects_birth_date_in_the_future() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    future = fakes.resident_id(random.Random(7), birth=tomorrow)
    assert not cn_resident_id(future)
    assert cn_resident_id(fakes.resident_id(random.Random(7), birth=dt.date.today()))


@pytest.mark.parametrize("check", [cn_resident_id, bank_card, cn_mobile, email, cn_uscc, passport])
@pytest.mark.parametrize("value", [None, 11010519491231002, b"11010519491231002X", 4.5, ["x"]])
def test_detectors_return_false_for_non_strings(check: object, value: object) -> None:
    assert check(value) is False  # type: ignore[operator]


# --- bank card ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "6222021234567890128",  # UnionPay, 19 digits
        "6222 0212 3456 7890 128",  # grouped with single spaces
        "6228480012345678903",
        "9558801234567890128",  # ICBC
        "4111111111111111",  # Visa
        "5555555555554444",  # Mastercard
        "2223003122003222",  # Mastercard 2-series
        "378282246310005",  # Amex, 15 digits
        "340000000000009",
        "3530111333300000",  # JCB
        "6011111111111117",  # 60 prefix
    ],
)
def test_bank_card_accepts_luhn_valid_numbers_with_known_prefixes(value: str) -> None:
    assert bank_card(value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("4111111111111112", "last digit off by one"),
        ("6222021234567890127", "last digit off by one"),
        ("6222021234567890218", "two digits transposed"),
        ("1234567812345670", "luhn-valid but no known issuer prefix"),
        ("300000000000007", "diners prefix is not accepted"),
        ("3782822463100051", "amex prefix with 16 digits"),
        ("4000000000006", "visa with 13 digits is below the minimum length"),
        ("62220212345678901", "17 digits with a wrong check digit"),
        ("622202123456789012347", "21 digits"),
        ("6222  0212 3456 7890 128", "double space"),
        ("6222-0212-3456-7890-128", "hyphens are not a card separator"),
        ("６２２２０２１２３４５６７８９０１２８", "full-width digits"),
        ("", "empty"),
    ],
)
def test_bank_card_rejects_invalid_numbers(value: str, why: str) -> None:
    assert not bank_card(value), why


# --- mobile ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        "19912345678",
        "138 1234 5678",
        "138-1234-5678",
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-13812345678",
        "8613812345678",
        "0086 13812345678",
    ],
)
def test_mobile_accepts_mainland_numbers(value: str) -> None:
    assert cn_mobile(value)


@pytest.mark.parametrize(
    "value",
    [
        "12812345678",  # second digit 2
        "23812345678",  # does not start with 1
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "138 1234-5678",  # mixed separators
        "138 12345678",  # incomplete grouping
        "1381 234 5678",  # wrong grouping
        "+87 13812345678",  # other country
        "+86  13812345678",  # double separator
        "010-12345678",  # landline
    ],
)
def test_mobile_rejects_other_numbers(value: str) -> None:
    assert not cn_mobile(value)


# --- email -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "zhangsan@bank.cn",
        "zhang.san+vip@mail.icbc.com.cn",
        "o'brien!#$%&*/=?^_`{|}~-@ex-ample.co",
        "a@b.io",
        f"{'a' * 64}@example.com",
        f"a@{('b' * 62 + '.') * 3}{'c' * 59}.com",  # 254 characters in all
    ],
)
def test_email_accepts_addresses(value: str) -> None:
    assert email(value)


@pytest.mark.parametrize(
    "value",
    [
        "zhangsan@localhost",  # one label
        ".zhang@bank.cn",
        "zhang.@bank.cn",
        "zhang..san@bank.cn",
        "zhang@-bank.cn",
        "zhang@bank-.cn",
        "zhang@bank.c",  # tld of one letter
        "zhang@bank.c0m",  # numeric tld
        "zhang san@bank.cn",
        "zhang@@bank.cn",
        "张三@bank.cn",
        f"{'a' * 65}@example.com",  # local part over 64
        f"a@{('b' * 62 + '.') * 3}{'c' * 60}.com",  # 255 characters in all
        "",
    ],
)
def test_email_rejects_malformed_addresses(value: str) -> None:
    assert not email(value)


# --- unified social credit code ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "91350100M000100Y43",
        "911000001000013428",  # national body, area code 100000
        "91100000100003962T",
        "52330106L228303820",
        "11100000000013127D",
    ],
)
def test_uscc_accepts_valid_codes(value: str) -> None:
    assert cn_uscc(value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("91350100M000100Y44", "wrong check character"),
        ("91350100M000100Y4", "17 characters"),
        ("91350100m000100y43", "lower case"),
        ("91350100I000100Y43", "letter I is not in the charset"),
        ("941100008021004332", "authority 9 has no type 4"),
        ("21350100M000100Y4X", "authority 2 is not accepted"),
        ("919900008021004332", "province code 99 does not exist"),
        ("9135010AM000100Y43", "area code not all digits"),
    ],
)
def test_uscc_rejects_invalid_codes(value: str, why: str) -> None:
    assert not cn_uscc(value), why


# --- passport ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["E12345678", "EA1234567", "G12345678", "D1234567", "S1234567", "P1234567"]
)
def test_passport_accepts_chinese_passport_numbers(value: str) -> None:
    assert passport(value)


@pytest.mark.parametrize(
    "value",
    ["e12345678", "EI1234567", "EO1234567", "E1234567", "G1234567", "D12345678", "K12345678", ""],
)
def test_passport_rejects_other_shapes(value: str) -> None:
    assert not passport(value)


# --- registry and detect_column ----------------------------------------------------------


def test_registry_names_map_to_their_checks() -> None:
    assert list(DETECTORS) == ["cn_resident_id", "bank_card", "cn_mobile", "email", "cn_uscc",
                               "passport", "cn_resident_id_in_text", "bank_card_in_text",
                               "cn_mobile_in_text", "email_in_text"]
    for name, detector in DETECTORS.items():
        assert detector.name == name
        assert detector.check is getattr(detectors, name)
        assert detector.description.endswith(".")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        DETECTORS["email"].name = "x"  # type: ignore[misc]


def test_detect_column_reports_share_of_non_empty_values() -> None:
    column = ["11010519491231002X", "110105194912310021", None, "", "   ", "13812345678"]
    matches = detect_column(column, ["cn_resident_id", "cn_mobile", "email"])
    assert matches == [
        DetectorMatch("cn_mobile", 1, 3, 1 / 3),
        DetectorMatch("cn_resident_id", 1, 3, 1 / 3),
        DetectorMatch("email", 0, 3, 0.0),
    ]


def test_detect_column_sorts_by_share_then_name_and_runs_all_detectors_by_default() -> None:
    rng = random.Random(3)
    column = [fakes.bank_card(rng) for _ in range(3)] + ["zhang@bank.cn"]
    matches = detect_column(column)
    assert [m.name for m in matches] == ["bank_card", "email", "bank_card_in_text",
                                         "cn_mobile", "cn_mobile_in_text", "cn_resident_id",
                                         "cn_resident_id_in_text", "cn_uscc", "email_in_text",
                                         "passport"]
    assert matches[0].share == 0.75


def test_detect_column_reads_integers_as_text() -> None:
    (match,) = detect_column([13812345678, True, 4.5], ["cn_mobile"])
    assert (match.matched, match.total) == (1, 3)


def test_detect_column_of_only_empty_values_has_zero_share() -> None:
    assert detect_column([None, ""], ["email"]) == [DetectorMatch("email", 0, 0, 0.0)]


def test_detect_column_rejects_unknown_detector_names() -> None:
    with pytest.raises(InputError, match="unknown detector 'iban'"):
        detect_column(["x"], ["email", "iban"])


# --- masking -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mask", "value", "expected"),
    [
        (masking.id_number, "11010519491231002X", "110***********002X"),
        (masking.id_number, " 11010519491231002X ", "110***********002X"),
        (masking.id_number, "110105491231002", "110*********002"),  # 15-digit: birth hidden
        (masking.card_number, "6222021234567890128", "622202*********0128"),
        (masking.card_number, "6222 0212 3456 7890 128", "622202*********0128"),
        (masking.card_number, "1234567890", "******7890"),
        (masking.card_number, "1234", "****"),
        (masking.name, "张三丰", "张**"),
        (masking.name, "张三", "张*"),
        (masking.name, "张", "*"),
        (masking.mobile, "13812345678", "138****5678"),
        (masking.mobile, "+86 138-1234-5678", "138****5678"),
        (masking.mobile, "008613812345678", "138****5678"),
        (masking.email, "zhangsan@bank.cn", "z***@bank.cn"),
        (masking.email, "no-at-sign", "**********"),
        (masking.full, "secret", "******"),
        (masking.full, "", "*"),
        (masking.full, "**", "***"),  # an already-masked value still changes
        (masking.name, "张**", "***"),
    ],
)
def test_masks_hide_the_expected_characters(mask: masking.Masker, value: str,
                                             expected: str) -> None:
    assert mask(value) == expected


@pytest.mark.parametrize(
    ("keep_first", "keep_last", "value", "expected"),
    [
        (2, 2, "abcdefg", "ab***fg"),
        (3, 4, "abcdef", "**cdef"),  # kept parts overlap: only the tail is kept
        (0, 6, "abcdef", "******"),  # tail is the whole value: all masked
        (0, 0, "abc", "***"),
        (1, 0, "abc", "a**"),
    ],
)
def test_partial_keeps_head_and_tail_unless_they_cover_the_value(
    keep_first: int, keep_last: int, value: str, expected: str
) -> None:
    assert masking.partial(keep_first, keep_last)(value) == expected


def test_partial_rejects_negative_counts() -> None:
    with pytest.raises(InputError, match="non-negative"):
        masking.partial(-1, 2)


def test_mask_registry_names() -> None:
    assert sorted(masking.MASKS) == ["card_number", "email", "full", "id_number", "mobile",
                                     "name"]
    assert masking.MASKS["name"] is masking.name
