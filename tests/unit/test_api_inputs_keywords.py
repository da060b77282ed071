"""A keyword argument of the wrong type to ``authorize``, ``check_processing`` or
``authorize_export`` is the caller's mistake and raises ``InputError`` naming it: a consent
given as text denied with ``evaluation-error`` (as if the policy had failed), a policy id
given as a number said the bundle had no such policy. Nothing is allowed either way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.domains.access.model import AttachedConsent
from tests.helpers.directory import DIRECTORY
from tests.unit.test_consent import marketing, sms
from tests.unit.test_consent_policy import SHARE, export_access, share_consent


@pytest.mark.parametrize(("consent", "kind"), [("yes", "a text"), (5, "a number"),
                                               ({"outcome": "allow"}, "a mapping"),
                                               (True, "true or false")])
def test_a_consent_that_is_no_consent_decision_is_refused(engine: fp.PolicyEngine,
                                                          consent: Any, kind: str) -> None:
    with pytest.raises(fp.InputError) as caught:
        engine.authorize(export_access(recipient="partner-insurer"), consent=consent)
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == ("consent", "bad_input")
    assert problem.message.startswith("expected the consent decision for the recipient")
    assert problem.message.endswith(f"AttachedConsent or None, got {kind}")


def test_an_access_decision_is_no_consent_decision(engine: fp.PolicyEngine) -> None:
    access = engine.authorize(export_access(), directory=DIRECTORY)
    with pytest.raises(fp.InputError, match="^consent: expected the consent decision"):
        engine.authorize(export_access(recipient="partner-insurer"), consent=access)
    # a consent decision, and what the rules read of one, still count
    consent = engine.check_processing(SHARE.model_copy(update={"as_of": access.as_of}),
                                      consents=[share_consent(["core"])])
    outside = export_access(recipient="partner-insurer")
    assert engine.authorize(outside, consent=consent, directory=DIRECTORY).allowed
    attached = AttachedConsent.of(consent)
    assert engine.authorize(outside, consent=attached, directory=DIRECTORY).allowed


CALLS: dict[str, Callable[[fp.PolicyEngine, Any], Any]] = {
    "authorize": lambda e, p: e.authorize(export_access(), policy=p),
    "check_processing": lambda e, p: e.check_processing(sms(), consents=[marketing()],
                                                        policy=p),
    "authorize_export": lambda e, p: e.authorize_export(
        export_access(), SHARE, consents=[share_consent(["core"])], policy=p),
}


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize(("policy", "kind"), [(5, "a number"), (["cn-access"], "a list")])
def test_a_policy_id_that_is_no_text_is_refused(engine: fp.PolicyEngine, name: str,
                                                policy: Any, kind: str) -> None:
    with pytest.raises(fp.InputError) as caught:
        CALLS[name](engine, policy)
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == ("policy", "bad_input")
    assert problem.message == f"expected a policy id (text) or None, got {kind}"
