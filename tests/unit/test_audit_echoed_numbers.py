"""A number the log masks in a call's input (a sale's amount, ``important`` by the pack's
classification) is masked where a decision echoes it too: the suitability decision's
``amount`` showed ``876543.0`` in clear beside the input's ``"amount": "******"``, so the log
kept the value the policy says to mask. Replay masks its own decisions the same way, and still
reproduces entries written before (which show the number in clear)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, read_entries, replay_log
from finpolicy.audit import entries as entry_fields
from finpolicy.audit.scrub import scrub

AMOUNT = 876543


def _sell(where: Path, keys: AuditKeys) -> None:
    with DecisionLog(where, keys=keys) as log:
        fp.PolicyEngine(fp.load_bundle(), log=log).check_suitability(
            fp.Customer(id="C-77", risk_level="C3", assessment_date=dt.date(2026, 1, 5),
                        birth_date=dt.date(1980, 3, 4), investable_assets=1_234_567.0),
            fp.Product(id="P-1", kind="fund", risk_level="R3"), amount=AMOUNT,
            as_of=dt.date(2026, 3, 2))


@pytest.mark.parametrize("store", ["jsonl", "audit.db"])
def test_an_echoed_amount_is_masked_and_the_entry_replays(tmp_path: Path, store: str) -> None:
    keys = AuditKeys.generate()
    where = tmp_path / store
    _sell(where, keys)
    stored = b"".join(f.read_bytes() for f in tmp_path.rglob("*") if f.is_file())
    assert str(AMOUNT).encode() not in stored  # neither in the input nor in the decision
    [entry] = list(read_entries(where))
    assert entry.input["amount"] == entry.decisions[0]["amount"] == "******"
    assert entry.unseal(keys)[0]["amount"] == AMOUNT  # the key holder gets it back
    report = replay_log(where, keys)
    assert report.reproduced, report.mismatches


def test_an_entry_written_with_the_amount_in_clear_still_replays(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = AuditKeys.generate()
    where = tmp_path / "audit.db"

    def texts_only(blob: bytes, groups: tuple[tuple[Any, ...], ...]) -> bytes:
        return scrub(blob, [(v, s) for g in groups for v, s in g if isinstance(v, str)])

    monkeypatch.setattr(entry_fields, "scrubbed", texts_only)  # as the writer did before
    _sell(where, keys)
    [entry] = list(read_entries(where))
    assert entry.decisions[0]["amount"] == AMOUNT
    assert replay_log(where, keys).reproduced


def test_numbers_are_masked_by_value_in_values_only() -> None:
    blob = orjson.dumps({"amount": 876543.0, "share": 876543, "flag": True,
                         "note": "876543 paid", "policy": {"id": "p", "n": 876543},
                         "rows": [1, 876543.0, {"x": 2}, 1000.0, 12], "other": 8765430})
    out = orjson.loads(scrub(blob, [(876543, "******"), (1, "*"), (12, "**"),
                                    (1000, "****")]))
    assert out == {"amount": "******", "share": "******", "flag": True,
                   "note": "876543 paid",  # (inside text, numbers are not looked for)
                   "policy": {"id": "p", "n": 876543},  # what the policy wrote is kept
                   # numbers under four digits tell little: a count of 1 or 12 stays
                   "rows": [1, "******", {"x": 2}, "****", 12], "other": 8765430}
