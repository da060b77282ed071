"""``finpolicy eval DOMAIN FILE``.

FILE is read by what its name ends with: ``.csv``, ``.parquet`` (``.pq``) as a table, one
input per row, through the batch API (``PolicyEngine.iter_tables``, as
``docs/guides/batch.rst`` says: the columns named by the input's fields, nested ones dotted),
chunk by chunk; ``.jsonl`` (``.ndjson``) as JSON lines, one input per line, each as a JSON
input is, a line at a time (``finpolicy.cli.evaluate_inputs``); anything else (``.json``,
``.yaml``, ``-``) as one JSON or YAML document, one input or a list of them.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import tempfile
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from typing import IO, Any

import attrs
import click

from finpolicy.cli.badrows import BOM, Rejects, bad_rows_options
from finpolicy.cli.common import (
    EXIT_FAILED,
    as_of_option,
    at_zone,
    bundle_option,
    chosen_policies,
    engine_option,
    err_console,
    exit_with,
    load_engine,
    parse_when,
    plain_value,
    policy_option,
    reports_errors,
    sheet_cell,
    sheet_column,
)
from finpolicy.cli.evaluate_inputs import evaluate_inputs
from finpolicy.cli.failon import fail_on_option, failing_outcomes
from finpolicy.cli.params import COLUMN, DELIMITER, ENCODING
from finpolicy.domains.base import Domain
from finpolicy.domains.registry import domain
from finpolicy.errors import InputError, InputProblem, one_line
from finpolicy.readers import (
    TABLE_SUFFIXES,
    check_readable,
    input_form,
    recode_csv,
)

OUTPUT_SUFFIXES = (".csv", ".parquet", ".jsonl", ".json")
"""What ``-o`` writes a table's decisions as, by the name's ending."""


@click.command("eval")
@click.argument("domain_name", metavar="DOMAIN")
@click.argument("input_file", metavar="FILE")
@as_of_option(help="Evaluation time (ISO): a date, or a datetime with an offset for domains "
                   "that measure time of day (access, complaints, consent). It takes the "
                   "place of an input's own as_of; without it, an input's own counts.")
@click.option("--json", "as_json", is_flag=True, help="Print decisions as JSON.")
@click.option("--why", is_flag=True, help="Explain each decision: the rules in the way of a "
                                          "better outcome and the smallest changes of the "
                                          "input that would give one, each checked. Not for "
                                          "a CSV or Parquet FILE.")
@click.option("--trace", is_flag=True, help="With --why: also every rule's condition, "
                                            "evaluated clause by clause.")
@click.option("--output", "-o", "output", default=None, metavar="OUT",
              type=click.Path(dir_okay=False),
              help="For a CSV or Parquet FILE: write the decisions, one row per input row, "
                   "to OUT (.csv: UTF-8 with a byte-order mark, for Excel; .parquet; .jsonl; "
                   ".json) instead of printing them.")
@click.option("--key", "key", default=None, metavar="COLUMN",
              help="For a CSV or Parquet FILE: a column of yours (a request id) copied as "
                   "the decisions' first column, not read as a field.")
@click.option("--encoding", type=ENCODING, default=None, metavar="NAME",
              help="For a CSV FILE: its encoding (default UTF-8, with or without a "
                   "byte-order mark); gb18030 or gbk for an export saved on Chinese Windows.")
@click.option("--delimiter", type=DELIMITER, default=None, metavar="CHAR",
              help="For a CSV FILE: the character between its cells (default ,): ';', '|' "
                   "or tab.")
@click.option("--column", "columns", type=COLUMN, multiple=True, metavar="NAME=FIELD",
              help="For a CSV FILE: read its column NAME as the field FIELD (a header in "
                   "Chinese: --column 柜员号=subject.id); repeatable.")
@fail_on_option
@bad_rows_options
@policy_option
@bundle_option
@engine_option
@reports_errors
def evaluate(domain_name: str, input_file: str, as_of: str | None, as_json: bool, why: bool,
             trace: bool, output: str | None, key: str | None, encoding: str | None,
             delimiter: str | None, columns: tuple[tuple[str, str], ...],
             fail_on: tuple[str, ...], rejects: Rejects | None, policy_ids: tuple[str, ...],
             bundle_path: str | None, engine: str) -> None:
    """Evaluate the inputs in FILE in DOMAIN: a JSON or YAML file (one input or a list), a
    JSON-lines file (.jsonl, one input per line), or a CSV or Parquet table (.csv, .parquet,
    one input per row; classification, access, suitability and complaints).

    DOMAIN is a registered domain (`finpolicy domains` lists them).

    An input has the shape of the domain's API, e.g. for suitability
    `{customer: {...}, product: {...}, amount: 50000}`; a table's columns are its fields,
    nested ones dotted (`subject.id`, `subject.roles` as `teller;auditor`,
    `resource.data_level`), as docs/guides/batch.rst lists them. A CSV table is read as UTF-8
    separated by commas unless --encoding and --delimiter say otherwise. A table's rows
    without an `as_of` column are decided at --as-of, else now.

    Exits 0 when every decision is positive, 1 when any refuses what was asked (outcome
    `deny` or `unsuitable`, or a plug-in domain's own refusals) or has an outcome --fail-on
    names (a complaint's status refuses nothing: give `--fail-on breached` to stop on a
    breach), or, with --bad-rows, any row was set aside; 2 for an invalid policy, 3 for an
    invalid input or option.
    """
    chosen = domain(domain_name)
    form = input_form(input_file)
    _check_options(input_file, form, output=output, rejects=rejects, key=key,
                   encoding=encoding, delimiter=delimiter, columns=columns)
    when = parse_when(as_of, aware=chosen.time == "datetime", moment_ok=True)
    policy_engine = load_engine(bundle_path, engine)
    failing = failing_outcomes(fail_on, chosen, policy_engine.bundle)  # before the work
    if form == "table":
        if why or trace:
            raise click.UsageError(f"{'--why' if why else '--trace'} explains inputs of a "
                                   "JSON, YAML or JSON-lines FILE, not a table; give the "
                                   "rows to explain as JSON lines (.jsonl)")
        with contextlib.ExitStack() as stack:
            try:
                source = input_file
                source = _source(stack, input_file, encoding, delimiter, dict(columns), key)
                refused = _evaluate_table(policy_engine, chosen, input_file, when,
                                          policy_ids, as_json=as_json, output=output,
                                          key=key, source=source, rejects=rejects,
                                          failing=failing)
            except InputError as exc:  # named by the file given, not the copy read
                raise _hinted(_renamed(exc, source, input_file)) from None
    else:
        refused = evaluate_inputs(policy_engine, chosen, input_file, form, when, policy_ids,
                                  as_json=as_json, why=why, trace=trace, failing=failing)
    if rejects is not None:  # exit 1 when any row was set aside, unless --bad-rows-ok
        rejects.finish([input_file])
    if refused:
        exit_with(EXIT_FAILED)


def _check_options(input_file: str, form: str, **given: Any) -> None:
    """Refuse an option of a table (or of a CSV file) given for another file."""
    is_csv = input_file.lower().endswith(".csv")
    for name, takes in (("output", form == "table"), ("rejects", form == "table"),
                        ("key", form == "table"), ("encoding", is_csv),
                        ("delimiter", is_csv), ("columns", is_csv)):
        if given[name] and not takes:
            option = {"rejects": "--bad-rows", "columns": "--column"}.get(name, f"--{name}")
            raise _table_only(option, csv_only=name in ("encoding", "delimiter", "columns"))


def _table_only(option: str, *, csv_only: bool) -> click.UsageError:
    if csv_only:
        return click.UsageError(f"{option} is for a CSV FILE (.csv)")
    return click.UsageError(f"{option} is for a CSV or Parquet FILE "
                            f"({', '.join(TABLE_SUFFIXES)})" + ("; for another file, --json "
                            "prints the decisions" if option == "--output" else ""))


def _source(stack: contextlib.ExitStack, input_file: str, encoding: str | None,
            delimiter: str | None, columns: dict[str, str], key: str | None) -> str:
    """The file to read for the table ``input_file``: itself, or a copy of it as UTF-8
    separated by commas (its columns renamed, each row on its own line) when it is not one;
    refused when a column's name has spaces around it."""
    check_readable(input_file)
    source = input_file
    if encoding not in (None, "utf-8-sig") or delimiter not in (None, ",") or columns:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="finpolicy-"))
        source = os.path.join(folder, os.path.basename(input_file))
        header = recode_csv(input_file, source, encoding=encoding or "utf-8-sig",
                            delimiter=delimiter or ",", names=columns)
        missing = [name for name in columns if name not in header]
        if missing:
            raise InputError.one("--column", f"{input_file} has no column `{missing[0]}` "
                                 f"(its columns: {', '.join(header)})", "unknown_key",
                                 missing[0])
    names = _names(source)
    spaced = next((n for n in names if n != n.strip() and n.strip() and n != key), None)
    if spaced is not None:
        raise InputError([InputProblem(
            "", f"the column `{spaced}` has spaces around its name; remove them, or give "
                f"--column '{spaced}={spaced.strip()}'", "bad_file", spaced, file=input_file,
            line=1)])
    return source


