"""Explanations through every door: ``engine.explain``, ``explain_json`` for an HTTP service,
``finpolicy eval --why``; clause traces that agree with both engines; suggestions as JSON
Patch; nothing on the normal path."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.explain import Change, apply_changes, explain, explain_json, explainer
from finpolicy.testing.cases import load_cases, load_examples

AT = "2026-03-02T10:00:00+08:00"
TELLER = {"id": "u-teller-1", "roles": ["teller"], "department": "retail", "branch": "BJ01"}
CORE_RECORD = {"type": "customer_record", "data_level": "core", "category": "basic_identity",
               "department": "retail", "branch": "BJ01"}
NO_GRANT = {"subject": TELLER, "action": "read", "resource": CORE_RECORD,
            "purpose": "account_service", "as_of": AT}


# --- the JSON Patch of suggestions ------------------------------------------------------------

def test_changes_apply_as_json_patch_to_a_copy() -> None:
    data = {"customer": {"risk_level": "C3", "history": ["2025-01-01"]}, "amount": 10.0}
    changed = apply_changes(data, [Change("replace", "/customer/risk_level", "C4"),
                                   Change("add", "/customer/history/-", "2026-01-01"),
                                   Change("add", "/customer/history/0", "2024-01-01"),
                                   Change("remove", "/amount")])
    assert changed == {"customer": {"risk_level": "C4",
                                    "history": ["2024-01-01", "2025-01-01", "2026-01-01"]}}
    assert data["amount"] == 10.0 and data["customer"]["history"] == ["2025-01-01"]


@pytest.mark.parametrize("change", [Change("replace", "/customer/age", 3),
                                    Change("remove", "/nothing"),
                                    Change("add", "customer", 1),
                                    Change("replace", "/customer/history/9", "x")])
def test_a_change_pointing_outside_the_input_is_an_input_error(change: Change) -> None:
    with pytest.raises(fp.InputError) as err:
        apply_changes({"customer": {"history": []}}, [change])
    assert err.value.problems[0].path == "changes.path"


# --- engine.explain ----------------------------------------------------------------------------

def test_a_clerk_is_told_which_grant_would_allow_a_core_read(
        engines: dict[str, fp.PolicyEngine]) -> None:
    x = engines["compiled"].explain("authorize", fp.AccessRequest.parse(NO_GRANT))
    assert x.outcome == "deny" and x.target == "allow"
    assert [o.id for o in x.why_not if o.role == "blocks"] == ["grant-missing"]
    nearest = next(o for o in x.why_not if o.id == "allow-with-grant")
    assert nearest.failed == 1 and "a presented grant is valid" in nearest.conditions[0].text
    first = x.suggestions[0]
    assert first.outcome == "allow" and first.levers == ("grant",)
    assert "grant for `account_service`" in first.text and "`department_head`" in first.text
    grant = first.changes[0].value
    assert first.changes[0].op == "add" and first.changes[0].path == "/grants/-"
    assert grant["approver_roles"] == ["department_head"] and grant["grantee"] == "u-teller-1"


def test_an_expired_assessment_is_explained_as_reassess(
        engines: dict[str, fp.PolicyEngine]) -> None:
    customer = fp.Customer(id="c1", risk_level="C3", assessment_date="2025-01-10",
                           birth_date="1980-05-10")
    product = fp.Product(id="p", kind="wealth_management", risk_level="R3")
    x = engines["compiled"].explain("check_suitability", customer, product, as_of="2026-03-01")
    assert x.outcome == "unsuitable"
    assert [o.id for o in x.why_not] == ["assessment-expired"]
    assert "the risk assessment has expired (it is true)" in x.text()
    best = x.suggestions[0]
    assert best.outcome == "suitable" and "assess the customer's risk tolerance again today" \
        in best.text
    assert {c.path for c in best.changes} == {"/customer/assessment_date",
                                              "/customer/assessment_history/-"}


def test_a_rule_on_facts_no_one_can_change_says_so(engines: dict[str, fp.PolicyEngine]) -> None:
    customer = {"id": "c9", "risk_level": "C3", "assessment_date": "2026-01-10",
                "legal_capacity": "none"}
    product = {"id": "p", "kind": "deposit", "risk_level": "R1", "principal_protected": True}
    x = engines["compiled"].explain("check_suitability", customer, product, as_of="2026-03-01")
    stuck = next(o for o in x.why_not if o.id == "no-legal-capacity")
    assert not stuck.changeable and not stuck.conditions[0].changeable
    assert x.suggestions == ()
    assert "cannot be changed by a person" in x.text() and "legal capacity" in x.notes[0]


def test_the_best_outcome_has_nothing_to_explain_away(
        engines: dict[str, fp.PolicyEngine]) -> None:
    x = engines["compiled"].explain("classify", fp.DataField(name="contact_phone"))
    assert x.outcome == "ordinary" and x.target is None
    assert x.why_not == () and x.suggestions == () and "why not" not in x.text()
    assert x.rules  # the traces are there all the same


@pytest.mark.parametrize("method", ["suitable_products", "complaint_sla_batch", "nothing"])
def test_methods_that_are_not_explained_are_named_in_the_error(
        engines: dict[str, fp.PolicyEngine], method: str) -> None:
    with pytest.raises(fp.InputError) as err:
        engines["compiled"].explain(method, [])
    assert method in str(err.value)


def test_a_review_is_not_explained_but_rejected_clearly(
        engines: dict[str, fp.PolicyEngine]) -> None:
    with pytest.raises(fp.InputError) as err:
        explain(engines["compiled"], "access", {"review": {"grants": [], "assignments": []}})
    assert "one access request" in str(err.value)


def test_explaining_leaves_the_decision_and_the_engine_as_they_were(
        engines: dict[str, fp.PolicyEngine]) -> None:
    engine = engines["compiled"]
    request = fp.AccessRequest.parse(NO_GRANT)
    before = engine.authorize(request)
    x = engine.explain("authorize", request)
    assert x.decision == before == engine.authorize(request)
    assert engine.runtime._observers == []  # nothing left watching the normal path


@pytest.mark.parametrize("name", ["compiled", "durable"])
def test_observers_of_the_engine_see_decisions_not_explanations(
        engines: dict[str, fp.PolicyEngine], name: str) -> None:
    engine, seen = engines[name], []
    request = fp.AccessRequest.parse(NO_GRANT)
    with engine.observe(lambda doc, ruleset, fact, matched: seen.append(ruleset)):
        x = engine.explain("authorize", request)
        assert x.suggestions and x.decision.engine == name
        assert seen == []
        engine.authorize(request)
    assert seen == ["access"]


# --- traces agree with the engines -----------------------------------------------------------

def _pack_inputs(bundle: fp.Bundle) -> list[tuple[str, Any, Any]]:
    return [(c.domain, c.input, c.as_of) for c in load_cases(bundle) + load_examples(bundle)]


@pytest.mark.parametrize("name", ["compiled", "durable"])
def test_clause_traces_agree_with_the_engine_on_every_pack_input(
        bundle: fp.Bundle, engines: dict[str, fp.PolicyEngine], name: str) -> None:
    explained = 0
    for domain, data, as_of in _pack_inputs(bundle):
        try:
            x = explain(engines[name], domain, data, as_of=as_of, limit=1)
        except (fp.InputError, fp.NotInForceError):  # examples of rejected inputs
            continue
        explained += 1
        assert x.rules and all(r.held == r.matched for r in x.rules), (domain, data)
        hit = {h.rule_id for h in x.decision.hits}
        held = {r.rule_id for r in x.rules if r.held}
        assert hit - {"default-deny"} <= held
    assert explained > 100


# --- JSON for an HTTP service ------------------------------------------------------------------

def test_explain_json_is_plain_json_with_traces_on_request(
        engines: dict[str, fp.PolicyEngine]) -> None:
    out = explain_json(engines["compiled"], "access", NO_GRANT, detail=True)
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out
    assert out["outcome"] == "deny" and out["target"] == "allow"
    assert {"domain", "decision", "input", "why_not", "suggestions", "notes", "rules"} <= set(out)
    rule = next(r for r in out["rules"] if r["rule_id"] == "allow-with-grant")
    assert rule["condition"]["kind"] == "all" and not rule["held"]
    leaf = rule["condition"]["items"][-1]
    assert leaf["fields"] == ["grant.valid"] and leaf["values"] == [False]
    change = out["suggestions"][0]["changes"][0]
    assert set(change) == {"op", "path", "value"}
    assert "rules" not in explain_json(engines["compiled"], "access", NO_GRANT)


def test_a_suggestion_applied_by_the_client_gives_the_promised_outcome(
        engines: dict[str, fp.PolicyEngine]) -> None:
    out = explain_json(engines["durable"], "access", NO_GRANT)
    for suggestion in out["suggestions"]:
        changed = apply_changes(out["input"], [Change(**c) for c in suggestion["changes"]])
        # the input's `assignments` stand for the role directory, which authorize takes apart
        directory = changed.pop("assignments", None)
        assert engines["durable"].authorize(changed, directory=directory).outcome == \
            suggestion["outcome"]


# --- roles a subject does not hold -------------------------------------------------------------

def test_no_role_is_suggested_unless_the_policy_lets_it_be_requested(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    no_roles = {"subject": {"id": "u7", "roles": [], "department": "retail", "branch": "BJ01"},
                "action": "read", "purpose": "account_service", "as_of": AT,
                "resource": dict(CORE_RECORD, data_level="ordinary")}
    shipped = explain(fp.PolicyEngine(bundle), "access", no_roles)
    requested = {s.text.split("`")[1] for s in shipped.suggestions if s.levers == ("role",)}
    assert requested == {"teller", "customer_manager"}  # the requestable roles that permit
    pack = tmp_path / "pack"
    shutil.copytree(bundle.root, pack)
    for path in pack.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if "kind: AccessPolicy" in text:
            data = yaml.safe_load(text)
            for role in data["spec"]["roles"].values():
                role.pop("requestable", None)
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    x = explain(fp.PolicyEngine(fp.load_bundle(pack)), "access", no_roles)
    assert x.outcome == "deny" and x.suggestions == ()
    assert "roles the subject does not hold" in x.notes[0]


# --- the CLI ---------------------------------------------------------------------------------

def _write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "input.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_eval_why_prints_why_not_and_what_would_change_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "access", _write(tmp_path, NO_GRANT), "--why"])
    assert result.exit_code == 1, result.output  # a denied request
    out = result.output
    assert "why not allow:" in out and "grant-missing [seed-000 §5.4] gives `deny`" in out
    assert "what would change it:" in out and "1. obtain a grant" in out
    assert "rules evaluated" not in out


def test_eval_trace_adds_every_rule_clause_by_clause(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "access", _write(tmp_path, NO_GRANT), "--trace"])
    assert result.exit_code == 1, result.output  # a denied request
    assert "rules evaluated (✓ held, ✗ did not):" in result.output
    assert "✗ allow-with-grant [seed-000 §5.4] → effect: allow" in result.output


def test_eval_why_json_gives_one_explanation_per_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "access",
                                       _write(tmp_path, [NO_GRANT, NO_GRANT]), "--why",
                                       "--json"])
    assert result.exit_code == 1, result.output  # a denied request
    data = json.loads(result.output)
    assert [x["outcome"] for x in data] == ["deny", "deny"] and "rules" not in data[0]


CONSENT_WITHDRAWN = {
    "request": {"customer": "cu-1", "purpose": "marketing", "channel": "sms", "as_of": AT},
    "consents": [{"id": "c-mkt", "customer": "cu-1", "purpose": "marketing",
                  "channels": ["sms"], "separate": True, "given_at": "2026-02-01T09:00:00+08:00",
                  "withdrawn_at": "2026-03-01T18:00:00+08:00", "evidence": "form-881",
                  "notice_version": "privacy-2025"}]}


def test_eval_why_explains_a_consent_decision(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "consent", _write(tmp_path, CONSENT_WITHDRAWN),
                                       "--why"])
    assert result.exit_code == 1, result.output  # a denied request
    out = result.output
    assert "why not allow:" in out and "consent-withdrawn [pipl Art. 15] gives `deny`" in out
    assert "`c-mkt` was withdrawn at 2026-03-01 18:00 (Asia/Shanghai)" in out
    assert "1. if the customer chooses to consent again, obtain from the customer a separate " \
           "consent to `marketing` naming the channel `sms`" in out
    assert "add /consents/-" in out and "a withdrawal is never undone" in out
    as_json = CliRunner().invoke(main, ["eval", "consent",
                                        _write(tmp_path, CONSENT_WITHDRAWN), "--why", "--json"])
    (x,) = json.loads(as_json.output)
    assert x["domain"] == "consent" and x["suggestions"][0]["outcome"] == "allow"


def test_eval_why_on_an_input_it_cannot_explain_exits_3(tmp_path: Path) -> None:
    data = {"record": {"id_number": "11010519491231002X"}}
    result = CliRunner().invoke(main, ["eval", "classification", _write(tmp_path, data),
                                       "--why"])
    assert result.exit_code == 3 and "one `field`" in result.output
    assert "Traceback" not in result.output


SALE = {"customer": {"id": "c1", "risk_level": "C3", "birth_date": "1980-01-01",
                     "assessment_date": "2026-01-10"},
        "product": {"id": "p1", "kind": "fund", "risk_level": "R3"}}


@pytest.mark.parametrize(("amount", "message"), [
    ("zzz", "amount: expected a number, or a decimal number written as text, got `zzz`"),
    (True, "amount: expected a number, got bool"),  # was taken as 1
    (10**400, "amount: expected a finite number of at most 1e+15"),  # an OverflowError
])
def test_eval_why_refuses_an_input_exactly_as_eval_does(tmp_path: Path, amount: Any,
                                                        message: str) -> None:
    path = tmp_path / "sale.json"
    path.write_text(json.dumps({**SALE, "amount": amount}), encoding="utf-8")
    for extra in ([], ["--why"], ["--trace", "--json"]):
        result = CliRunner().invoke(main, ["eval", "suitability", str(path),
                                           "--as-of", "2026-03-02", *extra])
        assert result.exit_code == 3, (extra, result.output)
        assert message in result.output and "Traceback" not in result.output
    with pytest.raises(fp.InputError, match=re.escape(message)):
        explain(fp.PolicyEngine(), "suitability", {**SALE, "amount": amount},
                as_of=dt.date(2026, 3, 2))


def test_eval_why_reads_an_amount_written_as_decimal_text_as_eval_does(tmp_path: Path) -> None:
    """The input form reads "100000.50" as that Decimal (as the service and the log keep
    money); the explanation reads the same input the same way."""
    path = tmp_path / "sale.json"
    path.write_text(json.dumps({**SALE, "amount": "100000.50"}), encoding="utf-8")
    codes = {CliRunner().invoke(main, ["eval", "suitability", str(path), "--as-of",
                                       "2026-03-02", *extra]).exit_code
             for extra in ([], ["--why"], ["--trace", "--json"])}
    assert codes == {0}


# --- no cost on the normal path --------------------------------------------------------------

def test_deciding_never_imports_the_explanation_machinery() -> None:
    code = ("import finpolicy as fp, sys; e = fp.PolicyEngine(); "
            f"e.authorize({NO_GRANT!r}); e.check_suitability({{'id': 'c'}}, "
            "{'id': 'p', 'kind': 'fund', 'risk_level': 'R1'}, as_of='2026-03-01'); "
            "print(sorted(m for m in sys.modules if m.startswith('finpolicy.explain') "
            "or m.endswith('.explain') or m == 'finpolicy.rules.evaluate'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_every_built_in_domain_explains(bundle: fp.Bundle) -> None:
    from finpolicy.domains.registry import domains

    for domain in domains():
        found = explainer(domain)
        assert found.domain == domain.name and found.operations and found.outcomes
        assert all(op in domain.operations for op in found.operations)


# --- classification and complaints --------------------------------------------------------

def test_id_numbers_in_a_free_text_column_are_counted_out_to_just_below_the_threshold(
        engines: dict[str, fp.PolicyEngine]) -> None:
    import random

    from finpolicy.testing import fakes

    rng = random.Random(1)
    samples = [fakes.resident_id(rng) for _ in range(9)] + ["call back tomorrow"]
    x = engines["compiled"].explain("classify", {"name": "remarks", "sample_values": samples})
    assert x.outcome == "core" and x.why_not[0].id == "core-id-number-by-content"
    (only,) = x.suggestions
    kept = only.changes[0].value
    # threshold 0.8: 4 of 5 would still count (0.8), 3 of 4 does not (0.75)
    assert "remove 6 of the 9 sample values" in only.text and len(kept) == 4
    assert only.outcome == "ordinary" and "call back tomorrow" in kept


def test_an_open_milestone_not_yet_due_is_met_by_recording_its_event_now(
        engines: dict[str, fp.PolicyEngine]) -> None:
    complaint = {"id": "c", "received_at": "2025-10-09T10:00:00+08:00", "channel": "phone",
                 "category": "product"}
    x = engines["compiled"].explain("complaint_sla", complaint,
                                    as_of="2025-10-09T11:00:00+08:00")
    assert x.outcome == "pending" and x.target == "met"
    assert {o.id for o in x.why_not} >= {"first_contact", "final_response"}
    texts = [s.text for s in x.suggestions]
    assert texts and all("now" in t for t in texts) and x.suggestions[0].outcome == "met"


def test_explanations_in_threads_match_those_taken_alone(
        bundle: fp.Bundle, engines: dict[str, fp.PolicyEngine]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    engine = engines["compiled"]
    inputs = [(d, data, as_of) for d, data, as_of in _pack_inputs(bundle)
              if d in ("access", "suitability")][:24]

    def one(item: tuple[str, Any, Any]) -> Any:
        domain, data, as_of = item
        try:
            x = explain(engine, domain, data, as_of=as_of)
        except (fp.InputError, fp.NotInForceError):
            return None
        out = x.to_dict(detail=True)
        out["decision"].pop("evaluated_at")
        return out

    alone = [one(item) for item in inputs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        noise = pool.submit(lambda: [engine.authorize(NO_GRANT) for _ in range(300)])
        together = list(pool.map(one, inputs))
        noise.result()
    assert together == alone
