"""A list argument of the Python API given as ``None`` is refused, naming the argument, as
``complaint_sla_batch(None)`` is: read as no records it decided or reported as if there were
none (no consent, nothing to review). ``None`` where it means something (``usage``: do not
check dormancy; ``directory``: the engine's own) keeps its meaning; a file's key written
without a value still means no records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import finpolicy as fp
from tests.unit.test_consent import marketing, sms
from tests.unit.test_consent_policy import SHARE, export_access, share_consent

CALLS: dict[str, tuple[Callable[[fp.PolicyEngine], Any], str]] = {
    "review_access grants": (lambda e: e.review_access(None, []), "grants"),
    "review_access assignments": (lambda e: e.review_access([], None), "assignments"),
    "plan_campaign customers": (lambda e: e.plan_campaign(None), "customers"),
    "plan_campaign consents": (lambda e: e.plan_campaign([], consents=None), "consents"),
    "plan_campaign contacts": (lambda e: e.plan_campaign([], contacts=None), "contacts"),
    "review_consents consents": (lambda e: e.review_consents(None), "consents"),
    "review_consents contacts": (lambda e: e.review_consents([], contacts=None), "contacts"),
    "review_consents processing": (lambda e: e.review_consents([], processing=None),
                                   "processing"),
    "check_processing consents": (lambda e: e.check_processing(sms(), consents=None),
                                  "consents"),
    "check_processing contacts": (lambda e: e.check_processing(
        sms(), consents=[marketing()], contacts=None), "contacts"),
    "authorize_export consents": (lambda e: e.authorize_export(
        export_access(), SHARE, consents=None), "consents"),
    "authorize_export contacts": (lambda e: e.authorize_export(
        export_access(), SHARE, consents=[share_consent(["core"])], contacts=None),
        "contacts"),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_list_argument_given_none_is_refused_naming_it(engine: fp.PolicyEngine,
                                                         name: str) -> None:
    call, field = CALLS[name]
    with pytest.raises(fp.InputError) as caught:
        call(engine)
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == (field, "bad_input")
    assert problem.message.startswith("expected a list") and "None" in problem.message


def test_consents_none_is_refused_where_a_file_without_consents_is_not(
        engine: fp.PolicyEngine) -> None:
    from finpolicy.domains.consent.inputs import evaluate_input

    # before: consents=None decided as if the customer had given none (denied)
    assert engine.check_processing(sms(), consents=[marketing()]).allowed
    with pytest.raises(fp.InputError, match="consents: expected a list of Consent, got None"):
        engine.check_processing(sms(), consents=None)
    # a file's key written without a value still means no records
    data = {"request": sms().model_dump(mode="json"), "consents": None, "contacts": None}
    [decision] = evaluate_input(engine.runtime, data)
    assert not decision.allowed
    findings = evaluate_input(engine.runtime, {"review": {
        "consents": [marketing().model_dump(mode="json")], "contacts": None,
        "processing": None, "as_of": "2026-03-02T10:00:00+08:00"}})
    assert isinstance(findings, list)


def test_grants_none_is_refused_where_usage_none_keeps_its_meaning(
        engine: fp.PolicyEngine) -> None:
    from finpolicy.domains.access.inputs import evaluate_input

    with pytest.raises(fp.InputError, match="grants: expected a list, got None"):
        engine.review_access(None, [], usage=None)
    # usage=None: no usage records, so dormancy is not checked; directory=None: the engine's
    report = engine.review_access([], [], usage=None, directory=None)
    assert report.findings == () and report.grants_reviewed == 0
    # a review file's keys written without a value: nothing to review
    assert evaluate_input(engine.runtime, {"review": {
        "grants": None, "assignments": None, "as_of": "2026-03-02T10:00:00+08:00"}}) == []
