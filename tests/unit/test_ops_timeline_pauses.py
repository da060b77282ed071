"""``finpolicy sla --timeline`` draws the time each milestone's clock stopped: without it a
5-working-day bar ended at W7 with nothing to say why."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main

_SVG = "{http://www.w3.org/2000/svg}"


def _hatched(tmp_path: Path, events: list[dict[str, object]]) -> dict[str, str]:
    """The hatched (paused) rectangles of the timeline, their milestone -> tooltip."""
    book = tmp_path / "book.jsonl"
    book.write_text(json.dumps({
        "id": "c-1", "received_at": "2026-11-08T01:30+08:00", "channel": "phone",
        "category": "product", "severity": "general", "events": events}) + "\n",
        encoding="utf-8")
    svg = tmp_path / "c-1.svg"
    result = CliRunner().invoke(main, ["sla", str(book), "--as-of", "2026-12-06T12:00+08:00",
                                       "--timeline", "c-1", "-o", str(svg), "--top", "1"])
    assert result.exit_code == 0, result.output[-2000:]
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    found = {}
    for rect in root.iter(f"{_SVG}rect"):
        if rect.get("class") == "paused":
            tip = rect.find(f"{_SVG}title")
            assert tip is not None and tip.text
            found[tip.text.split(":")[0]] = tip.text
    return found


def test_an_appraisal_is_hatched_on_the_bars_it_stops(tmp_path: Path) -> None:
    # received on a Sunday: W0 is Monday 9 November; appraisal Thursday 12 to Saturday 14
    # November, so the handling opinion (5 working days) is due on W7, Wednesday 18 November
    hatched = _hatched(tmp_path, [
        {"kind": "appraisal_started", "at": "2026-11-12T08:52+08:00",
         "states": ["complainant_told"]},
        {"kind": "appraisal_finished", "at": "2026-11-14T22:22+08:00"}])
    assert set(hatched) == {"handling_opinion", "final_response", "regulatory_decision"}
    assert hatched["handling_opinion"] == (
        "handling_opinion: clock stopped 2026-11-12 08:52 – 2026-11-14 22:22; the days it "
        "touches do not count")


def test_waiting_for_the_customer_is_not_hatched_on_the_regulatory_deadline(
        tmp_path: Path) -> None:
    # still waiting at the report's time (a reply would restart the regulatory count)
    hatched = _hatched(tmp_path, [
        {"kind": "waiting_for_customer", "at": "2026-11-10T10:00+08:00"}])
    assert set(hatched) == {"handling_opinion", "final_response"}
    assert hatched["final_response"].endswith("– 2026-12-06 12:00; the days it touches do "
                                              "not count")
