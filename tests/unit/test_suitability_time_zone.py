"""An aware ``as_of`` is taken on its day in the suitability policy's time zone, as
assessment times are: one instant, however it is written, is decided on one day by one
version of the policy — in the typed API, the batch (columnar) path and explanations."""

from __future__ import annotations

import datetime as dt

import pytest

import finpolicy as fp

UTC = dt.UTC
BEIJING = dt.timezone(dt.timedelta(hours=8))
ENGINE = fp.PolicyEngine()
CUSTOMER = fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2025, 6, 1),
                       birth_date=dt.date(1962, 5, 10))
PRODUCT = fp.Product(id="wm-17", kind="wealth_management", risk_level="R3",
                     issuer_risk_level="R4")
# 20:00 UTC on 31 January 2026 is 04:00 on 1 February in Beijing: the 2026 rule's first day
LATE_UTC = dt.datetime(2026, 1, 31, 20, tzinfo=UTC)


@pytest.mark.parametrize("as_of", [LATE_UTC, LATE_UTC.astimezone(BEIJING),
                                   LATE_UTC.isoformat(), "2026-02-01T04:00:00+08:00"])
def test_one_instant_is_decided_by_the_policy_of_its_day_in_beijing(as_of: object) -> None:
    # UTC was taken on its own date (31 January) and decided by the old rule: suitable
    expected = ENGINE.check_suitability(CUSTOMER, PRODUCT, as_of=dt.date(2026, 2, 1))
    got = ENGINE.check_suitability(CUSTOMER, PRODUCT, as_of=as_of)
    assert (got.outcome, got.policy) == (expected.outcome, expected.policy)
    assert got.outcome == "unsuitable"
    (listed,) = ENGINE.suitable_products(CUSTOMER, [PRODUCT], as_of=as_of)
    assert listed.policy == expected.policy


def test_an_assessment_late_in_the_utc_day_is_not_after_a_later_as_of() -> None:
    # 23:00 UTC is the next day in Beijing; as_of 23:30 UTC was taken on the day before it
    # and the assessment refused as "after the evaluation date"
    customer = CUSTOMER.model_copy(update={
        "assessment_date": dt.datetime(2026, 3, 1, 23, tzinfo=UTC)})
    decision = ENGINE.check_suitability(customer, PRODUCT,
                                        as_of=dt.datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    assert decision.outcome in ("suitable", "conditional", "unsuitable")


def test_the_batch_path_takes_the_same_day() -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"id": ["c1"], "risk_level": ["C3"], "assessment_date": [dt.date(2025, 6, 1)],
                      "birth_date": [dt.date(1962, 5, 10)]})
    got = ENGINE.evaluate_table("suitability", table, as_of=LATE_UTC, products=[PRODUCT])
    expected = ENGINE.check_suitability(CUSTOMER, PRODUCT, as_of=dt.date(2026, 2, 1))
    assert got.column("outcome").to_pylist() == [expected.outcome] == ["unsuitable"]
    assert got.column("rule_ids").to_pylist() == [list(expected.rule_ids)]


@pytest.mark.parametrize(("as_of", "era"), [("2026-01-31T20:00:00Z", 1),
                                            ("2026-01-31T15:00:00Z", 0),
                                            ("2026-01-31", 0)])
def test_eval_takes_an_instant_as_the_api_does(tmp_path: object, as_of: str, era: int) -> None:
    """`finpolicy eval suitability … --as-of 2026-01-31T20:00:00Z` was refused as no ISO date,
    while the API, the service and an input's own as_of take an instant (its day in
    Beijing decides the version)."""
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from finpolicy.cli import main
    from tests.helpers.packversions import SUIT_2018, SUIT_2026

    path = Path(str(tmp_path)) / "sale.json"
    path.write_text(json.dumps({
        "customer": {"id": "c1", "risk_level": "C3", "assessment_date": "2026-01-10",
                     "birth_date": "1980-01-01"},
        "product": {"id": "p1", "kind": "fund", "risk_level": "R4"}}), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "suitability", str(path), "--as-of", as_of,
                                       "--json"])
    assert result.exit_code in (0, 1), result.output
    assert json.loads(result.stdout)[0]["policy"]["version"] == (SUIT_2018, SUIT_2026)[era]
    naive = CliRunner().invoke(main, ["eval", "suitability", str(path), "--as-of",
                                      "2026-01-31T20:00"])
    assert naive.exit_code == 3 and "needs a time zone offset" in naive.output
