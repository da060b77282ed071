"""What a plug-in declares that finpolicy would otherwise silently ignore or let take the place
of something else — a command named like one of finpolicy's own (``finpolicy validate`` ran
the plug-in's), a public name finpolicy already has (``fp.Decision`` stayed finpolicy's) — or
that ended in a traceback (a ``COMMANDS`` entry that is no command, an ``EXPLAINER`` that is
no explainer) is an error naming the domain and what it must provide."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import finpolicy as fp
from finpolicy.domains import registry
from finpolicy.domains.base import Domain
from finpolicy.domains.registry import DomainError, _entry_points, _load
from tests.helpers.plugins import PLUGINS, install, run_python


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Domain]:
    monkeypatch.syspath_prepend(str(PLUGINS))
    import finpolicy_limits

    yield finpolicy_limits.DOMAIN


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on the path for the tests' own modules."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The registry as the test leaves it is found again afterwards."""
    yield
    monkeypatch.undo()
    registry.reload()


def _cli_module(folder: Path, name: str, source: str) -> str:
    (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return name


COMMAND = """
    import click

    @click.command({name!r})
    def command() -> None:
        print("the plug-in's command")

    COMMANDS = [command]
"""


def test_a_plugin_command_named_like_one_of_finpolicys_own_is_an_error(
        limits: Domain, module: Path) -> None:
    cli = _cli_module(module, "validate_cli", COMMAND.format(name="validate"))
    with pytest.raises(DomainError, match=r"domain `limits`: its command `validate` has the "
                                          r"name of finpolicy's own `validate` command"):
        attrs.evolve(limits, cli=cli).commands()


def test_a_plugin_command_named_like_another_domains_is_an_error(
        limits: Domain, module: Path) -> None:
    cli = _cli_module(module, "scan_cli", COMMAND.format(name="scan"))
    with pytest.raises(DomainError, match=r"domain `limits`: its command `scan` has the name "
                                          r"of domain `classification`'s command"):
        attrs.evolve(limits, cli=cli).commands()


def test_a_commands_entry_that_is_no_click_command_is_an_error_naming_it(
        limits: Domain, module: Path) -> None:
    cli = _cli_module(module, "plain_cli", "def limits() -> None: ...\nCOMMANDS = [limits]\n")
    with pytest.raises(DomainError, match=r"domain `limits`: `plain_cli.COMMANDS\[0\]` is a "
                                          r"`function`, expected a click command"):
        attrs.evolve(limits, cli=cli).commands()


def test_the_command_line_refuses_a_plugin_replacing_its_validate(tmp_path: Path) -> None:
    # finpolicy validate ran the plug-in's command and exited 0 without validating anything
    site = install(tmp_path, "hijack", "limits = hijack:DOMAIN")
    (site / "hijack.py").write_text(textwrap.dedent("""
        import attrs
        from finpolicy_limits import DOMAIN as LIMITS
        DOMAIN = attrs.evolve(LIMITS, cli="hijack_cli")
    """), encoding="utf-8")
    _cli_module(site, "hijack_cli", COMMAND.format(name="validate"))
    done = run_python(site, "-m", "finpolicy", "validate", str(PLUGINS / "limits-pack"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the plug-in's command" not in done.stdout
    assert "Traceback" not in done.stderr
    assert "its command `validate` has the name of finpolicy's own" in done.stderr


def test_a_public_name_finpolicy_already_has_is_an_error(limits: Domain) -> None:
    shadowed = attrs.evolve(limits, exports={**limits.exports, "Decision": object()})
    with pytest.raises(DomainError, match=r"domain `limits` exports `Decision`, a name of "
                                          r"finpolicy's own"):
        _load([*_entry_points(), ("limits", lambda: shadowed)])
    aliased = attrs.evolve(limits, deprecated={"Bundle": "Transaction"})
    with pytest.raises(DomainError, match=r"keeps the deprecated name `Bundle`"):
        _load([*_entry_points(), ("limits", lambda: aliased)])


def test_one_public_name_claimed_by_two_domains_is_an_error(limits: Domain) -> None:
    kind = attrs.evolve(limits.kinds[0], name="CapPolicy")
    twin = attrs.evolve(limits, name="caps", kinds=(kind,), operations={}, logged={},
                        calls={}, cli=None, pictures={}, error_codes={},
                        invariants={"CapPolicy": limits.invariants[limits.kinds[0].name]},
                        exports={"Transaction": dict})
    with pytest.raises(DomainError, match=r"`finpolicy.Transaction` is claimed by domains "
                                          r"`limits` and `caps`"):
        _load([*_entry_points(), ("limits", lambda: limits), ("caps", lambda: twin)])


def test_reloading_gives_a_plugins_public_names_afresh(
        limits: Domain, monkeypatch: pytest.MonkeyPatch, registered: None) -> None:
    class Newer:
        pass

    found = [("limits", lambda: limits)]
    monkeypatch.setattr(registry, "_entry_points", lambda: [*_entry_points(), *found])
    registry.reload()
    assert fp.Transaction is limits.exports["Transaction"]
    newer = attrs.evolve(limits, exports={**limits.exports, "Transaction": Newer})
    found[:] = [("limits", lambda: newer)]
    registry.reload()
    assert fp.Transaction is Newer  # it stayed the class of the domain first found


def test_explaining_a_plugins_call_names_what_its_domain_must_declare(
        limits: Domain, monkeypatch: pytest.MonkeyPatch, module: Path,
        registered: None) -> None:
    silent = attrs.evolve(limits, explain=None)
    monkeypatch.setattr(registry, "_LOADED",
                        _load([*_entry_points(), ("limits", lambda: silent)]))
    engine = fp.PolicyEngine(fp.load_bundle(PLUGINS / "limits-pack"))
    txn = {"id": "t1", "amount": 60_000, "channel": "online"}
    with pytest.raises(fp.InputError, match=r"domain `limits` does not explain `check_limit`: "
                                            r"its Domain declares no `explain` module"):
        engine.explain("check_limit", txn, as_of=dt.date(2026, 1, 5))
    (module / "odd_explainer.py").write_text("EXPLAINER = 'explains'\n", encoding="utf-8")
    odd = attrs.evolve(limits, explain="odd_explainer")
    monkeypatch.setattr(registry, "_LOADED", _load([*_entry_points(), ("limits", lambda: odd)]))
    with pytest.raises(DomainError, match=r"domain `limits`: `odd_explainer.EXPLAINER` is a "
                                          r"`str`, expected a finpolicy.explain.Explainer"):
        engine.explain("check_limit", txn, as_of=dt.date(2026, 1, 5))


def _with_decision_fact(limits: Domain, **adapter: object) -> Domain:
    """The limits domain whose invariants may read ``decision.amount`` (its build says so),
    with its invariant adapter changed by ``adapter``."""
    import finpolicy_limits as lim

    from finpolicy.rules.invariants import parse_invariants

    def build(spec: lim.LimitSpec, ctx: lim.BuildContext) -> lim.LimitRules:
        rules = [r for _, r in lim.compile_rules(spec.rules, ctx, fields=lim.FIELDS,
                                                 effect=lambda s: {"outcome": s.outcome})]
        return lim.LimitRules({"limits": lim.RuleSet("limits", tuple(rules))},
                              frozenset(spec.channels),
                              parse_invariants(spec.invariants, ctx, lim.FIELDS,
                                               {"decision.amount": "number"}))

    kind = attrs.evolve(lim.POLICY_KIND, build=build)
    found = attrs.evolve(limits.invariants[lim.KIND], **adapter)
    return attrs.evolve(limits, kinds=(kind,), invariants={lim.KIND: found})


def test_an_invariant_reading_a_decision_fact_no_adapter_gives_is_a_policy_error(
        limits: Domain, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        registered: None) -> None:
    # `finpolicy test` reported it VIOLATED on every input, with a counter-example that was none
    import shutil

    import yaml

    pack = tmp_path / "pack"
    shutil.copytree(PLUGINS / "limits-pack", pack)
    doc = pack / "limits.yaml"
    data = yaml.safe_load(doc.read_text(encoding="utf-8"))
    data["spec"]["invariants"].append({"name": "amounts are never negative",
                                       "expect": {"field": "decision.amount", "ge": 0}})
    doc.write_text(yaml.safe_dump(data), encoding="utf-8")
    silent = _with_decision_fact(limits)
    monkeypatch.setattr(registry, "_LOADED",
                        _load([*_entry_points(), ("limits", lambda: silent)]))
    with pytest.raises(fp.PolicyError) as caught:
        fp.load_bundle(pack)
    (problem,) = caught.value.problems
    assert problem.code == "invariant_fact_unprovided" and problem.line is not None
    assert "reads `decision.amount`, which domain `limits` does not give" in problem.message
    giving = _with_decision_fact(limits, extra=lambda d, c: {"amount": c["txn"].amount},
                                 decision_fields={"decision.amount": "number"})
    monkeypatch.setattr(registry, "_LOADED",
                        _load([*_entry_points(), ("limits", lambda: giving)]))
    from finpolicy.testing import check_invariants

    results = check_invariants(fp.load_bundle(pack), max_examples=20, derandomize=True)
    assert [r.holds for r in results] == [True, True]


def test_decision_fields_without_an_extra_giving_them_make_a_domain_incomplete(
        limits: Domain) -> None:
    adapter = attrs.evolve(next(iter(limits.invariants.values())),
                           decision_fields={"decision.amount": "number"})
    broken = attrs.evolve(limits, invariants={"LimitPolicy": adapter})
    assert broken.problems() == ["the invariant adapter of `LimitPolicy` names decision_fields "
                                 "(decision.amount) but no `extra` giving them"]


def test_finpolicy_domains_names_the_methods_left_out_of_the_log_and_the_service(
        limits: Domain, monkeypatch: pytest.MonkeyPatch, registered: None) -> None:
    # a plug-in method given no LoggedCall was decided unlogged on a logged engine, and one
    # given no Call was not served, with nothing saying so
    import json

    from click.testing import CliRunner

    from finpolicy.cli import main

    quiet = attrs.evolve(limits, logged={}, unlogged={"check_limit"}, calls={}, cli=None)
    monkeypatch.setattr(registry, "_LOADED", _load([*_entry_points(), ("limits", lambda: quiet)]))
    done = CliRunner().invoke(main, ["domains", "--json"])
    assert done.exit_code == 0, done.output
    (row,) = [r for r in json.loads(done.output) if r["name"] == "limits"]
    assert (row["unlogged"], row["unserved"]) == (["check_limit"], ["check_limit"])
    assert row["combining"] == {"LimitPolicy": "the most restrictive outcome wins "
                                               "(block > refer > allow)"}
    done = CliRunner().invoke(main, ["domains"], terminal_width=200)
    assert "check_limit¹²" in done.output and "not recorded by a decision log" in done.output


def test_a_grid_axis_that_is_no_input_field_makes_a_domain_incomplete(limits: Domain) -> None:
    # diff silently never varied it: a typo left the channels untried
    assert attrs.evolve(limits, grid=(("chanel",),)).problems() == [
        "grid axis `chanel` is no field of its input models (amount, channel, foreign, id), "
        "so `diff` would never vary it"]
    assert attrs.evolve(limits, grid=(("transaction", "channel"),)).problems() == []


def test_an_error_code_finpolicy_means_otherwise_is_an_error_naming_the_domain(
        limits: Domain) -> None:
    # a ValueError from errorcodes.declare: a traceback on the command line
    recoded = attrs.evolve(limits, error_codes={"input": {"bad_input": "Our own meaning."}})
    with pytest.raises(DomainError, match=r"domain `limits` declares error codes \(input\) it "
                                          r"cannot: error code `bad_input` is already "
                                          r"declared by finpolicy"):
        _load([*_entry_points(), ("limits", lambda: recoded)])


@pytest.mark.parametrize(("source", "message"), [
    ("STRATEGIES = ('transactions',)\n",
     r"`odd_strategies` lists transactions in STRATEGIES but defines no such function"),
    ("def customers(): ...\nSTRATEGIES = ('customers',)\n",
     r"its strategy `customers` has the name of suitability's"),
    ("def require(): ...\nSTRATEGIES = ('require',)\n",
     r"its strategy `require` has the name of finpolicy's"),
    ("TYPE_STRATEGIES = {'Transaction': print}\n",
     r"gives TYPE_STRATEGIES as .*expected a mapping of input types to strategy functions"),
])
def test_a_strategies_module_that_would_be_ignored_or_shadowed_is_an_error(
        limits: Domain, module: Path, source: str, message: str) -> None:
    # finpolicy.testing.strategies raised an AttributeError, or silently gave another
    # domain's strategy under the name
    import sys

    sys.modules.pop("odd_strategies", None)
    (module / "odd_strategies.py").write_text(source, encoding="utf-8")
    with pytest.raises(DomainError, match=r"domain `limits`: .*" + message):
        attrs.evolve(limits, strategies="odd_strategies").strategies_module()


def test_a_call_model_not_matching_its_operation_makes_a_domain_incomplete(
        limits: Domain) -> None:
    # finpolicy serve refused every request as the caller's mistake (400 unknown_key)
    import finpolicy_limits as lim

    from finpolicy.domains.base import Call

    class Misnamed(Call):
        transaction: lim.Transaction

    broken = attrs.evolve(limits, calls={"check_limit": Misnamed})
    assert broken.problems() == [
        "call model `check_limit` has field `transaction`, which `check_limit` does not take "
        "(it takes txn, as_of, policy)",
        "call model `check_limit` gives no field `txn`, which `check_limit` needs"]


def test_an_operation_returning_decisions_without_a_logged_call_makes_a_domain_incomplete(
        limits: Domain) -> None:
    # an engine with a decision log decided check_limit and logged nothing, silently
    assert attrs.evolve(limits, logged={}).problems() == [
        "operation `check_limit` returns decisions, but no LoggedCall in `logged` keeps them: "
        "an engine with a decision log would decide it unlogged (name it in `unlogged` if "
        "that is meant)"]
    assert attrs.evolve(limits, logged={}, unlogged={"check_limit"}).problems() == []
    assert attrs.evolve(limits, unlogged={"check"}).problems() == [
        "leaves `check` unlogged, which is not one of its operations"]


def test_a_plugin_kind_whose_package_is_not_installed_says_so(tmp_path: Path) -> None:
    # it said only "unknown kind `LimitPolicy` (did you mean `AccessPolicy`?)"
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(PLUGINS / "limits-pack", pack)
    with pytest.raises(fp.PolicyError) as caught:
        fp.load_bundle(pack)
    (problem,) = caught.value.problems
    assert problem.code == "unknown_kind"
    assert "unknown kind `LimitPolicy`" in problem.message
    assert "no registered domain declares it (a plug-in domain's kinds are known once its " \
        "package is installed; `finpolicy domains` lists them)" in problem.message


def test_a_pack_check_that_raises_is_a_problem_naming_the_domain_and_the_check(
        limits: Domain, monkeypatch: pytest.MonkeyPatch, registered: None) -> None:
    # finpolicy validate ended in the check's KeyError traceback
    from finpolicy.validation import validate_pack

    def channels_agree(documents: object) -> list[object]:
        raise KeyError("channels")

    def texts(documents: object) -> list[object]:
        return ["not a problem"]

    for check, failure in ((channels_agree, "raised KeyError: 'channels'"),
                           (texts, "gave a `str`, expected a finpolicy.errors.Problem")):
        checked = attrs.evolve(limits, pack_checks=(check,))
        monkeypatch.setattr(registry, "_LOADED",
                            _load([*_entry_points(), ("limits", lambda c=checked: c)]))
        (problem,) = validate_pack(PLUGINS / "limits-pack").problems
        assert problem.code == "pack_check_failed" and problem.file.endswith("limits.yaml")
        assert problem.message == (f"the pack check `{check.__qualname__}` of domain "
                                   f"`limits` {failure}")


def test_a_plugin_named_like_a_builtin_domain_names_both_packages(limits: Domain) -> None:
    # it said only "two domains are named `access`": which package to rename?
    named = attrs.evolve(limits, name="access")
    with pytest.raises(DomainError, match=r"two domains are named `access`: one declared in "
                                          r"`finpolicy.domains.access`, one in "
                                          r"`finpolicy_limits` \(entry point `bank`\)"):
        _load([*_entry_points(), ("bank", lambda: named)])


def test_an_entry_point_naming_none_is_an_error_not_a_skipped_domain() -> None:
    # DOMAIN = None (a declaration that failed and was caught) left the plug-in out silently:
    # its pack said only that its kind is unknown
    with pytest.raises(DomainError, match=r"domain entry point `kyc = bank_kyc:DOMAIN` is a "
                                          r"NoneType, expected a finpolicy.domains.Domain"):
        _load([*_entry_points(), ("kyc = bank_kyc:DOMAIN", lambda: None)])


def test_a_domain_or_kind_name_that_cannot_name_a_route_or_a_file_is_an_error(
        limits: Domain) -> None:
    # name="kyc/refresh" was served at POST /v1/kyc/refresh/check_limit, and a kind
    # "Limit Policy" written by `finpolicy schema -o` as "Limit Policy.schema.json"
    kind = attrs.evolve(limits.kinds[0], name="Limit Policy")
    broken = attrs.evolve(limits, name="kyc/refresh", kinds=(kind,),
                          invariants={"Limit Policy": limits.invariants["LimitPolicy"]},
                          pictures={})
    assert broken.problems() == [
        "name `kyc/refresh` is not a word of letters, digits, `_` and `-` starting with a "
        "letter (it is part of URLs, commands and case files)",
        "kind name `Limit Policy` is not a Python name (it names files and schemas)"]
