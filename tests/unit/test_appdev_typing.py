"""What ``mypy --strict`` makes of a bank's code: a misspelt name of the package or a
misspelt engine method is an error, never an ``Any`` that type checks."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import finpolicy as fp

SCRIPT = textwrap.dedent("""
    import datetime as dt

    import finpolicy as fp

    engine = fp.PolicyEngine(fp.load_bundle())
    on = dt.date(2026, 3, 1)
    customer = fp.Customer(id="c1", risk_level="C3")
    product = fp.Product(id="p1", kind="fund", risk_level="R2")
    request = fp.AccesRequest(subject={"id": "u1"})
    decision = engine.check_suitabilty(customer, product, as_of=on)
    old: fp.SlaReport = engine.complaint_sla_batch([])[0]
    reveal_type(fp.Classification)
    reveal_type(engine.check_suitability(customer, product, as_of=on))
""")


def _mypy(tmp_path: Path, source: str) -> str:
    script = tmp_path / "user.py"
    script.write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(script)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False)
    return done.stdout


@pytest.mark.slow
def test_mypy_strict_refuses_a_misspelt_name_or_method(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="the typing test needs mypy (in the test extra)")
    out = _mypy(tmp_path, SCRIPT)
    errors = [line for line in out.splitlines() if ": error:" in line]
    # the two misspellings, and nothing else: the deprecated names still type check
    assert len(errors) == 2, out
    assert '"AccesRequest"' in errors[0] and '"check_suitabilty"' in errors[1], out
    revealed = re.findall(r'Revealed type is "([^"]+)"', out)
    assert revealed[0].endswith("-> finpolicy.domains.classification.model."
                                "ClassificationDecision"), out
    assert revealed[1] == "finpolicy.domains.suitability.models.SuitabilityDecision", out


def test_the_names_kept_from_type_checkers_still_work_at_run_time() -> None:
    import finpolicy.engine

    assert finpolicy.engine.PolicyEngine is fp.PolicyEngine
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fp.SlaReport is fp.SlaDecision
    assert "deprecated" in str(caught[0].message)
    with pytest.raises(AttributeError, match="AccesRequest"):
        getattr(fp, "AccesRequest")  # noqa: B009
    engine = fp.PolicyEngine()
    with pytest.raises(AttributeError, match="check_suitabilty"):
        getattr(engine, "check_suitabilty")  # noqa: B009


def test_every_deprecated_name_of_a_built_in_domain_is_typed() -> None:
    # a type checker sees no module __getattr__, so each deprecated alias is declared for it
    import ast
    import inspect

    from finpolicy.domains.registry import domains

    tree = ast.parse(inspect.getsource(fp))
    declared = {target.id: node.value.attr
                for block in tree.body if isinstance(block, ast.If)
                and ast.unparse(block.test) == "TYPE_CHECKING"
                for node in block.body if isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Attribute)
                for target in node.targets if isinstance(target, ast.Name)}
    built_in = {old: new for d in domains() if d.package.startswith("finpolicy.")
                for old, new in d.deprecated.items()}
    assert declared == built_in
