"""``finpolicy campaign`` on 100,000 customers with 300,000 consent records: it finishes, shows
a progress bar, and its counts equal an independent count of the generated list."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from finpolicy.cli import main

AS_OF = "2026-03-02T10:00:00+08:00"  # 10:00 Beijing = 02:00 London = 21:00 New York (day before)
ZONES = [None, "Europe/London", "America/New_York"]
PREFERENCES = [["sms", "email"], ["sms"], ["email", "sms"], ["app_push"]]
# what becomes of the customer's SMS consent (the email consent is given before it)
STATES = ["valid", "withdrawn", "expired", "bundled", "valid"]
# four SMS in the 30 days before AS_OF: the SMS cap (4) is reached
CAPPED = ["2026-01-31T11:00:00+08:00", "2026-02-10T11:00:00+08:00",
          "2026-02-20T11:00:00+08:00", "2026-02-28T11:00:00+08:00"]


def generate(path: Path, customers: int) -> None:
    """Customer i: zone i % 3, preferences i % 4, SMS consent state (i // 12) % 5, an email
    consent and an analytics consent; every 7th customer has had 4 SMS in the last 30 days."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(customers):
            cid = f"cu{i}"
            customer: dict[str, object] = {"id": cid, "channels": PREFERENCES[i % 4]}
            if ZONES[i % 3]:
                customer["time_zone"] = ZONES[i % 3]
            state = STATES[(i // 12) % 5]
            sms = {"id": f"{cid}-sms", "customer": cid, "purpose": "marketing",
                   "channels": ["sms"], "separate": state != "bundled",
                   "given_at": "2026-01-10T09:00:00+08:00", "evidence": f"f{i}",
                   "notice_version": "privacy-2025"}
            if state == "withdrawn":
                sms["withdrawn_at"] = "2026-02-20T12:00:00+08:00"
            if state == "expired":
                sms["expires_at"] = "2026-03-01T00:00:00+08:00"
            email = {"id": f"{cid}-email", "customer": cid, "purpose": "marketing",
                     "channels": ["email"], "separate": True,
                     "given_at": "2026-01-05T09:00:00+08:00", "evidence": f"e{i}",
                     "notice_version": "privacy-2025"}
            analytics = {"id": f"{cid}-an", "customer": cid, "purpose": "analytics",
                         "given_at": "2026-01-05T09:00:00+08:00", "evidence": f"a{i}",
                         "notice_version": "privacy-2025"}
            out.write(json.dumps({"customer": customer}) + "\n")
            for record in (sms, email, analytics):
                out.write(json.dumps({"consent": record}) + "\n")
            if i % 7 == 0:
                for at in CAPPED:
                    out.write(json.dumps({"contact": {"customer": cid, "channel": "sms",
                                                      "purpose": "marketing", "at": at}}) + "\n")


def expected(customers: int) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """The count, worked out from how the list was generated (not by finpolicy)."""
    status: Counter[str] = Counter()
    by_channel: Counter[tuple[str, str]] = Counter()
    for i in range(customers):
        state = STATES[(i // 12) % 5]
        in_hours = i % 3 == 0  # only Beijing's 10:00 is inside the SMS hours (08:00-21:00)
        capped = i % 7 == 0
        sms_consent = state == "valid"
        email_consent = state != "withdrawn"  # a withdrawal stops all marketing
        sms_now = sms_consent and in_hours and not capped
        prefs = PREFERENCES[i % 4]
        if prefs == ["app_push"]:
            outcome = ("never", "app_push")  # no consent names app_push
        elif prefs[0] == "sms" and sms_now:
            outcome = ("now", "sms")
        elif "email" in prefs and email_consent:
            outcome = ("now", "email")
        elif sms_consent:
            outcome = ("later", "sms")  # waits for the morning or for the cap to free
        else:
            outcome = ("never", prefs[0])
        status[outcome[0]] += 1
        by_channel[outcome[1], outcome[0]] += 1
    return status, by_channel


@pytest.mark.slow
def test_campaign_on_100000_customers_matches_an_independent_count(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n = 100_000
    path = tmp_path / "campaign.jsonl"
    generate(path, n)
    with path.open(encoding="utf-8") as lines:
        consents = sum(1 for line in lines if line.startswith('{"consent"'))
    assert consents == 300_000
    screen = io.StringIO()
    monkeypatch.setattr("finpolicy.domains.consent.cli.err_console",
                        Console(file=screen, force_terminal=True, width=100))
    entries = tmp_path / "entries.jsonl"
    result = CliRunner().invoke(main, ["campaign", str(path), "--as-of", AS_OF, "-o",
                                       str(entries), "--no-details"])
    assert result.exit_code == 0, result.output
    assert "reading" in screen.getvalue() and "deciding" in screen.getvalue()  # the bars
    status, by_channel = expected(n)
    with entries.open(encoding="utf-8") as lines:
        written = [json.loads(line) for line in lines]
    assert Counter(e["status"] for e in written) == status
    assert sum(status.values()) == n and all(status[s] > 0 for s in ("now", "later", "never"))
    assert Counter((e["channel"], e["status"]) for e in written) == by_channel
    for word in ("customers", f"{status['now']} ", f"{status['never']} "):
        assert word in result.output
