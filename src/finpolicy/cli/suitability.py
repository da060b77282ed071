"""``finpolicy suitability CSV``: decide suitability for customers × products, with a summary."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.progress import track
from rich.table import Table

from finpolicy.cli.common import (
    bundle_option,
    console,
    dump_json,
    engine_option,
    err_console,
    load_engine,
    parse_when,
    reports_errors,
)
from finpolicy.errors import InputError, InputProblem

_STYLE = {"suitable": "green", "conditional": "yellow", "unsuitable": "red"}
_LISTS = {"assessment_history"}
_PROGRESS_FROM = 500  # rows; smaller files finish before a bar would be readable


def _rows(path: str) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of a CSV file with a header."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise InputError([InputProblem(path, "empty CSV: expected a header row")])
            for row in reader:
                if None in row:
                    raise InputError([InputProblem(f"{path} line {reader.line_num}",
                                                   "more cells than header columns")])
                yield reader.line_num, row
    except OSError as exc:
        raise InputError([InputProblem(path, f"cannot read: {exc.strerror}")]) from None


def _split(row: dict[str, str], default: str) -> dict[str, Any]:
    """Group ``customer.x`` / ``product.x`` columns; bare columns go to ``default``."""
    out: dict[str, Any] = {"customer": {}, "product": {}}
    for column, cell in row.items():
        value = (cell or "").strip()
        if not value:
            continue  # an empty cell is an absent field
        if column == "amount":
            out["amount"] = value
            continue
        group, _, name = column.rpartition(".")
        group = group or default
        if group not in ("customer", "product"):
            raise InputError([InputProblem(column, "unknown column (use customer.<field>, "
                                                   "product.<field> or amount)")])
        out[group][name] = ([v.strip() for v in value.replace("|", ";").split(";") if v.strip()]
                            if name in _LISTS else value)
    return out


def _amount(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError([InputProblem("amount", f"expected a number, got `{text}`")]) from None


def _at_line(where: str, exc: InputError) -> InputError:
    return InputError([InputProblem(f"{where}: {p.path}", p.message, p.code, p.value)
                       for p in exc.problems], model=exc.model)


def _pairs(engine: Any, csv_file: str, products_file: str | None, as_of: dt.date | None,
           show_progress: bool) -> list[Any]:
    from finpolicy.domains.suitability import Customer, Product

    rows = list(_rows(csv_file))
    decisions: list[Any] = []
    if products_file is None:
        for line, row in track(rows, description="deciding", console=err_console,
                               disable=not show_progress, transient=True):
            try:
                data = _split(row, "customer")
                decisions.append(engine.check_suitability(
                    data["customer"], data["product"], amount=_amount(data.get("amount")),
                    as_of=as_of))
            except InputError as exc:
                raise _at_line(f"{csv_file} line {line}", exc) from None
        return decisions
    products = []
    for line, row in _rows(products_file):
        try:
            products.append(Product.parse(_split(row, "product")["product"], field="product"))
        except InputError as exc:
            raise _at_line(f"{products_file} line {line}", exc) from None
    for line, row in track(rows, description="deciding", console=err_console,
                           disable=not show_progress, transient=True):
        try:
            customer = Customer.parse(_split(row, "customer")["customer"], field="customer")
            decisions.extend(engine.suitable_products(customer, products, as_of=as_of))
        except InputError as exc:
            raise _at_line(f"{csv_file} line {line}", exc) from None
    return decisions


def _summary(decisions: list[Any]) -> dict[str, int]:
    counts = Counter(d.outcome for d in decisions)
    return {name: counts.get(name, 0) for name in ("suitable", "conditional", "unsuitable")}


def _print(decisions: list[Any], details: bool) -> None:
    if details:
        table = Table(title="Decisions", show_lines=False)
        for name in ("customer", "level", "product", "level", "outcome"):
            table.add_column(name, no_wrap=True)
        table.add_column("obligations", overflow="fold")
        table.add_column("rules", overflow="fold")
        for d in decisions:
            table.add_row(d.customer_id, d.customer_level or "—", d.product_id, d.product_level,
                          f"[{_STYLE[d.outcome]}]{d.outcome}[/]", "\n".join(d.obligations),
                          "\n".join(d.rule_ids))
        console.print(table)
    counts = _summary(decisions)
    total = len(decisions) or 1
    summary = Table(title="Summary")
    summary.add_column("outcome")
    summary.add_column("decisions", justify="right")
    summary.add_column("share", justify="right")
    for name, count in counts.items():
        summary.add_row(f"[{_STYLE[name]}]{name}[/]", str(count), f"{count / total:.0%}")
    summary.add_row("[bold]total[/]", str(len(decisions)), "")
    console.print(summary)
    # outcome counts by customer level × effective product level
    cells: dict[tuple[str, str], Counter[str]] = {}
    for d in decisions:
        cells.setdefault((d.customer_level or "—", d.product_level), Counter())[d.outcome] += 1
    if not cells:
        return
    columns = sorted({p for _, p in cells})
    matrix = Table(title="By customer level × product level (suitable/conditional/unsuitable)")
    matrix.add_column("customer")
    for column in columns:
        matrix.add_column(column, justify="center")
    for level in sorted({c for c, _ in cells}):
        row = []
        for column in columns:
            c = cells.get((level, column))
            row.append("" if c is None else
                       f"[green]{c['suitable']}[/]/[yellow]{c['conditional']}[/]/"
                       f"[red]{c['unsuitable']}[/]")
        matrix.add_row(level, *row)
    console.print(matrix)


@click.command("suitability")
@click.argument("csv_file", metavar="CSV")
@click.option("--products", "products_file", default=None, metavar="CSV",
              help="A products CSV: decide every customer row of CSV against every product.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Evaluation date (ISO, default today); picks the policy version in force.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary and decisions as JSON.")
@click.option("--details/--no-details", default=None,
              help="Show one row per decision (default: when there are at most 50).")
@bundle_option
@engine_option
@reports_errors
def suitability(csv_file: str, products_file: str | None, as_of: str | None, as_json: bool,
                details: bool | None, bundle_path: str | None, engine: str) -> None:
    """Decide whether products suit customers, for every row of CSV.

    Without --products each row is one sale: `customer.<field>` and `product.<field>` columns
    (e.g. customer.id, customer.risk_level, customer.assessment_date, customer.birth_date,
    product.id, product.kind, product.risk_level) and an optional `amount`. With --products,
    CSV holds customers (columns named by field) and every customer is matched against every
    product. Empty cells are absent fields; `assessment_history` lists dates separated by `;`.
    """
    policy_engine = load_engine(bundle_path, engine)
    when = parse_when(as_of, aware=False)
    decisions = _pairs(policy_engine, csv_file, products_file, when,
                       show_progress=not as_json and err_console.is_terminal)
    if as_json:
        policies = sorted({(d.policy.id, d.policy.version) for d in decisions})
        dump_json({"as_of": str(decisions[0].as_of) if decisions else as_of,
                   "policies": [f"{i} {v}" for i, v in policies],
                   "summary": _summary(decisions),
                   "decisions": [d.to_dict() for d in decisions]})
        return
    _print(decisions, len(decisions) <= 50 if details is None else details)


COMMANDS = [suitability]
