"""The shipped pack's policy versions, read from it (tests that name a version do not break
when the pack raises one), and changed copies of the pack to backtest."""

from __future__ import annotations

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
