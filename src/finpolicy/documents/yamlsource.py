"""Safe, bounded YAML loading that remembers where every node came from.

pydantic and the rule parser report problems by path (``spec.rules[2].when``); this module maps
such paths back to a line so every error can say ``file:line``.

A policy file is untrusted input, so loading is total and bounded: it returns plain data
(``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``) or raises a
``yaml.YAMLError`` with a line, and never anything else. The parser is libyaml's (PyYAML's C
parser) when PyYAML was built with it, else PyYAML's own; this module builds the data from its
events itself, so that it can enforce these limits (the docs' security page lists them):

- a file holds at most ``MAX_FILE_BYTES`` (16 MiB) and ``MAX_NODES`` (1,000,000) values;
- collections nest at most ``MAX_DEPTH`` (64) levels deep;
- aliases (``*name``) are allowed, but all the aliases of a file together may stand for at most
  ``MAX_ALIAS_NODES`` (100,000) values (so a few hundred bytes cannot expand into gigabytes),
  and an alias may not point into the collection that contains it; merge keys (``<<``) are
  refused;
- only the plain tags are accepted: ``str int float bool null seq map`` (``!!set``,
  ``!!binary``, ``!!timestamp``, ``!!omap``, ``!!python/...`` and custom tags are errors);
- numbers are finite: ``.nan``, ``.inf`` and floats that overflow are errors, and integers
  have at most 19 digits (quote a longer code to keep it text) and no leading 0 (``065`` is
  octal 53 in YAML 1.1, never what its author meant);
- dates stay strings, so that pydantic, not YAML, decides what a date is and reports it;
- duplicate keys, and keys that are lists or mappings, are errors.

The line map is built only when a line is asked for (an error is being reported), by a second
pass over the events; it records an alias's own line and never follows it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import yaml
from yaml import events as ev

from finpolicy.documents.yamlscalars import MAP_TAG, RESOLVERS, SEQ_TAG, scalar_value, shorten
from finpolicy.errors import Problem

Path = tuple[str | int, ...]

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_NODES = 1_000_000
MAX_DEPTH = 64
MAX_ALIAS_NODES = 100_000

_Loader: type[Any] = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


class YamlLimitError(yaml.MarkedYAMLError):  # type: ignore[misc, unused-ignore]
    """A file that is valid YAML but outside what a policy file may hold.

    Attributes:
        code: the stable error code (``yaml_alias``, ``yaml_tag``, ``yaml_depth``...).
        path: where in the document, when known.
    """

    def __init__(self, message: str, mark: Any, *, code: str, path: Path = ()) -> None:
        super().__init__(problem=message, problem_mark=mark)
        self.code = code
        self.path = path


def format_path(path: Path) -> str:
    """Render ``("spec", "rules", 2, "when")`` as ``spec.rules[2].when``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@attrs.frozen(slots=True)
class SourceDocument:
    """A parsed YAML document and the line of every path in it.

    ``lines`` is given, or built from ``text`` the first time a line is asked for.
    """

    file: str
    data: Any
    _lines: Mapping[Path, int] | None = None
    text: str | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)
    _built: dict[str, Mapping[Path, int]] = attrs.field(factory=dict, init=False, eq=False,
                                                        repr=False)

    @property
    def lines(self) -> Mapping[Path, int]:
        """Path → 1-based line of every key and list item (an alias's own line)."""
        if self._lines is not None:
            return self._lines
        if "lines" not in self._built:
            self._built["lines"] = line_map(self.text) if self.text is not None else {(): 1}
        return self._built["lines"]

    def line_of(self, path: Path) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        lines = self.lines
        path = tuple(path)
        while path:
            if path in lines:
                return lines[path]
            path = path[:-1]
        return lines.get((), 1)

    def problem(self, path: Path, message: str, code: str) -> Problem:
        return Problem(self.file, self.line_of(path), format_path(path), message, code)


