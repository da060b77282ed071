"""A failing invariant prints its counter-example as a ready-to-paste policy test case, in every
domain, and the pasted case fails in ``finpolicy test`` as the invariant did; the access
invariants judge a request on the day the engine picks the policy version on."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.domains.access import DOMAIN as ACCESS
from finpolicy.domains.access.days import policy_day
from finpolicy.domains.access.spec import KIND as ACCESS_KIND
from finpolicy.errors import PolicyError
from finpolicy.testing import assert_invariants, check_invariants, load_cases, run_cases
from finpolicy.testing.invariants import InvariantResult, InvariantViolation
from tests.helpers.packversions import earlier_pack

# one always-broken invariant per domain, on the facts each kind reads: the outcome, and what
# classification and complaints add to the decision's facts
_PLANTED = {
    "access.yaml": ("access", "planted: nothing is ever allowed",
                    "{field: decision.outcome, eq: allow}", "{field: decision.outcome, eq: deny}"),
    "classification.yaml": ("classification", "planted: every column is ordinary",
                            "{field: decision.level_rank, gt: 0}",
                            "{field: decision.level_rank, eq: 0}"),
    "complaints.yaml": ("complaints", "planted: every deadline has passed",
                        "{field: decision.min_hours_to_due, gt: 0}",
                        "{field: decision.min_hours_to_due, lt: 0}"),
    "consent.yaml": ("consent", "planted: nothing is ever denied",
                     "{field: decision.outcome, eq: deny}", "{field: decision.outcome, ne: deny}"),
    "suitability-2026.yaml": ("suitability", "planted: nothing is ever suitable",
                              "{field: decision.outcome, eq: suitable}",
                              "{field: decision.outcome, ne: suitable}"),
}


def _planted_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    for file, (_, name, given_, expect) in _PLANTED.items():
        policy = pack / file
        text = policy.read_text(encoding="utf-8")
        cite = re.compile(r"\n      cite: (.*)\n").search(text, text.index("  invariants:\n"))
        assert cite is not None
        planted = (f"  invariants:\n    - name: '{name}'\n      given: {given_}\n"
                   f"      expect: {expect}\n      cite: {cite[1]}\n")
        policy.write_text(text.replace("  invariants:\n", planted, 1), encoding="utf-8")
    return pack


def _paste(pack: Path, domain: str, item: str) -> Path:
    """A new case file of ``domain`` holding the printed lines, as they are."""
    file = pack / "tests" / f"pasted-{domain}.yaml"
    file.write_text(f"domain: {domain}\ncases:\n{item}", encoding="utf-8")
    return file


def test_every_domain_s_counter_example_pastes_as_a_case_that_fails_the_same_way(
        tmp_path: Path) -> None:
    # the counter-example printed the adapter's own shape (`{"request": {...}, "assignments":
    # [...]}`, a complaint beside its `as_of`), which no case file accepts as it is
    pack = _planted_pack(tmp_path)
    results = check_invariants(fp.load_bundle(pack), max_examples=25, derandomize=True)
    planted = {name: domain for domain, name, *_ in _PLANTED.values()}
    failed = {r.name: r for r in results if r.name in planted}
    assert set(failed) == set(planted)
    for name, result in failed.items():
        assert not result.holds and result.error is None, result.describe()
        assert result.domain == planted[name]
        assert result.case is not None and result.case["expect"] == {"invariant": name}
        assert result.case_yaml() in result.describe()
        _paste(pack, planted[name], result.case_yaml())
    bundle = fp.load_bundle(pack)
    pasted = [c for c in load_cases(bundle) if Path(c.file).name.startswith("pasted-")]
    assert {c.name for c in pasted} == {f"counter-example: {n}" for n in planted}
    report = run_cases(bundle, pasted)
    for case in pasted:
        result = failed[case.name.removeprefix("counter-example: ")]
        lines = [f for r in report.results if r.case is case for f in r.failures]
        assert len(lines) == 2, lines  # the same failure on both engines, which agree
        assert lines[0] == lines[1]
        assert f"invariant `{result.name}` of {result.policy} {result.version}" in lines[0]
        assert f"outcome: {result.outcome}; rules fired: " \
               f"{', '.join(result.rules) or 'none'}" in lines[0], lines[0]


def test_finpolicy_test_prints_the_case_and_runs_it_when_pasted(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    access = pack / "access.yaml"
    text = access.read_text(encoding="utf-8")
    start = text.index("    - id: marketing-never-core")
    access.write_text(text[:start] + text[text.index("    - id: grant-missing"):],
                      encoding="utf-8")
    args = ["test", str(pack), "--engine", "compiled", "--invariant-examples", "25"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 1
    head = "as a test case (paste under `cases:` in a tests/*.yaml file with `domain: access`):"
    assert head in first.output
    after = first.output.split(head + "\n", 1)[1].splitlines(keepends=True)
    block = "".join(after[:next(i for i, line in enumerate(after)
                                if not line.startswith("  "))])
    assert block.startswith("  - name: 'counter-example: marketing never reads core data'")
    _paste(pack, "access", block)
    second = CliRunner().invoke(main, args)
    out = " ".join(second.output.split())
    assert second.exit_code == 1
    assert re.search(r"FAIL \S*pasted-access\.yaml:3 counter-example: marketing never reads "
                     r"core data", out), out
    assert "invariant `marketing never reads core data` of cn-access 1.3.0 (" in out, out
    assert "outcome: allow; rules fired: allow-with-grant" in out


def test_assert_invariants_raises_with_the_case(tmp_path: Path) -> None:
    bundle = fp.load_bundle(_planted_pack(tmp_path))
    with pytest.raises(InvariantViolation) as info:
        assert_invariants(bundle, max_examples=10, derandomize=True, allow_untested=True)
    text = str(info.value)
    assert "file with `domain: complaints`):\n  - name: 'counter-example: planted: every " \
           "deadline has passed'\n" in text
    assert "    expect: {invariant: 'planted: every deadline has passed'}\n" in text


def _case_file(pack: Path, body: str) -> Path:
    file = pack / "tests" / "extra.yaml"
    file.write_text("domain: access\ncases:\n" + body, encoding="utf-8")
    return file


_REQUEST = """\
    as_of: "2026-03-02T10:00:00+08:00"
    input:
      subject: {id: u-teller-1, roles: [teller], department: retail, branch: BJ01}
      action: read
      resource: {type: customer_record, data_level: ordinary, category: basic_identity,
          department: retail, branch: BJ01}
      purpose: account_service
