"""``finpolicy suitability CSV``: decide suitability for customers × products, with a summary."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

import click
from rich.progress import track
from rich.table import Table

from finpolicy.cli.badrows import Rejects, bad_rows_options
from finpolicy.cli.common import (
    as_of_option,
    bundle_option,
    cell,
    chosen_policies,
    console,
    dump_json,
    engine_option,
    err_console,
    load_engine,
    parse_when,
    policy_option,
    reports_errors,
)
from finpolicy.cli.recoding import Recoded, encoding_option
from finpolicy.domains.suitability.batch import decide_file, outcome_counts, read_products
from finpolicy.domains.suitability.evaluate import decision_date
from finpolicy.domains.suitability.models import OUTCOMES, SuitabilityDecision
from finpolicy.domains.suitability.policy import POLICY_KIND
from finpolicy.errors import InputError
from finpolicy.outputs import output_file, writing

_STYLE = {"suitable": "green", "conditional": "yellow", "unsuitable": "red"}


def _print(decisions: list[SuitabilityDecision], details: bool) -> None:
    if details:
        table = Table(title="Decisions", show_lines=False)
        for name in ("customer", "level", "product", "level", "outcome"):
            table.add_column(name, no_wrap=True)
        table.add_column("obligations", overflow="fold")
        table.add_column("rules", overflow="fold")
        for d in decisions:
            # a policy's rule ids and obligations may hold `[`: printed as they are
            table.add_row(cell(d.customer_id), cell(d.customer_level or "—"),
                          cell(d.product_id), cell(d.product_level),
                          f"[{_STYLE[d.outcome]}]{d.outcome}[/]",
                          cell("\n".join(d.obligations)), cell("\n".join(d.rule_ids)))
        console.print(table)
    counts = outcome_counts(decisions)
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
        matrix.add_column(cell(column), justify="center")
    for level in sorted({c for c, _ in cells}):
        row = []
        for column in columns:
            c = cells.get((level, column))
            row.append("" if c is None else
                       f"[green]{c['suitable']}[/]/[yellow]{c['conditional']}[/]/"
                       f"[red]{c['unsuitable']}[/]")
        matrix.add_row(cell(level), *row)
    console.print(matrix)


@click.command("suitability")
@click.argument("csv_file", metavar="CSV")
@click.option("--products", "products_file", default=None, metavar="CSV", type=click.Path(),
              help="A products CSV: decide every customer row of CSV against every product.")
@as_of_option(help="Evaluation date (ISO, default today); picks the policy version in force.",
              metavar="DATE")
@click.option("--json", "as_json", is_flag=True,
              help="Print as_of, policies, summary and total as JSON, with the decisions "
              "(a Parquet input: with the --output file instead).")
@click.option("--details/--no-details", default=None,
              help="Show one row per decision (default: when there are at most 50).")
@click.option("--output", "-o", "output", default=None, metavar="FILE.parquet",
              type=click.Path(),
              help="With a Parquet input: write every decision to this Parquet file.")
@encoding_option
@bad_rows_options
@policy_option
@bundle_option
@engine_option
@reports_errors
def suitability(csv_file: str, products_file: str | None, as_of: str | None, as_json: bool,
                details: bool | None, output: str | None, encoding: str | None,
                policy_ids: tuple[str, ...], bundle_path: str | None, engine: str,
                rejects: Rejects | None) -> None:
    """Decide whether products suit customers, for every row of CSV.

    Without --products each row is one sale: `customer.<field>` and `product.<field>` columns
    (e.g. customer.id, customer.risk_level, customer.assessment_date, customer.birth_date,
    product.id, product.kind, product.risk_level), an optional `amount` and optional
    `sale.promoted_by_staff` and `sale.first_purchase`. With --products,
    CSV holds customers (columns named by field) and every customer is matched against every
    product. Empty cells are absent fields; `assessment_history` lists dates separated by `;`.
    A `.parquet` CSV (and products file) is evaluated as a table, chunk by chunk: the summary
    is printed and --output writes the decisions. A CSV file (and products file) is read as
    UTF-8 unless --encoding says otherwise (gb18030 for an export saved on Chinese Windows).
    With --bad-rows FILE, rows refused are set aside to FILE and the others decided (exit 1
    when any was set aside).
    """
    recoded = Recoded(encoding)
    recoded.check(csv_file, products_file)
    if rejects is not None:
        rejects.check((csv_file, products_file))
    policy_engine = load_engine(bundle_path, engine)
    with recoded, chosen_policies(policy_engine, policy_ids, "suitability") as runtime:
        # one day for the whole book, today in the policy's time zone when not given (the
        # machine's own date is the day before in the evening in UTC)
        when = decision_date(runtime, parse_when(as_of, aware=False, moment_ok=True), None)
        book, products = recoded(csv_file), recoded(products_file)
        assert book is not None
        if csv_file.lower().endswith((".parquet", ".pq")):
            summary, in_force = _table_run(policy_engine, runtime, book, products,
                                           when, (as_json, output, rejects))
        else:
            decisions = _decide_rows(runtime, book, products, when, as_json, output,
                                     rejects)
            doc = runtime.policy(POLICY_KIND, when)
            in_force = {f"{doc.id} {doc.version}"}
        if rejects is not None:
            rejects.records[:] = [recoded.record(r) for r in rejects.records]
    if csv_file.lower().endswith((".parquet", ".pq")):
        _print_table_run(summary, in_force, when, as_json, output)
    else:
        _print_rows(decisions, in_force, when, as_json, details)
    if rejects is not None:
        rejects.finish((csv_file, products_file))


def _print_rows(decisions: list[SuitabilityDecision], in_force: set[str], when: dt.date,
                as_json: bool, details: bool | None) -> None:
    if as_json:
        policies = sorted({(d.policy.id, d.policy.version) for d in decisions})
        dump_json({"as_of": str(when),
                   "policies": [f"{i} {v}" for i, v in policies],
                   "summary": outcome_counts(decisions), "total": len(decisions),
                   "decisions": [d.to_dict() for d in decisions]})
        return
    _print_policies(when, sorted(in_force))
    _print(decisions, len(decisions) <= 50 if details is None else details)


def _print_policies(on: dt.date, policies: Iterable[str]) -> None:
    """Which version decided the book (the 2018 rule until 2026-01-31, the NFRA rule after)."""
    console.print(f"as of {on}: " + cell(f"decided by {', '.join(policies)}"))


def _decide_rows(runtime: Any, csv_file: str, products_file: str | None, when: dt.date,
                 as_json: bool, output: str | None, rejects: Rejects | None
                 ) -> list[SuitabilityDecision]:
    """The decisions of a CSV book, with a progress bar on a terminal."""
    if output is not None:
        raise InputError.one("--output", "--output goes with a Parquet input", "bad_option",
                             output)
    products = None if products_file is None else read_products(products_file)
    show = not as_json and err_console.is_terminal

    def rows(items: Iterable[Any]) -> Iterable[Any]:
        return track(items, description="deciding", console=err_console, transient=True,
                     disable=not show)

    return decide_file(runtime, csv_file, products=products, as_of=when, rows=rows,
                       rejects=None if rejects is None else rejects.records)


def _table_run(engine: Any, runtime: Any, path: str, products_file: str | None, on: dt.date,
               how: tuple[bool, str | None, Rejects | None]
               ) -> tuple[dict[str, int], set[str]]:
    """A Parquet book evaluated a chunk at a time: counts by outcome and the policies that
    decided, decisions to ``output`` (``how``: ``--json``, ``--output``, the rows set aside
    or ``None``); memory follows the chunk size."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    as_json, output, rejects = how
    inputs = (path, products_file)
    if output is not None:
        output_file(output, inputs=inputs)  # before the work, not after it
    counts: Counter[str] = Counter()
    policies = {f"{d.id} {d.version}" for d in [runtime.policy(POLICY_KIND, on)]}
    show = not as_json and err_console.is_terminal
    writer = None
    progress = Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err_console, transient=True, disable=not show)
    with progress, contextlib.ExitStack() as written:
        task = progress.add_task("deciding", total=pq.ParquetFile(path).metadata.num_rows)
        for part in engine.iter_tables("suitability", path, as_of=on, products=products_file,
                                       progress=lambda n: progress.advance(task, n),
                                       bad_rows="raise" if rejects is None else "set_aside"):
            table = part if rejects is None else _set_aside(part, rejects)
            for item in pc.value_counts(table.column("outcome").cast("string")).to_pylist():
                counts[item["values"]] += item["counts"]
            if output is not None:
                if writer is None:  # the file is whole when the last table is written
                    stream = written.enter_context(writing(output, binary=True,
                                                           inputs=inputs))
                    writer = written.enter_context(contextlib.closing(
                        pq.ParquetWriter(stream, table.schema)))
                writer.write_table(table)
    return {name: counts.get(name, 0) for name in OUTCOMES}, policies


def _set_aside(part: Any, rejects: Rejects) -> Any:
    """A chunk's decisions, its rows set aside kept in ``rejects``."""
    rejects.add(part.rejected.to_pylist())
    return part.decided


def _print_table_run(summary: dict[str, int], policies: set[str], on: dt.date, as_json: bool,
                     output: str | None) -> None:
    if as_json:
        dump_json({"as_of": str(on), "policies": sorted(policies), "summary": summary,
                   "total": sum(summary.values()), "output": output})
        return
    _print_policies(on, sorted(policies))
    table_view = Table(title="Summary")
    table_view.add_column("outcome")
    table_view.add_column("decisions", justify="right")
    for name, count in summary.items():
        table_view.add_row(f"[{_STYLE[name]}]{name}[/]", str(count))
    console.print(table_view)


COMMANDS = [suitability]
