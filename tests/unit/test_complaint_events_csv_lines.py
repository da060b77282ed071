"""A long-form events CSV's problems name the file's own lines, as the row reader numbers
them: blank lines and line breaks inside quoted cells counted, not row + header."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.errors import InputError

ENGINE = fp.PolicyEngine(fp.load_bundle())
AS_OF = "2026-01-30T09:00:00+08:00"
# the bad event is the third event row, on line 7: a blank line and a two-line note before it
EVENTS = ("complaint_id,kind,at,note\n"
          "k1,acknowledged,2026-01-06T10:00:00+08:00,\n"
          "\n"
          'k1,contacted,2026-01-06T11:00:00+08:00,"called back,\nleft a message"\n'
          "\n"
          "{bad}\n")


def _files(tmp_path: Path, bad: str) -> tuple[Path, Path]:
    (tmp_path / "c.csv").write_text("id,received_at,channel,category\n"
                                    "k1,2026-01-05T10:00:00+08:00,phone,service\n",
                                    encoding="utf-8")
    (tmp_path / "e.csv").write_text(EVENTS.format(bad=bad), encoding="utf-8")
    return tmp_path / "c.csv", tmp_path / "e.csv"


def test_a_bad_event_names_its_line_of_the_events_file(tmp_path: Path) -> None:
    book, events = _files(tmp_path, "k1,nosuch,2026-01-20T10:00:00+08:00,")
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("complaints", str(book), as_of=AS_OF, events=str(events))
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.path) == (str(events), 7, "kind")
    result = CliRunner().invoke(main, ["sla", str(book), "--events", str(events),
                                       "--as-of", AS_OF])
    assert result.exit_code == 3, result.output
    assert f"{events} line 7: kind: unknown event kind `nosuch`" in result.output


def test_an_event_of_no_complaint_names_its_line_of_the_events_file(tmp_path: Path) -> None:
    book, events = _files(tmp_path, "k9,responded,2026-01-20T10:00:00+08:00,")
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("complaints", str(book), as_of=AS_OF, events=str(events))
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.path) == (str(events), 7, "complaint_id")