"""


def test_an_invariant_expectation_names_an_invariant_of_the_deciding_version(
        tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    _case_file(pack, "  - name: kept\n" + _REQUEST +
               "    expect: {invariant: every allowed access is audit-logged}\n"
               "  - name: misspelt\n" + _REQUEST +
               "    expect: {invariant: every allowed access is audit logged}\n"
               "  - name: not met\n" + _REQUEST +
               "    expect: {invariant: marketing never reads core data}\n")
    bundle = fp.load_bundle(pack)
    cases = [c for c in load_cases(bundle) if Path(c.file).name == "extra.yaml"]
    report = run_cases(bundle, cases, engines=("compiled",))
    by_name = {r.case.name: r.failures for r in report.results}
    assert by_name["kept"] == ()
    assert by_name["misspelt"] == (
        "invariant: `every allowed access is audit logged` is no invariant of cn-access 1.3.0, "
        "which decided (did you mean `every allowed access is audit-logged`?)",)
    (line,) = by_name["not met"]
    assert "does not hold for this input, so the case checks nothing" in line


def test_an_invariant_expectation_goes_alone_with_one_decision(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    _case_file(pack, "  - name: listed\n" + _REQUEST +
               "    expect: [{invariant: every allowed access is audit-logged}]\n"
               "  - name: with an error\n" + _REQUEST +
               "    expect: {invariant: every allowed access is audit-logged, error: Input}\n")
    with pytest.raises(PolicyError) as info:
        load_cases(pack)
    text = str(info.value)
    assert "extra.yaml:" in text
    assert "`invariant` checks an input's single decision" in text
    assert "`error` cannot be checked together with invariant" in text


# --- the access invariants' day is the engine's ---------------------------------------------

def _two_versions(tmp_path: Path) -> Path:
    """cn-access 1.3.0 until 2026-12-31 and 1.4.0, without `marketing-never-core`, from
    2027-01-01 (Beijing days): written on the pack as it stood before the shipped 1.4.0."""
    pack = earlier_pack(tmp_path / "pack")
    access = pack / "access.yaml"
    text = access.read_text(encoding="utf-8")
    access.write_text(text.replace("  effective_from: 2025-01-01\n",
                                   "  effective_from: 2025-01-01\n  effective_until: 2026-12-31\n",
                                   1), encoding="utf-8")
    start = text.index("    - id: marketing-never-core")
    newer = (text[:start] + text[text.index("    - id: grant-missing"):]).replace(
        "  version: 1.3.0\n", "  version: 1.4.0\n", 1).replace(
        "effective_from: 2025-01-01", "effective_from: 2027-01-01", 1)
    (pack / "access-2027.yaml").write_text(newer, encoding="utf-8")
    return pack


def test_an_access_request_is_judged_on_the_engine_s_day_of_it(tmp_path: Path) -> None:
    # `_request_day` took a request's own date: 2026-12-31T20:00Z is 2026-12-31 by it, but
    # 2027-01-01 in Beijing, the day the engine picks the access version on
    bundle = fp.load_bundle(_two_versions(tmp_path))
    engine = fp.PolicyEngine(bundle)
    adapter = ACCESS.invariants[ACCESS_KIND]
    newer = next(d for d in bundle.policies(ACCESS_KIND) if d.version == "1.4.0")
    crossed: list[dt.datetime] = []

    @settings(max_examples=60, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(adapter.cases(bundle, newer))
    def check(case: dict[str, object]) -> None:
        at = case["as_of"]
        assert isinstance(at, dt.datetime)
        day = adapter.on(case)
        assert day == policy_day(engine, at)
        assert newer.metadata.in_force(day)
        decision = adapter.evaluate(engine, case)
        assert (decision.policy.id, decision.policy.version) == ("cn-access", "1.4.0")
        if at.date() != day:
            crossed.append(at)

    check()
    assert crossed, "no request written in UTC on the day before its Beijing day"
    at = dt.datetime(2026, 12, 31, 20, tzinfo=dt.UTC)
    case = {"subject": fp.Subject(id="u1", roles=["teller"]), "action": "read",
            "resource": fp.Resource(type="customer_record", data_level="ordinary",
                                    category="basic_identity"),
            "purpose": "account_service", "as_of": at}
    assert adapter.on(case) == dt.date(2027, 1, 1) == policy_day(engine, at)


def test_a_version_s_invariants_are_checked_on_its_own_decisions(tmp_path: Path) -> None:
    # every access request was drawn on 2026-03-02, so the invariants of a version effective
    # from 2027 were "checked" on the decisions of the one in force in 2026: 1.4.0, which lets
    # marketing read core data, was reported as holding "marketing never reads core data"
    results = check_invariants(fp.load_bundle(_two_versions(tmp_path)), max_examples=50,
                               derandomize=True)
    name = "marketing never reads core data"
    (old,) = [r for r in results if r.version == "1.3.0" and r.name == name]
    (new,) = [r for r in results if r.version == "1.4.0" and r.name == name]
    assert old.holds and old.applicable
    assert not new.holds and new.outcome == "allow", new.describe()
    assert new.case is not None and new.case["as_of"] >= "2026-12-31T16:00"


def test_the_invariants_of_a_version_from_2099_are_checked_on_inputs_it_decides(
        tmp_path: Path) -> None:
    # classification fields were drawn with no date, so every one was classified by today's
    # version: the invariants of a version from 2099 (which lowers card-number columns to
    # important) were reported untested; now fields are drawn as of days in its window
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    current = pack / "classification.yaml"
    text = current.read_text(encoding="utf-8")
    version = re.search(r"\n  version: (\S+)\n", text)
    assert version is not None and text.count("  effective_from: 2025-01-01\n") == 1
    current.write_text(text.replace("  effective_from: 2025-01-01\n",
                                    "  effective_from: 2025-01-01\n"
                                    "  effective_until: 2098-12-31\n"), encoding="utf-8")
    later = text.replace(f"  version: {version[1]}\n", "  version: 9.0.0\n", 1).replace(
        "  effective_from: 2025-01-01\n", "  effective_from: 2099-01-01\n")
    start = later.index("    - id: core-account-by-name")
    at = later.index("      level: core\n", start)
    later = later[:at] + "      level: important\n" + later[at + len("      level: core\n"):]
    (pack / "classification-2099.yaml").write_text(later, encoding="utf-8")
    # a card column is one draw in some sixteen: enough draws that one is met whatever the
    # sequence (it differed once in a full run, another worker's state before it)
    results = check_invariants(fp.load_bundle(pack), max_examples=25, derandomize=True)
    future = {r.name: r for r in results if r.version == "9.0.0"}
    assert future and all(r.elsewhere == 0 for r in future.values())
    for name in ("a column of resident ID numbers is always core",
                 "a column of bank card numbers is always core"):
        assert future[name].holds and future[name].applicable > 0, future[name].describe()


def test_an_invariant_no_input_of_its_version_reaches_says_why() -> None:
    result = InvariantResult("cn-classification", "9.0.0", "x", True, 0, elsewhere=50)
    assert result.untested
    assert result.describe().endswith(
        "(none of the 50 generated inputs was decided by this version: the engine decided "
        "each by another version, in force on the input's day; its domain's inputs are not "
        "drawn on this version's days, so it was not checked)")
