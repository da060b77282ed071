"""Change impact: ``fp.testing.diff`` and ``finpolicy diff`` between two versions of a pack.

Each test copies the shipped pack, plants one change and checks that the report names exactly
that change, with an example that reproduces it.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.domains import DOMAINS, domain_module
from finpolicy.testing import DiffReport, diff
from finpolicy.testing.cases import evaluate_case, load_examples
from finpolicy.testing.diff import Verdict, _nth, known_outcomes, parse_fail_on

# change impact evaluates two bundles on thousands of inputs per test
pytestmark = pytest.mark.slow

SAMPLES = 300  # generated inputs per domain besides the examples and the first full matrix


def copy_pack(bundle: fp.Bundle, tmp_path: Path, name: str = "new") -> Path:
    pack = tmp_path / name
    shutil.copytree(bundle.root, pack)
    return pack


def edit(pack: Path, kind: str, change: Callable[[dict[str, Any]], object]) -> None:
    """Apply ``change`` to the data of every document of ``kind`` in ``pack``."""
    edited = 0
    for file in sorted(pack.glob("*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("kind") == kind:
            change(data)
            file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
            edited += 1
    assert edited, f"no {kind} document in {pack}"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def domains_with_examples(bundle: fp.Bundle) -> list[str]:
    return sorted({e.domain for e in load_examples(bundle)})


def assert_examples_reproduce(report: DiffReport, old: fp.Bundle, new: fp.Bundle) -> None:
    """Every group's example, evaluated again, gives the old and new decisions reported."""
    engines = fp.PolicyEngine(old), fp.PolicyEngine(new)
    for group in report.groups:
        ex = group.example
        module = domain_module(ex.domain)
        got = [[Verdict.of(d) for d in module.evaluate_input(e, ex.sample.input,
                                                             as_of=ex.sample.as_of)]
               for e in engines]
        assert any(v.same(ex.old) for v in got[0]), group
        assert any(v.same(ex.new) for v in got[1]), group


def test_the_pack_against_itself_reports_nothing(bundle: fp.Bundle) -> None:
    report = diff(bundle, bundle, samples=SAMPLES)
    assert not report.changed
    assert report.groups == () and report.policies == ()
    assert sum(report.evaluated.values()) >= len(load_examples(bundle))


def test_finpolicy_diff_of_the_pack_against_itself_exits_0(bundle: fp.Bundle) -> None:
    result = invoke("diff", bundle.root, bundle.root, "--fail-on", "any",
                    "--samples", str(SAMPLES))
    assert result.exit_code == 0, result.output
    assert "no decision changed" in result.output


def _removable_rule(bundle: fp.Bundle, domain: str, pack: Path) -> tuple[str, str]:
    """A rule some example of ``domain`` hits, written as a list item in its document, whose
    obligations nothing else in the document names (a retention period for an obligation
    no rule carries any more is a policy error)."""
    engine = fp.PolicyEngine(bundle)
    for example in load_examples(bundle):
        if example.domain != domain:
            continue
        decisions, _ = evaluate_case(engine, example)
        for decision in decisions:
            for rule_id in decision.rule_ids:
                doc = next(d for d in bundle.documents if d.id == decision.policy.id
                           and d.version == decision.policy.version)
                kept = set((doc.data.get("spec") or {}).get("retention") or {})
                rule = next((r for r in (doc.data.get("spec") or {}).get("rules") or ()
                             if isinstance(r, dict) and r.get("id") == rule_id), {})
                if kept & set(rule.get("obligations") or ()):
                    continue
                if _remove(dict(doc.data), rule_id, dry=True):
                    return doc.kind, rule_id
    pytest.skip(f"no example of {domain} hits a rule written in its document")


