"""The notes a policy file keeps as YAML comments: where the pack interprets a vague source
or chooses between sources that disagree, the choice is written as a comment beside the rule,
setting or milestone it concerns (``# Interpretation: …``). A comment decides nothing, but a
reader of the published policy must see it: the site shows each note under its rule and lists
every note of a document with the place it stands.

Comments are found with PyYAML's scanner, so a ``#`` inside a quoted or block text is text,
not a comment. Tool directives (``yaml-language-server: …``, ``finpolicy-lint: …``) and
dividers (``# --- deny ---``) are not notes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import yaml

from finpolicy.documents.bundle import PolicyDocument

__all__ = ["Note", "comment_lines", "file_notes", "rule_notes"]

_DIRECTIVES = ("yaml-language-server:", "finpolicy-lint:")

Path = tuple[str | int, ...]


@attrs.frozen(slots=True)
class Note:
    """One comment block (or a comment at the end of a line) of a policy file.

    ``line`` is the 1-based line of its first line; ``path`` the key or list item it stands
    before (or beside), ``()`` for the whole document; ``rule`` the id of the rule whose entry
    holds it, if any."""

    line: int
    text: str
    path: Path
    rule: str | None = None
    names: tuple[str | None, ...] = ()  # the id or name of each list item along ``path``

    @property
    def place(self) -> str:
        """``spec.settings.assessment_valid_days``, ``spec.milestones[regulatory_decision]
        .restarted_by`` (a list item by its id or name), or ``the document`` for its head."""
        out = ""
        names = iter(self.names)
        for part in self.path:
            if isinstance(part, int):
                out += f"[{next(names, None) or part}]"
            else:
                out += f".{part}" if out else part
        return out or "the document"


def _covered(text: str) -> tuple[dict[int, int], set[int]]:
    """Per 0-based line, the column where the last token ending on it ends; and the lines a
    multi-line token (a block or quoted text) covers whole (those after its first and before
    its last)."""
    ends: dict[int, int] = {}
    inside: set[int] = set()
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            start, end = token.start_mark, token.end_mark
            inside.update(range(start.line + 1, end.line))
            ends[end.line] = max(ends.get(end.line, 0), end.column)
    except yaml.YAMLError:  # a loaded document scans; anything else has no notes to show
        return {}, set(range(text.count("\n") + 1))
    return ends, inside


def comment_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """``(line, comment, whole_line)`` for every comment of ``text`` (1-based lines, the text
    after ``#``; ``whole_line`` when nothing comes before it on its line)."""
    ends, inside = _covered(text)
    for number, line in enumerate(text.splitlines()):
        if number in inside:
            continue
        indent = len(line) - len(line.lstrip())
        after = ends.get(number, 0)
        if line.lstrip().startswith("#") and after <= indent:
            yield number + 1, line.lstrip()[1:].strip(), True
            continue
        rest = line[after:]
        if after and rest[:1].isspace() and rest.lstrip().startswith("#"):
            yield number + 1, rest.lstrip()[1:].strip(), False


def _blocks(text: str) -> list[tuple[int, int, str]]:
    """``(first line, line it belongs to, text)``: consecutive whole-line comments joined (a
    blank line or content ends a block), each belonging to the next line that holds content;
    a comment at the end of a line belongs to that line."""
    lines = text.splitlines()
    out: list[tuple[int, int, str]] = []
    block: list[tuple[int, str]] = []

    def close(owner: int) -> None:
        words = " ".join(t for _, t in block if t)
        if words:
            out.append((block[0][0], owner, words))
        block.clear()

    for number, comment, whole in comment_lines(text):
        if any(comment.startswith(d) for d in _DIRECTIVES) or comment.startswith("---"):
            continue  # a tool's directive, or a divider heading a group of entries
        if not whole:
            out.append((number, number, comment))
            continue
        if block and (number != block[-1][0] + 1):
            close(_next_content(lines, block[-1][0]))
        block.append((number, comment))
    if block:
        close(_next_content(lines, block[-1][0]))
    return out


def _next_content(lines: Sequence[str], after: int) -> int:
    """The 1-based number of the first line after line ``after`` that is neither blank nor a
    comment (the end of the file when there is none)."""
    for number in range(after, len(lines)):
        stripped = lines[number].strip()
        if stripped and not stripped.startswith("#"):
            return number + 1
    return len(lines) + 1


def _rule_at(doc: PolicyDocument[Any], path: Path) -> str | None:
    node: Any = doc.data
    found = None
    ids = set(doc.rule_ids)
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str) and node["id"] in ids:
            found = node["id"]
    return found if path[:1] == ("spec",) else None


def _item_names(data: Any, path: Path) -> tuple[str | None, ...]:
    """For each list index along ``path``, the item's ``id`` or ``name`` when it has one."""
    out: list[str | None] = []
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int):
            found = node.get("id", node.get("name")) if isinstance(node, dict) else None
            out.append(found if isinstance(found, str) else None)
    return tuple(out)


def file_notes(doc: PolicyDocument[Any]) -> list[Note]:
    """Every note of ``doc``'s file, in file order; none when its text is not at hand."""
    source = doc.source
    text = getattr(source, "text", None)
    if source is None or not isinstance(text, str):
        return []
    at_line: dict[int, Path] = {}
    for path, line in source.lines.items():
        if line not in at_line or len(path) < len(at_line[line]):
            at_line[line] = path
    out = []
    for first, owner, words in _blocks(text):
        path = at_line.get(owner, ())
        out.append(Note(first, words, path, _rule_at(doc, path), _item_names(doc.data, path)))
    return sorted(out, key=lambda n: n.line)


def rule_notes(doc: PolicyDocument[Any]) -> dict[str, list[Note]]:
    """Rule id → the notes its entry holds or that stand right before it."""
    out: dict[str, list[Note]] = {}
    for note in file_notes(doc):
        if note.rule is not None:
            out.setdefault(note.rule, []).append(note)
    return out
