"""An application's use of explanations: the input an explanation holds, with a suggestion's
changes applied, reads back through every door (``explain``, ``finpolicy eval``) and gives
the suggested outcome; the arguments of an explained call are checked as the call checks
them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.domains.registry import domain
from finpolicy.explain import apply_changes, explain

CST = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 2, 10, tzinfo=CST)
THIRD_TODAY = {"id": "cust-005", "risk_level": "C4",
               "assessment_date": "2026-03-10T15:00:00+08:00",
               "assessment_history": ["2026-03-10T09:30:00+08:00",
                                      "2026-03-10T11:00:00+08:00"]}
FUND = {"id": "fund-mix-2", "kind": "fund", "risk_level": "R3"}


@pytest.fixture(scope="module")
def engine() -> fp.PolicyEngine:
    return fp.PolicyEngine()


def _explained(engine: fp.PolicyEngine) -> dict[str, Any]:
    sms = {"id": "c-1", "customer": "cu-1", "purpose": "marketing", "channels": ["sms"],
           "separate": True, "given_at": AT - dt.timedelta(days=30), "evidence": "f-1",
           "notice_version": "privacy-2025"}
    request = {"customer": "cu-1", "purpose": "marketing", "channel": "sms",
               "as_of": AT.replace(hour=22)}
    complaint = {"id": "cmp-1", "received_at": AT, "channel": "phone", "category": "product",
                 "severity": "general"}
    access = {"subject": {"id": "u-1", "roles": ["teller"], "department": "retail",
                          "branch": "BJ01"},
              "action": "read", "purpose": "account_service", "as_of": AT,
              "resource": {"type": "customer_record", "data_level": "core",
                           "category": "basic_identity", "department": "retail",
                           "branch": "BJ01"}}
    return {
        "suitability": engine.explain("check_suitability", THIRD_TODAY, FUND,
                                      as_of=dt.date(2026, 3, 10)),
        "classification": engine.explain("classify", {"name": "col_7", "sample_values":
                                                      ["11010519491231002X"]},
                                         as_of=dt.date(2026, 3, 1)),
        "consent": engine.explain("check_processing", request, consents=[sms]),
        "complaints": engine.explain("complaint_sla", complaint,
                                     as_of=AT + dt.timedelta(days=20)),
        "access": engine.explain("authorize", access),
    }


def test_an_explanations_input_with_a_suggestions_changes_reads_back(
        engine: fp.PolicyEngine) -> None:
    # suitability and classification refused the `as_of` their explanation's input carries
    # ('as_of: unknown key', '`field` comes alone'), so a client applying a suggestion's
    # JSON Patch to `input` could not ask again
    for name, x in _explained(engine).items():
        data = json.loads(json.dumps(x.to_dict()["input"]))
        assert explain(engine, name, data).decision.rule_ids == x.decision.rule_ids, name
        assert domain(name).evaluate_input(engine.runtime, data)[0].outcome == x.outcome
        assert x.suggestions, name
        for suggestion in x.suggestions:
            changed = apply_changes(data, suggestion.changes)
            assert explain(engine, name, changed).outcome == suggestion.outcome, name


def test_a_suggestion_to_wait_changes_the_inputs_as_of(engine: fp.PolicyEngine) -> None:
    x = engine.explain("check_suitability", THIRD_TODAY, FUND, as_of=dt.date(2026, 3, 10))
    wait = next(s for s in x.suggestions if any(c.path == "/as_of" for c in s.changes))
    changed = apply_changes(x.input, wait.changes)
    assert changed["as_of"] != "2026-03-10"
    assert explain(engine, "suitability", changed).outcome == wait.outcome != x.outcome
    # an as_of given apart still wins over the data's own, as for complaints
    later = explain(engine, "suitability", changed, as_of=dt.date(2027, 6, 1))
    assert later.decision.to_dict()["as_of"] == "2027-06-01"


def test_an_explained_call_refuses_an_argument_the_call_would_not_take(
        engine: fp.PolicyEngine) -> None:
    # `amout=` (a typo of amount) and a third input were dropped without a word: the
    # explanation was of another call than the one written
    day = dt.date(2026, 3, 10)
    with pytest.raises(fp.InputError) as typo:
        engine.explain("check_suitability", THIRD_TODAY, FUND, as_of=day, amout=500_000)
    assert typo.value.fields == ("amout",)
    assert "takes no argument `amout`" in str(typo.value)
    with pytest.raises(fp.InputError) as extra:
        engine.explain("check_suitability", THIRD_TODAY, FUND, 500_000, as_of=day)
    assert extra.value.fields == ("args",)
    assert "takes 2 inputs (customer, product), got 3" in str(extra.value)
    with pytest.raises(fp.InputError, match="given twice"):
        engine.explain("classify", "id_number", field="name")
    with pytest.raises(fp.InputError, match="takes no argument `consent`"):
        engine.explain("check_processing", {"customer": "cu-1", "purpose": "marketing"},
                       consent=[])
    # inputs may be named, and a call's deprecated names still work
    assert engine.explain("check_suitability", customer=THIRD_TODAY, product=FUND,
                          as_of=day).outcome == "unsuitable"
    complaint = {"id": "cmp-1", "received_at": AT, "channel": "phone",
                 "category": "product", "severity": "general"}
    with pytest.warns(DeprecationWarning, match="`now` of complaint_sla"):
        assert engine.explain("complaint_sla", complaint,
                              now=AT + dt.timedelta(days=20)).outcome == "breached"


@pytest.mark.parametrize("limit", [0, -1, True, "3", 2.0, None])
def test_an_explanation_limit_is_a_whole_number_of_at_least_one(
        engine: fp.PolicyEngine, limit: Any) -> None:
    # limit=0 gave no suggestion and said "no change to facts a person can change gives a
    # better outcome" of a sale that a lower-rated product makes suitable; "3" a TypeError
    with pytest.raises(fp.InputError) as error:
        engine.explain("check_suitability", THIRD_TODAY, FUND, as_of=dt.date(2026, 3, 10),
                       limit=limit)
    assert error.value.fields == ("limit",)
    assert engine.explain("check_suitability", THIRD_TODAY, FUND, as_of=dt.date(2026, 3, 10),
                          limit=1).suggestions


def test_consent_records_of_one_customer_count_however_the_id_is_spelt(
        engine: fp.PolicyEngine) -> None:
    # contacts recorded for `CU-1` or `cu-1 ` did not count under the frequency cap of
    # `cu-1` (the cap failed open), nor did a withdrawal recorded under another spelling
    sms = {"id": "c-1", "customer": "cu-1", "purpose": "marketing", "channels": ["sms"],
           "separate": True, "given_at": AT - dt.timedelta(days=30), "evidence": "f-1",
           "notice_version": "privacy-2025"}
    request = {"customer": "cu-1", "purpose": "marketing", "channel": "sms", "as_of": AT}
    assert engine.check_processing(request, consents=[sms]).allowed
    for spelling in ("CU-1", "cu-1 ", "ｃｕ-1", "cu\u200b-1"):
        contacts = [{"id": f"k-{i}", "customer": spelling, "channel": "sms",
                     "purpose": "marketing", "at": AT - dt.timedelta(days=i + 1)}
                    for i in range(10)]
        capped = engine.check_processing(request, consents=[sms], contacts=contacts)
        assert capped.rule_ids == ("frequency-cap-reached",), spelling
        withdrawn = {**sms, "id": "c-0", "customer": spelling,
                     "given_at": AT - dt.timedelta(days=40),
                     "withdrawn_at": AT - dt.timedelta(hours=1)}
        gone = engine.check_processing(request, consents=[withdrawn, sms])
        assert gone.rule_ids == ("consent-withdrawn",), spelling
        review = engine.review_consents([withdrawn], contacts=[contacts[0] | {
            "at": AT - dt.timedelta(minutes=30)}], as_of=AT)
        assert [f.kind for f in review.findings] == ["contact_after_withdrawal"], spelling
    customer = fp.CampaignCustomer(id=" CU-1", channels=["sms"])
    assert engine.plan_campaign([customer], consents=[sms], as_of=AT).entries[0].status == "now"
    with pytest.raises(fp.InputError, match="blank id"):
        fp.Consent(**{**sms, "customer": "\u200b "})


@pytest.mark.parametrize("day", [dt.date(2026, 3, 2), "2026-03-02"])
def test_a_campaign_time_is_no_bare_date(engine: fp.PolicyEngine, day: Any) -> None:
    # a date was taken as its midnight UTC (08:00 in Beijing) and the plan said `now`,
    # although the allowed hours need the time of day the campaign runs
    with pytest.raises(fp.InputError) as error:
        engine.plan_campaign([{"id": "cu-1", "channels": ["sms"]}], as_of=day)
    assert error.value.fields == ("as_of",)
    assert "got a date" in str(error.value)
    # a review still reads a date as its midnight UTC, as documented
    assert engine.review_consents([], as_of=day).findings == ()


@pytest.mark.slow
def test_mypy_strict_takes_the_documented_retention_calls(tmp_path: Path) -> None:
    # the classification guide's `h.audit_log_retention.describe()` and
    # `handling.retention.last_day(...)` were mypy errors: typed `Period | None`, always set
    pytest.importorskip("mypy")
    script = tmp_path / "user.py"
    script.write_text(textwrap.dedent("""
        import datetime as dt

        import finpolicy as fp

        engine = fp.PolicyEngine(fp.load_bundle())
        h = engine.classify(fp.DataField(name="contact_phone")).handling
        print(h.audit_log_retention.describe(), h.retention.last_day(dt.date(2028, 2, 29)))
    """), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(script)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("first", ["from finpolicy.testing import strategies",
                                   "import finpolicy, finpolicy.testing.strategies"])
def test_the_strategies_import_first_in_a_fresh_interpreter(first: str) -> None:
    # importing them before hypothesis raised ImportError (a circular import through
    # hypothesis' entry point): only a process that had imported hypothesis, as pytest has,
    # could use them
    code = (f"{first}\nimport finpolicy.testing.strategies as s\n"
            "import finpolicy as fp\nfrom hypothesis import strategies as st\n"
            "print(s.customers, st.from_type(fp.Customer))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_a_copy_with_changes_is_a_new_validated_input(engine: fp.PolicyEngine) -> None:
    # model_copy(update=...), as the guides use it, skipped validation and kept what the
    # original had cached: a copy rated C5 was decided as the C3 original, a naive time was
    # evaluated, and a value of the wrong type raised a TypeError from inside the decision
    day = dt.date(2026, 3, 1)
    customer = fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2026, 1, 10))
    product = fp.Product(id="p1", kind="wealth_management", risk_level="R4")
    assert engine.check_suitability(customer, product, as_of=day).outcome == "unsuitable"
    bolder = customer.model_copy(update={"risk_level": "C5"})
    decided = engine.check_suitability(bolder, product, as_of=day)
    fresh = fp.Customer(**{**customer.model_dump(), "risk_level": "C5"})
    assert (decided.outcome, decided.customer_level) == ("suitable", "C5")
    assert decided.input_digest == engine.check_suitability(fresh, product, as_of=day).input_digest
    safer = product.model_copy(update={"risk_level": "R1"})
    assert safer.digest() == fp.Product(**{**product.model_dump(), "risk_level": "R1"}).digest()
    for model, update, field in [
            (customer, {"assessment_date": dt.datetime(2026, 1, 10)}, "assessment_date"),
            (customer, {"investable_assets": "lots"}, "investable_assets"),
            (customer, {"nickname": "x"}, "nickname"),
            (fp.ProcessingRequest(customer="cu-1", purpose="marketing", as_of=AT),
             {"as_of": dt.datetime(2026, 3, 2, 22)}, "as_of")]:
        with pytest.raises(fp.InputError) as error:
            model.model_copy(update=update)
        assert error.value.fields == (field,)
    subject = fp.Subject(id="u-1", roles=["teller"]).model_copy(update={"id": " U-1\u200b"})
    assert subject.id == "u-1"  # canonical, as any new subject
    assert customer.model_copy() == customer


def test_an_evaluated_customer_and_product_still_pickle_and_copy(
        engine: fp.PolicyEngine) -> None:
    # the facts cached on them by a decision hold the compiled policy: pickling or
    # deep-copying an evaluated customer raised "cannot pickle 'mappingproxy' object"
    import copy
    import pickle

    customer = fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2026, 1, 10))
    product = fp.Product(id="p1", kind="wealth_management", risk_level="R4")
    day = dt.date(2026, 3, 1)
    decision = engine.check_suitability(customer, product, as_of=day)
    for model in (customer, product):
        for copied in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model),
                       model.model_copy(deep=True)):
            assert copied == model and copied.digest() == model.digest()
    again = engine.check_suitability(pickle.loads(pickle.dumps(customer)),
                                     copy.deepcopy(product), as_of=day)
    assert (again.outcome, again.input_digest) == (decision.outcome, decision.input_digest)


def test_swap_refuses_none_and_keeps_the_bundle() -> None:
    # swap(None) silently replaced a bank's own pack with the shipped cn-banking pack
    from finpolicy.documents.bundle import shipped_packs

    engine = fp.PolicyEngine(fp.load_bundle(shipped_packs() / "uk-fca"))
    with pytest.raises(fp.InputError) as error:
        engine.swap(None)  # type: ignore[arg-type]
    assert error.value.fields == ("bundle",)
    assert engine.bundle.name == "uk-fca"


def test_an_explained_call_warns_of_a_deprecated_time_name_as_the_call_does() -> None:
    # explain("complaint_sla", now=…) was taken silently; complaint_sla(now=…) warns
    engine = fp.PolicyEngine()
    complaint = fp.Complaint(id="c1", received_at=AT, channel="phone", category="service")
    later = AT + dt.timedelta(days=1)
    with pytest.warns(DeprecationWarning, match="`now` of complaint_sla is deprecated") as seen:
        explained = engine.explain("complaint_sla", complaint, now=later)
    assert seen[0].filename == __file__  # the warning points at the caller's line
    decided = engine.complaint_sla(complaint, as_of=later).to_dict()
    assert {**explained.decision.to_dict(), "evaluated_at": None} == {**decided,
                                                                     "evaluated_at": None}
    with pytest.raises(fp.InputError, match="give `as_of` or the deprecated `now`, not both"), \
            pytest.warns(DeprecationWarning):
        engine.explain("complaint_sla", complaint, now=later, as_of=later)
