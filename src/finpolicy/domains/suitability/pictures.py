"""The suitability matrix (customer level × product level), the boundary cases either side of
every threshold the rules draw, and the decisions that differ between two versions.

Sample customers come from the policy itself: ages either side of every age the rules compare,
assessments either side of the policy's expiry, counts and shares either side of every limit.
A changed threshold therefore changes the pictures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from finpolicy.docgen.boundaries import Threshold, thresholds, untouched
from finpolicy.docgen.html import COLOURS, cell_list, escape, html_table, in_force_day, legend
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.base import ChangePicture, Picture
from finpolicy.domains.suitability.evaluate import check_suitability
from finpolicy.domains.suitability.models import Customer, Product, SuitabilityDecision
from finpolicy.runtime import Runtime

__all__ = ["CHANGES", "PICTURES", "Probe", "boundary_probes", "probes", "suitability_boundaries",
           "suitability_changes", "suitability_matrix", "suitability_outcomes", "typical_probe"]

_ASSETS = 1_000_000  # investable assets (CNY) of a probe buying a share of them
_HORIZON = 12        # investment horizon (months) of a probe buying a longer term


@attrs.frozen(slots=True)
class Probe:
    """A sample customer (and sale), described relative to the evaluation day.

    ``age`` None gives no birth date; ``assessed`` is days between assessment and evaluation;
    ``today``/``in_window`` count the current assessment with earlier ones that day / within
    the policy's window; ``share`` is the amount over investable assets; ``term_excess`` the
    months a product's term runs beyond the customer's horizon; ``extra`` other customer
    fields.
    """

    label: str
    age: int | None = None
    assessed: int = 0
    today: int = 1
    in_window: int = 1
    share: float | None = None
    term_excess: int | None = None
    extra: tuple[tuple[str, Any], ...] = ()
    boundary: str = ""

    def inputs(self, on: dt.date, level: str) -> tuple[dict[str, Any], dict[str, Any],
                                                      float | None]:
        """``(customer fields, product fields, amount)`` on ``on`` at customer ``level``."""
        assessed = on - dt.timedelta(days=self.assessed)
        history = [assessed] * (self.today - 1)
        history += [assessed - dt.timedelta(days=k)
                    for k in range(1, max(self.in_window - self.today, 0) + 1)]
        customer: dict[str, Any] = {"id": f"c-{level}", "risk_level": level,
                                    "assessment_date": assessed,
                                    "assessment_history": history, **dict(self.extra)}
        if self.age is not None:
            customer["birth_date"] = dt.date(on.year - self.age, on.month, min(on.day, 28))
        product: dict[str, Any] = {}
        amount = None
        if self.share is not None:
            customer["investable_assets"] = _ASSETS
            amount = round(self.share * _ASSETS, 2)
        if self.term_excess is not None:
            customer["investment_horizon_months"] = _HORIZON
            product["term_months"] = _HORIZON + self.term_excess
        return customer, product, amount


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def _age_words(age: int | None) -> str:
    return "an individual" if age is None else f"an individual aged {age}"


def typical_probe(doc: PolicyDocument[Any]) -> Probe:
    """An ordinary individual with full legal capacity, assessed on the evaluation day, whose
    age is the lowest either side of the rules' age thresholds that meets none of them (no
    birth date when no rule compares ages)."""
    ages = thresholds(doc, lambda path: path == "customer.age")
    age = untouched(ages)
    age = None if age is None else int(age)
    return Probe(f"{_age_words(age)}, assessed that day", age=age)


def boundary_probes(doc: PolicyDocument[Any]) -> list[Probe]:
    """Two probes either side of every numeric threshold of the rules on the customer, the
    assessment and the sale, and of the assessment's expiry (``assessment_valid_days``)."""
    base = typical_probe(doc)
    out: list[Probe] = []

    def add(threshold: Threshold, step: int | float, make: Any, words: str = "") -> None:
        for x in threshold.sides(step):
            probe = make(x)
            if probe is not None:
                out.append(attrs.evolve(probe, boundary=words or threshold.words()))

    for t in thresholds(doc):
        if t.path == "customer.age":
            add(t, 1, lambda x: attrs.evolve(
                base, label=f"{_age_words(int(x))}, assessed that day", age=int(x)))
        elif t.path == "assessment.days_since":
            add(t, 1, lambda x: _assessed(base, int(x)))
        elif t.path == "assessment.count_today":
            add(t, 1, lambda x: None if x < 1 else attrs.evolve(
                base, label=f"{base.label}, the {_ordinal(int(x))} assessment of the day",
                today=int(x), in_window=int(x)))
        elif t.path == "assessment.count_12m":
            add(t, 1, lambda x: None if x < 1 else attrs.evolve(
                base, label=f"{base.label}, the {_ordinal(int(x))} assessment in the window",
                in_window=int(x)))
        elif t.path == "sale.amount_share":
            add(t, 0.01, lambda x: None if x < 0 else attrs.evolve(
                base, label=f"{base.label}, buying {x:.0%} of investable assets", share=x))
        elif t.path == "sale.term_exceeds_horizon_months":
            add(t, 1, lambda x: None if x < 0 else attrs.evolve(
                base, label=f"{base.label}, a term {_months(int(x))} beyond the horizon",
                term_excess=int(x)))
    valid = getattr(getattr(doc.spec, "settings", None), "assessment_valid_days", None)
    if isinstance(valid, int):
        expiry = Threshold("assessment.days_since", "gt", valid, "", "")
        add(expiry, 1, lambda x: _assessed(base, int(x)),
            f"the assessment's validity of {valid} days (settings.assessment_valid_days)")
    return out


