"""A policy's metadata is read as its JSON schema describes it: a day is a date (not a date
and time), and each source id is listed once, so a rule's `cite` names one source."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs


def _validate(tmp_path: Path, file: str, old: str, new: str) -> tuple[int, str]:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    text = (pack / file).read_text(encoding="utf-8")
    assert old in text
    (pack / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    return result.exit_code, result.stdout.replace(f"{pack}/", "")


@pytest.mark.parametrize("written", ['"2026-02-01T00:00:00"', "2026-02-01 00:00:00",
                                     '"2026-02-01T00:00:00+08:00"'])
def test_a_policy_day_with_a_time_is_refused(tmp_path: Path, written: str) -> None:
    # pydantic took each as 2026-02-01; the schema's `format: date` refuses them
    code, out = _validate(tmp_path, "suitability-2026.yaml", "effective_from: 2026-02-01",
                          f"effective_from: {written}")
    assert code == 2
    assert re.match(r"suitability-2026\.yaml:\d+: metadata\.effective_from: expected an ISO "
                    r"date \(2026-03-01\), got `2026-02-01", out), out


def test_a_quoted_policy_day_is_still_a_day(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, "suitability-2026.yaml", "effective_from: 2026-02-01",
                          'effective_from: "2026-02-01"')
    assert code == 0, out


def test_a_source_id_listed_twice_is_refused(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, "suitability-2026.yaml", "    - id: cbirc-2018-6\n",
                          "    - id: nfra-2025-7\n")
    assert code == 2
    assert re.match(r"suitability-2026\.yaml:\d+: metadata\.sources: source id `nfra-2025-7` "
                    r"is listed twice", out), out


def test_a_calendar_override_day_with_a_time_is_refused(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, "complaints.yaml", "    schedule: announced\n",
                          "    schedule: announced\n    overrides:\n"
                          "      - {date: 2027-10-06 00:00:00, working: false, name: 国庆节}\n")
    assert code == 2
    assert "spec.calendar.overrides[0].date: expected an ISO date (2026-03-01)" in out
