"""The input of a suitability explanation (``finpolicy.explain.explain``, a decision log's
input read back): every unknown key named at once, as the decision's own check names them."""

from __future__ import annotations

import datetime as dt

import pytest

import finpolicy as fp
from finpolicy.domains.suitability.explain import EXPLAINER

SALE = {"customer": {"id": "c1", "risk_level": "C3", "assessment_date": "2026-01-05"},
        "product": {"id": "wm", "kind": "wealth_management", "risk_level": "R3"}}


def test_every_unknown_key_is_named() -> None:
    # only `amout` was named; `sael` came up once it was fixed
    with pytest.raises(fp.InputError) as caught:
        EXPLAINER.normalise({**SALE, "amout": 100, "sael": {}}, dt.date(2026, 3, 2))
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("amout", "unknown_key"), ("sael", "unknown_key")]

