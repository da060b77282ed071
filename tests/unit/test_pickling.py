"""Decisions and errors cross process boundaries whole: a nightly batch on a process pool
gets back the decisions (and the errors) its workers made, equal to those made at home."""

from __future__ import annotations

import concurrent.futures
import copy
import datetime as dt
import multiprocessing
import pickle
import shutil
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs
import pytest

import finpolicy as fp
from finpolicy.domains import domain_module
from finpolicy.errors import CalendarError, Problem
from finpolicy.integrations import AccessDenied
from finpolicy.rules.patterns import compile_pattern
from tests.helpers import pool_worker
from tests.helpers.directory import DIRECTORY
from tests.helpers.examples import example_cases, when
from tests.unit.test_audit_domains import AT, SHARE, consent, export_access

AS_OF = "2026-02-01T12:00:00+08:00"


CASES = example_cases()


def test_the_examples_cover_every_domain() -> None:
    assert {domain for domain, _, _ in CASES} >= {
        "classification", "access", "suitability", "complaints", "consent"}


@pytest.mark.parametrize(("domain", "name", "case"), CASES, ids=lambda v: str(v)[:40])
def test_a_decision_pickled_or_copied_is_the_same_decision(
        domain: str, name: str, case: dict[str, Any],
        engines: dict[str, fp.PolicyEngine]) -> None:
    decisions = domain_module(domain).evaluate_input(engines["compiled"], case["input"],
                                                     as_of=when(case.get("as_of")))
    assert decisions, name
    for decision in decisions:
        for again in (pickle.loads(pickle.dumps(decision)), copy.deepcopy(decision),
                      copy.copy(decision)):
            assert type(again) is type(decision)
            assert again == decision
            assert again.to_dict() == decision.to_dict()  # the time it was made too
            assert again.explain() == decision.explain()
            for field in attrs.fields(type(decision)):
                value = getattr(decision, field.name)
                if isinstance(value, MappingProxyType):  # read-only stays read-only
                    assert isinstance(getattr(again, field.name), MappingProxyType), field.name


def test_decisions_hash_so_sets_and_dict_keys_take_them(
        engines: dict[str, fp.PolicyEngine]) -> None:
    engine = engines["compiled"]
    pairs = []  # the same input decided twice: equal decisions, one member of a set
    for domain, _, case in CASES:
        first, again = (domain_module(domain).evaluate_input(
            engine, case["input"], as_of=when(case.get("as_of"))) for _ in range(2))
        pairs += zip(first, again, strict=True)
    pairs.append(tuple(engine.classify_record({"id_number": "110101199003078515"})
                       for _ in range(2)))
    assert {type(a).__name__ for a, _ in pairs} >= {
        "ClassificationDecision", "RecordClassificationDecision", "AccessDecision",
        "SuitabilityDecision", "SlaDecision", "ConsentDecision"}
    assert all(a == b and hash(a) == hash(b) for a, b in pairs)
    distinct: list[Any] = []  # by equality alone
    for a, _ in pairs:
        if a not in distinct:
            distinct.append(a)
    assert len({d for pair in pairs for d in pair}) == len(distinct)


def _reports(engine: fp.PolicyEngine) -> dict[str, Any]:
    """What the calls the examples do not make return (reports, lists, records, exports)."""
    customer = fp.Customer(id="cu-9", risk_level="C2", assessment_date=dt.date(2026, 1, 5),
                           birth_date=dt.date(1980, 1, 1))
    product = fp.Product(id="p-4", kind="wealth_management", risk_level="R4")
    return {
        "authorize_export": engine.authorize_export(export_access(), SHARE,
                                                    consents=[consent(["core"])]),
        "classify_record": engine.classify_record({"id_number": "110101199003078515",
                                                   "mobile": "13800138000"}),
        "suitable_products": engine.suitable_products(customer, [product],
                                                      as_of=dt.date(2026, 3, 2)),
        "plan_campaign": engine.plan_campaign([{"id": "cu-2"}], consents=[consent(["core"])],
                                              as_of=AT),
        "review_consents": engine.review_consents([consent(["core"])], as_of=AT),
        "review_access": engine.review_access([], [], as_of=AT),
    }


def test_reports_and_other_results_pickle_too() -> None:
    for name, result in _reports(fp.PolicyEngine(fp.load_bundle(),
                                                 directory=DIRECTORY)).items():
        assert pickle.loads(pickle.dumps(result)) == result, name
        assert copy.deepcopy(result) == result, name


def _raised(make: Any) -> fp.FinpolicyError:
    with pytest.raises(fp.FinpolicyError) as caught:
        make()
    return caught.value


