"""An amount written as text (a decimal, as JSON keeps money and the decision log records a
Decimal) is read alike by `finpolicy eval` and by `finpolicy eval --why`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

SALE = {"customer": {"id": "c1", "risk_level": "C3", "birth_date": "1980-01-01",
                     "assessment_date": "2026-01-10", "investable_assets": 100000},
        "product": {"id": "p1", "kind": "wealth_management", "risk_level": "R3"}}


def _run(path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["eval", "suitability", str(path), "--as-of",
                                       "2026-03-02", *extra])
    return result.exit_code, result.output


def test_eval_why_reads_a_decimal_amount_written_as_text_as_eval_does(tmp_path: Path) -> None:
    # eval decided {"amount": "50000.01"} (conditional: more than half the assets) while
    # eval --why refused it: 'amount: expected a number, got str', exit 3
    path = tmp_path / "sale.json"
    path.write_text(json.dumps({**SALE, "amount": "50000.01"}), encoding="utf-8")
    code, out = _run(path, "--json")
    assert code == 0 and json.loads(out)[0]["outcome"] == "conditional"
    code, out = _run(path, "--why", "--json")
    assert code == 0, out
    (explained,) = json.loads(out)
    assert explained["decision"]["outcome"] == "conditional"
    assert explained["input"]["amount"] == 50000.01
    # the smallest change keeps to half of the assets, and is the same as for a number
    path.write_text(json.dumps({**SALE, "amount": 50000.01}), encoding="utf-8")
    assert json.loads(_run(path, "--why", "--json")[1])[0]["suggestions"] == \
        explained["suggestions"]


def test_text_that_is_no_number_is_refused_alike(tmp_path: Path) -> None:
    path = tmp_path / "sale.json"
    path.write_text(json.dumps({**SALE, "amount": "zzz"}), encoding="utf-8")
    for extra in ((), ("--why",)):
        code, out = _run(path, *extra)
        assert code == 3 and "amount: expected a number, or a decimal number written as " \
                             "text, got `zzz`" in out, out


def test_the_typed_call_still_takes_numbers_only() -> None:
    engine = fp.PolicyEngine()
    for call in (engine.check_suitability, lambda *a, **k: engine.explain(
            "check_suitability", *a, **k)):
        with pytest.raises(fp.InputError, match="amount: expected a number, got str"):
            call(SALE["customer"], SALE["product"], amount="50000.01",
                 as_of=dt.date(2026, 3, 2))
