"""``finpolicy eval DOMAIN FILE`` for a FILE of inputs, not a table: JSON lines (``.jsonl``,
``.ndjson``), or one JSON or YAML document (one input or a list of them).

Each input is decided, and its decisions printed (or explained, with ``--why``), before the
next is read: a JSON-lines export of a night's requests is read a line at a time, as a
table is read a chunk at a time, and never held whole (100,000 lines once took a gigabyte).
``--json`` prints one JSON list all the same, each decision as it comes. An invalid input
stops the command at its line (exit 3), after the decisions of the inputs before it.
"""

from __future__ import annotations

import functools
import json
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import click

from finpolicy.cli.common import chosen_policies, console, domain_code, shown
from finpolicy.domains.base import Domain
from finpolicy.errors import InputError, InputProblem
from finpolicy.readers import Located, iter_json_lines, read_located

__all__ = ["evaluate_inputs"]

Locate = Callable[[InputError], InputError]
"""What names the file, and the line in it, of an input's error."""


def evaluate_inputs(policy_engine: Any, chosen: Domain, input_file: str, form: str,
                    when: Any, policy_ids: tuple[str, ...], *, as_json: bool, why: bool,
                    trace: bool, failing: frozenset[str]) -> bool:
    """Decide the inputs of a JSON, YAML or JSON-lines file one at a time, printing each
    one's decisions (or explanation) as it is decided; whether any has an outcome of
    ``failing`` (a refusal, or one ``--fail-on`` names)."""
    refused = False
    count = 0
    printer = _Printer(as_json)
    with chosen_policies(policy_engine, policy_ids, chosen.name) as runtime:
        for item, locate in _inputs(input_file, form):
            count += 1
            try:  # evaluated first with --why too: an input is refused exactly as without it
                with domain_code(chosen.name, "evaluate_input"):
                    decisions = chosen.evaluate_input(runtime, item, as_of=when)
            except InputError as exc:  # named in the file, at the field's line
                raise locate(exc) from None
            if why or trace:
                from finpolicy.explain import explain

                explanation = explain(runtime, chosen.name, item, as_of=when)
                outcomes = [explanation.outcome]
                printer(explanation.to_dict(detail=trace),
                        functools.partial(explanation.text, detail=trace))
            else:
                outcomes = [d.outcome for d in decisions]
                for decision in decisions:
                    printer(decision.to_dict(), decision.explain)
            refused = refused or any(o in failing for o in outcomes)
    if not count:  # exit 0 says every decision is positive: none is not one of them
        what = "no input (every line is blank)" if form == "lines" else "an empty list"
        raise InputError([InputProblem("", f"{what}: expected an input or a list of "
                                           "inputs to evaluate", "bad_input",
                                       file=input_file, line=1)])
    printer.end()
    return refused


def _inputs(input_file: str, form: str) -> Iterator[tuple[Any, Locate]]:
    """Each input of the file, read as it is asked for (a JSON-lines file a line at a
    time), with what locates its error in the file."""
    if form == "lines":
        for number, item in iter_json_lines(input_file):
            yield item, functools.partial(_at_line, input_file, number)
        return
    document = read_located(input_file)
    data = document.data
    if not isinstance(data, list):
        yield data, lambda exc: document.located(exc, ())
        return
    for i, item in enumerate(data):
        yield item, functools.partial(_in_list, document, i)


def _at_line(input_file: str, number: int, exc: InputError) -> InputError:
    return InputError([p if p.file is not None else p.located(input_file, number)
                       for p in exc.problems], model=exc.model)


def _in_list(document: Located, index: int, exc: InputError) -> InputError:
    return document.located(exc, (index,))


class _Printer:
    """Prints decisions one at a time: each as text followed by a blank line, or, with
    ``--json``, as an item of one JSON list (opened at the first, closed by ``end``), the
    list ``json.dumps(..., indent=2)`` prints."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.started = False

    def __call__(self, data: dict[str, Any], text: Callable[[], str]) -> None:
        if self.as_json:
            item = textwrap.indent(json.dumps(data, ensure_ascii=False, indent=2,
                                              default=str), "  ")
            click.echo(("[\n" if not self.started else ",\n") + item, nl=False)
        else:
            console.print(shown(text()), markup=False, highlight=False)
            console.print()
        self.started = True

    def end(self) -> None:
        if self.as_json:
            click.echo("\n]" if self.started else "[]")
