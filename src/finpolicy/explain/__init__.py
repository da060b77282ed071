"""Explanations: why a decision came out as it did, why not better, and what would change it.

For any decision a domain can explain (``Domain.explain``), on request and without cost to the
normal path:

- **clause traces**: every rule of the rule sets the decision ran, its condition evaluated
  comparison by comparison with the values each saw, in words, with its cite;
- **why not**: the rules that stand in the way of the better outcome (a deny rule that holds,
  the nearest allow rule that fails), each with the comparisons in the way;
- **what would change it**: the smallest changes of the input — only of facts a person can
  change — that give a better outcome, each checked by evaluating the changed input.

Call it from Python (``engine.explain("authorize", request)``), from the CLI
(``finpolicy eval DOMAIN FILE --why``) or, for an HTTP service, ``explain_json`` returns plain
JSON.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from finpolicy._compat import renamed
from finpolicy.domains.base import DomainError
from finpolicy.errors import InputError
from finpolicy.explain.core import explain_case
from finpolicy.explain.explainer import Explainer, Move
from finpolicy.explain.model import (
    Change,
    Clause,
    Explanation,
    Group,
    Obstacle,
    RuleTrace,
    Suggestion,
)
from finpolicy.explain.patch import apply_changes
from finpolicy.runtime import Runtime

if TYPE_CHECKING:
    from finpolicy.domains.base import Domain
    from finpolicy.engine import EngineCore

__all__ = ["Change", "Clause", "Explainer", "Explanation", "Group", "Move", "Obstacle",
           "RuleTrace", "Suggestion", "apply_changes", "explain", "explain_call",
           "explain_json", "explainer", "explainer_for_method"]


def explainer(domain: str | Domain) -> Explainer:
    """The explainer a domain declares (``Domain.explain``).

    Raises:
        InputError: the domain is unknown or declares no explainer.
        DomainError: its explainer module cannot be imported, or its ``EXPLAINER`` is no
            ``Explainer``.
    """
    from finpolicy.domains.base import Domain
    from finpolicy.domains.registry import domain as find_domain

    found = domain if isinstance(domain, Domain) else find_domain(domain)
    module = found.explainer_module()
    if module is None:
        raise InputError.one("domain", f"the {found.name} domain does not explain its "
                                       f"decisions: {_NO_EXPLAINER}", "unknown_domain",
                             found.name)
    value = getattr(module, "EXPLAINER", None)
    if not isinstance(value, Explainer):
        raise DomainError(f"domain `{found.name}`: `{found.explain}.EXPLAINER` is "
                          f"{'missing' if value is None else f'a `{type(value).__name__}`'}, "
                          "expected a finpolicy.explain.Explainer")
    return value


_NO_EXPLAINER = ("its Domain declares no `explain` module (one whose `EXPLAINER` is a "
                 "finpolicy.explain.Explainer)")


def explainer_for_method(method: str) -> Explainer:
    """The explainer of the domain whose engine method is ``method`` (``authorize``)."""
    from finpolicy.domains.registry import domains

    for domain in domains():
        if method not in domain.operations:
            continue
        if domain.explain is None:
            raise InputError.one("method", f"domain `{domain.name}` does not explain "
                                           f"`{method}`: {_NO_EXPLAINER}", "unknown_option",
                                 method)
        found = explainer(domain)
        if method not in found.operations:
            raise InputError.one("method", f"domain `{domain.name}` does not explain "
                                           f"`{method}`: its explainer's `operations` do not "
                                           "name it", "unknown_option", method)
        return found
    raise InputError.one("method", f"no domain has the engine method `{method}`",
                         "unknown_option", method)


def _check_arguments(method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse what ``engine.<method>(*args, **kwargs)`` would not take: an argument it does
    not have, or more inputs than it takes (an explanation would otherwise silently explain
    another call: ``amout=`` dropped). Inputs may also be named.

    Raises:
        InputError: naming the argument (``unknown_key``) or ``args`` (``bad_input``).
    """
    from finpolicy.domains.registry import domains

    function = next(d.operations[method] for d in domains() if method in d.operations)
    parameters = list(inspect.signature(function).parameters.values())[1:]  # after runtime
    inputs = [p.name for p in parameters
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(args) > len(inputs):
        raise InputError.one("args", f"`{method}` takes {len(inputs)} input"
                                     f"{'' if len(inputs) == 1 else 's'} "
                                     f"({', '.join(inputs)}), got {len(args)}", "bad_input")
    names = {p.name for p in parameters}
    for name in kwargs:
        if name not in names:
            raise InputError.one(name, f"`{method}` takes no argument `{name}`",
                                 "unknown_key")
        if name in inputs[:len(args)]:
            raise InputError.one(name, f"`{name}` is given twice", "bad_input")


_OLD_NAMES = ("now", "at")  # the evaluation time's names before `as_of`


def _runtime(engine: EngineCore | Runtime) -> Runtime:
    from finpolicy.engine import EngineCore

    return engine.runtime if isinstance(engine, EngineCore) else engine


def explain(engine: EngineCore | Runtime, domain: str, data: Any, *, as_of: Any = None,
            limit: int = 5) -> Explanation:
    """Explain the decision ``engine`` (a ``PolicyEngine``, or its runtime) takes on ``data``,
    the mapping form ``finpolicy eval DOMAIN`` reads (one input: one request, one customer
    and product, one complaint, one field).

    Args:
        domain: the domain's name.
        data: the input in mapping form.
        as_of: the evaluation time when ``data`` does not carry one (now when neither does).
        limit: at most this many suggestions.
    """
    chosen = explainer(domain)
    return explain_case(chosen, _runtime(engine), chosen.normalise(data, as_of), limit=limit)


def explain_call(engine: EngineCore | Runtime, method: str, *args: Any, limit: int = 5,
                 **kwargs: Any) -> Explanation:
    """Explain ``engine.<method>(*args, **kwargs)``: the same decision, explained
    (``engine`` is a ``PolicyEngine`` or its runtime)."""
    chosen = explainer_for_method(method)
    _check_arguments(method, args, kwargs)
    for old in _OLD_NAMES:  # warned as the method itself warns
        if old in kwargs:
            kwargs["as_of"] = renamed(kwargs.get("as_of"), kwargs.pop(old), old_name=old,
                                      new_name="as_of", where=method, stacklevel=5)
    return explain_case(chosen, _runtime(engine), chosen.case(method, args, kwargs),
                        limit=limit)


def explain_json(engine: EngineCore | Runtime, domain: str, data: Mapping[str, Any], *,
                 as_of: Any = None, detail: bool = False, limit: int = 5) -> dict[str, Any]:
    """``explain(engine, domain, data, ...)`` as plain JSON, for an HTTP service: see
    ``Explanation.to_dict`` (``detail`` adds every rule's clause trace)."""
    return explain(engine, domain, data, as_of=as_of, limit=limit).to_dict(detail=detail)