def parse_yaml(text: str, file: str,
               duplicates: list[YamlLimitError] | None = None) -> SourceDocument:
    """Parse one YAML document within the limits above; given ``duplicates``, a duplicate key
    is appended there (its first value kept) instead of raised, so the rest of the file is
    still checked.

    Raises:
        yaml.YAMLError: the text is not YAML (with a mark), or a ``YamlLimitError``.
    """
    try:
        too_large = len(text) > MAX_FILE_BYTES or len(text.encode("utf-8")) > MAX_FILE_BYTES
    except UnicodeEncodeError as exc:
        raise YamlLimitError(f"text holds a lone surrogate at character {exc.start} (not "
                             "Unicode text)", None, code="yaml_syntax") from None
    if too_large:
        raise YamlLimitError(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB", None,
                             code="file_too_large")
    data = load_data(text, duplicates=duplicates)
    return SourceDocument(file, data, None if data is not None else {(): 1}, text=text)


def load_data(text: str, max_nodes: int | None = None, *,
              duplicates: list[YamlLimitError] | None = None) -> Any:
    """The plain data of the one YAML document of ``text``, within the limits above but the
    file size (input files have their own), at most ``max_nodes`` values (``MAX_NODES``);
    ``duplicates``: see ``parse_yaml``."""
    loader = _Loader(text)
    try:
        return _Builder(loader, max_nodes or MAX_NODES, duplicates).document()
    finally:
        loader.dispose()


def yaml_problem(file: str, exc: yaml.YAMLError, text: str | None = None) -> Problem:
    """Turn a YAML error into a problem with its line (and, given the ``text``, says so when
    a tab is what the parser stumbled on)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    if isinstance(exc, YamlLimitError):
        return Problem(file, line, format_path(exc.path), str(exc.problem), exc.code)
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"invalid yaml: {what}" + (f" ({context})" if context else "")
    if text is not None and mark is not None and _tab_at(text, mark.line, mark.column):
        message = f"invalid yaml: a tab where YAML takes only spaces (indent with spaces); {what}"
    else:
        message += _syntax_hint(what, context, getattr(exc, "context_mark", None), mark, text)
    return Problem(file, line, "", message, "yaml_syntax")


def _syntax_hint(what: str, context: str | None, opened: Any, mark: Any,
                 text: str | None) -> str:
    """What a newcomer most likely wrote, for the parser's usual complaints."""
    start = f" on line {opened.line + 1}" if opened is not None else ""
    if "mapping values are not allowed" in what:
        return ("; a `: ` inside a value starts a key: put the value in quotes (reason: "
                "\"Note: ...\"), or indent the line as the keys beside it are")
    if "expected key" in what or "expected <block end>" in what:
        row = text.splitlines()[mark.line] if text and mark and mark.line < len(
            text.splitlines()) else ""
        if row.count("'") >= 3:
            return "; a text in ' quotes holds a ': write it twice ('it''s') or use \" quotes"
        return f"; this line is indented unlike the keys of the mapping that starts{start}"
    if "'-' indicator" in what:
        return f"; this line is indented unlike the items of the list that starts{start}"
    if context is not None and "quoted scalar" in context:
        return f"; the quoted text that starts{start} is never closed"
    if context is not None and "flow" in context:
        return f"; the bracket that opens{start} is never closed, or a `,` is missing"
    if "cannot start any token" in what and text is not None and mark is not None:
        char = text[mark.index:mark.index + 1] if mark.index < len(text) else ""
        if char and not char.isspace():
            return f"; `{char}` cannot start a value: put the value in quotes"
    return ""


def _tab_at(text: str, line: int, column: int) -> bool:
    """Whether the parser's mark is on a tab, or in a line indented with one."""
    lines = text.splitlines()
    if not 0 <= line < len(lines):
        return False
    row = lines[line]
    indent = row[:len(row) - len(row.lstrip(" \t-"))]
    return "\t" in indent or row[column:column + 1] == "\t"


# --- the builder -----------------------------------------------------------------------------

_EMPTY = object()
_DROPPED = object()  # the key of a duplicate whose value is left out
_COLLECTION_TAGS = {None, "!", MAP_TAG, SEQ_TAG}


