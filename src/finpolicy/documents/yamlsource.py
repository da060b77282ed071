"""Safe YAML loading that remembers where every node came from.

pydantic and the rule parser report problems by path (``spec.rules[2].when``); this module maps
such paths back to a line so every error can say ``file:line``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import yaml

from finpolicy.errors import Problem

Path = tuple[str | int, ...]


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
    """A parsed YAML document and the line of every path in it."""

    file: str
    data: Any
    lines: dict[Path, int]

    def line_of(self, path: Path) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def problem(self, path: Path, message: str, code: str) -> Problem:
        return Problem(self.file, self.line_of(path), format_path(path), message, code)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that never builds arbitrary objects; duplicate keys are errors."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key `{key}`", key_node.start_mark
            )
        seen[key] = True
    return loader.construct_mapping(node, deep=True)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay strings so that pydantic, not YAML, decides what a date is and reports it.
_LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines)


def parse_yaml(text: str, file: str) -> SourceDocument:
    """Parse one YAML document; raise ``yaml.YAMLError`` (with a mark) when it is malformed."""
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return SourceDocument(file, None, {(): 1})
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    _walk(node, (), lines)
    return SourceDocument(file, data, lines)


def yaml_problem(file: str, exc: yaml.YAMLError) -> Problem:
    """Turn a YAML syntax error into a problem with its line."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"invalid yaml: {what}" + (f" ({context})" if context else "")
    return Problem(file, line, "", message, "yaml_syntax")


def iter_paths(data: Any, path: Path = ()) -> Iterator[Path]:
    """Every path in a plain data tree (used by tests of the line map)."""
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from iter_paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from iter_paths(v, (*path, i))