def _names(path: str) -> list[str]:
    """The column names of the table ``path`` (none when it cannot be read: its reader
    then says why)."""
    import pyarrow.parquet as pq

    from finpolicy.columnar.csvfiles import csv_header

    try:
        return csv_header(path) if path.lower().endswith(".csv") else pq.read_schema(path).names
    except Exception:
        return []


_HINTS = {"not UTF-8 text": "; or give --encoding gb18030 for an export saved on Chinese "
                             "Windows (GBK)",
          "not by commas; save it as comma-separated CSV": " (or give --delimiter '{}')",
          "it is UTF-8 text, not": "; leave out --encoding"}


def _hinted(exc: InputError) -> InputError:
    """``exc`` with the option to give where a file is read as UTF-8 separated by commas
    and is not (an export in GBK, or separated by semicolons), or holds a column of its own
    (a request id: pydantic's "extra inputs are not permitted")."""
    problems = []
    for p in exc.problems:
        for said, hint in _HINTS.items():
            if said in p.message:
                other = next((c for c in ";|" if f"`{c}`" in p.message), "tab")
                p = attrs.evolve(p, message=p.message + hint.format(other))
        if p.code == "extra_forbidden" and p.path and "." not in p.path:
            p = attrs.evolve(p, message=f"the column `{p.path}` is no field of the input; give "
                             f"--key '{p.path}' to keep it beside the decisions, or --column "
                             f"'{p.path}=FIELD' to read it as a field")
        problems.append(p)
    return InputError(problems, model=exc.model)


