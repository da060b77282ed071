"""The engine's own look-ups (``policy``, ``run``, ``ref``) as an application calls them:
with the times it has at hand, and errors that name the argument."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import finpolicy as fp

PACK = Path(__file__).resolve().parents[2] / "policies" / "cn-banking"
WEST = dt.timezone(dt.timedelta(hours=-8))


@pytest.fixture(scope="module")
def engine() -> fp.PolicyEngine:
    return fp.PolicyEngine(fp.load_bundle(PACK))


def test_policy_takes_an_aware_datetime_and_iso_text_like_as_of(engine: fp.PolicyEngine
                                                                 ) -> None:
    # a datetime is a date to a type checker; it raised TypeError: can't compare
    # datetime.datetime to datetime.date
    late = dt.datetime(2026, 1, 31, 20, 0, tzinfo=WEST)
    assert engine.policy("SuitabilityPolicy", late).version == "1.3.0"
    assert engine.policy("SuitabilityPolicy", "2026-02-01").version == "2.3.0"
    assert engine.policy("SuitabilityPolicy", late) is \
        engine.policy("SuitabilityPolicy", dt.date(2026, 1, 31))


@pytest.mark.parametrize(("on", "message"), [
    (dt.datetime(2026, 3, 1, 10, 0), "naive datetime"),
    ("1 March", "expected an ISO date"),
    (20260301, "expected a date, got int"),
])
def test_policy_on_a_day_that_is_no_date_names_on(engine: fp.PolicyEngine, on: object,
                                                  message: str) -> None:
    with pytest.raises(fp.InputError, match=message) as caught:
        engine.policy("SuitabilityPolicy", on)  # type: ignore[arg-type]
    assert caught.value.fields == ("on",)


def test_policy_of_no_kind_names_kind(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError, match="expected a policy kind or its name") as caught:
        engine.policy(None, dt.date(2026, 3, 1))  # type: ignore[call-overload]
    assert caught.value.fields == ("kind",)


def test_run_of_an_unknown_rule_set_or_no_fact_names_it(engine: fp.PolicyEngine) -> None:
    doc = engine.policy("SuitabilityPolicy", dt.date(2026, 3, 1))
    with pytest.raises(fp.InputError, match=r"has no rule set `suitabilty` \(its rule sets: "
                                            r"suitability\)") as caught:
        engine.run(doc, "suitabilty", {})
    assert caught.value.fields == ("ruleset",)
    with pytest.raises(fp.InputError, match="expected a mapping") as caught:
        engine.run(doc, "suitability", None)  # type: ignore[arg-type]
    assert caught.value.fields == ("fact",)


def test_a_document_swapped_out_is_named_not_a_key_error(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(PACK, folder)
    engine = fp.PolicyEngine(fp.load_bundle(folder))
    doc = engine.policy("SuitabilityPolicy", dt.date(2026, 3, 1))
    text = (folder / "suitability-2026.yaml").read_text(encoding="utf-8")
    (folder / "suitability-2026.yaml").write_text(
        text.replace("version: 2.3.0", "version: 2.3.1", 1), encoding="utf-8")
    engine.swap(fp.load_bundle(folder))
    for call in (lambda: engine.run(doc, "suitability", {}), lambda: engine.ref(doc)):
        with pytest.raises(fp.InputError, match=r"`cn-suitability` 2.3.0 is no document of "
                                                r"bundle cn-banking") as caught:
            call()
        assert caught.value.fields == ("doc",)
    fresh = engine.policy("SuitabilityPolicy", dt.date(2026, 3, 1))
    assert engine.ref(fresh).version == "2.3.1"
    assert [r.id for r in engine.run(fresh, "suitability", {})] == ["risk-disclosure"]