def _remove(data: Any, rule_id: str, *, dry: bool = False) -> bool:
    if isinstance(data, dict):
        return any(_remove(v, rule_id, dry=dry) for v in data.values())
    if isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, dict) and item.get("id") == rule_id and "when" in item:
                if not dry:
                    del data[i]
                return True
        return any(_remove(v, rule_id, dry=dry) for v in data)
    return False


@pytest.mark.parametrize("domain", DOMAINS)
def test_removing_a_rule_is_reported_with_an_example_that_reproduces_it(
        domain: str, bundle: fp.Bundle, tmp_path: Path) -> None:
    if domain not in domains_with_examples(bundle):
        pytest.skip(f"the shipped pack has no {domain} examples yet")
    pack = copy_pack(bundle, tmp_path)
    kind, rule_id = _removable_rule(bundle, domain, pack)
    edit(pack, kind, lambda data: _remove(data["spec"], rule_id))
    new = fp.load_bundle(pack)

    report = diff(bundle, new, samples=SAMPLES)

    assert report.changed
    # an export is decided by the consent domain on an access decision: a removed access rule
    # changes exports too (each names the rule, below)
    follows = {"access": {"consent"}}.get(domain, set())
    assert domain in {g.domain for g in report.groups}
    assert {g.domain for g in report.groups} <= {domain, *follows}
    by_input: dict[int, list[Any]] = {}
    for change in report.changes:
        by_input.setdefault(id(change.sample), []).append(change)
    for changes in by_input.values():
        # a decision that follows from another decision of the same input (an access decision
        # naming its consent decision) changes with it; the other one names the rule
        assert any(f"-{rule_id}" in c.rules for c in changes), changes
    assert any(rule_id in p.removed for p in report.policies)
    assert_examples_reproduce(report, bundle, new)

    result = invoke("diff", bundle.root, str(pack), "--fail-on", "any",
                    "--samples", str(SAMPLES))
    assert result.exit_code == 1, result.output
    assert f"-{rule_id}" in result.output
    assert "smallest example" in result.output and "match --fail-on any" in result.output