def _renamed(exc: InputError, source: str, input_file: str) -> InputError:
    """``exc`` naming ``input_file`` where it names ``source``, the copy read in its place."""
    if source == input_file:
        return exc
    return InputError([attrs.evolve(
        p, file=input_file if p.file == source else p.file,
        message=p.message.replace(source, input_file),
        value=input_file if p.value == source else p.value) for p in exc.problems],
        model=exc.model)


def _evaluate_table(policy_engine: Any, chosen: Domain, input_file: str, when: Any,
                    policy_ids: tuple[str, ...], *, as_json: bool, output: str | None,
                    key: str | None, source: str, rejects: Rejects | None,
                    failing: frozenset[str]) -> bool:
    """Decide every row of a CSV or Parquet file, a chunk at a time, printing or writing
    each chunk's decisions; whether any was refused."""
    from finpolicy.columnar.api import table_domains
    from finpolicy.outputs import output_file

    tables = table_domains()
    if chosen.name not in tables:
        raise InputError([InputProblem(
            "", f"domain `{chosen.name}` decides no CSV or Parquet table (those of "
                f"{', '.join(tables)} do); give its inputs as JSON lines (.jsonl, one input "
                "per line), JSON or YAML", "bad_input", file=input_file)])
    if output is not None:
        if not output.lower().endswith(OUTPUT_SUFFIXES):
            raise InputError.one("--output", f"`{output}`: expected a name ending in "
                                 f"{', '.join(OUTPUT_SUFFIXES)}", "bad_output", output)
        output_file(output, "--output", inputs=[input_file])
    if rejects is not None:
        rejects.check([input_file, output])
    counts: Counter[str] = Counter()
    options = {} if key is None else {"key": key}
    with chosen_policies(policy_engine, policy_ids, chosen.name), \
            _Sink(output, as_json, input_file,
                  when.tzinfo if isinstance(when, dt.datetime) else None) as sink:
        seen = 0
        place = _Places(source)
        for got in policy_engine.iter_tables(chosen.name, source, as_of=when, **options,
                                             bad_rows="raise" if rejects is None
                                             else "set_aside"):
            part, aside = (got, []) if rejects is None else (got.decided, [
                {**r, "file": input_file if r["file"] == source else r["file"]}
                for r in got.rejected.to_pylist()])
            outcome = "outcome" if "outcome" in part.column_names else "level"
            counts.update(str(o) for o in part.column(outcome).to_pylist())
            rows = {r["row"] for r in aside}  # (each row is decided or set aside, once)
            sink(part, [p for p in place(seen, part.num_rows + len(aside)) if p not in rows])
            seen += part.num_rows + len(aside)
            if rejects is not None:
                rejects.add(aside)
        place.close()
        if not seen:  # exit 0 says every decision is positive: none is not one of them
            raise InputError([InputProblem("", "no rows: expected a header and a row per "
                                               "input to evaluate", "bad_input",
                                           file=input_file)])
    total = sum(counts.values())
    said = ", ".join(f"{n:,} {o}" for o, n in sorted(counts.items()))
    err_console.print(f"{total:,} row(s) decided: {said or 'none'}"
                      + (f"; written to {output}" if output else ""), markup=False)
    return any(o in failing for o in counts)


class _Places:
    """The input file's own line (a CSV file's, as the row reader numbers it) or row (a
    Parquet file's, counting from 1) of each row of a chunk."""

    def __init__(self, path: str) -> None:
        from finpolicy.columnar.rejects import CsvLines

        self._lines = CsvLines(path) if path.lower().endswith(".csv") else None

    def __call__(self, seen: int, count: int) -> list[int]:
        rows = list(range(seen + 1, seen + count + 1))
        if self._lines is None or not rows:
            return rows
        lines = self._lines(rows)
        return [lines[r] for r in rows]

    def close(self) -> None:
        if self._lines is not None:
            self._lines.close()


