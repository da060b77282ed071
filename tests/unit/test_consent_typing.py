"""The consent methods are typed for users: ``mypy --strict`` on a user script sees their
result classes, and the optional fields of the inputs are optional to a type checker too."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="the typing test needs mypy (in the test extra)")

SCRIPT = textwrap.dedent("""
    import datetime as dt

    import finpolicy as fp

    engine = fp.PolicyEngine(fp.load_bundle())
    at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    request = fp.ProcessingRequest(customer="a", purpose="marketing", channel="sms", as_of=at)
    consent = fp.Consent(id="c", customer="a", purpose="marketing", given_at=at)
    contact = fp.ContactRecord(customer="a", channel="sms", purpose="marketing", at=at)
    partner = fp.Recipient(name="partner", kind="third_party")
    access = fp.AccessRequest(
        subject=fp.Subject(id="u1", roles=["teller"]), action="export",
        resource=fp.Resource(type="record", data_level="ordinary", category="business"),
        purpose="audit", as_of=at)
    reveal_type(engine.check_processing(request, consents=[consent], contacts=[contact]))
    reveal_type(engine.plan_campaign([fp.CampaignCustomer(id="a")], consents=[consent],
                                     as_of=at))
    reveal_type(engine.review_consents([consent], contacts=[contact], as_of=at))
    reveal_type(engine.authorize_export(access, request.model_copy(
        update={"recipient": partner})))
    print(engine.check_processing(request).alowed)
""")

EXPECTED = [
    "finpolicy.domains.consent.model.ConsentDecision",
    "finpolicy.domains.consent.campaign.CampaignReport",
    "finpolicy.domains.consent.model.ConsentReviewReport",
    "finpolicy.domains.consent.export.ExportDecision",
]


@pytest.mark.slow
def test_mypy_strict_sees_the_consent_types(tmp_path: Path) -> None:
    script = tmp_path / "user.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(script)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False)
    out = done.stdout
    assert re.findall(r'Revealed type is "([^"]+)"', out) == EXPECTED, out
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 1 and '"alowed"' in errors[0], out
