"""Policy test cases: YAML files of inputs and expected decisions inside a pack (run on both
engines, with rule coverage, by ``finpolicy.testing.runner``).

A case file is ``PACK/tests/<anything>.yaml``::

    domain: suitability
    cases:
      - name: a C3 customer may not buy an R4 fund
        as_of: "2026-03-01"              # a date, or an ISO datetime with an offset
        input: {customer: {...}, product: {...}}
        expect:
          outcome: unsuitable
          hits: [product-above-customer]  # each must be among the hits (all of them, in any order)
          hits_exact: false               # true: the hits are exactly these
          obligations: []                 # exactly these obligations (omit to not check)
          fields: {customer_age: 67}      # paths into decision.to_dict() (lists by index or
                                          # by an item's name: milestones.final_response.status)
          invariant: <name>               # the decision keeps this invariant of the policy
                                          # version that made it (a failing invariant prints
                                          # its counter-example as such a case)

``expect`` may also be a list, one expectation per decision the input yields (a record gives
one per field), or ``{error: InputError}`` for an input the domain must reject (any part of the
error's class name or message, e.g. ``birth_date``). A single expectation for an input that
yields several decisions checks the first decision's outcome and the hits and obligations of
all of them together.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from finpolicy.decisions import Decision
from finpolicy.documents.bundle import Bundle
from finpolicy.documents.git import shown_text
from finpolicy.documents.problems import pydantic_problems
from finpolicy.documents.yamlsource import SourceDocument, parse_yaml, yaml_problem
from finpolicy.errors import FinpolicyError, InputError, PolicyError, Problem
from finpolicy.rules.vocabulary import hint
from finpolicy.runtime import Runtime

__all__ = [
    "CaseResult",
    "Expectation",
    "PolicyCase",
    "check_case",
    "evaluate_case",
    "load_cases",
    "load_examples",
    "parse_as_of",
]

CASES_DIR = "tests"
EXAMPLES_DIR = "examples"


# --- the file format ------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ExpectModel(_Strict):
    outcome: str | None = None
    hits: list[str] = Field(default_factory=list)
    hits_exact: bool = False
    obligations: list[str] | None = None
    error: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    invariant: str | None = Field(default=None, min_length=1)


class _CaseModel(_Strict):
    name: str
    as_of: str | None = None
    input: Any
    expect: Any = None  # one mapping or a list of them, validated apart for clear paths

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, value: Any) -> Any:
        return value if value is None else str(value)


class _CaseFileModel(_Strict):
    domain: str
    cases: list[_CaseModel]

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        from finpolicy.domains.registry import names

        if value not in names():
            raise ValueError(f"unknown domain `{value}`, expected one of {', '.join(names())}")
        return value


def parse_as_of(value: str | dt.date | None) -> dt.date | dt.datetime | None:
    """Parse a case's ``as_of``: a date, or an ISO datetime that carries an offset.

    Raises:
        ValueError: when the text is neither, or the datetime is naive.
    """
    if value is None or isinstance(value, dt.date):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            raise ValueError("as_of datetime needs a time zone offset")
        return value
    text = value.strip()
    try:
        if "T" in text or " " in text:
            when = dt.datetime.fromisoformat(text)
            if when.tzinfo is None:
                raise ValueError("as_of needs a time zone offset, e.g. 2026-02-01T09:00+08:00")
            return when
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        if "offset" in str(exc):
            raise
        raise ValueError("as_of is not an ISO date, or a datetime with an offset") from None


@attrs.frozen(slots=True)
class Expectation:
    """What one decision (or all decisions of a case together) must look like."""

    outcome: str | None = None
    hits: tuple[str, ...] = ()
    hits_exact: bool = False
    obligations: tuple[str, ...] | None = None
    error: str | None = None
    # dotted paths into the first decision's to_dict(), e.g. {"milestones.0.status": "met"}
    fields: tuple[tuple[str, Any], ...] = ()
    # the name of an invariant of the deciding policy version the (first) decision must keep
    invariant: str | None = None


@attrs.frozen(slots=True)
class PolicyCase:
    """One case: an input of a domain, its date, and what the decisions must be.

    Attributes:
        file: the case file, as given to the loader (``where`` names a file of a pack as a
            git revision holds it ``REV:PATH/tests/…``, not by its extracted copy).
        line: the line where the case starts.
        domain: ``classification``, ``access``, ``suitability`` or ``complaints``.
        name: the case's name, unique within its file.
        as_of: the evaluation date or time (``None``: the domain's default, now).
        input: the input in the shape of the domain's API.
        expect: one expectation, one per decision, or ``None`` for examples.
    """

    file: str
    line: int | None
    domain: str
    name: str
    as_of: dt.date | dt.datetime | None
    input: Any = attrs.field(eq=False)
    expect: Expectation | tuple[Expectation, ...] | None = None

    @property
    def shown_file(self) -> str:
        """``file`` as messages name it: ``REV:PATH/tests/…`` in a pack at a git revision."""
        return shown_text(self.file)

    @property
    def where(self) -> str:
        return f"{self.shown_file}:{self.line}" if self.line is not None else self.shown_file


def _expectation(model: _ExpectModel) -> Expectation:
    return Expectation(model.outcome, tuple(model.hits), model.hits_exact,
                       None if model.obligations is None else tuple(sorted(model.obligations)),
                       model.error, tuple(model.fields.items()), model.invariant)


def _vacuous(expect: Expectation, *, single: bool) -> str | None:
    """Why ``expect`` cannot be met as written: it checks nothing (a single ``{}`` or
    ``{hits: []}`` passes whatever the decision), or it asks for an error beside outcome,
    hits, obligations or fields, which an input that raises has none of."""
    checks = [name for name, given in (
        ("outcome", expect.outcome is not None), ("hits", bool(expect.hits)),
        ("hits_exact", expect.hits_exact), ("obligations", expect.obligations is not None),
        ("fields", bool(expect.fields)), ("invariant", expect.invariant is not None)) if given]
    if expect.error is not None and checks:
        return (f"`error` cannot be checked together with {', '.join(checks)}: an input that "
                "raises gives no decision")
    if single and expect.error is None and not checks:
        return ("checks nothing, so the case would pass whatever the decision; give at least "
                "one of outcome, hits, obligations, fields or error (or an invariant)")
    return None


class _Invalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems


def _expected(data: Any, source: SourceDocument, path: tuple[str | int, ...],
              outcomes: _Outcomes) -> Expectation | tuple[Expectation, ...] | None:
    if data is None:
        return None
    items = data if isinstance(data, list) else [data]
    out: list[Expectation] = []
    problems: list[Problem] = []
    for j, item in enumerate(items):
        where = (*path, j) if isinstance(data, list) else path
        if not isinstance(item, dict):
            problems.append(source.problem(where, "expected a mapping with outcome, hits, "
                                                  "obligations or error", "expect_type"))
            continue
        try:
            expectation = _expectation(_ExpectModel.model_validate(item))
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, source, where))
            continue
        said = expectation.outcome
        if outcomes is not None and said is not None and said not in outcomes[0]:
            outcomes[1].append(source.problem((*where, "outcome"), f"`{said}` is not an outcome "
                               f"the pack's decisions can have{hint(said, sorted(outcomes[0]))}",
                               "unknown_term"))
        problem = _vacuous(expectation, single=not isinstance(data, list))
        if isinstance(data, list) and expectation.invariant is not None:
            problem = ("`invariant` checks an input's single decision: give it in a single "
                       "expectation, not in a list")
        if problem:
            problems.append(source.problem(where, problem, "expect_empty"))
        out.append(expectation)
    if problems:
        raise _Invalid(problems)
    return tuple(out) if isinstance(data, list) else out[0]


_Outcomes = tuple[frozenset[str], list[Problem]] | None


def _load_file(file: Path, problems: list[Problem], *, expect: bool,
               outcomes: _Outcomes = None) -> list[PolicyCase]:
    display = shown_text(str(file))  # a revision's file as REV:PATH/tests/…
    try:
        text = file.read_text(encoding="utf-8")
        source: SourceDocument = parse_yaml(text, display)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(display, None, "", f"cannot read: {exc}", "unreadable"))
        return []
    except yaml.YAMLError as exc:
        problems.append(yaml_problem(display, exc, text))
        return []
    try:
        model = _CaseFileModel.model_validate(source.data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, source, ()))
        return []
    out: list[PolicyCase] = []
    seen: dict[str, int] = {}
    for i, case in enumerate(model.cases):
        line = source.line_of(("cases", i))
        if case.name in seen:
            problems.append(source.problem(("cases", i, "name"), f"case name `{case.name}` is "
                                           f"also used by cases[{seen[case.name]}]",
                                           "duplicate_case"))
        seen[case.name] = i
        if expect and case.expect is None:
            problems.append(source.problem(("cases", i), "missing required key `expect`",
                                           "missing"))
            continue
        before = len(problems)  # a bad as_of still lets the case's expect be checked
        as_of: dt.date | dt.datetime | None = None
        try:
            as_of = parse_as_of(case.as_of)
        except ValueError as exc:
            problems.append(source.problem(("cases", i, "as_of"), f"{exc}, got `{case.as_of}`",
                                           "as_of"))
        try:
            expected = _expected(case.expect, source, ("cases", i, "expect"), outcomes)
        except _Invalid as bad:
            problems.extend(bad.problems)
        if len(problems) > before:
            continue
        out.append(PolicyCase(str(file), line, model.domain, case.name, as_of, case.input,
                              expected))
    return out


def _load_dir(folder: Path, *, expect: bool, outcomes: _Outcomes = None) -> list[PolicyCase]:
    # an expected outcome outside `outcomes` is named when other problems stop the run
    if not folder.is_dir():
        return []
    problems: list[Problem] = []
    cases: list[PolicyCase] = []
    for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        cases += _load_file(file, problems, expect=expect, outcomes=outcomes)
    if problems:
        raise PolicyError(sorted([*problems, *(outcomes[1] if outcomes else [])],
                                 key=lambda p: (p.file, p.line or 0)))
    return cases


def _pack_root(pack: Bundle | str | Path) -> Path:
    return Path(pack.root) if isinstance(pack, Bundle) else Path(pack)


def load_cases(pack: Bundle | str | Path) -> list[PolicyCase]:
    """Every test case in the pack's ``tests/`` folder (none when it has no such folder).

    Raises:
        PolicyError: listing every malformed file or case, with its line (given a bundle,
            also an expected outcome no decision of it can have, e.g. `unsuitible`).
    """
    from finpolicy.testing.diff import known_outcomes

    outcomes: _Outcomes = (known_outcomes(pack), []) if isinstance(pack, Bundle) else None
    return _load_dir(_pack_root(pack) / CASES_DIR, expect=True, outcomes=outcomes)


def load_examples(pack: Bundle | str | Path) -> list[PolicyCase]:
    """Every example input in the pack's ``examples/`` folder (cases without ``expect``)."""
    return _load_dir(_pack_root(pack) / EXAMPLES_DIR, expect=False)


# --- running --------------------------------------------------------------------------------

@attrs.frozen(slots=True)
class CaseResult:
    """One case on one engine.

    Attributes:
        case: the case.
        engine: the engine name.
        failures: why it failed, one line each; empty when it passed.
        decisions: the decisions the input gave (empty when evaluation raised).
        error: the error the input raised, if any.
    """

    case: PolicyCase
    engine: str
    failures: tuple[str, ...]
    decisions: tuple[Decision, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def _error_name(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def evaluate_case(engine: Runtime, case: PolicyCase
                  ) -> tuple[list[Decision], FinpolicyError | None]:
    """Evaluate one case's input through its domain's ``evaluate_input`` on ``engine`` (a
    ``PolicyEngine`` or any runtime).

    Returns the decisions, or no decisions and the finpolicy error it raised.
    """
    from finpolicy.domains.registry import domain

    try:
        found = domain(case.domain)
        if not isinstance(case.input, Mapping):
            raise InputError.one("input", "expected a mapping in the shape of the "
                                          f"{case.domain} API", "bad_input")
        return list(found.evaluate_input(engine, case.input, as_of=case.as_of)), None
    except FinpolicyError as exc:
        return [], exc


def _check(expect: Expectation, decisions: Sequence[Decision], label: str) -> list[str]:
    failures: list[str] = []
    if not decisions:
        return [f"{label}expected a decision, got none"]
    if expect.outcome is not None and str(decisions[0].outcome) != expect.outcome:
        failures.append(f"{label}outcome: expected `{expect.outcome}`"
                        f"{_outcome_hint(expect.outcome, decisions)}, "
                        f"got `{decisions[0].outcome}`")
    hits = [h.rule_id for d in decisions for h in d.hits]
    missing = [r for r in expect.hits if r not in hits]
    if missing:
        failures.append(f"{label}hits: missing {', '.join(missing)} "
                        f"(got {', '.join(hits) or 'none'})")
    if expect.hits_exact:
        extra = sorted(set(hits) - set(expect.hits))
        if extra:
            failures.append(f"{label}hits: unexpected {', '.join(extra)}")
    if expect.obligations is not None:
        got = tuple(sorted({o for d in decisions for o in d.obligations}))
        if got != expect.obligations:
            failures.append(f"{label}obligations: expected [{', '.join(expect.obligations)}], "
                            f"got [{', '.join(got)}]")
    if expect.fields:
        record = decisions[0].to_dict()
        for path, wanted in expect.fields:
            got_value = _at_path(record, path)
            if got_value == _ABSENT != wanted:
                failures.append(f"{label}{path}: expected `{wanted}`, but "
                                f"{_missing(record, path)}")
            elif got_value != wanted:
                failures.append(f"{label}{path}: expected `{wanted}`, got `{got_value}`")
    return failures


_ABSENT = "<absent>"


def _outcome_hint(outcome: str, decisions: Sequence[Decision]) -> str:
    from finpolicy.testing.diff import declared_outcomes  # (`unsuitible`: a misspelling)

    known = declared_outcomes() | {str(d.outcome) for d in decisions}
    return "" if outcome in known else hint(outcome, sorted(known))


def _at_path(record: Any, path: str) -> Any:
    """``milestones.0.status`` in a decision's ``to_dict()``; lists also by an item's name."""
    value = record
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdecimal() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, list):
            named = [v for v in value if isinstance(v, Mapping) and v.get("name") == part]
            if not named:
                return _ABSENT
            value = named[0]
        else:
            return _ABSENT
    return value


def _missing(record: Any, path: str) -> str:
    """Where ``path`` leaves the decision: ``the decision has no `handling_opinion` in
    `milestones` (it has first_contact, initial_response, final_response)``."""
    value: Any = record
    walked: list[str] = []
    for part in path.split("."):
        found = _at_path(value, part)
        if found is _ABSENT:
            break
        value, walked = found, [*walked, part]
    where = f" in `{'.'.join(walked)}`" if walked else ""
    if isinstance(value, Mapping):
        has = [str(k) for k in value]
    elif isinstance(value, list):
        has = [str(v["name"]) if isinstance(v, Mapping) and "name" in v else str(i)
               for i, v in enumerate(value)]
    else:
        return f"`{'.'.join(walked)}` is `{value}`, which has no `{part}`"
    shown = ", ".join(has[:12]) + (", …" if len(has) > 12 else "")
    return f"the decision has no `{part}`{where} (it has {shown or 'nothing'})"


def check_case(case: PolicyCase, decisions: Sequence[Decision],
               error: FinpolicyError | None) -> list[str]:
    """Compare what an input gave with the case's expectation; one line per failure."""
    expect = case.expect
    wanted_error = expect.error if isinstance(expect, Expectation) else None
    if error is not None:
        if wanted_error is not None and wanted_error.lower() in _error_name(error).lower():
            return []
        return [f"raised {_error_name(error)}"]
    if wanted_error is not None:
        return [f"expected {wanted_error}, got {len(decisions)} decision(s)"]
    if expect is None:
        return []
    if isinstance(expect, Expectation):
        return _check(expect, decisions, "")
    if len(expect) != len(decisions):
        return [_count_failure(expect, decisions)]
    return [f for i, (e, d) in enumerate(zip(expect, decisions, strict=True))
            for f in _check(e, [d], f"decision {i + 1}: ")]


def _count_failure(expect: Sequence[Expectation], decisions: Sequence[Decision]) -> str:
    """``expected 4 decision(s), got 3: [a, b, c, d] → [a, b, d]; missing c``: which outcomes
    (a review's findings) came and went, not only how many."""
    wanted = [e.outcome or "?" for e in expect]
    got = [str(d.outcome) for d in decisions]
    missing = Counter(w for w in wanted if w != "?") - Counter(got)
    extra = Counter(got) - Counter(wanted)
    text = (f"expected {len(expect)} decision(s), got {len(decisions)}: "
            f"[{', '.join(wanted)}] → [{', '.join(got)}]")
    if missing:
        text += f"; missing {', '.join(missing.elements())}"
    if extra and "?" not in wanted:
        text += f"; unexpected {', '.join(extra.elements())}"
    return text


def _signature(decisions: Sequence[Decision]) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return [(str(d.outcome), d.rule_ids, tuple(d.obligations)) for d in decisions]
