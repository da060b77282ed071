"""A policy is read as its JSON schema describes it: a day is a date (not a date
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


@pytest.mark.parametrize(("old", "new", "message"), [
    # each was read as another type: true as rank 1, "3" as 3, "no" as false, 3.5 refused
    ("rank: 3", "rank: true", "spec.customer_levels[2].rank: expected a whole number, got `true`"),
    ("rank: 3", 'rank: "3"', "spec.customer_levels[2].rank: expected a whole number, got the "
                             "text `3` (in quotes: write it without them)"),
    ("assessment_valid_days: 365", 'assessment_valid_days: "365"',
     "spec.settings.assessment_valid_days: expected a whole number, got the text `365`"),
    ("professional_individuals: false", 'professional_individuals: "no"',
     "spec.settings.professional_individuals: expected true or false, got the text `no`"),
])
def test_a_policy_number_or_flag_is_not_read_from_another_type(
        tmp_path: Path, old: str, new: str, message: str) -> None:
    # the JSON schema refuses each of these; the loader took them
    code, out = _validate(tmp_path, "suitability-2026.yaml", old, new)
    assert code == 2
    assert message in out, out


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    # each said only "`levels` lists a value twice" (or "a level is listed twice") at the list
    ("access.yaml", "levels: [ordinary, important, core]", "levels: [ordinary, important, "
     "core, important]", "spec.levels[3]: `important` is listed twice in `levels`"),
    ("consent.yaml", "categories: [basic_identity, business, behaviour, derived]",
     "categories: [basic_identity, business, behaviour, business, derived]",
     "spec.categories[3]: `business` is listed twice in `categories`"),
    ("classification.yaml", "    - {name: core, title: 核心 core,",
     "    - {name: ordinary, title: 普通 again, grade: 4, pfi_category: C2, cite: seed-000 "
     "§5.4}\n    - {name: core, title: 核心 core,",
     "spec.levels[2]: `ordinary` is listed twice in `levels`"),
    ("complaints.yaml", "levels: [minor, serious, severe]", "levels: [minor, serious, minor]",
     "spec.grading.criteria[0].levels[2]: `minor` is listed twice in `levels`"),
])
def test_a_value_listed_twice_is_named_where_it_repeats(
        tmp_path: Path, file: str, old: str, new: str, message: str) -> None:
    code, out = _validate(tmp_path, file, old, new)
    assert code == 2
    assert message in out, out


def test_one_policy_id_declared_with_two_kinds_is_reported_at_its_id(tmp_path: Path) -> None:
    # it was reported at line 1 of the file
    code, out = _validate(tmp_path, "consent.yaml", "  id: cn-consent\n", "  id: cn-access\n")
    assert code == 2
    line = next(n for n, text in enumerate(
        (tmp_path / "pack" / "consent.yaml").read_text(encoding="utf-8").splitlines(), 1)
        if text == "  id: cn-access")
    assert f"consent.yaml:{line}: metadata.id: policy `cn-access` is declared with several " \
           "kinds: AccessPolicy, ConsentPolicy" in out, out