def _errors(engine: fp.PolicyEngine) -> list[fp.FinpolicyError]:
    complaint = {"id": "c-1", "received_at": "2026-01-05T10:00:00+08:00",
                 "channel": "phone", "category": "product"}
    denied = engine.authorize({  # a teller with no grant reading a core record
        "subject": {"id": "u-1", "roles": ["teller"], "department": "retail", "branch": "BJ01"},
        "action": "read", "resource": {"type": "customer_record", "data_level": "core",
                                       "category": "basic_identity", "department": "retail",
                                       "branch": "BJ01"},
        "purpose": "account_service", "as_of": "2026-03-02T10:00:00+08:00"})
    assert denied.outcome == "deny"
    return [
        _raised(lambda: engine.complaint_sla({**complaint, "channel": "pigeon"},
                                             as_of="2026-02-01T00:00:00+08:00")),
        _raised(lambda: engine.complaint_sla({**complaint, "received_at": "1990-01-01T10:00"
                                              ":00+08:00"}, as_of="2026-02-01T00:00:00+08:00")),
        _raised(lambda: compile_pattern("a{99999}")),
        # a generator of problems: the error keeps what it read
        fp.PolicyError(Problem("pack/a.yaml", n, "spec.rules", f"problem {n}", "bad_rule")
                       for n in (3, 1)),
        CalendarError("CN", 2031, "cn-complaints@1.1.0"),
        AccessDenied(denied),
        fp.InputError.one("customer.risk_level", "unknown risk level", "unknown_level", "C9",
                          model="Customer"),
    ]


def test_an_error_pickled_or_copied_keeps_its_class_message_and_attributes(
        engines: dict[str, fp.PolicyEngine]) -> None:
    errors = _errors(engines["compiled"])
    assert {type(e).__name__ for e in errors} >= {
        "InputError", "NotInForceError", "PatternError", "PolicyError", "CalendarError",
        "AccessDenied"}
    for error in errors:
        error.add_note("seen in the nightly batch")
        for again in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
            assert type(again) is type(error)
            assert str(again) == str(error)
            assert again.args == error.args
            assert again.__notes__ == ["seen in the nightly batch"]
            for name, value in vars(error).items():
                if not name.startswith("_"):
                    assert getattr(again, name) == value, name


def test_an_input_error_naming_a_value_that_cannot_be_pickled_still_pickles() -> None:
    class Opaque:
        def __reduce__(self) -> Any:
            raise TypeError("not today")

        def __repr__(self) -> str:
            return "<opaque>"

    error = fp.InputError.one("customers", "expected a list of customers", "bad_customers",
                              Opaque())
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.fields == ("customers",)
    assert again.problems[0].value == "<opaque>"


def test_a_process_pool_returns_the_decisions_and_errors_its_workers_make(
        engines: dict[str, fp.PolicyEngine]) -> None:
    # spawned workers: a fresh interpreter each, as a batch scheduler would start them
    picked = [next(c for c in CASES if c[0] == d) for d in
              ("classification", "access", "suitability", "complaints", "consent")]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context,
                                                initializer=pool_worker.start,
                                                initargs=(engines["compiled"].bundle,)) as pool:
        assert pool.submit(pool_worker.digest).result(timeout=120) == \
            engines["compiled"].bundle.digest
        futures = [pool.submit(pool_worker.decide, domain, case["input"],
                               when(case.get("as_of"))) for domain, _, case in picked]
        bad = pool.submit(pool_worker.decide, "complaints", {"complaint": {
            "id": "c-1", "received_at": "2026-01-05T10:00:00+08:00", "channel": "pigeon",
            "category": "product"}}, dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        results = [f.result(timeout=120) for f in futures]
        with pytest.raises(fp.InputError) as err:
            bad.result(timeout=120)
    assert err.value.fields == ("channel",) and err.value.model == "Complaint"
    assert "unknown channel `pigeon`" in str(err.value)
    for (domain, _, case), got in zip(picked, results, strict=True):
        home = domain_module(domain).evaluate_input(engines["compiled"], case["input"],
                                                    as_of=when(case.get("as_of")))
        assert got == home, domain


def test_a_bundle_pickles_by_content_and_comes_back_with_its_digest(tmp_path: Path) -> None:
    bundle = fp.load_bundle()
    again = pickle.loads(pickle.dumps(bundle))
    assert again.digest == bundle.digest and again.name == bundle.name
    assert [(d.id, d.version) for d in again.documents] == \
        [(d.id, d.version) for d in bundle.documents]
    assert pickle.loads(pickle.dumps(bundle)) is again  # loaded once per process
    assert copy.deepcopy(bundle) is bundle and copy.copy(bundle) is bundle  # immutable
    complaint = {"id": "c-1", "received_at": "2026-01-05T10:00:00+08:00", "channel": "phone",
                 "category": "product"}
    assert fp.PolicyEngine(again).complaint_sla(complaint, as_of=AS_OF) == \
        fp.PolicyEngine(bundle).complaint_sla(complaint, as_of=AS_OF)


def test_a_bundle_whose_files_changed_since_loading_does_not_unpickle_as_another(
        tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(fp.load_bundle().root, root)
    bundle = fp.load_bundle(root)
    complaints = root / "complaints.yaml"
    complaints.write_text(complaints.read_text(encoding="utf-8").replace(
        "duration: {amount: 30, unit: calendar_days}",
        "duration: {amount: 31, unit: calendar_days}", 1), encoding="utf-8")
    with pytest.raises(fp.PolicyError, match="digest"):
        pickle.loads(pickle.dumps(bundle))


def test_an_engine_says_how_to_share_it_with_worker_processes(
        engines: dict[str, fp.PolicyEngine]) -> None:
    engine = engines["compiled"]
    for what in (engine, engine.complaint_sla):  # ``pool.map(engine.complaint_sla, ...)``
        with pytest.raises(TypeError, match="initializer"):
            pickle.dumps(what)
