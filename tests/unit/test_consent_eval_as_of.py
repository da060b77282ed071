"""``finpolicy eval consent FILE --as-of T``: T is when the request is decided and the review
made, in place of their own ``as_of`` (as ``eval --help`` says, and as suitability and
complaints do), with and without ``--why``; the same instant keeps the input as given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

OWN = "2026-03-02T10:00:00+08:00"
LATE = "2026-03-02T22:30:00+08:00"
SMS: dict[str, Any] = {
    "request": {"customer": "cu-1", "purpose": "marketing", "channel": "sms", "as_of": OWN},
    "consents": [{"id": "c-1", "customer": "cu-1", "purpose": "marketing", "channels": ["sms"],
                  "separate": True, "given_at": "2026-02-01T10:00:00+08:00",
                  "evidence": "form-881", "notice_version": "privacy-2025"}]}


def _eval(path: Path, *options: str) -> tuple[int, Any]:
    result = CliRunner().invoke(main, ["eval", "consent", str(path), "--json", *options])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_as_of_takes_the_place_of_the_request_s_own(tmp_path: Path,
                                                     engine: fp.PolicyEngine) -> None:
    # an SMS at 22:30 was allowed "as of 10:00": the command decided at the request's own
    # time and said nothing of the --as-of it was given
    path = tmp_path / "sms.json"
    path.write_text(json.dumps(SMS), encoding="utf-8")
    code, [decision] = _eval(path, "--as-of", LATE)
    assert code == 1 and decision["outcome"] == "deny"
    assert [h["rule_id"] for h in decision["hits"]] == ["outside-allowed-hours"]
    late = {**SMS["request"], "as_of": LATE}
    assert decision["input_digest"] == engine.check_processing(
        late, consents=SMS["consents"]).input_digest
    code, [why] = _eval(path, "--as-of", LATE, "--why")
    assert code == 1 and why["outcome"] == "deny"
    assert why["input"]["request"]["as_of"] == LATE


def test_the_same_instant_keeps_the_request_as_given(tmp_path: Path,
                                                     engine: fp.PolicyEngine) -> None:
    # a logged decision replays at its own time, written in another offset
    path = tmp_path / "sms.json"
    path.write_text(json.dumps(SMS), encoding="utf-8")
    _, [decision] = _eval(path, "--as-of", "2026-03-02T02:00:00+00:00")
    assert decision["input_digest"] == engine.check_processing(
        SMS["request"], consents=SMS["consents"]).input_digest


def test_as_of_takes_the_place_of_a_review_s_own(tmp_path: Path) -> None:
    path = tmp_path / "review.json"
    expired = {**SMS["consents"][0], "expires_at": "2026-03-05T00:00:00+08:00"}
    contact = {"id": "k-1", "customer": "cu-1", "channel": "sms", "purpose": "marketing",
               "at": "2026-03-06T10:00:00+08:00"}
    path.write_text(json.dumps({"review": {"as_of": OWN, "consents": [expired],
                                           "contacts": [contact]}}), encoding="utf-8")
    _, found = _eval(path)
    _, later = _eval(path, "--as-of", "2026-03-09T10:00:00+08:00")
    assert {d["as_of"] for d in found} == {OWN}
    assert {d["as_of"] for d in later} == {"2026-03-09T10:00:00+08:00"}


def test_a_request_field_beside_the_request_says_where_it_goes(tmp_path: Path) -> None:
    # `automated_refusal` written beside `request` was refused as an unknown key only, and
    # the refusal it carried looked lost
    path = tmp_path / "misplaced.json"
    path.write_text(json.dumps({**SMS, "automated_refusal": {"refused_at": OWN}}),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "consent", str(path)])
    assert result.exit_code == 3
    assert "automated_refusal: unknown key (expected request, consents, contacts): " \
        "`automated_refusal` is a field of the request, written under `request`" in \
        result.output, result.output
    review = tmp_path / "review.json"
    review.write_text(json.dumps({"review": {"consents": [], "customer": "cu-1"}}),
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "consent", str(review)])
    assert result.exit_code == 3 and "review.customer: unknown key" in result.output
    assert "written under" not in result.output


def test_the_guide_s_credit_review_file_runs_as_written(tmp_path: Path) -> None:
    import re

    guide = (Path(__file__).resolve().parents[2] / "docs" / "guides" /
             "consent.rst").read_text(encoding="utf-8")
    block = re.search(r"   # credit-review\.yaml: finpolicy eval consent credit-review\.yaml "
                      r"--why\n((?:   .*\n)+)", guide)
    assert block is not None
    path = tmp_path / "credit-review.yaml"
    path.write_text("\n".join(line[3:] for line in block.group(1).splitlines()),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "consent", str(path), "--why"])
    assert result.exit_code == 1, result.output
    assert "solely-automated-after-refusal" in result.output
    assert "have a person assess the application and make the decision" in result.output
    assert "replace /request/automated_decision: false" in result.output
