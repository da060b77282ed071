"""A domain's own code that raises something other than a finpolicy error (a plug-in's
``evaluate_input`` hitting a KeyError) ended ``finpolicy eval`` and ``demo`` in a traceback,
and a ``DomainError`` exited 1, the code of a refused decision; now each is an error naming
the domain and what raised, exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

import finpolicy.cli.demo
import finpolicy.cli.evaluate
from finpolicy.cli import main
from finpolicy.domains.registry import domain


def _broken(name: str) -> Any:
    def evaluate_input(runtime: Any, data: Any, *, as_of: Any = None) -> Any:
        raise KeyError("risk_rating")
    return attrs.evolve(domain(name), evaluate_input=evaluate_input)


@pytest.mark.parametrize("module", [finpolicy.cli.evaluate, finpolicy.cli.demo])
def test_a_domain_s_evaluate_input_raising_is_an_error_naming_it(
        module: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = _broken("classification")
    monkeypatch.setattr(module, "domain", lambda name: broken if name == "classification"
                        else domain(name))
    source = tmp_path / "field.yaml"
    source.write_text("field: {name: remark}\n", encoding="utf-8")
    args = ["eval", "classification", str(source)] if module is finpolicy.cli.evaluate \
        else ["demo"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, KeyError)
    assert "domain `classification`: its evaluate_input raised KeyError: 'risk_rating'" \
        in result.output
