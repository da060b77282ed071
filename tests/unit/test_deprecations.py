"""Renamed arguments and classes keep working, with a ``DeprecationWarning`` (or a warning on
the command line) that names the new spelling."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

SH = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH)


def _complaint() -> fp.Complaint:
    return fp.Complaint(id="k", received_at=dt.datetime(2025, 6, 2, 10, tzinfo=SH),
                        channel="phone", category="service")


def _request(**when: dt.datetime) -> dict[str, object]:
    return {"subject": {"id": "u1", "roles": ["teller"], "branch": "BJ01"},
            "action": "read", "purpose": "account_service",
            "resource": {"type": "customer_record", "data_level": "ordinary",
                         "category": "basic_identity", "branch": "BJ01"}, **when}


def test_now_is_a_deprecated_name_of_as_of(engine: fp.PolicyEngine) -> None:
    new = engine.complaint_sla(_complaint(), as_of=AT)
    with pytest.warns(DeprecationWarning, match="`now` of complaint_sla is deprecated"):
        old = engine.complaint_sla(_complaint(), now=AT)
    assert old == new
    with pytest.warns(DeprecationWarning, match="complaint_sla_batch"):
        assert engine.complaint_sla_batch([_complaint()], now=AT) == [new]
    with pytest.warns(DeprecationWarning), pytest.raises(fp.InputError, match="not both"):
        engine.complaint_sla(_complaint(), as_of=AT, now=AT)


def test_at_is_a_deprecated_name_of_as_of(engine: fp.PolicyEngine) -> None:
    new = engine.review_access([], [], as_of=AT)
    with pytest.warns(DeprecationWarning, match="`at` of review_access"):
        old = engine.review_access([], [], at=AT)
    assert old.as_of == new.as_of == AT
    with pytest.warns(DeprecationWarning, match="AccessReviewReport.at"):
        assert old.at == AT
    with pytest.warns(DeprecationWarning, match="AccessRequest.at"):
        request = fp.AccessRequest.parse(_request(at=AT))
    assert request.as_of == AT
    assert engine.authorize(request) == engine.authorize(_request(as_of=AT))
    with pytest.warns(DeprecationWarning, match="AccessRequest.at"):
        assert request.at == AT


@pytest.mark.parametrize(("old", "new"), [
    ("Classification", "ClassificationDecision"),
    ("RecordClassification", "RecordClassificationDecision"),
    ("AccessReview", "AccessReviewReport"),
    ("SlaReport", "SlaDecision"),
    ("ScanResult", "ScanReport"),
])
def test_old_class_names_are_deprecated_aliases(old: str, new: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"`finpolicy.{old}` is deprecated, use "
                                                f"`finpolicy.{new}`"):
        assert getattr(fp, old) is getattr(fp, new)
    assert old not in fp.__all__ and new in fp.__all__


def test_old_cli_options_still_work_and_say_so(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    path = folder / "complaints.jsonl"
    path.write_text(json.dumps({"id": "a", "received_at": "2025-06-02T10:00:00+08:00",
                                "channel": "phone", "category": "service"}) + "\n",
                    encoding="utf-8")
    new = CliRunner().invoke(main, ["sla", str(path), "--as-of", "2025-06-03T10:00+08:00",
                                    "--json"])
    old = CliRunner().invoke(main, ["sla", str(path), "--now", "2025-06-03T10:00+08:00",
                                    "--json"])
    assert new.exit_code == old.exit_code == 0, old.output
    assert "--now is deprecated, use --as-of" in old.stderr
    assert json.loads(old.stdout) == json.loads(new.stdout)
    both = CliRunner().invoke(main, ["sla", str(path), "--now", "2025-06-03T10:00+08:00",
                                     "--as-of", "2025-06-03T10:00+08:00"])
    assert both.exit_code == 3 and "not both" in both.output
    missing = CliRunner().invoke(main, ["sla", str(path)])
    assert missing.exit_code == 3 and "--as-of" in missing.output
