"""A plug-in domain whose declaration is broken in ways attrs does not check — a part that is
not callable, a module that cannot be found or imported, a method the engine's own attribute
hides, a malformed entry point — is an error naming the domain and what was expected, never a
traceback of whichever tool touches the part first."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from finpolicy.domains.base import Domain
from finpolicy.domains.registry import DomainError, _entry_points, _load
from tests.helpers.plugins import PLUGINS, install, run_python


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Domain]:
    monkeypatch.syspath_prepend(str(PLUGINS))
    import finpolicy_limits

    yield finpolicy_limits.DOMAIN


def test_parts_of_the_wrong_type_and_missing_modules_make_a_domain_incomplete(
        limits: Domain) -> None:
    broken = attrs.evolve(limits, evaluate_input=None, operations={"check_limit": 3},
                          cli="finpolicy_limits.clii", explain="nowhere.explain")
    problems = broken.problems()
    assert "evaluate_input is not callable" in problems
    assert "operation `check_limit` is not callable (a `int`)" in problems
    assert "cli module `finpolicy_limits.clii` cannot be found" in problems
    assert "explain module `nowhere.explain` cannot be found" in problems
    assert limits.problems() == []
    # one text is no tuple: `outcome in "block"` would take "lock" for a refusal
    assert "refusals is `'block'`, expected a tuple of outcomes" in attrs.evolve(
        limits, refusals="block").problems()


def test_a_plugin_method_named_like_one_of_the_engines_own_is_an_error(
        limits: Domain) -> None:
    def swap(runtime: object, *args: object, **kwargs: object) -> object:
        return limits.operations["check_limit"](runtime, *args, **kwargs)

    hidden = attrs.evolve(limits, operations={"swap": swap}, logged={}, calls={})
    builtins = list(_entry_points())
    with pytest.raises(DomainError, match=r"engine method `swap` of domain `limits` is the "
                                          r"name of PolicyEngine's own `swap`"):
        _load([*builtins, ("limits", lambda: hidden)])


def _site(root: Path, name: str, entry: str, source: str) -> Path:
    (root / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return install(root, name, entry)


_run = run_python


BROKEN_CLI = """
    import attrs
    from finpolicy_limits import DOMAIN as LIMITS
    DOMAIN = attrs.evolve(LIMITS, cli="broken_cli")
"""


def test_a_plugin_cli_module_that_fails_to_import_is_an_error_naming_the_domain(
        tmp_path: Path) -> None:
    site = _site(tmp_path, "broken_cli", "limits = broken_cli:DOMAIN", BROKEN_CLI)
    (site / "broken_cli_commands.py").write_text("import no_such_dependency\n")
    site.joinpath("broken_cli.py").write_text(
        site.joinpath("broken_cli.py").read_text().replace('"broken_cli"',
                                                           '"broken_cli_commands"'))
    done = _run(site, "-m", "finpolicy", "validate", "cn-banking")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert ("domain `limits`: its cli module `broken_cli_commands` cannot be imported: "
            "ModuleNotFoundError: No module named 'no_such_dependency'") in done.stderr


def test_a_malformed_entry_point_says_what_was_expected(tmp_path: Path) -> None:
    site = _site(tmp_path, "odd", "odd = odd DOMAIN", "DOMAIN = None\n")
    done = _run(site, "-m", "finpolicy", "domains")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "domain entry point `odd = odd DOMAIN` cannot be loaded" in done.stderr
    assert "is not `module:attribute`" in done.stderr


def test_an_operation_is_logged_by_its_key_whatever_its_function_is_called(
        limits: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    # the engine asked the decision log about the function's name: under another name a
    # logged engine decided the operation and logged nothing
    import datetime as dt

    import finpolicy as fp
    from finpolicy.domains import registry

    def _check_limit_impl(runtime: object, *args: object, **kwargs: object) -> object:
        return limits.operations["check_limit"](runtime, *args, **kwargs)

    renamed = attrs.evolve(limits, operations={"check_limit": _check_limit_impl})
    monkeypatch.setattr(registry, "_LOADED", _load([*_entry_points(),
                                                    ("limits", lambda: renamed)]))

    class Log:  # what the engine asks of a decision log
        def __init__(self) -> None:
            self.asked: list[str] = []
            self.recorded: list[str] = []

        def records(self, name: str) -> bool:
            self.asked.append(name)
            return True

        def record(self, runtime: object, name: str, *rest: object) -> None:
            self.recorded.append(name)

    log = Log()
    engine = fp.PolicyEngine(fp.load_bundle(PLUGINS / "limits-pack"))
    engine._log = log  # type: ignore[assignment]  # (a stand-in, not a DecisionLog)
    engine.check_limit({"id": "t1", "amount": 10, "channel": "online"},
                       as_of=dt.date(2026, 1, 5))
    assert (log.asked, log.recorded) == (["check_limit"], ["check_limit"])