def _assessed(base: Probe, days: int) -> Probe:
    return attrs.evolve(base, label=f"{_age_words(base.age)}, assessed {days} days before",
                        assessed=days)


def probes(doc: PolicyDocument[Any]) -> list[Probe]:
    """The typical probe, the boundary probes, customers with limited legal capacity (with
    a guardian's consent) and a professional individual, and, when the rules compare ages, an
    individual with no birth date on file (whose age no rule can read)."""
    base = typical_probe(doc)
    unknown = [] if base.age is None else [
        attrs.evolve(base, label="an individual with no birth date on file, assessed that day",
                     age=None)]
    return [base, *boundary_probes(doc),
            attrs.evolve(base, label=f"{base.label}, limited legal capacity, guardian consent",
                         extra=(("legal_capacity", "limited"), ("guardian_consent", True))),
            attrs.evolve(base, label=f"{base.label}, a professional investor",
                         extra=(("investor_type", "professional"),)), *unknown]


def _decide(runtime: Runtime, doc: PolicyDocument[Any], probe: Probe, on: dt.date,
            level: str, product_level: str, product_kind: str) -> SuitabilityDecision:
    customer, product, amount = probe.inputs(on, level)
    return check_suitability(
        runtime, Customer(**customer),
        Product(id=f"p-{product_level}", kind=product_kind, risk_level=product_level, **product),
        amount=amount, as_of=on, policy=doc.id)


def suitability_outcomes(runtime: Runtime, doc: PolicyDocument[Any], product_kind: str,
                         probe: Probe | None = None
                         ) -> dict[tuple[str, str], SuitabilityDecision]:
    """``(customer level, product level)`` → decision, for one probe customer (the typical one
    by default) on a day inside ``doc``'s window; the product is of ``product_kind``, rated the
    same by issuer and seller."""
    on = in_force_day(doc)
    probe = probe or typical_probe(doc)
    return {(c.level, r.level): _decide(runtime, doc, probe, on, c.level, r.level, product_kind)
            for c in doc.spec.customer_levels for r in doc.spec.product_levels}


def _product_kinds(doc: PolicyDocument[Any]) -> list[str]:
    kinds = ["wealth_management"]
    securities = list(getattr(doc.spec.settings, "securities_kinds", ()) or ())
    if securities:
        kinds.append(securities[0])
    return kinds


def _outcome_cell(d: SuitabilityDecision, hide: set[str]) -> tuple[str, str]:
    inner = f"<b>{escape(d.outcome)}</b>"
    rest = [o for o in d.obligations if o not in hide]
    if rest:
        inner += f"<br>{cell_list(rest)}"
    title = escape("; ".join(h.rule_id for h in d.hits) or "no rule matched")
    return (f'<span title="{title}">{inner}</span>',
            f"background:{COLOURS.get(d.outcome, COLOURS['error'])}")


def _legend() -> str:
    return legend([(o, COLOURS[o]) for o in ("suitable", "conditional", "unsuitable")])


def suitability_matrix(runtime: Runtime, doc: PolicyDocument[Any]) -> str:
    """Customer level × product level, coloured by the outcome of ``check_suitability`` for the
    typical probe; one matrix for a wealth-management product and, when the policy names
    securities kinds, one for the first of them (the securities rule may turn a refusal into
    a warning). The boundary cases follow."""
    on = in_force_day(doc)
    probe = typical_probe(doc)
    parts = [_legend()]
    for kind in _product_kinds(doc):
        decisions = suitability_outcomes(runtime, doc, kind, probe)
        common = set.intersection(*(set(d.obligations) for d in decisions.values()))
        rows = []
        for c in doc.spec.customer_levels:
            row = [(f"{escape(c.level)}<br><span style=\"font-weight:normal;font-size:11px\">"
                    f"{escape(c.name)}</span>", "")]
            row += [_outcome_cell(decisions[c.level, r.level], common)
                    for r in doc.spec.product_levels]
            rows.append(row)
        header = ["Customer \\ product",
                  *[f"{r.level} {r.name}" for r in doc.spec.product_levels]]
        parts.append(html_table(
            header, rows, caption=f"{doc.id} {doc.version}: a {kind.replace('_', '-')} product, "
                                  f"on {on}, for {probe.label}"
                                  + (f"; every cell carries {', '.join(sorted(common))}"
                                     if common else ""),
            css_class="finpolicy-picture finpolicy-suitability-matrix"))
    parts.append(suitability_boundaries(runtime, doc))
    return "\n".join(parts)


