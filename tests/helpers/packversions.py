"""The shipped pack's policy versions, read from it (tests that name a version do not break
when the pack raises one), and changed copies of the pack to backtest."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import finpolicy as fp


def versions(policy_id: str) -> list[str]:
    """The versions of ``policy_id`` in the shipped pack, oldest window first."""
    docs = [d for d in fp.load_bundle().documents if d.id == policy_id]
    return [d.version for d in sorted(docs, key=lambda d: d.metadata.effective_from)]


RELEASED = dt.date(2026, 12, 7)
"""The day cn-access 1.4.0 and cn-suitability 2.4.0 took effect."""


def earlier_pack(into: Path, before: dt.date = RELEASED) -> Path:
    """A copy at ``into`` of the shipped cn-banking pack as it stood before the versions
    taking effect on ``before`` (their files left out, the versions they replaced without
    their end): for tests that write new versions of their own, of a pack in which cn-access
    has one version and cn-suitability two."""
    import re

    from finpolicy.documents.bundle import shipped_packs

    shipped = fp.load_bundle(shipped_packs() / "cn-banking")
    shutil.copytree(shipped.root, into)
    for doc in shipped.documents:
        file = into / Path(doc.file).name
        if doc.metadata.effective_from >= before:
            file.unlink()
        elif doc.metadata.effective_until == before - dt.timedelta(days=1):
            text = file.read_text(encoding="utf-8")
            end = re.compile(rf"  effective_until: {doc.metadata.effective_until}.*\n")
            assert len(end.findall(text)) == 1, file
            file.write_text(end.sub("", text), encoding="utf-8")
    return into



def planted(into: Path, file: str, anchor: str, text: str) -> Path:
    """A copy at ``into`` of the shipped cn-banking pack whose ``file`` has ``text`` in place
    of its one ``anchor`` (rules a test plants in a policy of its own copy)."""
    from finpolicy.documents.bundle import shipped_packs

    shutil.copytree(shipped_packs() / "cn-banking", into)
    path = into / file
    found = path.read_text(encoding="utf-8")
    assert found.count(anchor) == 1, (file, anchor)
    path.write_text(found.replace(anchor, text, 1), encoding="utf-8")
    return into

# the 2018 rule's version and the NFRA 2025 rule's first (from 2026-02-01); later versions of
# the 2025 rule follow them
SUIT_2018, SUIT_2026 = versions("cn-suitability")[:2]


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


def with_calendar(into: Path, **calendar: object) -> fp.Bundle:
    """A copy of the shipped cn-banking pack at ``into``, its complaint policy's calendar
    updated with ``calendar`` (overrides, confirmed_years, unconfirmed_year ...), loaded."""
    import yaml

    from finpolicy.documents.bundle import shipped_packs

    shutil.copytree(shipped_packs() / "cn-banking", into)
    path = into / "complaints.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["spec"]["calendar"].update(calendar)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return fp.load_bundle(into)


def _copy(bundle: fp.Bundle, into: Path) -> Path:
    """A copy of ``bundle``'s folder at ``into``; of the shipped pack as it stood before the
    versions of 2026-12-07 (``earlier_pack``), so that the version in force in 2026 is the last
    and a version from 2027 may follow it."""
    from finpolicy.documents.bundle import shipped_packs

    if Path(bundle.root).resolve() == (shipped_packs() / "cn-banking").resolve():
        return earlier_pack(into)
    shutil.copytree(bundle.root, into)
    return into


def _from_2027(bundle: fp.Bundle, into: Path, *, kind: str, file: str, new_file: str,
               edit: Callable[[str], str] = lambda text: text,
               both: Callable[[str], str] = lambda text: text) -> Path:
    """A copy of ``bundle`` at ``into`` whose ``kind`` policy in force in 2026 (written in
    ``file``) ends on 2026-12-31 and has a version 9.0.0 from 2027-01-01 in ``new_file``: its
    text with ``edit`` applied; ``both`` is applied to the text of both versions first."""
    _copy(bundle, into)
    current = into / file
    text = both(current.read_text(encoding="utf-8"))
    doc = bundle.in_force(kind, dt.date(2026, 3, 1))
    start = f"  effective_from: {doc.metadata.effective_from.isoformat()}\n"
    assert start in text
    nxt = edit(text.replace(f"  version: {doc.version}\n", "  version: 9.0.0\n", 1)
               .replace(start, "  effective_from: 2027-01-01\n", 1))
    (into / new_file).write_text(nxt, encoding="utf-8")
    current.write_text(text.replace(start, start + "  effective_until: 2026-12-31\n", 1),
                       encoding="utf-8")
    return into


def with_consent_ban_from_2027(bundle: fp.Bundle, into: Path, *, rule_id: str, channel: str,
                               reason: str) -> Path:
    """A copy of ``bundle`` at ``into`` with a consent version 9.0.0 from 2027-01-01 that
    denies marketing on ``channel`` (rule ``rule_id``); the current version ends the day
    before."""
    anchor = "    - id: marketing-never-core\n"
    rule = (f"    - id: {rule_id}\n"
            "      when: {all: [{field: request.purpose, eq: marketing},"
            f" {{field: request.channel, eq: {channel}}}]}}\n"
            "      effect: deny\n"
            f"      reason: {reason}\n"
            "      cite: bank own rule\n")
    assert anchor in (Path(bundle.root) / "consent.yaml").read_text(encoding="utf-8")
    return _from_2027(bundle, into, kind="ConsentPolicy", file="consent.yaml",
                      new_file="consent-2027.yaml",
                      edit=lambda text: text.replace(anchor, rule + anchor, 1))

def with_classification_from_2027(bundle: fp.Bundle, into: Path, *, core_name: str,
                                  zone: str | None = None) -> Path:
    """A copy of ``bundle`` at ``into`` with a classification version 9.0.0 from 2027-01-01
    under which a field named ``core_name`` is core; the current version ends the day before.
    ``zone``: both versions' ``settings.time_zone`` (the shipped pack relies on the default,
    Asia/Shanghai)."""
    anchor = "  rules:\n"
    text = (Path(bundle.root) / "classification.yaml").read_text(encoding="utf-8")
    assert text.count(anchor) == 1 and "time_zone" not in text
    rule = (f"    - id: core-{core_name}-from-2027\n"
            f"      when: {{field: field.name, eq: {core_name}}}\n"
            "      level: core\n"
            "      category: basic_identity\n"
            "      pfi_category: C3\n"
            "      reason: the bank's own rule from 2027\n"
            "      cite: seed-002 §7.2\n")
    settings = "" if zone is None else f"  settings:\n    time_zone: {zone}\n"
    return _from_2027(bundle, into, kind="ClassificationPolicy", file="classification.yaml",
                      new_file="classification-2027.yaml",
                      edit=lambda text: text.replace(anchor, anchor + rule, 1),
                      both=lambda text: text.replace(anchor, settings + anchor, 1))

def with_version_from_2027(bundle: fp.Bundle, into: Path, *, kind: str, file: str,
                           invariant: str | None = None) -> Path:
    """A copy of ``bundle`` at ``into`` whose ``kind`` policy (written in ``file``) has a
    version 9.0.0 from 2027-01-01, the same policy but for ``invariant`` (YAML text of one
    item of ``invariants:``, indented as the pack's, added to the new version's own); the
    current version ends the day before."""
    anchor = "  invariants:\n"
    text = (Path(bundle.root) / file).read_text(encoding="utf-8")
    assert text.count(anchor) == 1
    return _from_2027(bundle, into, kind=kind, file=file,
                      new_file=file.replace(".yaml", "-2027.yaml"),
                      edit=lambda text: text if invariant is None
                      else text.replace(anchor, anchor + invariant, 1))

def never_holds(fact: str, cite: str) -> str:
    """An invariant (item of ``invariants:``) no decision whose numeric fact ``decision.<fact>``
    is at least 0 meets; ``cite`` a source the policy names."""
    return ("    - name: broken from 2027\n"
            f"      given: {{field: decision.{fact}, ge: 0}}\n"
            f"      expect: {{field: decision.{fact}, lt: 0}}\n"
            f"      cite: {cite}\n")


def starting_on(bundle: fp.Bundle, into: Path, *, kind: str, file: str, day: dt.date) -> Path:
    """A copy of ``bundle`` at ``into`` whose ``kind`` policy (written in ``file``, one
    version, as the shipped pack's were before 2026-12-07) takes effect on ``day`` instead."""
    _copy(bundle, into)
    path = into / file
    text = path.read_text(encoding="utf-8")
    (doc,) = fp.load_bundle(into).policies(kind)
    start = f"  effective_from: {doc.metadata.effective_from.isoformat()}\n"
    assert text.count(start) == 1
    path.write_text(text.replace(start, f"  effective_from: {day.isoformat()}\n"),
                    encoding="utf-8")
    return into


def with_suitability_level_from_2027(bundle: fp.Bundle, into: Path) -> Path:
    """A copy of ``bundle`` at ``into`` with a suitability version 9.0.0 from 2027-01-01 that
    adds a customer level C6 and a product level R6 (ranked 6); the current version ends the
    day before and knows neither."""
    lines = (Path(bundle.root) / "suitability-2026.yaml").read_text(encoding="utf-8").splitlines(
        keepends=True)
    c5 = next(line for line in lines if "{level: C5," in line)
    r5 = next(line for line in lines if "{level: R5," in line)
    c6 = c5.replace("C5", "C6").replace("rank: 5", "rank: 6").replace("aggressive",
                                                                       "speculative")
    r6 = r5.replace("R5", "R6").replace("rank: 5", "rank: 6").replace("name: high",
                                                                       "name: very-high")
    return _from_2027(bundle, into, kind="SuitabilityPolicy", file="suitability-2026.yaml",
                      new_file="suitability-2027.yaml",
                      edit=lambda text: text.replace(c5, c5 + c6, 1).replace(r5, r5 + r6, 1))
