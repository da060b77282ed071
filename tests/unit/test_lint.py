"""``finpolicy lint``: planted dead, shadowed and overridden rules are found; the shipped packs
are clean; the solver's answers agree with evaluation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.lint import CODES, lint_bundle
from finpolicy.lint.checks import suppressions
from finpolicy.lint.solver import satisfiable
from finpolicy.rules.conditions import All, Any, Compare, Condition, Exists, Not
from finpolicy.rules.evaluate import holds

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "tests" / "data" / "lint-pack"


def _codes(path: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for finding in lint_bundle(fp.load_bundle(path)):
        out.setdefault(finding.rule, set()).add(finding.code)
    return out


def test_planted_findings_are_found_and_nothing_else() -> None:
    assert _codes(PACK) == {
        "elderly-contradiction": {"FPL001"},
        "very-elderly": {"FPL002"},
        "unassessed-suitable": {"FPL003"},
        "unknown-level": {"FPL005"},
        "no-article": {"FPL004"},
    }


def test_overridden_names_the_fewest_rules_that_cover_it() -> None:
    [finding] = [f for f in lint_bundle(fp.load_bundle(PACK)) if f.code == "FPL003"]
    assert finding.related == ("no-assessment",)
    assert finding.line is not None and finding.file.endswith("suitability.yaml")


@pytest.mark.parametrize("pack", ["cn-banking", "uk-fca"])
def test_shipped_packs_have_no_findings(pack: str) -> None:
    assert [str(f) for f in lint_bundle(fp.load_bundle(ROOT / "policies" / pack))] == []


def _access_pack(tmp_path: Path, extra: str) -> Path:
    target = tmp_path / "pack"
    target.mkdir()
    shutil.copy(ROOT / "policies/cn-banking/bundle.yaml", target / "bundle.yaml")
    text = (ROOT / "policies/cn-banking/access.yaml").read_text(encoding="utf-8")
    marker = "  rules:\n"
    assert marker in text
    (target / "access.yaml").write_text(text.replace(marker, marker + extra, 1),
                                        encoding="utf-8")
    return target


def test_allow_rule_overridden_by_deny_overrides(tmp_path: Path) -> None:
    pack = _access_pack(tmp_path, """\
    - id: allow-roleless-audit
      when:
        all:
          - {field: subject.role_count, eq: 0}
          - {field: request.action, eq: read}
      effect: allow
      reason: planted - no-roles denies whenever this allows
      cite: seed-002 §7.2
    - id: deny-roleless-top
      when:
        all:
          - {field: subject.role_count, eq: 0}
          - {field: resource.level, eq: core}
      effect: deny
      reason: planted - shadowed by no-roles
      cite: seed-002 §7.2
