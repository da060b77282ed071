"""Hypothesis strategies for classification inputs, drawn from a bundle's classification
policies: field names and tags the rules mention, sample values that are valid or near-miss
identifiers, alone or inside a note."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from finpolicy.documents.bundle import Bundle, PolicyDocument
from finpolicy.domains.classification.model import DataField

# the module, not its names: hypothesis' entry point imports this one while
# finpolicy.testing.strategies may be half-imported (it imports hypothesis)
from finpolicy.testing import strategies as shared
from finpolicy.testing.vocabulary import effective_dates, literals

__all__ = ["STRATEGIES", "TYPE_STRATEGIES", "classification_cases", "data_fields",
           "evaluation_times", "records"]

_CLASSIFICATION = "ClassificationPolicy"


def data_fields(bundle: Bundle | None = None) -> st.SearchStrategy[Any]:
    """``fp.DataField`` values named with the names and tags the bundle's rules mention (and
    unknown ones), with sample values that are valid or near-miss ID, card and phone numbers,
    alone or inside a note."""
    import random

    from finpolicy.testing import fakes

    b = shared.bundle_or_default(bundle)
    shared.require(b, _CLASSIFICATION)
    found = literals(b, _CLASSIFICATION)
    names = sorted({str(v) for v in found.get("field.name", set())} | {"col1", "remark"})
    tags = sorted({str(v) for v in found.get("field.tags", set())} | {"misc"})
    makers = [fakes.resident_id, fakes.invalid_resident_id, fakes.bank_card,
              fakes.invalid_bank_card, fakes.mobile, fakes.email, fakes.chinese_name, _note]

    @st.composite
    def samples(draw: st.DrawFn) -> list[str]:
        rng = random.Random(draw(st.integers(0, 2**16)))
        maker = draw(st.sampled_from(makers))
        return [maker(rng) for _ in range(draw(st.integers(0, 5)))]

    return st.builds(DataField, name=st.sampled_from(names), sample_values=samples(),
                     tags=st.lists(st.sampled_from(tags), max_size=2, unique=True))


def _note(rng: Any) -> str:
    """A note or remark holding, each by chance, a resident ID, a card number (valid or with a
    wrong check character), a mobile number and an e-mail address."""
    from finpolicy.testing import fakes

    parts = ["客户来电"]
    for label, good, bad in (("证件号", fakes.resident_id, fakes.invalid_resident_id),
                             ("card", fakes.bank_card, fakes.invalid_bank_card),
                             ("请回电", fakes.mobile, None), ("mail", fakes.email, None)):
        draw = rng.random()
        if draw < 0.5:
            parts.append(f"{label} {good(rng)}")
        elif draw < 0.75 and bad is not None:
            parts.append(f"{label} {bad(rng)}")
    return "，".join(parts)


def records(bundle: Bundle | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Records (field name → sample value) for ``classify_record``, one to five fields."""
    fields = data_fields(bundle)
    return st.lists(fields, min_size=1, max_size=5, unique_by=lambda f: f.name).map(
        lambda fs: {f.name: (f.sample_values[0] if f.sample_values else "x") for f in fs})


def evaluation_times(bundle: Bundle | None = None, *,
                     policy: PolicyDocument[Any] | None = None) -> list[dt.date | dt.datetime]:
    """Days around the windows of the classification versions (of ``policy``'s window only,
    when given; today first when it is in force), each as a date, at 10:00 in the policy's
    time zone, and at its first and last half hours written in UTC (2026-12-31T16:30Z is on
    2027-01-01 in Beijing)."""
    b = shared.bundle_or_default(bundle)
    docs = [policy] if policy is not None else shared.require(b, _CLASSIFICATION)
    out: list[dt.date | dt.datetime] = []
    for doc in docs:
        zone = doc.policy.zone
        today = dt.datetime.now(zone).date()
        days = [d for d in effective_dates(b, _CLASSIFICATION) if doc.metadata.in_force(d)]
        days = [today] * doc.metadata.in_force(today) + (days or [doc.metadata.effective_from])
        for day in days:
            out += [day, dt.datetime.combine(day, dt.time(10), zone),
                    dt.datetime.combine(day, dt.time(0, 30), zone).astimezone(dt.UTC),
                    dt.datetime.combine(day, dt.time(23, 30), zone).astimezone(dt.UTC)]
    return list(dict.fromkeys(out))


def classification_cases(bundle: Bundle | None = None, *,
                         policy: PolicyDocument[Any] | None = None,
                         ) -> st.SearchStrategy[dict[str, Any]]:
    """``{field, as_of}``: a field (``data_fields``) and a day or instant on which
    ``policy`` (any classification version, when absent) is in force (``evaluation_times``),
    so the invariants of a version that takes effect later are checked too."""
    return st.fixed_dictionaries({"field": data_fields(bundle),
                                  "as_of": st.sampled_from(evaluation_times(bundle,
                                                                            policy=policy))})


STRATEGIES = ("classification_cases", "data_fields", "records")
TYPE_STRATEGIES = {DataField: data_fields}
