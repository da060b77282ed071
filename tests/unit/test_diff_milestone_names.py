"""``finpolicy diff`` names a complaint's milestones by name (``milestones.final_response.
due_at``), as a reader and a test case's ``fields`` know them, not by their place in the list;
a test case's ``fields`` still take the index form."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.decisions import Decision
from finpolicy.documents.bundle import shipped_packs
from finpolicy.testing import diff, load_cases, run_cases

_FINAL = "      duration: {amount: 7, unit: working_days}\n"
_HANDLING = "    - name: handling_opinion\n"


def _pack(tmp_path: Path, name: str = "new") -> Path:
    pack = tmp_path / name
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    return pack


def _complaints(pack: Path) -> tuple[Path, str]:
    file = pack / "complaints.yaml"
    return file, file.read_text(encoding="utf-8")


def test_a_shortened_deadline_is_named_by_its_milestone(tmp_path: Path) -> None:
    # the report read `changed: milestones.3.due_at: … → …`, a reader had to count the list
    new = _pack(tmp_path)
    file, text = _complaints(new)
    assert text.count(_FINAL) == 1
    file.write_text(text.replace(_FINAL, "      duration: {amount: 5, unit: working_days}\n"),
                    encoding="utf-8")
    report = diff(fp.load_bundle(), fp.load_bundle(new), samples=10)
    fields = [f for c in report.changes for f in c.fields]
    assert any(f.startswith("milestones.final_response.due_at: ") for f in fields), fields
    assert not [f for f in fields if re.match(r"milestones\.\d", f)]
    assert all(re.match(r"milestones\.\d", k) is None
               for c in report.changes for k in c.new.details)
    result = CliRunner().invoke(main, ["diff", "cn-banking", str(new), "--samples", "10"])
    assert "changed: milestones.final_response.due_at: " in result.output
    assert not re.search(r"milestones\.\d", result.output)


def test_a_removed_milestone_is_reported_alone_not_as_every_later_one_moved(
        tmp_path: Path) -> None:
    # by index, removing handling_opinion (the third) showed the final response as the third
    # milestone changed (`milestones.2.name: handling_opinion → final_response`, its due time
    # "moved") and the fourth as gone; the final response's deadline did not change
    new = _pack(tmp_path)
    file, text = _complaints(new)
    start = text.index(_HANDLING)
    end = text.index("    - name: final_response\n", start)
    text = text[:start] + text[end:]
    assert text.count("handling_opinion, ") == 1  # the rule that sets every milestone
    file.write_text(text.replace("handling_opinion, ", ""), encoding="utf-8")
    report = diff(fp.load_bundle(), fp.load_bundle(new), samples=10)
    fields = [f for c in report.changes for f in c.fields]
    assert set(f for f in fields if f.startswith("milestones.")) == {
        "milestones.handling_opinion: handling_opinion → —"}, fields
    assert not [f for f in fields if f.startswith("milestones.final_response.")], fields
    assert not [f for f in fields if ".name: " in f], fields


def test_a_removed_milestone_is_named_removed_among_the_policy_changes(tmp_path: Path) -> None:
    # the policy changes read "settings changed: spec.milestones.handling_opinion", as for a
    # changed deadline: that the milestone is gone had to be guessed
    new = _pack(tmp_path)
    file, text = _complaints(new)
    start = text.index(_HANDLING)
    end = text.index("    - name: final_response\n", start)
    text = text[:start] + text[end:]
    file.write_text(text.replace("handling_opinion, ", "").replace(
        _FINAL, "      duration: {amount: 5, unit: working_days}\n"), encoding="utf-8")
    report = diff(fp.load_bundle(), fp.load_bundle(new), samples=0)
    (change,) = report.policies
    assert change.settings_removed == ("spec.milestones.handling_opinion",)
    assert "settings changed: spec.milestones.final_response.duration, " \
           "spec.milestones.handling_opinion (removed)" in change.describe(), change.describe()
    assert change.to_dict()["settings_removed"] == ["spec.milestones.handling_opinion"]


_COMPLAINT = {"complaint": {"id": "c1", "received_at": "2025-09-30T16:59:00+08:00",
                            "channel": "phone", "category": "service"}}


@pytest.mark.parametrize("path", ["milestones.3.due_at", "milestones.final_response.due_at"])
def test_a_case_s_fields_take_a_milestone_by_index_or_by_name(tmp_path: Path,
                                                              path: str) -> None:
    pack = _pack(tmp_path)
    bundle = fp.load_bundle(pack)
    (decision,) = _decide(bundle)
    (final,) = [m for m in decision.to_dict()["milestones"] if m["name"] == "final_response"]
    assert decision.to_dict()["milestones"].index(final) == 3
    (pack / "tests" / "extra.yaml").write_text(
        "domain: complaints\ncases:\n"
        "  - name: the final response is due in seven working days\n"
        f"    as_of: '{_AT.isoformat()}'\n"
        f"    input: {{complaint: {_COMPLAINT['complaint']}}}\n"
        "    expect:\n"
        f"      fields: {{{path}: '{final['due_at']}'}}\n", encoding="utf-8")
    bundle = fp.load_bundle(pack)
    cases = [c for c in load_cases(bundle) if c.file.endswith("extra.yaml")]
    report = run_cases(bundle, cases, engines=("compiled",))
    assert report.passed, [r.failures for r in report.results]


_AT = dt.datetime(2025, 10, 11, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _decide(bundle: fp.Bundle) -> list[Decision]:
    from finpolicy.domains.registry import domain

    return list(domain("complaints").evaluate_input(fp.PolicyEngine(bundle), _COMPLAINT,
                                                    as_of=_AT))
