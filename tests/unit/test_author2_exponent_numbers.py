"""A number written with an exponent and no dot (``1e6``) is text to YAML 1.1: the message
says so and what to write instead."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from finpolicy.validation import validate_pack

PACK = Path(__file__).resolve().parents[2] / "policies" / "cn-banking"


def _messages(tmp_path: Path, old: str, new: str) -> list[str]:
    shutil.copytree(PACK, tmp_path / "pack")
    path = tmp_path / "pack" / "suitability-2026.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return [p.message for p in validate_pack(tmp_path / "pack").problems]


@pytest.mark.parametrize("written,advice", [
    ("1e6", "write 1.0e+6 or 1000000"), ("2E3", "write 2.0e+3 or 2000"),
    ("1e300", "write 1.0e+300, though a condition's numbers are within ±2^53")])
def test_an_ordering_against_1e6_says_why_it_is_text(tmp_path: Path, written: str,
                                                      advice: str) -> None:
    messages = _messages(tmp_path, "{field: assessment.count_today, gt: 2}",
                         f"{{field: assessment.count_today, gt: {written}}}")
    [message] = [m for m in messages if written in m]
    assert f"`gt` expects a number, got text `{written}`" in message
    assert "YAML reads a number with an exponent as text" in message
    assert advice in message


def test_an_equality_with_a_number_field_says_so_too(tmp_path: Path) -> None:
    messages = _messages(tmp_path, "{field: assessment.count_today, gt: 2}",
                         "{field: assessment.count_today, in: [1, 1e6]}")
    [message] = [m for m in messages if "1e6" in m]
    assert "got text `1e6`" in message and "write 1.0e+6 or 1000000" in message
    other = _messages(tmp_path / "other", "{field: assessment.count_today, gt: 2}",
                      "{field: assessment.count_today, in: [1, many]}")
    [message] = [m for m in other if "many" in m]
    assert "exponent" not in message  # text that is no number gets no advice

