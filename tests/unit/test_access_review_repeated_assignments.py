"""A role assignment given twice, every field alike (an export joined from two systems), is
refused as a grant id given twice is: each copy's findings were reported, two alike
(``role_change_not_approved`` for u-1's customer_manager twice) that no reader could tell
apart. The typed API names both places, the tables and JSON lines both lines; with
``--bad-rows`` the copy is set aside and the rest reviewed."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.errors import InputError
from tests.helpers.review_tables import ASSIGNMENTS, AT, GRANTS
from tests.helpers.review_tables import write_csv as _write_csv

ENGINE = fp.PolicyEngine()
# the copy of ASSIGNMENTS[1] with its time in Beijing time: the same instant, the same record
COPY = {**ASSIGNMENTS[1], "subject_id": " U-1", "assigned_at": dt.datetime.fromisoformat(
    ASSIGNMENTS[1]["assigned_at"]).astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()}
REPEATED = [*ASSIGNMENTS, COPY]
MESSAGE = ("the role assignment of `customer_manager` to `u-1` is listed twice ({}), every "
           "field alike: its findings would be reported twice; give each assignment once")


def test_review_access_refuses_an_assignment_given_twice() -> None:
    with pytest.raises(InputError) as info:
        ENGINE.review_access([], REPEATED, as_of=AT)
    (problem,) = info.value.problems
    assert problem.path == "assignments.3"
    assert problem.message == MESSAGE.format("assignments.1 and assignments.3")
    # another field differing (a later review) is another record: reviewed
    other = {**COPY, "reviewed_at": AT.isoformat()}
    ENGINE.review_access([], [*ASSIGNMENTS, other], as_of=AT)
    with pytest.raises(InputError) as info:
        fp.PolicyEngine().evaluate_table("access", [], what="review", as_of=AT,
                                         assignments=REPEATED)
    assert info.value.problems[0].path == "assignments.3"


def test_a_review_document_names_it_where_the_document_has_it(tmp_path: Path) -> None:
    document = tmp_path / "review.json"
    document.write_text(json.dumps({"review": {"grants": [], "assignments": REPEATED}}),
                        encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "access", str(document), "--as-of",
                                       AT.isoformat()])
    assert result.exit_code == 3
    assert "review.assignments.3: " + MESSAGE.format(
        "review.assignments.1 and review.assignments.3") in " ".join(result.output.split())
    lines = tmp_path / "review.jsonl"
    lines.write_text("".join(json.dumps({"assignment": a}) + "\n" for a in REPEATED),
                     encoding="utf-8")
    result = CliRunner().invoke(main, ["review", str(lines), "--as-of", AT.isoformat()])
    assert result.exit_code == 3
    assert f"{lines} line 4: " + MESSAGE.format("lines 2 and 4") in \
        " ".join(result.output.split())


def _tables(tmp_path: Path) -> tuple[Path, Path]:
    grants, roles = tmp_path / "grants.csv", tmp_path / "roles.csv"
    _write_csv(grants, GRANTS)
    _write_csv(roles, REPEATED, blank_after=0)  # the blank line counts
    return grants, roles


def test_finpolicy_review_refuses_it_at_its_line_naming_the_first(tmp_path: Path) -> None:
    grants, roles = _tables(tmp_path)
    args = ["review", str(grants), "--assignments", str(roles), "--as-of", AT.isoformat()]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3
    assert f"{roles} line 6: " + MESSAGE.format("lines 4 and 6") in \
        " ".join(result.output.split())
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("access", grants, what="review", as_of=AT, assignments=roles)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(roles), 6)


def test_with_bad_rows_the_copy_is_set_aside_and_the_rest_reviewed(tmp_path: Path) -> None:
    grants, roles = _tables(tmp_path)
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(main, [
        "review", str(grants), "--assignments", str(roles), "--as-of", AT.isoformat(),
        "--json", "--bad-rows", str(rejects)])
    assert result.exit_code == 1, result.output
    with rejects.open(encoding="utf-8-sig") as handle:  # (a byte-order mark first)
        (row,) = list(csv.DictReader(handle))
    assert (row["file"], row["row"], row["code"]) == (str(roles), "6", "duplicate_value")
    report: dict[str, Any] = json.JSONDecoder().raw_decode(result.output)[0]
    alone = ENGINE.review_access(GRANTS, ASSIGNMENTS, as_of=AT).to_dict()
    assert [(f["kind"], f["subject_id"], f["role"]) for f in report["findings"]] == \
        [(f["kind"], f["subject_id"], f["role"]) for f in alone["findings"]]