class _Frame:
    """An open collection: what has been built so far and how many values it holds."""

    __slots__ = ("anchor", "container", "is_map", "key", "size")

    def __init__(self, container: dict[Any, Any] | list[Any], anchor: str | None) -> None:
        self.container = container
        self.is_map = isinstance(container, dict)
        self.anchor = anchor
        self.key: Any = _EMPTY
        self.size = 1


class _Builder:
    """Builds plain data from parser events, enforcing the limits of the module."""

    def __init__(self, loader: Any, max_nodes: int,
                 duplicates: list[YamlLimitError] | None = None) -> None:
        self.loader, self.max_nodes, self.duplicates = loader, max_nodes, duplicates
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.alias_nodes = 0

    def fail(self, message: str, mark: Any, code: str) -> YamlLimitError:
        path: list[str | int] = []
        for frame in self.stack:
            if not frame.is_map:
                path.append(len(frame.container))
            elif frame.key is not _EMPTY and isinstance(frame.key, str | int):
                path.append(frame.key)
        return YamlLimitError(message, mark, code=code, path=tuple(path))

    def document(self) -> Any:
        """The data of the single document of the stream (``None`` for an empty stream)."""
        get = self.loader.get_event
        get()  # stream start
        if isinstance(get(), ev.StreamEndEvent):
            return None
        stack = self.stack
        scalar, alias = ev.ScalarEvent, ev.AliasEvent
        mapping_start, sequence_start = ev.MappingStartEvent, ev.SequenceStartEvent
        ends = (ev.MappingEndEvent, ev.SequenceEndEvent)
        resolvable = RESOLVERS.keys()
        nodes = 0
        root: Any = None
        frame: _Frame | None = None
        while True:
            event = get()
            kind = event.__class__
            size = 1
            if kind is scalar:
                nodes += 1
                if nodes > self.max_nodes:
                    raise self.too_many(event)
                value = event.value
                # the common case, plain text, stays out of the slower typed path
                if event.tag is not None or (event.implicit[0] and value[:1] in resolvable):
                    value = self.typed(event)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1)
            elif kind is mapping_start or kind is sequence_start:
                nodes += 1
                if nodes > self.max_nodes:
                    raise self.too_many(event)
                frame = self.start(event, kind is mapping_start)
                continue
            elif kind in ends:
                value, size = self.end()
                frame = stack[-1] if stack else None
            elif kind is alias:
                value, size = self.alias(event, frame)
            else:  # document end
                break
            if frame is None:
                root = value
                continue
            frame.size += size
            if not frame.is_map:
                frame.container.append(value)  # type: ignore[union-attr]
            elif frame.key is _EMPTY:
                frame.key = self.new_key(frame, value, event)
            else:
                if frame.key is not _DROPPED:
                    frame.container[frame.key] = value  # type: ignore[call-overload, unused-ignore]
                frame.key = _EMPTY
        if not isinstance(get(), ev.StreamEndEvent):
            raise self.fail("expected a single document, found several", event.end_mark,
                            "yaml_syntax")
        return root

    def new_key(self, frame: _Frame, value: Any, event: Any) -> Any:
        """``value`` as the next key of ``frame``; a duplicate raises, or is recorded and its
        value dropped (``_DROPPED``) when the builder collects duplicates."""
        if value not in frame.container:
            return value
        error = self.fail(f"duplicate key `{shorten(str(value))}`", event.start_mark,
                          "duplicate_key")
        if self.duplicates is None:
            raise error
        self.duplicates.append(error)
        return _DROPPED

    def too_many(self, event: Any) -> YamlLimitError:
        return self.fail(f"more than {self.max_nodes:,} values in one file", event.start_mark,
                         "yaml_too_many_nodes")

    def end(self) -> tuple[Any, int]:
        """Close the innermost collection: its value and how many values it stands for."""
        done = self.stack.pop()
        if done.anchor is not None:
            self.open_anchors.discard(done.anchor)
            self.anchors[done.anchor] = (done.container, done.size)
        return done.container, done.size

    def typed(self, event: ev.ScalarEvent) -> Any:
        try:
            return scalar_value(event)
        except ValueError as exc:
            code = "yaml_tag" if "tag" in str(exc) or "merge" in str(exc) else "yaml_number"
            raise self.fail(str(exc), event.start_mark, code) from None

    def start(self, event: ev.CollectionStartEvent, mapping: bool) -> _Frame:
        tag = event.tag
        if tag not in _COLLECTION_TAGS or tag == (SEQ_TAG if mapping else MAP_TAG):
            raise self.fail(f"tag `{shorten(str(tag))}` is not accepted (only str, int, float, "
                            "bool, null, seq and map)", event.start_mark, "yaml_tag")
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(f"collections nested more than {MAX_DEPTH} levels deep",
                            event.start_mark, "yaml_depth")
        if self.stack and self.stack[-1].is_map and self.stack[-1].key is _EMPTY:
            raise self.fail("a key must be text, a number or a boolean, not a collection",
                            event.start_mark, "yaml_key")
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        frame = _Frame({} if mapping else [], event.anchor)
        self.stack.append(frame)
        return frame

    def alias(self, event: ev.AliasEvent, frame: _Frame | None) -> tuple[Any, int]:
        name = event.anchor
        if name in self.open_anchors:
            raise self.fail(f"alias `*{name}` points into the collection that contains it",
                            event.start_mark, "yaml_alias")
        if name not in self.anchors:
            raise self.fail(f"alias `*{name}` names no anchor before it", event.start_mark,
                            "yaml_alias")
        value, size = self.anchors[name]
        self.alias_nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise self.fail(f"aliases expand to more than {MAX_ALIAS_NODES:,} values",
                            event.start_mark, "yaml_alias")
        if frame is not None and frame.is_map and frame.key is _EMPTY \
                and isinstance(value, dict | list):
            raise self.fail("a key must be text, a number or a boolean, not a collection",
                            event.start_mark, "yaml_key")
        return value, size