def suitability_boundaries(runtime: Runtime, doc: PolicyDocument[Any]) -> str:
    """A customer at the highest level (so no product is above tolerance) either side of every
    threshold the rules draw, against every product level: the outcome and the rules that
    decided it. The rules that matched in every cell (a disclosure every sale gets) are named
    once, in the caption, instead of in each cell."""
    found = boundary_probes(doc)
    if not found:
        return "<p>The rules compare no age, assessment, count or share with a number.</p>"
    on = in_force_day(doc)
    top = max(doc.spec.customer_levels, key=lambda c: c.rank)
    kind = _product_kinds(doc)[0]
    decided = [[_decide(runtime, doc, probe, on, top.level, r.level, kind)
                for r in doc.spec.product_levels] for probe in found]
    everywhere = set.intersection(*({h.rule_id for h in d.hits} for row in decided for d in row))
    rows = []
    for probe, decisions in zip(found, decided, strict=True):
        row = [(f"{escape(probe.label)}<br><span style=\"font-weight:normal;font-size:11px\">"
                f"either side of {escape(probe.boundary)}</span>", "text-align:left")]
        for d in decisions:
            rules = [h.rule_id for h in d.hits if h.rule_id not in everywhere]
            row.append((f"<b>{escape(d.outcome)}</b><br>{cell_list(rules)}",
                        f"background:{COLOURS.get(d.outcome, COLOURS['error'])}"))
        rows.append(row)
    header = ["Customer", *[f"{r.level} {r.name}" for r in doc.spec.product_levels]]
    besides = (f" besides those matching in every cell: {', '.join(sorted(everywhere))}"
               if everywhere else "")
    return html_table(
        header, rows,
        caption=f"{doc.id} {doc.version}: boundary cases, a {top.level} {top.name} customer, "
                f"a {kind.replace('_', '-')} product, on {on}; each cell lists the rules that "
                f"matched{besides}",
        css_class="finpolicy-picture finpolicy-suitability-boundaries")


def suitability_changes(runtime: Runtime, old: PolicyDocument[Any],
                        new: PolicyDocument[Any]) -> str:
    """The C × R cells whose outcome or obligations differ between two versions, for each
    probe of either version (each version evaluated on a day inside its own window), cells
    with the same change grouped in one row."""
    cases = {p.label: p for doc in (old, new) for p in probes(doc)}
    groups: dict[tuple[Any, ...], list[str]] = {}
    for kind in _product_kinds(new):
        for label, probe in cases.items():
            before = suitability_outcomes(runtime, old, kind, probe)
            after = suitability_outcomes(runtime, new, kind, probe)
            for key, d in after.items():
                was = before.get(key)
                if was is None or (was.outcome, was.obligations) == (d.outcome, d.obligations):
                    continue
                change = (label, kind, was.outcome, was.obligations, d.outcome, d.obligations,
                          d.rule_ids)
                groups.setdefault(change, []).append(f"{key[0]}×{key[1]}")
    if not groups:
        return "<p>No suitability decision of the compared cases changes.</p>"
    rows = []
    for (label, kind, was, was_obl, now, now_obl, rules), cells in groups.items():
        rows.append([
            (f"{escape(label)}; {escape(kind.replace('_', '-'))} product", "text-align:left"),
            (escape(", ".join(cells)), "text-align:left;font-weight:normal;max-width:16em"),
            (f"<b>{escape(was)}</b><br>{cell_list(was_obl)}",
             f"background:{COLOURS.get(was, COLOURS['error'])}"),
            (f"<b>{escape(now)}</b><br>{cell_list(now_obl)}",
             f"background:{COLOURS.get(now, COLOURS['error'])}"),
            (cell_list(rules), "text-align:left")])
    table = html_table(["Case", "Customer × product levels", old.version, new.version,
                        f"Rules in {new.version}"], rows,
                       caption=f"Suitability decisions that differ ({old.version} on "
                               f"{in_force_day(old)} → {new.version} on {in_force_day(new)})",
                       css_class="finpolicy-picture finpolicy-suitability-changes")
    return _legend() + table


PICTURES = (Picture("suitability-matrix", "Suitability matrix", suitability_matrix),)
CHANGES = ChangePicture("Decisions that differ", suitability_changes)
