"""``finpolicy test PACK`` (policy test cases with rule coverage) and ``finpolicy diff OLD NEW``
(change impact between two versions of a pack)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

import finpolicy as fp
from finpolicy.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    console,
    dump_json,
    err_console,
    exit_with,
    plural,
    reports_errors,
)
from finpolicy.documents.git import bundle_folder, shown_text
from finpolicy.errors import InputError, InputProblem
from finpolicy.rules.parse import suggest
from finpolicy.testing.cases import load_cases
from finpolicy.testing.diff import (
    DEFAULT_SAMPLES,
    DiffReport,
    Verdict,
    declared_outcomes,
    diff,
    fail_on_kinds,
    known_outcomes,
    parse_fail_on,
)
from finpolicy.testing.diff_report import WARNING_CODES
from finpolicy.testing.runner import CaseReport, Coverage, run_cases

if TYPE_CHECKING:
    from finpolicy.testing.invariants import InvariantResult

# --- finpolicy test -------------------------------------------------------------------------

# folders a pack's cases are often put in by mistake (the cases are read from `tests/`)
_MISNAMED = ("test", "testcases", "test_cases", "test-cases", "Tests", "cases")


def _other_folder(root: Path) -> str:
    """`` (`test/` holds 3 YAML files: cases are read from `tests/`; rename it)`` when a folder
    of a near name holds YAML files, else an empty string."""
    tests = root / "tests"
    for name in _MISNAMED:
        folder = root / name
        if not folder.is_dir() or (tests.is_dir() and tests.samefile(folder)):
            continue  # (`Tests` is `tests` where names are compared without case)
        found = [*folder.glob("*.yaml"), *folder.glob("*.yml")]
        if found:
            return (f" (`{name}/` holds {len(found)} YAML file{'s' * (len(found) > 1)}: "
                    "cases are read from `tests/`; rename it)")
    return ""


@click.command("test")
@click.argument("pack", metavar="PACK")
@click.option("--engine", "-e", type=click.Choice(["compiled", "durable", "both"]),
              default="both", show_default=True, help="Which engine(s) run the cases.")
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Report rule coverage and name every rule no case exercises.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="Fail when rule coverage is below PCT percent (implies --coverage).")
@click.option("--no-invariants", "skip_invariants", is_flag=True,
              help="Do not check the invariants the policies declare.")
@click.option("--invariant-examples", type=click.IntRange(min=1), default=50,
              show_default=True, metavar="N",
              help="Generated inputs per invariant (the same ones on every run); an "
                   "invariant none of them reaches gets four times as many more.")
@click.option("--fail-untested", is_flag=True,
              help="Fail when no generated input met an invariant's `given`, so that it was "
                   "not checked (for CI).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@reports_errors
def policy_tests(pack: str, engine: str, show_coverage: bool, min_coverage: float | None,
                 skip_invariants: bool, invariant_examples: int, fail_untested: bool,
                 as_json: bool) -> None:
    """Run the policy test cases in PACK/tests/*.yaml on the chosen engines, and check the
    invariants the pack's policies declare.

    Each case gives an input, its `as_of` and the expected outcome, hits and obligations.
    Each invariant is checked on generated inputs (hypothesis, derandomised); a violation is
    shrunk to a smallest counter-example, printed with the rules that fired.
    Exits 1 when a case fails, the engines disagree, an invariant is violated (or evaluating
    a generated input raised), coverage is below --min-coverage, or, with --fail-untested, an
    invariant was not checked because no generated input met its `given`.
    """
    bundle = fp.load_bundle(pack)
    cases = load_cases(bundle)
    if not cases:
        click.echo(f"error: no test cases in {shown_text(str(Path(bundle.root) / 'tests'))}"
                   f"{_other_folder(Path(bundle.root))}", err=True)
        exit_with(EXIT_FAILED)
    engines = ("compiled", "durable") if engine == "both" else (engine,)
    report = run_cases(bundle, cases, engines=engines)
    # hypothesis loads only when invariants are checked (it also loads every domain plug-in)
    from finpolicy.testing.invariants import check_invariants

    invariants = [] if skip_invariants else check_invariants(
        bundle, engine=engines[0], max_examples=invariant_examples, derandomize=True)
    violated = [r for r in invariants if not r.holds]
    untested = [r for r in invariants if r.untested] if fail_untested else []
    low = min_coverage is not None and report.coverage.percent + 1e-9 < min_coverage
    failed = bool(report.failures or low or violated or untested)
    if as_json:
        data = report.to_dict()
        data["invariants"] = None if skip_invariants else [_invariant_dict(r)
                                                           for r in invariants]
        dump_json(data)
        exit_with(EXIT_FAILED if failed else EXIT_OK)
    _print_results(report)
    if not skip_invariants:
        _print_invariants(invariants, engines[0])
    if show_coverage or min_coverage is not None:
        _print_coverage(report.coverage)
    if low:
        console.print(f"[red]coverage {report.coverage.percent:.1f} % is below the required "
                      f"{min_coverage:g} %[/]")
    if untested:
        console.print(f"[red]{plural(len(untested), 'invariant')} not checked "
                      "(--fail-untested): draw more inputs with --invariant-examples[/]")
    if failed:
        exit_with(EXIT_FAILED)


def _invariant_dict(result: InvariantResult) -> dict[str, object]:
    return {"policy": result.policy, "version": result.version, "name": result.name,
            "holds": result.holds, "untested": result.untested,
            "file": None if result.file is None else shown_text(result.file), "line": result.line,
            "examples": result.examples, "more": result.more, "elsewhere": result.elsewhere,
            "applicable": result.applicable, "counterexample": result.counterexample,
            "outcome": result.outcome, "rules": list(result.rules), "error": result.error,
            "domain": result.domain, "case": result.case}


def _print_invariants(results: list[InvariantResult], engine: str) -> None:
    if not results:
        console.print("no invariants declared")
        return
    table = Table(title=f"policy invariants ({engine})")
    for column in ("policy", "invariant", "inputs", "result"):
        table.add_column(column, justify="right" if column == "inputs" else "left",
                         overflow="fold")
    for r in results:
        table.add_row(escape(f"{r.policy} {r.version}"), escape(r.name),
                      f"{r.applicable}/{r.examples + r.more}",
                      "[red]ERROR[/]" if r.error else "[red]VIOLATED[/]" if not r.holds else
                      "[yellow]untested[/]" if not r.applicable else "[green]holds[/]")
    console.print(table)
    violated = [r for r in results if not r.holds]
    # an invariant whose `given` no input met proved nothing: never show it as held
    untested = [r for r in results if r.untested]
    for r in untested:
        console.print(f"[yellow]UNTESTED[/] {escape(r.policy)} {escape(r.version)}: "
                      f"{escape(r.name)}: {escape(r.none_met())}, so it was not checked "
                      f"[dim]({escape(r.where)})[/]")
    for r in violated:
        console.print(f"[red]{'ERROR' if r.error else 'VIOLATED'}[/] {escape(r.policy)} "
                      f"{escape(r.version)}: {escape(r.name)} [dim]({escape(r.where)})[/]")
        if r.error:
            console.print(f"    evaluating a generated input raised {escape(r.error)}")
        else:
            console.print(f"    outcome: {escape(str(r.outcome))}; rules fired: "
                          f"{escape(', '.join(r.rules) or 'none')}")
        if r.case is None:
            console.print("    smallest counter-example: " + escape(json.dumps(
                r.counterexample, ensure_ascii=False, default=str)))
            continue
        # as it is, unwrapped: the lines go into the file
        click.echo("    smallest counter-example, as a test case (paste under `cases:` in a "
                   f"tests/*.yaml file with `domain: {r.domain}`):\n{r.case_yaml()}", nl=False)
    colour = "red" if violated else "yellow" if untested else "green"
    console.print(f"[{colour}]{len(results) - len(violated) - len(untested)} of "
                  f"{plural(len(results), 'invariant')} held"
                  + (f", {len(untested)} untested" if untested else "") + "[/]")


def _print_results(report: CaseReport) -> None:
    by_case: dict[tuple[str, str], dict[str, bool]] = {}
    for r in report.results:
        by_case.setdefault((r.case.file, r.case.name), {})[r.engine] = r.passed
    table = Table(title=f"policy test cases ({', '.join(report.engines)})")
    table.add_column("file")
    table.add_column("case")
    for name in report.engines:
        table.add_column(name)
    for (file, name), outcome in by_case.items():
        table.add_row(escape(Path(file).name), escape(name),
                      *("[green]pass[/]" if outcome[e] else "[red]FAIL[/]"
                        for e in report.engines))
    console.print(table)
    for r in report.failures:
        console.print(f"[red]FAIL[/] {escape(r.case.where)} {escape(r.case.name)} "
                      f"[dim]({r.engine})[/]")
        for line in r.failures:
            console.print(f"    {escape(line)}")
    cases = len(report.cases)
    failed = len({(r.case.file, r.case.name) for r in report.failures})
    colour = "red" if failed else "green"
    console.print(f"[{colour}]{cases - failed} of {plural(cases, 'case')} passed on "
                  f"{' and '.join(report.engines)}[/]")


def _print_coverage(coverage: Coverage) -> None:
    table = Table(title="rule coverage")
    for column in ("policy", "version", "rules", "covered", "%"):
        table.add_column(column, justify="right" if column in ("rules", "covered", "%")
                         else "left")
    for p in coverage.policies:
        colour = "green" if not p.uncovered else "yellow"
        table.add_row(p.policy_id, p.version, str(len(p.rules)), str(len(p.covered)),
                      f"[{colour}]{p.percent:.1f}[/]")
    table.add_row("[bold]total[/]", "", str(coverage.total), str(coverage.covered),
                  f"[bold]{coverage.percent:.1f}[/]")
    console.print(table)
    uncovered = coverage.uncovered
    if uncovered:
        console.print(f"{plural(len(uncovered), 'rule')} no case exercises:")
        for policy, rule in uncovered:
            line = policy.lines.get(rule)
            where = f"{policy.file}:{line}" if line is not None else policy.file
            console.print(f"  - {escape(policy.policy_id)} {policy.version} rule "
                          f"[bold]{escape(rule)}[/] ({escape(where)})")
    else:
        console.print("every rule is exercised by a case")


# --- finpolicy diff -------------------------------------------------------------------------

def _verdict(v: Verdict) -> str:
    text = f"[bold]{escape(v.outcome)}[/]"
    if v.hits:
        text += f" because {escape(', '.join(v.hits))}"
    if v.obligations:
        text += f"; obligations {escape(', '.join(v.obligations))}"
    if v.policy:
        text += f" [dim]({escape('@'.join(v.policy))})[/]"
    return text


def _print_diff(report: DiffReport, failing: set[int]) -> None:
    console.print(f"old: {escape(report.old)}\nnew: {escape(report.new)}")
    counts = ", ".join(f"{d} {n}" for d, n in report.evaluated.items())
    console.print(f"inputs evaluated: {counts or 'none (the packs have no examples or cases)'}")
    if report.policies:
        table = Table(title="policy changes")
        for column in ("policy", "version", "change", "what changed"):
            table.add_column(column, overflow="fold", no_wrap=column in ("policy", "version"))
        for p in report.policies:
            change = ("[red]modified, same version[/]" if p.version_unchanged
                      else "window moved" if p.change == "window" else p.change)
            table.add_row(escape(p.policy_id), escape(p.version), change,
                          escape(p.describe().replace("; ", "\n") or "only its layout"))
        console.print(table)
    for warning in report.warnings:
        console.print(f"[red]warning:[/] {escape(warning.message)}")
    if not report.changed:
        console.print("[green]no decision changed[/]")
        return
    table = Table(title="changed decisions")
    for column in ("domain", "change", "inputs", "rules responsible"):
        table.add_column(column, justify="right" if column == "inputs" else "left",
                         overflow="fold")
    for i, g in enumerate(report.groups):
        mark = "[red]✗[/] " if i in failing else ""
        # one rule a line: ids are long and must not break mid-word at 80 columns
        table.add_row(g.domain, mark + escape(f"{g.old} → {g.new}"), str(g.count),
                      escape("\n".join(g.rules[:6]) + ("\n…" if len(g.rules) > 6 else "")))
    console.print(table)
    for g in report.groups:
        ex = g.example
        console.rule(f"{g.domain}: {escape(g.old)} → {escape(g.new)} ({g.count} input(s))")
        console.print(f"smallest example: {escape(ex.sample.label)}")
        if ex.sample.as_of is not None:
            console.print(f"  as_of: {ex.sample.as_of.isoformat()}")
        console.print("  input: " + escape(json.dumps(ex.sample.input, ensure_ascii=False,
                                                       default=str)))
        if ex.index:
            console.print(f"  decision #{ex.index + 1} of the input")
        console.print(f"  old: {_verdict(ex.old)}")
        console.print(f"  new: {_verdict(ex.new)}")
        for line in ex.fields[:8]:
            console.print(f"  changed: {escape(line)}")
        if ex.rules:
            console.print("  rules responsible: " + escape(", ".join(ex.rules)))
        else:
            console.print("  rules responsible: none differ; " + escape(_settings_note(
                report, ex.new.policy or ex.old.policy)))


def _settings_note(report: DiffReport, policy: tuple[str, str] | None) -> str:
    """What else changed in the policy that decided: its permissions, tables or settings."""
    for p in report.policies:
        if policy is not None and (p.policy_id, p.version) == policy and p.settings:
            return f"{p.policy_id} {p.version} changed its settings: {', '.join(p.settings)}"
    return ("the policy's settings outside its rules (permissions, a table, a deadline, a "
            "level, an effective date) changed")


@click.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--fail-on", "fail_on", multiple=True, metavar="KIND",
              help="Exit 1 when a change of this kind is found: `any`, or `old->new` outcomes "
                   "such as `deny->allow` or `unsuitable->suitable` (`*` matches any outcome; "
                   "an outcome no domain has and no rule of the packs gives is refused), or "
                   "`lost-obligation` (a decision loses an obligation it had, such as "
                   "`audit_log`). "
                   "Repeat or separate with commas.")
@click.option("--fail-on-warning", "fail_on_warning", multiple=True, metavar="CODE",
              help="Exit 1 when the report warns with this code (`invariant_removed`, "
                   "`policy_version_unchanged` …) or `any`. Repeat or separate with commas.")
@click.option("--samples", type=click.IntRange(min=0), default=DEFAULT_SAMPLES, show_default=True,
              help="Generated inputs per domain, besides the packs' examples and cases.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed for the choice of generated inputs.")
@click.option("--engine", "-e", type=click.Choice(["compiled", "durable"]),
              default="compiled", show_default=True, help="Which engine evaluates the rules.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@reports_errors
def diff_command(old: str, new: str, fail_on: tuple[str, ...], fail_on_warning: tuple[str, ...],
                 samples: int, seed: int, engine: str, as_json: bool) -> None:
    """Report every decision that changes between two versions of a pack.

    OLD and NEW are bundle folders, shipped pack names, or `git:REV:PATH` (the folder as it was
    at a git revision, e.g. `git:main:policies/cn-banking`). Both are evaluated on the packs'
    examples and cases and on inputs generated from them; changes are grouped by domain and
    old → new outcome, each with its smallest example and the rules responsible.
    """
    kinds = fail_on_kinds(fail_on, "--fail-on")
    parse_fail_on(kinds, name="--fail-on")  # a typo fails before minutes of evaluation
    codes = _warning_codes(fail_on_warning)
    with bundle_folder(old) as old_path, bundle_folder(new) as new_path:
        old_bundle, new_bundle = fp.load_bundle(old_path), fp.load_bundle(new_path)
        # and so does an outcome that could never match
        parse_fail_on(kinds, known=known_outcomes(old_bundle, new_bundle),
                      listed=declared_outcomes(), name="--fail-on")
        if as_json or not err_console.is_terminal:
            report = diff(old_bundle, new_bundle, samples=samples, seed=seed, engine=engine)
        else:
            with Progress(console=console, transient=True) as bar:
                tasks: dict[str, object] = {}

                def step(domain: str, done: int, total: int) -> None:
                    if domain not in tasks:
                        tasks[domain] = bar.add_task(domain, total=total)
                    bar.update(tasks[domain], completed=done)  # type: ignore[arg-type]

                report = diff(old_bundle, new_bundle, samples=samples, seed=seed,
                              engine=engine, progress=step)
    failing_groups = report.matching(kinds) if kinds else ()
    failing = {i for i, g in enumerate(report.groups) if any(g is f for f in failing_groups)}
    warned = [w for w in report.warnings if "any" in codes or w.code in codes]
    if as_json:
        data = report.to_dict()
        data["failing"] = [g.to_dict() for g in failing_groups]
        data["failing_warnings"] = [w.to_dict() for w in warned]
        dump_json(data)
    else:
        _print_diff(report, failing)
        if failing:
            console.print(f"[red]{plural(len(failing), 'change group')} match --fail-on "
                          f"{', '.join(kinds)}[/]")
        if warned:
            console.print(f"[red]{plural(len(warned), 'warning')} match --fail-on-warning "
                          f"{', '.join(codes)}[/]")
    if failing or warned:
        exit_with(EXIT_FAILED)


def _warning_codes(values: tuple[str, ...]) -> list[str]:
    """The codes of ``--fail-on-warning`` values; a misspelt one, which could never match, is
    refused before anything is evaluated."""
    codes = []
    for value in values:
        found = [c.strip() for c in value.split(",") if c.strip()]
        for code in found or [value]:
            if code != "any" and code not in WARNING_CODES:
                raise InputError([InputProblem(
                    "--fail-on-warning", f"unknown warning `{code}`: expected `any` or one of "
                    f"{', '.join(WARNING_CODES)}{suggest(code, WARNING_CODES)}", "bad_option",
                    code)])
            codes.append(code)
    return codes


COMMANDS = [policy_tests, diff_command]
