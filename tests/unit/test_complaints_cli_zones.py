"""``finpolicy sla``'s table of the nearest breaches shows each due time with its offset:
the report may be asked ``--as-of`` in another zone than the policy's deadlines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import common, main


def test_the_nearest_breach_table_shows_the_offset_of_each_due_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the console takes its width once, when first used: COLUMNS set here may come too late
    monkeypatch.setattr(common.console, "width", 160)
    book = tmp_path / "book.jsonl"
    book.write_text(json.dumps({"id": "k3", "received_at": "2025-03-24T10:00+08:00",
                                "channel": "phone", "category": "service"}) + "\n")
    result = CliRunner().invoke(main, ["sla", str(book), "--as-of",
                                       "2025-03-25T04:00+00:00"])
    assert result.exit_code == 0, result.output
    # due at the end of 26 March in Beijing, 36 hours after 04:00 UTC on 25 March
    assert "2025-03-26 23:59 +08:00" in result.output
    assert "36.0" in result.output
