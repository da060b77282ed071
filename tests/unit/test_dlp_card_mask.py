"""A card mask never shows all but one or two digits of a short number."""

from __future__ import annotations

import datetime as dt

import finpolicy as fp
from finpolicy.domains import masking

ON = dt.date(2026, 3, 1)


CASES = [
    ("13800138000", "*******8000"),  # a mobile number written into a card column
    ("622202123456", "********3456"),  # a 12-digit account number
    ("6222 0212 3456 78", "**********5678"),
    ("1234567890", "******7890"),
    ("378282246310005", "378282*****0005"),  # 15 digits: first 6 and last 4, 5 hidden
    ("6222021234567890123", "622202*********0123"),
]


def test_a_card_mask_keeps_the_first_six_only_where_five_digits_stay_hidden() -> None:
    engine = fp.PolicyEngine(fp.load_bundle())
    for value, masked in CASES:
        assert masking.card_number(value) == masked, value
        assert engine.mask(value, field="card_number", as_of=ON) == masked, value
        assert engine.mask(value, field="银行卡号", as_of=ON) == masked, value
