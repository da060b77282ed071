"""``finpolicy review FILE``: the periodic access review (seed 000 §5.4, seed 002 §2.3)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from finpolicy.cli.common import (
    bundle_option,
    console,
    dump_json,
    engine_option,
    load_engine,
    parse_when,
    read_data,
    reports_errors,
)
from finpolicy.errors import InputError, InputProblem

_KEYS = {"grant": "grants", "assignment": "assignments", "usage": "usage"}
_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_RANK = {"high": 0, "medium": 1, "low": 2}


def read_review_file(path: str) -> dict[str, list[Any]]:
    """Grants, assignments and usage records from JSON/YAML (a mapping with ``grants``,
    ``assignments`` and optional ``usage`` lists) or JSONL (one ``{"grant": {...}}``,
    ``{"assignment": {...}}`` or ``{"usage": {...}}`` object a line)."""
    if path.endswith(".jsonl"):
        return _read_jsonl(path)
    data = read_data(path)
    if not isinstance(data, Mapping):
        raise InputError([InputProblem(path, "expected a mapping with `grants`, `assignments` "
                                             "and optional `usage` lists")])
    unknown = sorted(set(data) - set(_KEYS.values()))
    if unknown:
        raise InputError([InputProblem(f"{path}: {unknown[0]}", "unknown key, expected "
                                       "grants, assignments or usage")])
    out: dict[str, Any] = {"grants": data.get("grants") or [],
                           "assignments": data.get("assignments") or []}
    out["usage"] = data.get("usage")
    return out


def _read_jsonl(path: str) -> dict[str, list[Any]]:
    out: dict[str, Any] = {"grants": [], "assignments": [], "usage": None}
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([InputProblem(path, f"cannot read: {exc.strerror}")]) from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError([InputProblem(f"{path}:{number}", f"not valid JSON: {exc.msg}")
                              ]) from None
        if not isinstance(record, dict) or len(record) != 1 or next(iter(record)) not in _KEYS:
            raise InputError([InputProblem(f"{path}:{number}", "expected one of "
                                           "{\"grant\": …}, {\"assignment\": …}, "
                                           "{\"usage\": …}")])
        ((key, value),) = record.items()
        bucket = _KEYS[key]
        if out[bucket] is None:
            out[bucket] = []
        out[bucket].append(value)
    return out


@click.command("review")
@click.argument("input_file", metavar="FILE")
@click.option("--at", "at", default=None, metavar="DATETIME",
              help="Review time, ISO with offset (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--policy", default=None, metavar="ID", help="Access policy id, if several.")
@click.option("--fail-on", type=click.Choice(["high", "medium", "low", "never"]),
              default="never", show_default=True,
              help="Exit 1 when a finding is at least this severe.")
@bundle_option
@engine_option
@reports_errors
def review(input_file: str, at: str | None, as_json: bool, policy: str | None, fail_on: str,
           bundle_path: str | None, engine: str) -> None:
    """Review the grants, role assignments and usage records in FILE.

    FILE is JSON or YAML (`{grants: [...], assignments: [...], usage: [...]}`) or JSONL (one
    `{"grant": {...}}`, `{"assignment": {...}}` or `{"usage": {...}}` a line). Reports expired,
    over-long, self-approved and wrongly approved grants, dormant grants (when usage is given),
    separation-of-duties conflicts and the role assignments the policy's role review rules
    flag (role changes without approval, reviews overdue), most severe first.
    """
    policy_engine = load_engine(bundle_path, engine)
    data = read_review_file(input_file)
    when = parse_when(at, aware=True)
    assert when is None or isinstance(when, dt.datetime)  # aware=True parses datetimes only
    result = policy_engine.review_access(data["grants"], data["assignments"], at=when,
                                         usage=data["usage"], policy=policy)
    if as_json:
        dump_json(result.to_dict())
    else:
        _print(result)
    if fail_on != "never" and any(_RANK[f.severity] <= _RANK[fail_on]
                                  for f in result.findings):
        sys.exit(1)


def _print(result: Any) -> None:
    counts = result.by_severity()
    console.print(f"access review at {result.at.isoformat()} — {result.policy.id} "
                  f"{result.policy.version} ({result.engine} engine): "
                  f"{result.grants_reviewed} grants, {result.subjects_reviewed} subjects, "
                  f"{len(result.findings)} findings "
                  f"({', '.join(f'{n} {s}' for s, n in counts.items())})", markup=False)
    if not result.findings:
        return
    table = Table(show_lines=False)
    for column in ("severity", "kind", "grant", "subject", "message"):
        table.add_column(column, overflow="fold")
    for f in result.findings:
        table.add_row(f"[{_STYLE.get(f.severity, '')}]{f.severity}[/]", f.kind,
                      f.grant_id or "", f.subject_id or "", f.message)
    console.print(table)


COMMANDS = [review]
