"""A complaint's time without an offset is refused saying how to write it: it said only
'input should have timezone info'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.errors import InputError


@pytest.mark.parametrize(("where", "given", "example"), [
    ("received_at", "2026-11-02T10:00", "2026-11-02T10:00+08:00"),
    ("events.0.at", "2026-11-02 11:00", "2026-11-02 11:00+08:00"),
    ("received_at", "2026-11-02", "2026-11-02T09:00+08:00"),  # a day needs its time too
])
def test_a_time_without_an_offset_says_how_to_write_it(where: str, given: str,
                                                       example: str) -> None:
    data = {"id": "c-1", "received_at": "2026-11-02T10:00+08:00", "channel": "phone",
            "category": "product", "events": [{"kind": "contacted",
                                               "at": "2026-11-02T11:00+08:00"}]}
    if where == "received_at":
        data["received_at"] = given
    else:
        data["events"] = [{"kind": "contacted", "at": given}]
    with pytest.raises(InputError) as caught:
        fp.Complaint.parse(data)
    (problem,) = caught.value.problems
    assert problem.path == where and problem.code == "timezone_aware"
    assert problem.message == (f"`{given}` has no timezone offset: write it with one, e.g. "
                               f"`{example}` (Beijing time)")


def test_the_sla_command_sets_aside_a_time_without_an_offset_saying_so(
        tmp_path: Path) -> None:
    from click.testing import CliRunner

    from finpolicy.cli import main

    book = tmp_path / "book.jsonl"
    book.write_text(json.dumps({"id": "c-1", "received_at": "2026-11-02T10:00",
                                "channel": "phone", "category": "product"}) + "\n",
                    encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    result = CliRunner().invoke(main, ["sla", str(book), "--as-of", "2026-12-06T12:00+08:00",
                                       "--bad-rows", str(bad), "--top", "0"])
    assert result.exit_code == 1, result.output[-2000:]
    (row,) = [json.loads(line) for line in bad.read_text(encoding="utf-8").splitlines()]
    assert row["reason"] == ("received_at: `2026-11-02T10:00` has no timezone offset: write it "
                             "with one, e.g. `2026-11-02T10:00+08:00` (Beijing time)")


def test_an_event_naming_approvers_as_a_list_is_told_to_name_the_one() -> None:
    # the policy's extension lists who may approve ([higher_branch, ...]); an event copying
    # that form was refused with 'input should be a valid string'
    with pytest.raises(InputError) as caught:
        fp.ComplaintEvent.parse({"kind": "extended_further", "at": "2026-11-12T10:00+08:00",
                                 "approved_by": ["higher_branch"]})
    (problem,) = caught.value.problems
    assert problem.path == "approved_by"
    assert problem.message.startswith("expected the name of the one approver of this event "
                                      "(e.g. `higher_branch`), got a list")