""")
    codes = _codes(pack)
    assert codes["allow-roleless-audit"] == {"FPL003"}
    assert codes["deny-roleless-top"] == {"FPL002"}
    # (a rule on a level the policy does not declare is refused when the pack loads:
    # test_rule_literals)


def test_cli_fail_on_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["lint", str(PACK)])
    assert result.exit_code == 1  # an error (FPL001) reaches the default --fail-on error
    assert "suitability.yaml:" in result.output and "FPL002" in result.output
    clean = runner.invoke(main, ["lint", str(ROOT / "policies/cn-banking"),
                                 "--fail-on", "info"])
    assert clean.exit_code == 0, clean.output
    data = json.loads(runner.invoke(main, ["lint", str(PACK), "--json"]).output)
    assert {f["code"] for f in data["findings"]} == {"FPL001", "FPL002", "FPL003", "FPL004",
                                                     "FPL005"}
    assert all(f["line"] and f["severity"] == CODES[f["code"]].severity
               for f in data["findings"])


def test_warnings_fail_only_when_asked(tmp_path: Path) -> None:
    text = (PACK / "suitability.yaml").read_text(encoding="utf-8")
    start = text.index("    - id: elderly-contradiction")
    end = text.index("    - id: elderly\n")
    pack = tmp_path / "p"
    shutil.copytree(PACK, pack)
    (pack / "suitability.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["lint", str(pack)]).exit_code == 0
    assert runner.invoke(main, ["lint", str(pack), "--fail-on", "warning"]).exit_code == 1


def test_invalid_pack_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bundle.yaml").write_text("name: x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["lint", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_suppression_needs_a_reason() -> None:
    text = ("a: 1  # finpolicy-lint: ignore[FPL004] cited as a whole\n"
            "b: 2  # finpolicy-lint: ignore[FPL002]\n")
    assert suppressions(text) == {1: frozenset({"FPL004"})}


# --- the solver agrees with evaluation ---------------------------------------------------------

_PATHS = (("a", "n"), ("a", "t"), ("b",))
_leaf = st.one_of(
    st.builds(Compare, st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
              st.just(("a", "n")), st.integers(-3, 3)),
    st.builds(Compare, st.sampled_from(["eq", "ne"]), st.just(("a", "t")),
              st.sampled_from(["x", "y"])),
    st.builds(Compare, st.sampled_from(["in", "not_in"]), st.just(("a", "t")),
              st.just(("x", "z"))),
    st.builds(Compare, st.just("eq"), st.just(("b",)), st.booleans()),
    st.builds(Exists, st.sampled_from(_PATHS), st.booleans()),
)
def _all(items: list[Condition]) -> Condition:
    return All(tuple(items))


def _any(items: list[Condition]) -> Condition:
    return Any(tuple(items))


def _combined(inner: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
    return st.one_of(st.builds(_all, st.lists(inner, max_size=3)),
                     st.builds(_any, st.lists(inner, max_size=3)), st.builds(Not, inner))


_conditions: st.SearchStrategy[Condition] = st.recursive(_leaf, _combined, max_leaves=6)
_facts = st.fixed_dictionaries({}, optional={
    "a": st.fixed_dictionaries({}, optional={
        "n": st.one_of(st.integers(-5, 5), st.sampled_from([-2.5, 0.5, 2.5])),
        "t": st.sampled_from(["x", "y", "z", "w"])}),
    "b": st.booleans()})
_TYPES = {"a.n": "number", "a.t": "text", "b": "boolean"}


@settings(max_examples=300, deadline=None)
@given(_conditions, _facts)
def test_unsatisfiable_means_no_fact_satisfies(condition: Condition, fact: dict[str, object]
                                               ) -> None:
    if holds(condition, fact):
        assert satisfiable([(condition, True)], {}, _TYPES) is not False
    else:
        assert satisfiable([(condition, False)], {}, _TYPES) is not False


def test_solver_decides_intervals_and_domains() -> None:
    age = ("customer", "age")
    assert satisfiable([(All((Compare("ge", age, 70), Compare("lt", age, 60))), True)],
                       {}, {"customer.age": "number"}) is False
    assert satisfiable([(All((Compare("gt", age, 1), Compare("lt", age, 2))), True)],
                       {}, {"customer.age": "number"}) is True
    level = Compare("eq", ("customer", "level"), "C9")
    assert satisfiable([(level, True)], {"customer.level": ["C1", "C2"]}, {}) is False
    assert satisfiable([(level, False)], {"customer.level": ["C1", "C2"]}, {}) is True


def test_the_docs_list_every_lint_code() -> None:
    page = (ROOT / "docs" / "writing-policies.rst").read_text(encoding="utf-8")
    for code in CODES.values():
        assert f"``{code.code}``" in page and f"``{code.name}``" in page


def test_an_obligation_declared_and_never_carried_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "cn-banking"
    shutil.copytree(shipped_packs() / "cn-banking", root)
    path = root / "access.yaml"
    text = path.read_text(encoding="utf-8")
    assert "record_grant_use" in text
    start = text.index("vocabulary:")
    end = text.index("record_grant_use", start)
    path.write_text(text[:end] + "forgotten_duty, " + text[end:], encoding="utf-8")
    found = [f for f in lint_bundle(fp.load_bundle(root)) if f.code == "FPL009"]
    assert [(f.severity, Path(f.file).name) for f in found] == [("info", "access.yaml")]
    assert "`forgotten_duty`" in found[0].message and found[0].line is not None
