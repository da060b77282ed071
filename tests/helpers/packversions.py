"""The shipped pack's policy versions, read from it (tests that name a version do not break
when the pack raises one), and changed copies of the pack to backtest."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import finpolicy as fp


def versions(policy_id: str) -> list[str]:
    """The versions of ``policy_id`` in the shipped pack, oldest window first."""
    docs = [d for d in fp.load_bundle().documents if d.id == policy_id]
    return [d.version for d in sorted(docs, key=lambda d: d.metadata.effective_from)]


SUIT_2018, SUIT_2026 = versions("cn-suitability")


def with_elderly_age(source: Path, into: Path, age: int) -> Path:
    """A copy of the pack at ``source`` in ``into`` whose 2026 suitability rule for elderly
    customers starts at ``age`` instead of 65: a policy change to backtest."""
    shutil.copytree(source, into)
    rules = into / "suitability-2026.yaml"
    text = rules.read_text(encoding="utf-8")
    assert "- {field: customer.age, ge: 65}" in text
    rules.write_text(text.replace("- {field: customer.age, ge: 65}",
                                  f"- {{field: customer.age, ge: {age}}}"), encoding="utf-8")
    return into


def with_consent_ban_from_2027(bundle: fp.Bundle, into: Path, *, rule_id: str, channel: str,
                               reason: str) -> Path:
    """A copy of ``bundle`` at ``into`` with a consent version 9.0.0 from 2027-01-01 that
    denies marketing on ``channel`` (rule ``rule_id``); the current version ends the day
    before."""
    shutil.copytree(bundle.root, into)
    current = into / "consent.yaml"
    text = current.read_text(encoding="utf-8")
    doc = bundle.in_force("ConsentPolicy", dt.date(2026, 3, 1))
    start = f"  effective_from: {doc.metadata.effective_from.isoformat()}\n"
    anchor = "    - id: marketing-never-core\n"
    assert start in text and anchor in text
    rule = (f"    - id: {rule_id}\n"
            "      when: {all: [{field: request.purpose, eq: marketing},"
            f" {{field: request.channel, eq: {channel}}}]}}\n"
            "      effect: deny\n"
            f"      reason: {reason}\n"
            "      cite: bank own rule\n")
    nxt = (text.replace(f"  version: {doc.version}\n", "  version: 9.0.0\n", 1)
           .replace(start, "  effective_from: 2027-01-01\n", 1).replace(anchor, rule + anchor, 1))
    (into / "consent-2027.yaml").write_text(nxt, encoding="utf-8")
    current.write_text(text.replace(start, start + "  effective_until: 2026-12-31\n", 1),
                       encoding="utf-8")
    return into


def with_classification_from_2027(bundle: fp.Bundle, into: Path, *, core_name: str,
                                  zone: str | None = None) -> Path:
    """A copy of ``bundle`` at ``into`` with a classification version 9.0.0 from 2027-01-01
    under which a field named ``core_name`` is core; the current version ends the day before.
    ``zone``: both versions' ``settings.time_zone`` (the shipped pack relies on the default,
    Asia/Shanghai)."""
    shutil.copytree(bundle.root, into)
    current = into / "classification.yaml"
    text = current.read_text(encoding="utf-8")
    doc = bundle.in_force("ClassificationPolicy", dt.date(2026, 3, 1))
    start = f"  effective_from: {doc.metadata.effective_from.isoformat()}\n"
    anchor = "  rules:\n"
    assert start in text and text.count(anchor) == 1 and "time_zone" not in text
    if zone is not None:
        text = text.replace(anchor, f"  settings:\n    time_zone: {zone}\n" + anchor, 1)
    rule = (f"    - id: core-{core_name}-from-2027\n"
            f"      when: {{field: field.name, eq: {core_name}}}\n"
            "      level: core\n"
            "      category: basic_identity\n"
            "      pfi_category: C3\n"
            "      reason: the bank's own rule from 2027\n"
            "      cite: seed-002 §7.2\n")
    nxt = (text.replace(f"  version: {doc.version}\n", "  version: 9.0.0\n", 1)
           .replace(start, "  effective_from: 2027-01-01\n", 1).replace(anchor, anchor + rule, 1))
    (into / "classification-2027.yaml").write_text(nxt, encoding="utf-8")
    current.write_text(text.replace(start, start + "  effective_until: 2026-12-31\n", 1),
                       encoding="utf-8")
    return into


def with_version_from_2027(bundle: fp.Bundle, into: Path, *, kind: str, file: str,
                           invariant: str | None = None) -> Path:
    """A copy of ``bundle`` at ``into`` whose ``kind`` policy (written in ``file``) has a
    version 9.0.0 from 2027-01-01, the same policy but for ``invariant`` (YAML text of one
    item of ``invariants:``, indented as the pack's, added to the new version's own); the
    current version ends the day before."""
    shutil.copytree(bundle.root, into)
    current = into / file
    text = current.read_text(encoding="utf-8")
    doc = bundle.in_force(kind, dt.date(2026, 3, 1))
    start = f"  effective_from: {doc.metadata.effective_from.isoformat()}\n"
    anchor = "  invariants:\n"
    assert start in text and text.count(anchor) == 1 and "effective_until" not in text
    nxt = (text.replace(f"  version: {doc.version}\n", "  version: 9.0.0\n", 1)
           .replace(start, "  effective_from: 2027-01-01\n", 1))
    if invariant is not None:
        nxt = nxt.replace(anchor, anchor + invariant, 1)
    (into / file.replace(".yaml", "-2027.yaml")).write_text(nxt, encoding="utf-8")
    current.write_text(text.replace(start, start + "  effective_until: 2026-12-31\n", 1),
                       encoding="utf-8")
    return into


def never_holds(fact: str, cite: str) -> str:
    """An invariant (item of ``invariants:``) no decision whose numeric fact ``decision.<fact>``
    is at least 0 meets; ``cite`` a source the policy names."""
    return ("    - name: broken from 2027\n"
            f"      given: {{field: decision.{fact}, ge: 0}}\n"
            f"      expect: {{field: decision.{fact}, lt: 0}}\n"
            f"      cite: {cite}\n")


def starting_on(bundle: fp.Bundle, into: Path, *, kind: str, file: str, day: dt.date) -> Path:
    """A copy of ``bundle`` at ``into`` whose ``kind`` policy (written in ``file``, one
    version) takes effect on ``day`` instead."""
    shutil.copytree(bundle.root, into)
    path = into / file
    text = path.read_text(encoding="utf-8")
    (doc,) = bundle.policies(kind)
    start = f"  effective_from: {doc.metadata.effective_from.isoformat()}\n"
    assert text.count(start) == 1
    path.write_text(text.replace(start, f"  effective_from: {day.isoformat()}\n"),
                    encoding="utf-8")
    return into


def with_suitability_level_from_2027(bundle: fp.Bundle, into: Path) -> Path:
    """A copy of ``bundle`` at ``into`` with a suitability version 9.0.0 from 2027-01-01 that
    adds a customer level C6 and a product level R6 (ranked 6); the current version ends the
    day before and knows neither."""
    shutil.copytree(bundle.root, into)
    current = into / "suitability-2026.yaml"
    text = current.read_text(encoding="utf-8")
    doc = bundle.in_force("SuitabilityPolicy", dt.date(2026, 3, 1))
    start = f"  effective_from: {doc.metadata.effective_from.isoformat()}\n"
    c5 = next(line for line in text.splitlines(keepends=True) if "{level: C5," in line)
    r5 = next(line for line in text.splitlines(keepends=True) if "{level: R5," in line)
    assert start in text
    nxt = (text.replace(f"  version: {doc.version}\n", "  version: 9.0.0\n", 1)
           .replace(start, "  effective_from: 2027-01-01\n", 1)
           .replace(c5, c5 + c5.replace("C5", "C6").replace("rank: 5", "rank: 6")
                    .replace("aggressive", "speculative"), 1)
           .replace(r5, r5 + r5.replace("R5", "R6").replace("rank: 5", "rank: 6")
                    .replace("name: high", "name: very-high"), 1))
    (into / "suitability-2027.yaml").write_text(nxt, encoding="utf-8")
    current.write_text(text.replace(start, start + "  effective_until: 2026-12-31\n", 1),
                       encoding="utf-8")
    return into
