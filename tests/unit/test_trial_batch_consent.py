"""Campaign files at their boundaries."""

from __future__ import annotations

import json
from pathlib import Path

from finpolicy.domains.consent.batch import file_lines, read_campaign


def test_a_json_lines_campaign_file_is_known_by_its_suffix_in_any_case(tmp_path: Path) -> None:
    # CAMP.JSONL was read as YAML: 'line 2: not valid YAML: expected <document start>'
    path = tmp_path / "CAMP.JSONL"
    path.write_text("\n".join(json.dumps(r) for r in (
        {"customer": {"id": "cu-1", "channels": ["sms"]}},
        {"customer": {"id": "cu-2", "channels": ["email"]}})) + "\n", encoding="utf-8")
    assert [c.id for c in read_campaign(str(path)).customers] == ["cu-1", "cu-2"]
    assert file_lines(str(path)) == 2
