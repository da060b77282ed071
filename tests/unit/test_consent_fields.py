"""Fields of a processing request: classified by the bundle, or refused when no rule knows
them (their sensitivity, and so the consent they need, is unknown)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

BJ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
BUNDLED = fp.Consent(id="c-a", customer="cu-1", purpose="analytics",
                     given_at=AT - dt.timedelta(days=30), evidence="app-1",
                     notice_version="privacy-2025")


def test_a_field_no_classification_rule_knows_is_refused_naming_it(
        engine: fp.PolicyEngine) -> None:
    # a field no rule knows (it could hold biometrics, PIPL Art. 28) was read as ordinary
    # data: profiling on it was allowed on a bundled consent
    request = fp.ProcessingRequest(customer="cu-1", purpose="analytics",
                                   fields=["name", "scan_7"], as_of=AT)
    with pytest.raises(fp.InputError, match="`scan_7`") as caught:
        engine.check_processing(request, consents=[BUNDLED])
    [problem] = caught.value.problems
    assert (problem.path, problem.code, problem.value) == (
        "request.fields", "unclassified_field", "scan_7")


def test_biometrics_are_core_data_that_a_bundled_consent_does_not_cover(
        engine: fp.PolicyEngine) -> None:
    # cn-classification 1.3.0 knows biometric fields (PIPL Art. 28): sensitive, so profiling
    # on a fingerprint needs a separate consent
    assert engine.classify(fp.DataField(name="fingerprint")).outcome == "core"
    request = fp.ProcessingRequest(customer="cu-1", purpose="analytics",
                                   fields=["name", "fingerprint"], as_of=AT)
    decision = engine.check_processing(request, consents=[BUNDLED])
    assert not decision.allowed
    assert decision.rule_ids == ("consent-not-separate",)


def test_the_level_named_instead_decides_and_known_fields_still_classify(
        engine: fp.PolicyEngine) -> None:
    named = fp.ProcessingRequest(customer="cu-1", purpose="analytics", data_levels=["core"],
                                 as_of=AT)
    assert engine.check_processing(named, consents=[BUNDLED]).rule_ids == (
        "consent-not-separate",)
    known = fp.ProcessingRequest(customer="cu-1", purpose="analytics", fields=["name"],
                                 as_of=AT)
    decision = engine.check_processing(known, consents=[BUNDLED])
    assert decision.allowed and decision.categories == ("basic_identity",)


def test_a_reviewed_processing_record_with_an_unknown_field_names_the_record(
        engine: fp.PolicyEngine) -> None:
    done = fp.ProcessingRequest(id="p-1", customer="cu-1", purpose="analytics",
                                fields=["device_blob"], as_of=AT - dt.timedelta(days=1))
    with pytest.raises(fp.InputError) as caught:
        engine.review_consents([BUNDLED], processing=[done], as_of=AT)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("processing.0.fields", "unclassified_field")]


def test_finpolicy_eval_refuses_the_unknown_field_with_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "request.yaml"
    path.write_text(yaml.safe_dump({
        "request": {"customer": "cu-1", "purpose": "analytics", "fields": ["scan_7"],
                    "as_of": AT.isoformat()},
        "consents": [BUNDLED.model_dump(mode="json")]}), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "consent", str(path)])
    assert result.exit_code == 3, result.output
    assert "scan_7" in result.output and "Traceback" not in result.output
