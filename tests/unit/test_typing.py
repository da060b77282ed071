"""finpolicy is typed for its users: a type checker sees each method's decision class.

A small user script is checked with ``mypy --strict`` against the installed package (it ships
``py.typed``); ``reveal_type`` must show the real decision types, and a misspelt attribute of a
decision must be an error.
"""

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
    on = dt.date(2026, 3, 1)
    at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    customer = fp.Customer(id="c1", risk_level="C3")
    product = fp.Product(id="p1", kind="fund", risk_level="R2")
    request = fp.AccessRequest(
        subject=fp.Subject(id="u1", roles=["teller"]), action="read",
        resource=fp.Resource(type="customer_record", data_level="ordinary",
                             category="basic_identity"),
        purpose="account_service", as_of=at)
    complaint = fp.Complaint(id="k1", received_at=at, channel="phone", category="service")

    reveal_type(engine.check_suitability(customer, product, as_of=on))
    reveal_type(engine.suitable_products(customer, [product], as_of=on))
    reveal_type(engine.authorize(request))
    reveal_type(engine.review_access([], [], as_of=at))
    reveal_type(engine.complaint_sla(complaint, as_of=at))
    reveal_type(engine.complaint_sla_batch([complaint], as_of=at))
    reveal_type(engine.classify("id_number"))
    reveal_type(engine.classify_record({"name": "x"}))
    reveal_type(engine.scan("table.csv"))
    reveal_type(engine.mask("6222021234567890123", field="card_number"))
    decision = engine.check_suitability(customer, product, as_of=on)
    print(decision.outcom)
""")

EXPECTED = [
    "finpolicy.domains.suitability.models.SuitabilityDecision",
    "list[finpolicy.domains.suitability.models.SuitabilityDecision]",
    "finpolicy.domains.access.model.AccessDecision",
    "finpolicy.domains.access.model.AccessReviewReport",
    "finpolicy.domains.complaints.models.SlaDecision",
    "list[finpolicy.domains.complaints.models.SlaDecision]",
    "finpolicy.domains.classification.model.ClassificationDecision",
    "finpolicy.domains.classification.model.RecordClassificationDecision",
    "finpolicy.domains.classification.scanning.ScanReport",
    "str",
]


@pytest.mark.slow
def test_mypy_strict_sees_the_decision_types(tmp_path: Path) -> None:
    script = tmp_path / "user.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(script)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False)
    out = done.stdout
    # mypy versions differ on whether builtins are qualified
    revealed = [r.replace("builtins.", "") for r in re.findall(r'Revealed type is "([^"]+)"', out)]
    assert revealed == EXPECTED, out
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 1 and '"outcom"' in errors[0], out
