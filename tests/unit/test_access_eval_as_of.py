"""``finpolicy eval access FILE --as-of T`` decides at T, as ``eval --help`` says and as every
other domain does: a request or review naming its own ``as_of`` was decided at its own time,
saying nothing (a request of 10:00 with --as-of 23:30 was decided "as of 10:00")."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

BJ = dt.timezone(dt.timedelta(hours=8))
REQUEST = {"subject": {"id": "u-1", "roles": ["teller"], "department": "retail",
                       "branch": "BJ01"},
           "action": "read",
           "resource": {"type": "customer_record", "data_level": "ordinary",
                        "category": "basic_identity", "department": "retail",
                        "branch": "BJ01"},
           "purpose": "service", "as_of": "2026-03-02T10:00:00+08:00"}


def _eval(tmp_path: Path, data: object, *args: str) -> list[dict[str, object]]:
    path = tmp_path / "input.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "access", str(path), "--json", *args])
    assert result.exit_code in (0, 1), result.output
    out = json.loads(result.output)
    return out if isinstance(out, list) else [out]


def test_as_of_takes_the_place_of_the_request_s_own(tmp_path: Path) -> None:
    (decision,) = _eval(tmp_path, REQUEST, "--as-of", "2026-03-02T23:30:00+08:00")
    assert dt.datetime.fromisoformat(str(decision["as_of"])) == \
        dt.datetime(2026, 3, 2, 23, 30, tzinfo=BJ)
    (own,) = _eval(tmp_path, REQUEST)
    assert dt.datetime.fromisoformat(str(own["as_of"])) == dt.datetime(2026, 3, 2, 10, tzinfo=BJ)


def test_the_same_instant_keeps_the_request_as_given(tmp_path: Path) -> None:
    """A logged call replays to its input digest: the same instant in another offset does not
    rewrite the request."""
    (given,) = _eval(tmp_path, REQUEST)
    (same,) = _eval(tmp_path, REQUEST, "--as-of", "2026-03-02T02:00:00+00:00")
    assert same["input_digest"] == given["input_digest"]


def test_as_of_takes_the_place_of_a_review_s_own() -> None:
    """A grant that expires on 2026-03-10 is reported expired in a review at --as-of
    2026-03-20, whatever the review's own as_of says."""
    engine = fp.PolicyEngine(fp.load_bundle())
    grant = {"id": "g-1", "grantee": "u-1", "purpose": "service",
             "resource_type": "customer_record", "data_level": "important",
             "category": "business", "requested_at": "2026-03-01T09:00:00+00:00",
             "approved_by": "u-9", "approver_roles": ["department_head"],
             "approved_at": "2026-03-01T10:00:00+00:00",
             "expires_at": "2026-03-10T00:00:00+00:00"}
    review = {"review": {"grants": [grant], "assignments": [],
                         "as_of": "2026-03-05T00:00:00+00:00"}}
    from finpolicy.domains.access.inputs import evaluate_input

    runtime = engine.runtime
    own = evaluate_input(runtime, review)
    later = evaluate_input(runtime, review, as_of=dt.datetime(2026, 3, 20, tzinfo=dt.UTC))
    assert {d.as_of for d in later} <= {dt.datetime(2026, 3, 20, tzinfo=dt.UTC)}
    assert "expired_grant" not in {d.outcome for d in own}
    assert "expired_grant" in {d.outcome for d in later}
