"""The README's command list is true to the CLI: every command and subcommand it names exists,
and every option it names is one of that command's current (not deprecated) options."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from finpolicy.cli import main

README = Path(__file__).parents[2] / "README.md"
_OPTION = re.compile(r"(?<![\w-])(--?[a-z][\w-]*)")


def listed() -> list[tuple[list[str], list[str]]]:
    """``(command words, options named)`` of each entry of the README's command list."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## Command line", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    entries: list[tuple[list[str], list[str]]] = []
    for line in block.splitlines():
        if line.startswith("finpolicy "):
            usage = re.split(r"\s{2,}", line, maxsplit=1)[0].split()[1:]
            words: list[str] = []
            for token in usage:
                if not re.fullmatch(r"[a-z][a-z|-]*", token):
                    break
                words.append(token)
            entries.append((words, []))
        if entries:
            entries[-1][1].extend(_OPTION.findall(line))
    return entries


def resolve(words: list[str]) -> list[click.Command]:
    """The commands ``words`` name (``lock|sign|verify`` names three)."""
    found: list[click.Command] = [main]
    for word in words:
        nxt: list[click.Command] = []
        for command in found:
            if not isinstance(command, click.Group):
                nxt.append(command)  # an argument's word, such as `bundle lock PACK`
                continue
            ctx = click.Context(command)
            for name in word.split("|"):
                sub = command.get_command(ctx, name)
                assert sub is not None, f"README names `finpolicy … {name}`: no such command"
                nxt.append(sub)
        found = nxt
    return found


def options_of(command: click.Command) -> set[str]:
    names: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and \
                "deprecated" not in (param.help or "").lower():
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def test_the_readme_lists_commands() -> None:
    assert len(listed()) >= 15


@pytest.mark.parametrize("words, options", listed(), ids=lambda v: " ".join(v)
                         if isinstance(v, list) else None)
def test_each_listed_command_and_option_exists(words: list[str], options: list[str]) -> None:
    commands = resolve(words)
    for command in commands:
        assert not isinstance(command, click.Group), \
            f"README: `finpolicy {' '.join(words)}` is a group of commands, not one"
        known = options_of(command)
        for option in options:
            assert option in known, \
                f"README: `finpolicy {' '.join(words)}` has no current option {option}"
