"""A toy domain installed as a plug-in: transaction limits.

It lives outside finpolicy (its own package, its own entry point) to prove that a domain is one
folder plus a pack: the tests install it into a temporary environment and use every tool of
finpolicy on it without changing finpolicy's code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs
from pydantic import Field

from finpolicy.decisions import Decision, Hit
from finpolicy.docgen.html import escape, html_table
from finpolicy.documents.models import PolicySpec
from finpolicy.documents.registry import BuildContext, PolicyKind
from finpolicy.domains.base import Call, Domain, InvariantAdapter, LoggedCall, Picture
from finpolicy.errors import InputError
from finpolicy.inputs import Day, InputModel, evaluation_date
from finpolicy.rules.compile import RuleSpecBase, compile_rules
from finpolicy.rules.invariants import Invariant, parse_invariants
from finpolicy.rules.model import RuleSet
from finpolicy.rules.render import FactLabel

KIND = "LimitPolicy"
FIELDS = {"txn.amount": "number", "txn.channel": "text", "txn.foreign": "boolean"}
_ORDER = ("allow", "refer", "block")


class LimitRule(RuleSpecBase):
    outcome: Literal["allow", "refer", "block"]


class LimitSpec(PolicySpec):
    channels: list[str] = Field(min_length=1)
    rules: list[LimitRule] = Field(min_length=1)


@attrs.frozen
class LimitRules:
    rulesets: Mapping[str, RuleSet]
    channels: frozenset[str]
    invariants: tuple[Invariant, ...] = ()


def build(spec: LimitSpec, ctx: BuildContext) -> LimitRules:
    rules = [r for _, r in compile_rules(spec.rules, ctx, fields=FIELDS,
                                         effect=lambda s: {"outcome": s.outcome})]
    return LimitRules({"limits": RuleSet("limits", tuple(rules))}, frozenset(spec.channels),
                      parse_invariants(spec.invariants, ctx, FIELDS))


POLICY_KIND: PolicyKind[LimitSpec, LimitRules] = PolicyKind(
    KIND, LimitSpec, build, summary="Transaction limits per channel.", fields=FIELDS,
    combining="the most restrictive outcome wins (block > refer > allow)",
    labels={"txn.amount": FactLabel("the amount transferred", "转账金额"),
            "txn.channel": FactLabel("the channel", "渠道"),
            "txn.foreign": FactLabel("the transfer {is} foreign", "境外转账")})


class Transaction(InputModel):
    id: str = Field(min_length=1)
    amount: float = Field(ge=0)
    channel: str
    foreign: bool = False


@attrs.frozen(kw_only=True)
class LimitDecision(Decision):
    transaction_id: str


def check_limit(runtime: Any, txn: Any, *, as_of: Any = None,
                policy: str | None = None) -> LimitDecision:
    """Allow, refer or block one transaction."""
    on = evaluation_date(as_of)
    parsed = Transaction.parse(txn, field="transaction")
    doc = runtime.policy(POLICY_KIND, on, policy)
    if parsed.channel not in doc.policy.channels:
        raise InputError.one("transaction.channel", f"unknown channel `{parsed.channel}`",
                             "unknown_limit_channel", parsed.channel)
    fact = {"txn": {"amount": parsed.amount, "channel": parsed.channel,
                    "foreign": parsed.foreign}}
    matched = runtime.run(doc, "limits", fact)
    worst = max((_ORDER.index(r.effect["outcome"]) for r in matched), default=0)
    return LimitDecision(outcome=_ORDER[worst], hits=tuple(Hit.of(r) for r in matched),
                         obligations=tuple(sorted({o for r in matched for o in r.obligations})),
                         policy=runtime.ref(doc), engine=runtime.engine_name,
                         input_digest=parsed.digest(), as_of=on, transaction_id=parsed.id)


def evaluate_input(runtime: Any, data: Any, *, as_of: Any = None) -> list[LimitDecision]:
    if not isinstance(data, Mapping) or set(data) != {"transaction"}:
        raise InputError.one("input", "expected {transaction: {...}}", "bad_input")
    return [check_limit(runtime, data["transaction"], as_of=as_of)]


class CheckLimitCall(Call):
    """``POST /v1/limits/check_limit``: the arguments of ``check_limit`` as JSON."""

    txn: Transaction
    as_of: Day | None = None
    policy: str | None = None


def limit_table(runtime: Any, doc: Any) -> str:
    rows = [[(escape(r.id), ""), (escape(r.outcome), ""), (escape(r.reason), "")]
            for r in doc.spec.rules]
    return html_table(["Rule", "Outcome", "Reason"], rows, caption=f"Limits of {doc.id}",
                      css_class="finpolicy-picture limits-table")


def _cases(bundle: Any, doc: Any) -> Any:
    from finpolicy_limits.strategies import transactions

    day = doc.metadata.effective_from
    return transactions(bundle).map(lambda t: {"txn": t, "as_of": day})


DOMAIN = Domain(
    name="limits",
    title="Transaction limits",
    package=__name__,
    order=90,
    kinds=(POLICY_KIND,),
    evaluate_input=evaluate_input,
    operations={"check_limit": check_limit},
    exports={"Transaction": Transaction, "LimitDecision": LimitDecision},
    input_models=(Transaction,),
    grid=(("channel",),),
    invariants={KIND: InvariantAdapter(
        cases=_cases, evaluate=lambda rt, c: check_limit(rt, c["txn"], as_of=c["as_of"]),
        on=lambda c: c["as_of"] if isinstance(c["as_of"], dt.date) else dt.date.today())},
    pictures={KIND: (Picture("limit-table", "Limit table", limit_table),)},
    strategies="finpolicy_limits.strategies",
    cli="finpolicy_limits.cli",
    explain="finpolicy_limits.explain",  # eval --why, engine.explain, POST .../explain
    error_codes={"input": {"unknown_limit_channel": "A channel the limit policy lacks."}},
    # the decision log keeps each call in the form evaluate_input takes (replay judges it so)
    logged={"check_limit": LoggedCall(lambda inputs, result: {"transaction": inputs["txn"]},
                                      vocabulary=frozenset({"transaction.channel"}))},
    calls={"check_limit": CheckLimitCall},  # served as POST /v1/limits/check_limit
    refusals=("block",),  # `finpolicy eval` exits 1 on a blocked transaction
)
