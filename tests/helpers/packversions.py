"""The versions of the shipped pack's policies, read from it: tests that name a version do
not break when the pack raises one."""

from __future__ import annotations

import finpolicy as fp


def versions(policy_id: str) -> list[str]:
    """The versions of ``policy_id`` in the shipped pack, oldest window first."""
    docs = [d for d in fp.load_bundle().documents if d.id == policy_id]
    return [d.version for d in sorted(docs, key=lambda d: d.metadata.effective_from)]


SUIT_2018, SUIT_2026 = versions("cn-suitability")
