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


def test_a_customer_listed_twice_in_a_campaign_file_is_refused(tmp_path: Path) -> None:
    # each entry was planned against the contacts before the campaign only: a customer
    # listed three times was contacted three times 'now', past the channel's cap
    import pytest

    from finpolicy.errors import InputError

    lines = tmp_path / "camp.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in (
        {"customer": {"id": "cu-1", "channels": ["phone"]}},
        {"customer": {"id": "cu-2", "channels": ["phone"]}},
        {"customer": {"id": "CU-1 ", "channels": ["sms"]}})) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="customer `cu-1` is listed twice "
                                         r"\(line 1 and line 3\)") as caught:
        read_campaign(str(lines))
    assert (caught.value.problems[0].file, caught.value.problems[0].line) == (str(lines), 3)
    document = tmp_path / "camp.yaml"
    document.write_text("customers:\n  - {id: cu-1}\n  - {id: cu-1}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"listed twice \(customers.0 and customers.1\)"):
        read_campaign(str(document))