Sink = Callable[[Any, list[int]], None]


def _row_name(part: Any) -> str:
    """The name of the column of the input's line or row: ``row``, or ``input_row`` when
    the decisions have a ``row`` of their own (a ``--key row``)."""
    return "input_row" if "row" in part.column_names else "row"


def _records(part: Any, places: list[int], zone: dt.tzinfo | None
             ) -> Iterator[dict[str, Any]]:
    name = _row_name(part)
    for place, record in zip(places, part.to_pylist(), strict=True):
        yield {name: place, **{k: at_zone(v, zone) for k, v in record.items()}}


class _Sink:
    """Where a table's decisions go, chunk by chunk: the terminal (text or ``--json``), or
    ``--output``'s file (written whole when every chunk is done)."""

    def __init__(self, output: str | None, as_json: bool, input_file: str,
                 zone: dt.tzinfo | None) -> None:
        self.output, self.as_json, self.input_file = output, as_json, input_file
        self.zone = zone  # (--as-of's: times are written at the offset it was given at)
        self.started = False
        self._stack: Any = None
        self._stream: IO[Any] | None = None
        self._writer: Any = None
        self._where = "line" if input_file.lower().endswith(".csv") else "row"

    def __enter__(self) -> Sink:
        from finpolicy.outputs import writing

        self._stack = contextlib.ExitStack()
        if self.output is not None:
            binary = self.output.lower().endswith(".parquet")
            self._stream = self._stack.enter_context(
                writing(self.output, "--output", binary=binary, inputs=[self.input_file]))
        return self._write

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            if kind is None:
                self._end()
        finally:
            self._stack.__exit__(kind, exc, tb)

    def _write(self, part: Any, places: list[int]) -> None:
        out = (self.output or "").lower()
        if out.endswith(".parquet"):
            self._parquet(part, places)
        elif out.endswith(".csv"):
            self._csv(part, places)
        elif out.endswith(".jsonl"):
            assert self._stream is not None
            for record in _records(part, places, self.zone):
                self._stream.write(json.dumps(plain_value(record), ensure_ascii=False) + "\n")
        elif out.endswith(".json") or self.as_json:
            self._json(part, places)
        else:
            self._text(part, places)
        self.started = True

    def _parquet(self, part: Any, places: list[int]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = part.add_column(0, _row_name(part), pa.array(places, pa.int64()))
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._stream, table.schema)
        self._writer.write_table(table)

    def _csv(self, part: Any, places: list[int]) -> None:
        assert self._stream is not None
        if self._writer is None:
            self._stream.write(BOM)  # Excel reads UTF-8 only after this mark
            self._writer = csv.writer(self._stream)
            self._writer.writerow([_row_name(part), *part.column_names])
        columns = [sheet_column(c.to_pylist(), self.zone) for c in part.columns]
        self._writer.writerows(zip(places, *columns, strict=True))

    def _json(self, part: Any, places: list[int]) -> None:
        stream = self._stream
        for record in _records(part, places, self.zone):
            text = textwrap.indent(json.dumps(plain_value(record), ensure_ascii=False,
                                              indent=2), "  ")
            text = ("[\n" if not self.started else ",\n") + text
            self.started = True
            if stream is None:
                click.echo(text, nl=False)
            else:
                stream.write(text)

    def _text(self, part: Any, places: list[int]) -> None:
        names = part.column_names
        outcome = "outcome" if "outcome" in names else "level"
        ids = [names[0]] if names[0] not in (outcome, "level") else []
        ids += [n for n in ("subject_id", "customer_id", "product_id", "complaint_id")
                if n in names and n not in ids]
        for place, record in zip(places, part.to_pylist(), strict=True):
            who = " ".join(sheet_cell(record[n]) for n in ids)
            rules = ", ".join(record.get("rule_ids") or [])
            # one line a row, whatever an id holds (a quoted line break, an escape code)
            click.echo(one_line(f"{self._where} {place}: {who + ' ' if who else ''}"
                                f"{record[outcome]}" + (f" ({rules})" if rules else "")))

    def _end(self) -> None:
        if self._writer is not None and self.output is not None \
                and self.output.lower().endswith(".parquet"):
            self._writer.close()
        json_out = self.as_json if self.output is None else \
            self.output.lower().endswith(".json")
        if json_out:
            text = "\n]\n" if self.started else "[]\n"
            if self._stream is None:
                click.echo(text, nl=False)
            else:
                self._stream.write(text)
COMMANDS = [evaluate]
