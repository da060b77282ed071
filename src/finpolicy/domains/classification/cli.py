"""``finpolicy scan PATH``: classify the columns of a CSV, Parquet file or SQLite table."""

from __future__ import annotations

from typing import Any

import click
from rich import box
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from finpolicy.cli.common import (
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
from finpolicy.domains.classification.model import share_text
from finpolicy.domains.classification.scanning import ScanReport

_STYLE = {"core": "bold red", "important": "yellow", "ordinary": "green"}


def _table(result: ScanReport) -> Table:
    # Handling depends on the level alone, so it is listed once per level under the table
    # (``_handling``): the table then fits 80 columns and no cell is cut or dropped.
    rows = f"{result.rows:,} row" + ("" if result.rows == 1 else "s")
    table = Table(title=f"{escape(result.source)} — {rows} ({result.format}), "
                        f"level {cell(str(result.level))}", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    for column in ("column", "level", "category", "detector", "share", "mask"):
        table.add_column(column, justify="right" if column == "share" else "left",
                         overflow="fold", no_wrap=column != "column")
    for c in result.columns:
        cl = c.classification
        level = str(cl.level)
        # a policy's level, category and detector names may hold `[`: printed as they are
        table.add_row(cell(c.column), f"[{_STYLE.get(level, '')}]{cell(level)}[/]",
                      cell(cl.category or "—"), cell(cl.detector or "—"),
                      "—" if cl.share is None else share_text(cl.share), cell(c.mask or "—"))
    return table


def _handling(result: ScanReport) -> list[str]:
    """One line per level found: how data of that level is handled."""
    seen: dict[str, str] = {}
    for c in result.columns:
        cl = c.classification
        seen.setdefault(str(cl.level), cl.handling.summary())
    return [f"handling of {cell(level)} data: {escape(summary)}"
            for level, summary in seen.items()]


@click.command("scan")
@click.argument("source", metavar="PATH")
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON.")
@click.option("--sample", type=click.IntRange(1, 1_000_000), default=1000, show_default=True,
              help="Non-empty values sampled per column.")
@click.option("--sample-mode", type=click.Choice(["reservoir", "first"]), default="reservoir",
              show_default=True, help="Reservoir sample of the whole table, or the first "
                                      "values (stops reading early).")
@click.option("--seed", type=int, default=0, show_default=True, help="Reservoir seed.")
@click.option("--encoding", default="utf-8-sig", show_default=True, help="CSV encoding.")
@click.option("--delimiter", default=None, help="CSV delimiter (sniffed when absent).")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Classify under the policy in force on this date (default: today).")
@policy_option
@bundle_option
@engine_option
@reports_errors
def scan(source: str, as_json: bool, sample: int, sample_mode: str, seed: int, encoding: str,
         delimiter: str | None, as_of: str | None, policy_ids: tuple[str, ...],
         bundle_path: str | None, engine: str) -> None:
    """Classify every column of a table by name and content.

    PATH is a CSV (or TSV) file, a Parquet file, or sqlite:///file.db?table=NAME (four
    slashes for an absolute path). The file is read in chunks and each column is sampled.
    """
    when = parse_when(as_of, aware=False, moment_ok=True)
    policy_engine = load_engine(bundle_path, engine)
    columns: list[Any] = [TextColumn("[bold]scanning[/]"), BarColumn()]
    columns.append(MofNCompleteColumn() if source.startswith("sqlite:")
                   or source.lower().endswith((".parquet", ".pq", ".parq"))
                   else DownloadColumn())
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True,
                  disable=as_json and not err_console.is_terminal) as bar, \
            chosen_policies(policy_engine, policy_ids, "classification"):
        task = bar.add_task("scan", total=None)

        def step(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        result = policy_engine.scan(source, sample=sample, sample_mode=sample_mode, seed=seed,
                                    encoding=encoding, delimiter=delimiter, as_of=when,
                                    progress=step)
    if as_json:
        dump_json(result.to_dict())
        return
    console.print(_table(result))
    for line in _handling(result):
        console.print(line)
    p = result.policy
    console.print(f"policy {p.id} {p.version} (bundle {p.bundle} {p.bundle_version}, "
                  f"{p.bundle_digest[:12]}; {result.engine} engine), as of {result.as_of}; "
                  f"sample {result.sample} {result.sample_mode}", markup=False)


COMMANDS = [scan]
