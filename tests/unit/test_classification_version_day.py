"""The classification policy in force is the one of the instant's day in the policy's time
zone (``settings.time_zone``, default Asia/Shanghai, as its ``effective_from`` reads), as for
the other domains: a call without ``as_of`` made at 04:00 on 1 January in Beijing (20:00 UTC
the day before) is classified by the version that starts that day, on every path (single
calls, records, masking, tables, scans, explanations)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.domains.clock import decided_at
from tests.helpers.packversions import with_classification_from_2027

BJ = dt.timezone(dt.timedelta(hours=8))
NEW_YEAR_UTC = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)  # 2027-01-01 04:00 in Beijing
EVE_UTC = dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)  # 2026-12-31 23:00 in Beijing
NAME = "loyalty_code"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> fp.PolicyEngine:
    root = with_classification_from_2027(fp.load_bundle(), tmp_path_factory.mktemp("p") / "p",
                                         core_name=NAME)
    return fp.PolicyEngine(fp.load_bundle(root))


def _version(decision: fp.ClassificationDecision) -> str:
    return decision.policy.version


@pytest.mark.parametrize("when", [NEW_YEAR_UTC, NEW_YEAR_UTC.astimezone(BJ),
                                  NEW_YEAR_UTC.isoformat(), "2027-01-01T04:00:00+08:00"])
def test_the_same_instant_in_utc_and_in_beijing_time_is_classified_by_one_version(
        engine: fp.PolicyEngine, when: object) -> None:
    """Written in UTC, the instant was classified by the old version (its own date)."""
    decision = engine.classify(NAME, as_of=when)  # type: ignore[arg-type]
    assert (_version(decision), str(decision.level), decision.as_of) == \
        ("9.0.0", "core", dt.date(2027, 1, 1))


def test_the_eve_in_beijing_is_the_old_version_s_last_day(engine: fp.PolicyEngine) -> None:
    decision = engine.classify(NAME, as_of=EVE_UTC)
    assert _version(decision) != "9.0.0" and decision.as_of == dt.date(2026, 12, 31)
    # a date is the day as given
    assert _version(engine.classify(NAME, as_of=dt.date(2027, 1, 1))) == "9.0.0"


def test_a_call_without_as_of_is_classified_on_today_in_the_policy_s_zone(
        engine: fp.PolicyEngine) -> None:
    """It was the machine's date: on a server in UTC, from 00:00 to 08:00 in Beijing on the
    first day of a version, the old one classified."""
    with decided_at(NEW_YEAR_UTC):
        assert _version(engine.classify(NAME)) == "9.0.0"
        record = engine.classify_record({NAME: "A-1"})
        assert record.as_of == dt.date(2027, 1, 1) and str(record.level) == "core"
        assert engine.mask("A1234", field=NAME) != "A1234"
        assert engine.explain("classify", NAME).decision.policy.version == "9.0.0"


def test_tables_and_scans_take_an_instant_on_its_day_in_the_policy_s_zone(
        engine: fp.PolicyEngine, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow as pa

    table = pa.table({NAME: ["A-1", "B-2"]})
    out = engine.evaluate_table("classification", table, as_of=NEW_YEAR_UTC)
    assert set(out.column("level").to_pylist()) == {"core"}
    book = tmp_path / "book.csv"
    book.write_text(f"{NAME}\nA-1\nB-2\n", encoding="utf-8")
    report = engine.scan(book, as_of=NEW_YEAR_UTC)
    assert report.as_of == dt.date(2027, 1, 1)
    assert str(report.columns[0].classification.level) == "core"


def test_an_unknown_time_zone_is_an_error_of_the_classification_policy(
        tmp_path: Path) -> None:
    root = with_classification_from_2027(fp.load_bundle(), tmp_path / "p", core_name=NAME,
                                         zone="Asia/Beijing")
    with pytest.raises(fp.PolicyError) as caught:
        fp.load_bundle(root)
    assert any(p.code == "unknown_time_zone" and p.path.endswith("settings.time_zone")
               for p in caught.value.problems), caught.value
