"""``finpolicy eval DOMAIN FILE``."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from finpolicy.cli.common import (
    EXIT_FAILED,
    BadValue,
    as_of_option,
    bundle_option,
    console,
    dump_json,
    engine_option,
    exit_with,
    load_engine,
    parse_when,
    reports_errors,
    shown,
)
from finpolicy.decisions import PolicyRef
from finpolicy.domains.base import Domain
from finpolicy.domains.registry import domain
from finpolicy.errors import InputError, InputProblem, NotInForceError, one_line
from finpolicy.readers import read_located
from finpolicy.runtime import Runtime, StateKey

if TYPE_CHECKING:
    from finpolicy.documents.bundle import Bundle, PolicyDocument
    from finpolicy.documents.registry import CompiledPolicy, PolicyKind
    from finpolicy.rules.model import Rule

T = TypeVar("T")
P = TypeVar("P", bound="CompiledPolicy")


@click.command("eval")
@click.argument("domain_name", metavar="DOMAIN")
@click.argument("input_file", metavar="FILE")
@as_of_option(help="Evaluation time (ISO): a date, or a datetime with an offset for domains "
                   "that measure time of day (access, complaints, consent). It takes the "
                   "place of an input's own as_of; without it, an input's own counts.")
@click.option("--json", "as_json", is_flag=True, help="Print decisions as JSON.")
@click.option("--why", is_flag=True, help="Explain each decision: the rules in the way of a "
                                          "better outcome and the smallest changes of the "
                                          "input that would give one, each checked.")
@click.option("--trace", is_flag=True, help="With --why: also every rule's condition, "
                                            "evaluated clause by clause.")
@click.option("--policy", "policy_ids", multiple=True, metavar="ID",
              help="The policy that decides (its metadata.id), when the pack has several of "
                   "its kind in force: a draft beside the released one. Repeat for another "
                   "kind the domain reads (consent reads classification and access).")
@bundle_option
@engine_option
@reports_errors
def evaluate(domain_name: str, input_file: str, as_of: str | None, as_json: bool, why: bool,
             trace: bool, policy_ids: tuple[str, ...], bundle_path: str | None,
             engine: str) -> None:
    """Evaluate the input in FILE (JSON or YAML; one input or a list) in DOMAIN.

    DOMAIN is a registered domain (`finpolicy domains` lists them).

    The input has the shape of the domain's API, e.g. for suitability
    `{customer: {...}, product: {...}, amount: 50000}`.

    Exits 0 when every decision is positive, 1 when any refuses what was asked (outcome
    `deny` or `unsuitable`, or a plug-in domain's own refusals), 2 for an invalid policy, 3
    for an invalid input or option.
    """
    chosen = domain(domain_name)
    policy_engine = load_engine(bundle_path, engine)
    runtime = _choose(policy_engine.runtime, chosen, policy_ids)
    document = read_located(input_file)
    data = document.data
    items = data if isinstance(data, list) else [data]
    if not items:  # exit 0 says every decision is positive: none is not one of them
        raise InputError([InputProblem("", "an empty list: expected an input or a list of "
                                           "inputs to evaluate", "bad_input",
                                       file=input_file, line=1)])
    when = parse_when(as_of, aware=chosen.time == "datetime", moment_ok=True)
    # evaluated first with --why too: an input is refused exactly as without it
    decisions: list[Any] = []
    with _several_named(runtime):
        for i, item in enumerate(items):
            try:
                decisions += chosen.evaluate_input(runtime, item, as_of=when)
            except InputError as exc:  # named in the file, at the field's line
                raise document.located(exc, (i,) if isinstance(data, list) else ()) from None
        runtime.check_read(domain_name)
        if why or trace:
            outcomes = _explain(runtime, domain_name, items, when, as_json=as_json,
                                detail=trace)
    if not (why or trace):
        outcomes = [d.outcome for d in decisions]
        if as_json:
            dump_json([d.to_dict() for d in decisions])
        else:
            for decision in decisions:
                console.print(shown(decision.explain()), markup=False)
                console.print()
    if any(outcome in chosen.refusals for outcome in outcomes):
        exit_with(EXIT_FAILED)


def _explain(runtime: Runtime, domain_name: str, items: list[Any], when: Any, *,
             as_json: bool, detail: bool) -> list[str]:
    """Print the explanations; return the outcomes explained."""
    from finpolicy.explain import explain

    explanations = [explain(runtime, domain_name, item, as_of=when) for item in items]
    if as_json:
        dump_json([x.to_dict(detail=detail) for x in explanations])
    else:
        for explanation in explanations:
            console.print(shown(explanation.text(detail=detail)), markup=False,
                          highlight=False)
            console.print()
    return [x.outcome for x in explanations]


class _Chosen:
    """``runtime``, on which a call that names no policy of a kind in ``chosen`` is decided
    by the policy ``chosen`` names for it (``--policy``), as the typed API's ``policy=``
    chooses one; ``asked`` collects the kinds looked up."""

    __slots__ = ("_runtime", "asked", "chosen")

    def __init__(self, runtime: Runtime, chosen: Mapping[str, str]) -> None:
        self._runtime, self.chosen = runtime, dict(chosen)
        self.asked: set[str] = set()

    @property
    def bundle(self) -> Bundle:
        return self._runtime.bundle

    @property
    def engine_name(self) -> str:
        return self._runtime.engine_name

    @property
    def observed(self) -> bool:
        return bool(getattr(self._runtime, "observed", True))

    def policy(self, kind: PolicyKind[Any, P], on: dt.date,
               policy_id: str | None = None) -> PolicyDocument[P]:
        name = kind if isinstance(kind, str) else kind.name
        self.asked.add(name)
        if policy_id is None:
            policy_id = self.chosen.get(name)
        return self._runtime.policy(kind, on, policy_id)

    def run(self, doc: PolicyDocument[Any], ruleset: str,
            fact: Mapping[str, Any]) -> Sequence[Rule]:
        return self._runtime.run(doc, ruleset, fact)

    def ref(self, doc: PolicyDocument[Any]) -> PolicyRef:
        return self._runtime.ref(doc)

    def state(self, key: StateKey[T]) -> T:
        return self._runtime.state(key)

    def check_read(self, domain_name: str) -> None:
        """Refuse an ``--policy`` of a kind no decision read: it chose nothing."""
        unread = sorted((i, k) for k, i in self.chosen.items() if k not in self.asked)
        if unread:
            raise BadValue("; ".join(f"`{one_line(i)}` is of kind {k}, which no {domain_name} "
                                     "decision read" for i, k in unread),
                           param_hint="--policy")


def _choose(runtime: Runtime, chosen: Domain, policy_ids: tuple[str, ...]) -> _Chosen:
    """The runtime ``--policy`` asks for (one id for each kind it chooses).

    Raises:
        BadValue: the bundle has no policy of an id (naming those of the domain's kinds
            and the others), or two ids are of one kind.
    """
    docs = runtime.bundle.documents
    by_kind: dict[str, str] = {}
    for policy_id in policy_ids:
        kind = next((d.kind for d in docs if d.id == policy_id), None)
        if kind is None:
            own = {k.name for k in chosen.kinds}
            mine = sorted({d.id for d in docs if d.kind in own})
            others = sorted({d.id for d in docs if d.kind not in own})
            raise BadValue(f"the bundle has no policy `{one_line(policy_id)}` (its "
                           f"{chosen.name} policies: {', '.join(mine) or 'none'}"
                           + (f"; others: {', '.join(others)})" if others else ")"),
                           param_hint="--policy")
        if by_kind.get(kind, policy_id) != policy_id:
            raise BadValue(f"`{by_kind[kind]}` and `{one_line(policy_id)}` are both "
                           f"{kind} policies: name one", param_hint="--policy")
        by_kind[kind] = policy_id
    return _Chosen(runtime, by_kind)


@contextlib.contextmanager
def _several_named(runtime: Runtime) -> Iterator[None]:
    """Say that ``--policy`` chooses when several policies of a kind are in force and the
    command line named none (the error's own words are the typed API's)."""
    try:
        yield
    except NotInForceError as exc:
        ids = sorted({d.id for d in runtime.bundle.policies(exc.kind)
                      if isinstance(exc.on, dt.date) and d.metadata.in_force(exc.on)})
        if exc.policy_id != "*" or len(ids) < 2:
            raise
        raise click.UsageError(f"several {exc.kind} policies are in force on {exc.on}: "
                               f"{', '.join(ids)}; choose one with --policy ID") from None


COMMANDS = [evaluate]