# --- the line map ----------------------------------------------------------------------------

def line_map(text: str) -> dict[Path, int]:
    """Path → 1-based line, from the events of ``text`` (which must parse)."""
    lines: dict[Path, int] = {}
    loader = _Loader(text)
    stack: list[_Open] = []
    try:
        while loader.check_event():
            event = loader.get_event()
            kind = event.__class__
            if kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
                stack.pop()
                if stack:
                    stack[-1].done()
                continue
            if kind not in (ev.ScalarEvent, ev.AliasEvent, ev.MappingStartEvent,
                            ev.SequenceStartEvent):
                continue
            line = event.start_mark.line + 1
            path = stack[-1].place(event, line, lines) if stack else ()
            if not stack:
                lines[()] = line
            if kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
                stack.append(_Open(path, kind is ev.MappingStartEvent))
            elif stack:
                stack[-1].done()
    finally:
        loader.dispose()
    return lines


class _Open:
    """A collection open in the line-map pass: its path and where the next node goes."""

    __slots__ = ("index", "key", "mapping", "path", "want_value")

    def __init__(self, path: Path, mapping: bool) -> None:
        self.path, self.mapping = path, mapping
        self.index, self.key, self.want_value = 0, None, False

    def place(self, event: Any, line: int, lines: dict[Path, int]) -> Path:
        """Record the line of the node ``event`` starts; return its path."""
        if not self.mapping:
            path = (*self.path, self.index)
            lines[path] = line
            return path
        if self.want_value:
            return (*self.path, self.key if isinstance(self.key, str | int) else "<key>")
        try:
            self.key = scalar_value(event) if isinstance(event, ev.ScalarEvent) else None
        except ValueError:
            self.key = event.value
        if self.key is not None:
            lines[(*self.path, self.key)] = line
        return (*self.path, "<key>")

    def done(self) -> None:
        """A node of this collection is complete."""
        if not self.mapping:
            self.index += 1
        else:
            self.want_value = not self.want_value


def iter_paths(data: Any, path: Path = ()) -> Iterator[Path]:
    """Every path in a plain data tree (used by tests of the line map)."""
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from iter_paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from iter_paths(v, (*path, i))
