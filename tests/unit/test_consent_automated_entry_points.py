"""Decisions made solely by automated means (PIPL Art. 24 ¶3) through every entry point: the
typed API, ``finpolicy eval consent FILE`` (one request, a list, a review of the processing
done), the HTTP service and the decision log's replay take ``automated_decision`` and
``automated_refusal`` alike, decide alike and refuse a bad one naming the same field."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, replay_log
from finpolicy.cli import main
from finpolicy.serve import Service, create_app

AT = "2026-03-02T10:00:00+08:00"
REFUSAL = {"id": "r-1", "refused_at": "2026-02-10T10:00:00+08:00", "evidence": "form-912"}
# (request, outcome, rules, obligations): refused, not refused, refusal withdrawn before,
# decided by a person, and a purpose the policy does not name significant
CASES: list[tuple[dict[str, Any], str, list[str], list[str]]] = [
    ({"automated_decision": True, "automated_refusal": REFUSAL}, "deny",
     ["solely-automated-after-refusal"], ["human_review"]),
    ({"automated_decision": True}, "allow", ["allow-without-consent"], ["explain_decision"]),
    ({"automated_decision": True,
      "automated_refusal": {**REFUSAL, "withdrawn_at": "2026-03-01T09:00:00+08:00"}},
     "allow", ["allow-without-consent"], ["explain_decision"]),
    ({"automated_decision": False, "automated_refusal": REFUSAL}, "allow",
     ["allow-without-consent"], []),
    ({"purpose": "risk_monitoring", "automated_decision": True, "automated_refusal": REFUSAL},
     "allow", ["allow-without-consent"], []),
]


def request(**changes: Any) -> dict[str, Any]:
    return {"id": "app-7", "customer": "cu-1", "purpose": "credit_review", "as_of": AT,
            **changes}


def _seen(decision: dict[str, Any]) -> tuple[str, list[str], list[str], str]:
    return (decision["outcome"], [h["rule_id"] for h in decision["hits"]],
            list(decision["obligations"]), decision["input_digest"])


@pytest.fixture(scope="module")
def client(bundle: fp.Bundle) -> Iterator[TestClient]:
    with TestClient(create_app(Service(fp.PolicyEngine(bundle)))) as http:
        yield http


def test_every_entry_point_decides_an_automated_decision_alike(
        tmp_path: Path, engine: fp.PolicyEngine, client: TestClient) -> None:
    bodies = [request(**changes) for changes, *_ in CASES]
    expected = [(outcome, rules, obligations) for _, outcome, rules, obligations in CASES]
    api = [engine.check_processing(body) for body in bodies]
    assert [(d.outcome, list(d.rule_ids), list(d.obligations)) for d in api] == expected
    typed = [_seen(d.to_dict()) for d in api]
    # the command line, on a list of inputs
    path = tmp_path / "book.json"
    path.write_text(json.dumps([{"request": b} for b in bodies]), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "consent", str(path), "--json"])
    assert result.exit_code == 1, result.output  # one decision is denied
    assert [_seen(d) for d in json.loads(result.stdout)] == typed
    # the service
    served = [client.post("/v1/consent/check_processing", json={"request": b}) for b in bodies]
    assert [r.status_code for r in served] == [200] * len(bodies)
    assert [_seen(r.json()["result"]) for r in served] == typed


def test_the_night_s_review_of_the_processing_done_reports_the_same_decision(
        tmp_path: Path, engine: fp.PolicyEngine) -> None:
    done = [request(id=f"p-{i}", **changes) for i, (changes, *_) in enumerate(CASES)]
    review = {"review": {"as_of": "2026-03-03T10:00:00+08:00", "consents": [],
                         "processing": done}}
    report = engine.review_consents([], processing=done, as_of=review["review"]["as_of"])
    assert [(f.kind, f.use) for f in report.findings] == [
        ("automated_decision_after_refusal", "p-0")]
    path = tmp_path / "review.yaml"
    path.write_text(json.dumps(review), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "consent", str(path), "--json"])
    assert result.exit_code == 0, result.output  # a finding is reported, not a refusal
    assert [(d["outcome"], [h["rule_id"] for h in d["hits"]])
            for d in json.loads(result.stdout)] == [
        ("automated_decision_after_refusal", ["review-automated-after-refusal"])]


def test_a_logged_automated_decision_replays_to_the_same_decision(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    where = str(tmp_path / "log")
    with DecisionLog(where, keys=keys) as log:
        logged = fp.PolicyEngine(fp.load_bundle(), log=log)
        decisions = [logged.check_processing(request(**changes)) for changes, *_ in CASES]
    assert decisions[0].obligations == ("human_review",)
    replay = replay_log(where, keys)
    assert replay.entries == len(CASES)
    assert replay.reproduced, replay.mismatches[:3]


BAD = [
    ({"automated_decision": "maybe"}, "request.automated_decision", "valid boolean"),
    ({"automated_decision": None}, "request.automated_decision", "valid boolean"),
    ({"automated_refusal": "2026-02-10"}, "request.automated_refusal", "mapping"),
    ({"automated_refusal": {"refused_at": "2026-02-10T10:00:00"}},
     "request.automated_refusal.refused_at", "timezone"),
    ({"automated_refusal": {"id": "r-1"}}, "request.automated_refusal.refused_at",
     "field required"),
    ({"automated_refusal": {**REFUSAL, "withdrawn_at": "2026-01-01T10:00:00+08:00"}},
     "request.automated_refusal.withdrawn_at", "before the refusal"),
    ({"automated_refusal": {**REFUSAL, "withdrawn": "2026-03-01T10:00:00+08:00"}},
     "request.automated_refusal.withdrawn", "extra inputs"),
]


@pytest.mark.parametrize(("changes", "field", "words"), BAD)
def test_a_bad_automated_input_is_refused_alike_naming_its_field(
        tmp_path: Path, engine: fp.PolicyEngine, client: TestClient,
        changes: dict[str, Any], field: str, words: str) -> None:
    body = request(automated_decision=True, **{k: v for k, v in changes.items()
                                               if k != "automated_decision"})
    if "automated_decision" in changes:
        body["automated_decision"] = changes["automated_decision"]
    with pytest.raises(fp.InputError) as info:
        engine.check_processing(body)
    assert [p.path for p in info.value.problems] == [field]
    assert words in info.value.problems[0].message
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"request": body}, indent=1), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "consent", str(path)])
    assert result.exit_code == 3, result.output
    assert f"{field}: " in result.output and words in result.output
    answer = client.post("/v1/consent/check_processing", json={"request": body})
    assert answer.status_code == 422, answer.text
    assert field in answer.text and words in answer.text


def test_a_date_of_a_refusal_given_as_a_bare_date_is_refused() -> None:
    # a date has no instant: whether the refusal held at 10:00 that day cannot be told
    with pytest.raises(fp.InputError) as info:
        fp.Refusal(refused_at=dt.date(2026, 2, 10))  # type: ignore[arg-type]
    assert [p.path for p in info.value.problems] == ["refused_at"]


def test_a_review_s_finding_names_whose_record_it_is(tmp_path: Path) -> None:
    # `finpolicy eval consent` printed "automated_decision_after_refusal ... because: ..."
    # and nothing of the customer, the record or the severity: the night's review could not
    # be acted on
    done = [request(id="p-auto", customer="cu-9", automated_decision=True,
                    automated_refusal=REFUSAL)]
    path = tmp_path / "review.json"
    path.write_text(json.dumps({"review": {"as_of": "2026-03-03T10:00:00+08:00",
                                           "consents": [], "processing": done}}),
                    encoding="utf-8")
    text = CliRunner().invoke(main, ["eval", "consent", str(path)])
    assert "customer cu-9, use p-auto; severity high" in text.output, text.output
    result = CliRunner().invoke(main, ["eval", "consent", str(path), "--json"])
    [finding] = json.loads(result.stdout)
    assert (finding["customer"], finding["use"], finding["consent_id"],
            finding["severity"]) == ("cu-9", "p-auto", None, "high")
