"""Long flow collections (``{all: [{...}, {...}]}``) wrapped between entries.

ruamel's emitter wraps a flow collection wherever its column passes the width, so it may break
inside an entry: between a key and its value (``{field:`` / ``request.action, eq: export}``)
or inside a text. A flow collection it broke so is laid out again here: on one line, then cut
after the commas that separate entries, the outermost that fit first, each following line
aligned after the bracket the cut is in. A collection ruamel broke only between entries, or
not at all, is left as it is, but for a comment after it that the wrapping left far to the
right, which is brought back to two spaces after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import yaml

__all__ = ["wrap_flow"]

_OPEN = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)
_CLOSE = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)
_NO_SPACE_BEFORE = (*_CLOSE, yaml.FlowEntryToken, yaml.ValueToken)


@dataclass(frozen=True)
class _Cut:
    """A place after a comma where a line may end: its offset in the one-line text, how deep
    in brackets it is, and the offset just after its innermost open bracket."""

    at: int
    depth: int
    align: int


def wrap_flow(text: str, width: int) -> str:
    """``text`` with every top-level flow collection that is broken inside an entry laid out
    again between entries, within ``width`` columns where the entries allow."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        tokens = list(yaml.scan(text, Loader=loader))
    except yaml.YAMLError:
        return text
    for group in reversed(_groups(tokens)):
        text = _rewrap(text, group, width)
    return text


def _groups(tokens: list[yaml.Token]) -> list[list[yaml.Token]]:
    """The tokens of each outermost flow collection, in order."""
    groups: list[list[yaml.Token]] = []
    depth = 0
    for token in tokens:
        if isinstance(token, _OPEN):
            if depth == 0:
                groups.append([])
            depth += 1
        if depth:
            groups[-1].append(token)
        if isinstance(token, _CLOSE):
            depth -= 1
    return [g for g in groups if g and isinstance(g[-1], _CLOSE)]


def _broken_inside(text: str, group: list[yaml.Token]) -> bool:
    """Whether a line ends inside an entry: anywhere but after a comma or inside a text (a
    long text folded over lines stays so)."""
    return any(after.start_mark.line > before.end_mark.line
               and not isinstance(before, yaml.FlowEntryToken)
               for before, after in pairwise(group))


def _one_line(text: str, group: list[yaml.Token]) -> tuple[str, list[_Cut]] | None:
    """The collection on one line and where it may be cut; ``None`` when a comment or a
    continued text sits inside it (it is left as written)."""
    out = ""
    cuts: list[_Cut] = []
    opened: list[int] = []
    previous: yaml.Token | None = None
    for token in group:
        if previous is not None:
            gap = text[previous.end_mark.index:token.start_mark.index]
            if "#" in gap:
                return None
        piece = text[token.start_mark.index:token.end_mark.index]
        if not piece:
            continue  # a key's marker takes no room
        if "\n" in piece:
            return None  # a text folded over lines: laid out again it would run on
        if out and not isinstance(token, _NO_SPACE_BEFORE) and out[-1] not in "[{":
            out += " "
        out += piece
        if isinstance(token, _OPEN):
            opened.append(len(out))
        elif isinstance(token, _CLOSE):
            opened.pop()
        elif isinstance(token, yaml.FlowEntryToken):
            cuts.append(_Cut(len(out), len(opened), opened[-1]))
        previous = token
    return out, cuts


def _layout(line: str, column: int, cuts: list[_Cut], width: int) -> list[tuple[int, str]]:
    """``line``, starting at ``column``, cut into rows (each with its indent) of at most
    ``width`` columns where the cuts allow: at the outermost cut that fits, the last of those."""
    rows: list[tuple[int, str]] = []
    starts: list[tuple[int, int]] = []  # (offset in ``line``, column) where each row begins
    start, indent = 0, column
    while indent + len(line) - start > width:
        starts.append((start, indent))
        ahead = [c for c in cuts if c.at > start]
        if not ahead:
            break
        fits = [c for c in ahead if indent + c.at - start <= width]
        outer = min(c.depth for c in fits or ahead)
        cut = (max if fits else min)((c for c in fits or ahead if c.depth == outer),
                                     key=lambda c: c.at)
        rows.append((indent, line[start:cut.at]))
        start = cut.at + 1 if line[cut.at:cut.at + 1] == " " else cut.at
        # the next row begins just after the bracket the cut is in, wherever that now is
        row_start, row_column = next(s for s in reversed(starts) if s[0] <= cut.align)
        indent = row_column + cut.align - row_start
    rows.append((indent, line[start:]))
    return rows


def _rewrap(text: str, group: list[yaml.Token], width: int) -> str:
    """``text`` with the collection of ``group`` laid out again, if it is broken inside an
    entry and holds no comment."""
    if not _broken_inside(text, group):
        return _comment_pulled_in(text, group, width)
    built = _one_line(text, group)
    if built is None:
        return text
    line, cuts = built
    begin, end = group[0].start_mark.index, group[-1].end_mark.index
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    rest = text[end:line_end].strip()
    if rest and not rest.startswith("#"):
        return text
    rows = _layout(line, group[0].start_mark.column, cuts, width)
    laid = "\n".join(" " * indent + row if i else row for i, (indent, row) in enumerate(rows))
    return text[:begin] + laid + ("  " + rest if rest else "") + text[line_end:]


def _comment_pulled_in(text: str, group: list[yaml.Token], width: int) -> str:
    """``text`` with the comment after a collection wrapped over lines brought back to two
    spaces after it, when the column it had on the author's one long line puts it past
    ``width`` (``sixteen]`` followed by 90 spaces and ``# note``)."""
    if group[0].start_mark.line == group[-1].end_mark.line:
        return text
    end = group[-1].end_mark.index
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    rest = text[end:line_end]
    line_start = text.rfind("\n", 0, end) + 1
    if not rest.lstrip().startswith("#") or len(rest) - len(rest.lstrip()) <= 2 \
            or line_end - line_start <= width:
        return text
    return text[:end] + "  " + rest.lstrip() + text[line_end:]
