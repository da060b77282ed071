"""The suitability matrix (customer level × product level) and the decisions that differ
between two versions of a suitability policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from finpolicy.docgen.html import COLOURS, cell_list, escape, html_table, in_force_day, legend
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.base import ChangePicture, Picture
from finpolicy.domains.suitability.evaluate import check_suitability
from finpolicy.domains.suitability.models import Customer, Product, SuitabilityDecision
from finpolicy.runtime import Runtime

__all__ = ["CHANGES", "PICTURES", "SUITABILITY_PROBES", "suitability_changes",
           "suitability_matrix", "suitability_outcomes"]

# Customers the version history compares the versions on; ``on`` is the evaluation day.
SUITABILITY_PROBES: dict[str, Callable[[dt.date], dict[str, Any]]] = {
    "individual of 40, assessed 30 days before": lambda on: {
        "birth_date": on.replace(year=on.year - 40, day=1),
        "assessment_date": on - dt.timedelta(days=30)},
    "individual of 70, assessed 30 days before": lambda on: {
        "birth_date": on.replace(year=on.year - 70, day=1),
        "assessment_date": on - dt.timedelta(days=30)},
    "individual of 40, assessed 400 days before": lambda on: {
        "birth_date": on.replace(year=on.year - 40, day=1),
        "assessment_date": on - dt.timedelta(days=400)},
    "individual of 40, third assessment that day": lambda on: {
        "birth_date": on.replace(year=on.year - 40, day=1), "assessment_date": on,
        "assessment_history": [on, on]},
    "individual of 40 with limited legal capacity, guardian consent": lambda on: {
        "birth_date": on.replace(year=on.year - 40, day=1),
        "assessment_date": on - dt.timedelta(days=30), "legal_capacity": "limited",
        "guardian_consent": True},
    "professional individual of 40": lambda on: {
        "birth_date": on.replace(year=on.year - 40, day=1),
        "assessment_date": on - dt.timedelta(days=30), "investor_type": "professional"},
}
_TYPICAL = next(iter(SUITABILITY_PROBES))


def suitability_outcomes(runtime: Runtime, doc: PolicyDocument[Any], product_kind: str,
                         probe: str = _TYPICAL) -> dict[tuple[str, str], SuitabilityDecision]:
    """``(customer level, product level)`` → decision, for one probe customer.

    The default probe is an ordinary individual of 40 with full legal capacity, assessed 30
    days before the evaluation day (a fresh assessment); the product is of ``product_kind``,
    rated the same by issuer and seller, with no term; no amount.
    """
    on = in_force_day(doc)
    out = {}
    for c in doc.spec.customer_levels:
        customer = Customer(id=f"c-{c.level}", risk_level=c.level,
                            **SUITABILITY_PROBES[probe](on))
        for r in doc.spec.product_levels:
            product = Product(id=f"p-{r.level}", kind=product_kind, risk_level=r.level)
            out[c.level, r.level] = check_suitability(runtime, customer, product, as_of=on,
                                                      policy=doc.id)
    return out


def _product_kinds(doc: PolicyDocument[Any]) -> list[str]:
    kinds = ["wealth_management"]
    securities = list(getattr(doc.spec.settings, "securities_kinds", ()) or ())
    if securities:
        kinds.append(securities[0])
    return kinds


def suitability_matrix(runtime: Runtime, doc: PolicyDocument[Any]) -> str:
    """Customer level × product level, coloured by the outcome of ``check_suitability``.

    One matrix for a wealth-management product and, when the policy names securities kinds,
    one for the first of them (the securities rule may turn a refusal into a warning).
    """
    on = in_force_day(doc)
    parts = [legend([(o, COLOURS[o]) for o in ("suitable", "conditional", "unsuitable")])]
    for kind in _product_kinds(doc):
        decisions = suitability_outcomes(runtime, doc, kind)
        common = set.intersection(*(set(d.obligations) for d in decisions.values()))
        rows = []
        for c in doc.spec.customer_levels:
            row = [(f"{escape(c.level)}<br><span style=\"font-weight:normal;font-size:11px\">"
                    f"{escape(c.name)}</span>", "")]
            for r in doc.spec.product_levels:
                d = decisions[c.level, r.level]
                inner = f"<b>{escape(d.outcome)}</b>"
                rest = [o for o in d.obligations if o not in common]
                if rest:
                    inner += f"<br>{cell_list(rest)}"
                title = escape("; ".join(h.rule_id for h in d.hits) or "no rule matched")
                row.append((f'<span title="{title}">{inner}</span>',
                            f"background:{COLOURS.get(d.outcome, COLOURS['error'])}"))
            rows.append(row)
        header = ["Customer \\ product",
                  *[f"{r.level} {r.name}" for r in doc.spec.product_levels]]
        parts.append(html_table(
            header, rows, caption=f"{doc.id} {doc.version}: a {kind.replace('_', '-')} product, "
                                  f"on {on}, for an {_TYPICAL}"
                                  + (f"; every cell carries {', '.join(sorted(common))}"
                                     if common else ""),
            css_class="finpolicy-picture finpolicy-suitability-matrix"))
    return "\n".join(parts)


def suitability_changes(runtime: Runtime, old: PolicyDocument[Any],
                        new: PolicyDocument[Any]) -> str:
    """The C × R cells whose outcome or obligations differ between two versions, for each
    probe customer (each version evaluated on a day inside its own window), cells with the
    same change grouped in one row."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for kind in _product_kinds(new):
        for probe in SUITABILITY_PROBES:
            before = suitability_outcomes(runtime, old, kind, probe)
            after = suitability_outcomes(runtime, new, kind, probe)
            for key, d in after.items():
                was = before.get(key)
                if was is None or (was.outcome, was.obligations) == (d.outcome, d.obligations):
                    continue
                change = (probe, kind, was.outcome, was.obligations, d.outcome, d.obligations,
                          d.rule_ids)
                groups.setdefault(change, []).append(f"{key[0]}×{key[1]}")
    if not groups:
        return "<p>No suitability decision of the compared cases changes.</p>"
    rows = []
    for (probe, kind, was, was_obl, now, now_obl, rules), cells in groups.items():
        rows.append([
            (f"{escape(probe)}; {escape(kind.replace('_', '-'))} product", "text-align:left"),
            (escape(", ".join(cells)), "text-align:left;font-weight:normal;max-width:16em"),
            (f"<b>{escape(was)}</b><br>{cell_list(was_obl)}",
             f"background:{COLOURS.get(was, COLOURS['error'])}"),
            (f"<b>{escape(now)}</b><br>{cell_list(now_obl)}",
             f"background:{COLOURS.get(now, COLOURS['error'])}"),
            (cell_list(rules), "text-align:left")])
    return html_table(["Case", "Customer × product levels", old.version, new.version,
                       f"Rules in {new.version}"], rows,
                      caption=f"Suitability decisions that differ ({old.version} on "
                              f"{in_force_day(old)} → {new.version} on {in_force_day(new)})",
                      css_class="finpolicy-picture finpolicy-suitability-changes")


PICTURES = (Picture("suitability-matrix", "Suitability matrix", suitability_matrix),)
CHANGES = ChangePicture("Decisions that differ", suitability_changes)
