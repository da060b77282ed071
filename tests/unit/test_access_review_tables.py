"""``finpolicy review grants.csv --assignments roles.csv --usage usage.csv``: the tables an IAM
system exports are reviewed as the same records in a review document are, and every error
names its file and the file's own line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from tests.helpers.review_tables import ASSIGNMENTS, AT, GRANTS, USAGE
from tests.helpers.review_tables import grant as _grant
from tests.helpers.review_tables import write_csv as _write_csv

pytest.importorskip("pyarrow")


def _review(*args: str) -> Any:
    return CliRunner().invoke(main, ["review", *args, "--as-of", AT.isoformat()])


def test_grants_assignments_and_usage_tables_are_reviewed_as_a_review_document(
        tmp_path: Path) -> None:
    document = tmp_path / "review.json"
    document.write_text(json.dumps({"grants": GRANTS, "assignments": ASSIGNMENTS,
                                    "usage": USAGE}), encoding="utf-8")
    want = _review(str(document), "--json")
    assert want.exit_code == 0, want.output
    _write_csv(tmp_path / "grants.csv", GRANTS, blank_after=1)
    _write_csv(tmp_path / "roles.csv", ASSIGNMENTS)
    _write_csv(tmp_path / "usage.csv", USAGE)
    got = _review(str(tmp_path / "grants.csv"), "--assignments", str(tmp_path / "roles.csv"),
                  "--usage", str(tmp_path / "usage.csv"), "--json")
    assert got.exit_code == 0, got.output
    assert json.loads(got.output) == json.loads(want.output)
    kinds = {f["kind"] for f in json.loads(got.output)["findings"]}
    assert {"expired_grant", "self_approved", "approver_unverified", "excessive_duration",
            "sod_conflict", "role_change_not_approved"} <= kinds
    text = _review(str(tmp_path / "grants.csv"), "--assignments", str(tmp_path / "roles.csv"))
    assert text.exit_code == 0 and "6 grants, 2 subjects" in text.output


def test_an_error_in_a_table_names_its_file_and_line(tmp_path: Path) -> None:
    grants, roles = tmp_path / "grants.csv", tmp_path / "roles.csv"
    _write_csv(roles, ASSIGNMENTS)
    _write_csv(grants, [*GRANTS[:3], _grant(1)], blank_after=0)
    twice = _review(str(grants), "--assignments", str(roles))
    assert twice.exit_code == 3
    assert f"{grants} line 6: id: grant `g1` is listed twice (lines 4 and 6)" in twice.output
    _write_csv(grants, GRANTS)
    _write_csv(roles, [ASSIGNMENTS[0], {**ASSIGNMENTS[1], "assigned_at": "2026-02-20"}],
               blank_after=0)
    naive = _review(str(grants), "--assignments", str(roles))
    assert naive.exit_code == 3
    assert f"{roles} line 4: assigned_at:" in naive.output


def test_the_table_options_go_with_a_grants_table_only(tmp_path: Path) -> None:
    grants, roles = tmp_path / "grants.csv", tmp_path / "roles.csv"
    _write_csv(grants, GRANTS)
    _write_csv(roles, ASSIGNMENTS)
    alone = _review(str(grants))
    assert alone.exit_code == 3 and "--assignments" in alone.output
    document = tmp_path / "review.json"
    document.write_text(json.dumps({"grants": [], "assignments": []}), encoding="utf-8")
    both = _review(str(document), "--assignments", str(roles))
    assert both.exit_code == 3 and "goes with a grants table" in both.output


def test_evaluate_table_names_the_line_of_an_assignments_or_usage_file(tmp_path: Path) -> None:
    # a bad role assignment in roles.csv was 'assignments.1.assigned_at', naming no file
    import finpolicy as fp
    from finpolicy.errors import InputError

    grants, roles, usage = tmp_path / "grants.csv", tmp_path / "roles.csv", tmp_path / "u.csv"
    _write_csv(grants, GRANTS)
    _write_csv(roles, [ASSIGNMENTS[0], {**ASSIGNMENTS[1], "assigned_at": "2026-02-20"}],
               blank_after=0)
    _write_csv(usage, [*USAGE, {"grant_id": "g1", "used_at": "yesterday"}])
    engine = fp.PolicyEngine()
    with pytest.raises(InputError) as caught:
        engine.evaluate_table("access", str(grants), what="review", as_of=AT,
                              assignments=str(roles))
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(roles), 4, "assigned_at")
    _write_csv(roles, ASSIGNMENTS)
    with pytest.raises(InputError) as caught:
        engine.evaluate_table("access", str(grants), what="review", as_of=AT,
                              assignments=str(roles), usage=str(usage))
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(usage), 3, "used_at")
    _write_csv(usage, USAGE)
    table = engine.evaluate_table("access", str(grants), what="review", as_of=AT,
                                  assignments=str(roles), usage=str(usage))
    report = engine.review_access(GRANTS, ASSIGNMENTS, as_of=AT, usage=USAGE)
    assert sorted(table.column("message").to_pylist()) == \
        sorted(f.message for f in report.findings)


def test_a_json_lines_review_names_the_files_lines(tmp_path: Path) -> None:
    # a JSON lines file's grants were numbered among the grants only: the bad grant on line 4
    # was 'grants.1.expires_at', and g1 on lines 2 and 5 'listed twice (grants.0 and grants.2)'
    path = tmp_path / "review.jsonl"
    lines = [{"assignment": ASSIGNMENTS[0]}, {"grant": GRANTS[1]}, {"assignment": ASSIGNMENTS[1]},
             {"grant": {**GRANTS[2], "expires_at": "2026-03-20"}}, {"grant": GRANTS[1]}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    naive = _review(str(path))
    assert naive.exit_code == 3
    assert "review.jsonl line 4: expires_at:" in naive.output.replace("\n", "")
    lines[3] = {"grant": GRANTS[2]}
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    twice = _review(str(path))
    assert twice.exit_code == 3
    assert "review.jsonl line 5: id: grant `g1` is listed twice (lines 2 and 5)" in \
        twice.output.replace("\n", "")
    lines.pop()
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    document = tmp_path / "review.json"
    document.write_text(json.dumps({"grants": [GRANTS[1], GRANTS[2]],
                                    "assignments": ASSIGNMENTS[:2]}), encoding="utf-8")
    assert json.loads(_review(str(path), "--json").output) == \
        json.loads(_review(str(document), "--json").output)


def test_review_as_of_a_date_is_its_midnight_utc_as_review_access_reads_it(
        tmp_path: Path) -> None:
    # `--as-of DATE|DATETIME` refused a date ('needs a time zone offset'), though
    # review_access and a review file's as_of read one as its midnight UTC
    import finpolicy as fp

    document = tmp_path / "review.json"
    document.write_text(json.dumps({"grants": GRANTS, "assignments": ASSIGNMENTS}),
                        encoding="utf-8")
    result = CliRunner().invoke(main, ["review", str(document), "--json",
                                       "--as-of", "2026-03-02"])
    assert result.exit_code == 0, result.output
    typed = fp.PolicyEngine().review_access(GRANTS, ASSIGNMENTS, as_of="2026-03-02")
    assert json.loads(result.output) == json.loads(json.dumps(typed.to_dict()))
    assert json.loads(result.output)["as_of"].startswith("2026-03-02T00:00:00")


def test_a_review_input_names_a_grant_given_twice_where_it_is(tmp_path: Path) -> None:
    # finpolicy eval's {review: {grants: ...}} named a bad grant 'review.grants.1...' but a
    # repeated one 'grants.2.id (grants.0 and grants.2)', a path the input does not have
    path = tmp_path / "review.json"
    path.write_text(json.dumps({"review": {"grants": [GRANTS[0], GRANTS[1], GRANTS[0]],
                                           "assignments": ASSIGNMENTS,
                                           "as_of": AT.isoformat()}}), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "access", str(path)])
    assert result.exit_code == 3
    assert "review.grants.2.id: grant `g0` is listed twice (review.grants.0 and " \
           "review.grants.2)" in " ".join(result.output.split())