def test_widening_an_access_permission_is_reported_as_deny_to_allow(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    if "access" not in domains_with_examples(bundle):
        pytest.skip("the shipped pack has no access examples yet")
    pack = copy_pack(bundle, tmp_path)

    def widen(data: dict[str, Any]) -> None:
        data["spec"]["roles"]["teller"]["permissions"].append(
            {"actions": ["export"], "levels": ["ordinary"], "categories": ["business"]})

    edit(pack, "AccessPolicy", widen)
    new = fp.load_bundle(pack)

    report = diff(bundle, new, samples=SAMPLES)

    kinds = [(g.domain, g.kind) for g in report.groups]
    # besides the new allows, a teller of another branch is now refused for scope, not for
    # lacking the permission: a deny with a different reason, which the report also shows
    # (both versions of cn-access widened: the groups come largest first)
    assert ("access", "deny->allow") in kinds
    assert set(kinds) <= {("access", "deny->allow"), ("access", "deny->deny")}
    example = next(g for g in report.groups if g.kind == "deny->allow").example
    request = example.sample.input
    assert request["subject"]["roles"] == ["teller"] and request["action"] == "export"
    assert request["resource"]["data_level"] == "ordinary"
    assert request["resource"]["category"] == "business"
    assert "+allow-by-role" in example.rules
    assert_examples_reproduce(report, bundle, new)

    failing = invoke("diff", bundle.root, str(pack), "--fail-on", "deny->allow",
                     "--samples", str(SAMPLES))
    assert failing.exit_code == 1, failing.output
    assert "deny → allow" in failing.output and "teller" in failing.output
    quiet = invoke("diff", bundle.root, str(pack), "--fail-on", "allow->deny",
                   "--samples", str(SAMPLES))
    assert quiet.exit_code == 0, quiet.output


def test_changing_a_suitability_rule_outcome_is_reported(bundle: fp.Bundle,
                                                         tmp_path: Path) -> None:
    if "suitability" not in domains_with_examples(bundle):
        pytest.skip("the shipped pack has no suitability examples yet")
    pack = copy_pack(bundle, tmp_path)
    changed: list[str] = []

    def soften(data: dict[str, Any]) -> None:  # the first such rule of every version
        for rule in data["spec"]["rules"]:
            if rule.get("outcome") == "unsuitable" and "above" in rule["id"]:
                rule["outcome"] = "conditional"
                changed.append(rule["id"])
                return

    edit(pack, "SuitabilityPolicy", soften)
    assert changed, "no suitability rule about a product above the customer's level"
    new = fp.load_bundle(pack)

    report = diff(bundle, new, samples=SAMPLES)

    assert [(g.domain, g.kind) for g in report.groups] == [
        ("suitability", "unsuitable->conditional")]
    group = report.groups[0]
    assert set(group.rules) == {f"~{changed[0]}"}
    assert_examples_reproduce(report, bundle, new)

    result = invoke("diff", bundle.root, str(pack), "--fail-on", "unsuitable->*",
                    "--json", "--samples", str(SAMPLES))
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [g["change"] for g in data["failing"]] == ["unsuitable->conditional"]
    assert data["groups"][0]["example"]["old"]["outcome"] == "unsuitable"


def test_shortening_a_complaint_deadline_is_reported_with_the_due_time(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    if "complaints" not in domains_with_examples(bundle):
        pytest.skip("the shipped pack has no complaints examples yet")
    pack = copy_pack(bundle, tmp_path)
    shortened: list[str] = []

    def shorten(data: dict[str, Any]) -> None:
        for milestone in data["spec"].get("milestones", []):
            duration = milestone.get("duration", {})
            if duration.get("unit") == "working_days" and duration.get("amount", 0) > 2 \
                    and not shortened:
                duration["amount"] -= 2
                shortened.append(milestone["name"])

    edit(pack, "ComplaintPolicy", shorten)
    if not shortened:
        pytest.skip("no milestone counted in working days")
    new = fp.load_bundle(pack)

    report = diff(bundle, new, samples=SAMPLES)

    assert report.changed
    assert {g.domain for g in report.groups} == {"complaints"}
    for change in report.changes:
        assert any("due_at" in f for f in change.fields), change
    assert_examples_reproduce(report, bundle, new)

    result = invoke("diff", bundle.root, str(pack), "--fail-on", "any",
                    "--samples", str(SAMPLES))
    assert result.exit_code == 1, result.output
    assert "due_at" in result.output and "match --fail-on any" in result.output


def test_a_side_can_be_a_git_revision(bundle: fp.Bundle, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    if "access" not in domains_with_examples(bundle):
        pytest.skip("the shipped pack has no access examples yet")
    repo = tmp_path / "repo"
    pack = copy_pack(bundle, repo, "pack")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "pack"], cwd=repo, check=True)
    edit(pack, "AccessPolicy", lambda d: d["spec"]["roles"]["teller"]["permissions"].append(
        {"actions": ["delete"], "levels": ["ordinary"], "categories": ["business"]}))
    monkeypatch.chdir(repo)

    same = invoke("diff", "git:HEAD:pack", "git:HEAD:pack", "--fail-on", "any",
                  "--samples", "50")
    changed = invoke("diff", "git:HEAD:pack", "pack", "--fail-on", "deny->allow",
                     "--samples", "50")
    bad = invoke("diff", "git:no-such-rev:pack", "pack")

    assert same.exit_code == 0, same.output
    assert changed.exit_code == 1, changed.output
    assert "deny → allow" in changed.output
    assert bad.exit_code == 3 and "no-such-rev" in bad.output


def test_fail_on_kinds_are_checked_before_evaluating(bundle: fp.Bundle) -> None:
    result = invoke("diff", bundle.root, bundle.root, "--fail-on", "deny-allow")
    assert result.exit_code == 3
    assert "expected `any` or `old->new`" in result.output
    assert parse_fail_on(["any", "deny → allow", "*->allow"]) == [
        ("*", "*"), ("deny", "allow"), ("*", "allow")]


@pytest.mark.parametrize(("value", "message"), [
    ("deny->bogus", "unknown outcome `bogus` in `deny->bogus`: expected `*`, one of <error>, "
                    "<invalid input>, <no decision>, <not in force>, allow, at_risk,"),
    ("alow->*", "unknown outcome `alow`"),
    ("", "expected `any` or `old->new`, e.g. `deny->allow`, got ``"),
    (",,,", "expected `any` or `old->new`, e.g. `deny->allow`, got `,,,`"),
])
def test_a_fail_on_kind_that_could_never_match_is_refused(
        bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    """They were accepted, and the diff passed whatever changed."""
    import finpolicy.cli.testing as cli

    def no_diff(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("evaluated")

    monkeypatch.setattr(cli, "diff", no_diff)
    result = invoke("diff", bundle.root, bundle.root, "--fail-on", value)
    assert result.exit_code == 3, result.output
    assert f"error: --fail-on: {message}" in result.output


def test_a_fail_on_kind_may_name_what_a_rule_gives_or_a_failed_evaluation(
        bundle: fp.Bundle) -> None:
    known = known_outcomes(bundle)
    kinds = ["deny -> allow", "*->bundled_consent", "allow-><invalid input>", "core->ordinary"]
    assert parse_fail_on(kinds, known=known) == [
        ("deny", "allow"), ("*", "bundled_consent"), ("allow", "<invalid input>"),
        ("core", "ordinary")]
    result = invoke("diff", bundle.root, bundle.root, "--samples", "5", "--fail-on",
                    ",".join(kinds))
    assert result.exit_code == 0, result.output


def test_a_changed_domain_field_counts_as_a_change_and_is_named(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    if "classification" not in domains_with_examples(bundle):
        pytest.skip("the shipped pack has no classification examples yet")
    example = next(e for e in load_examples(bundle) if e.domain == "classification")
    decision = evaluate_case(fp.PolicyEngine(bundle), example)[0][0]
    names = [f.name for f in attrs.fields(type(decision))]
    if len(names) <= 8:
        pytest.skip("classification decisions carry no fields of their own")
    old = Verdict.of(decision)
    field = next(n for n in names if n not in ("outcome", "hits", "obligations", "policy",
                                               "engine", "input_digest", "as_of",
                                               "evaluated_at"))
    changed = attrs.evolve(decision, **{field: None})
    new = Verdict.of(changed)
    assert not old.same(new)
    assert any(line.startswith(field) for line in old.fields_changed(new))
    assert old.same(Verdict.of(attrs.evolve(decision, engine="durable")))


def test_the_sampled_matrix_cell_is_the_product_cell_of_that_index() -> None:
    choices = [["a", "b", "c"], [1, 2], ["x", "y", "z", "w"]]
    assert [_nth(choices, n) for n in range(24)] == list(itertools.product(*choices))


def test_samples_near_the_ends_of_the_calendar(tmp_path: Path) -> None:
    # an example an hour from the end of year 9999: its generated neighbours past the end are
    # left out (they raised OverflowError out of `finpolicy diff`)
    bundle = fp.load_bundle()
    pack = copy_pack(bundle, tmp_path)
    edge = {"domain": "complaints", "cases": [{
        "name": "received in the last hour of year 9999", "as_of": "9999-12-31T23:59:00+00:00",
        "input": {"complaint": {"id": "edge", "received_at": "9999-12-31T23:30:00+00:00",
                                "channel": "phone", "category": "service"}}}]}
    (pack / "examples" / "edge.yaml").write_text(yaml.safe_dump(edge), encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(bundle.root), str(pack), "--samples", "20"])
    assert not isinstance(result.exception, OverflowError), result.output
    assert result.exit_code in (0, 1), result.output
