"""``finpolicy eval --fail-on OUTCOME``: the outcomes besides a domain's refusals that make
the command exit 1.

``eval`` exits 1 when a decision refuses what was asked (``deny``, ``unsuitable``, a plug-in's
``block``: ``Domain.refusals``). A complaint's SLA status (``met``, ``pending``, ``at_risk``,
``breached``) and a classification level refuse nothing, so without the option ``eval
complaints`` exits 0 whatever the statuses; a nightly job that must stop on a breach says so,
``--fail-on breached`` (or ``--fail-on at_risk,breached``). The option adds outcomes and
never takes a refusal away: ``eval access --fail-on deny`` fails as it always did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from finpolicy.domains.base import Domain
from finpolicy.errors import InputError

__all__ = ["fail_on_option", "failing_outcomes"]

F = TypeVar("F", bound=Callable[..., Any])


def fail_on_option(func: F) -> F:
    """``--fail-on OUTCOME`` (repeatable, or separated by commas), passed as ``fail_on``."""
    return click.option(
        "--fail-on", "fail_on", multiple=True, metavar="OUTCOME",
        help="Exit 1 also when a decision has this outcome, besides those that refuse what "
             "was asked (deny, unsuitable), e.g. --fail-on breached for complaints (a "
             "complaint's status refuses nothing, so without it `eval complaints` exits 0 "
             "whatever the statuses). Repeat or separate with commas; an outcome the domain "
             "has not is refused.")(func)


def failing_outcomes(values: Iterable[str], chosen: Domain, bundle: Any) -> frozenset[str]:
    """The outcomes that make ``eval`` exit 1 in ``chosen``: its refusals and the ``--fail-on``
    ``values``, each checked to be an outcome its decisions can have (one it declares, or a
    text its rules' effects in ``bundle`` give: a plug-in's own).

    Raises:
        InputError: a value is empty or names no outcome of the domain, naming
            ``--fail-on`` and listing the domain's outcomes.
    """
    given = []
    for value in values:
        names = [n.strip() for n in value.split(",") if n.strip()]
        if not names:
            raise InputError.one("--fail-on", f"expected an outcome, e.g. breached, got "
                                 f"`{value}`", "bad_option", value)
        given += names
    known = _outcomes(chosen, bundle)
    unknown = next((n for n in given if n not in known), None)
    if unknown is not None:
        listed = ", ".join(chosen.outcomes or sorted(known))
        raise InputError.one("--fail-on", f"`{unknown}` is no outcome of {chosen.name} "
                             f"decisions (they have {listed})", "bad_option", unknown)
    return frozenset((*chosen.refusals, *given))


def _outcomes(chosen: Domain, bundle: Any) -> frozenset[str]:
    """What ``chosen``'s decisions can have as outcome: what it declares, and the texts its
    rules' effects give."""
    kinds = {k.name for k in chosen.kinds}
    found = set(chosen.outcomes)
    for doc in bundle.documents:
        if doc.kind in kinds:
            for ruleset in doc.policy.rulesets.values():
                for rule in ruleset.rules:
                    found.update(v for v in rule.effect.values() if isinstance(v, str))
    return frozenset(found)
