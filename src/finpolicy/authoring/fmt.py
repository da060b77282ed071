"""``finpolicy fmt``: policy YAML in one canonical layout, comments kept.

The layout: mappings indented by 2, list items by 4 with the dash at 2 (``  - id: …``), the
keys of the envelope, of ``metadata``, of sources and of rules in a fixed order (``apiVersion
kind metadata spec``; ``id when …effect… obligations reason cite``), one space after ``:``
and ``-``, no trailing spaces, one newline at the end. What the author chose stays: flow or
block style of each collection, quotes, folded text, line breaks inside long text and every
comment. A mapping whose keys carry comment lines between them keeps its key order (a comment
line belongs to the key below it, and moving keys would move it to another).

Formatting is checked before anything is written: the formatted text must load (with
finpolicy's own loader) to exactly the data the original did; a file where it would not is
refused, never rewritten. Formatting a formatted file changes nothing.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.resolver import VersionedResolver

from finpolicy.authoring.flowwrap import wrap_flow
from finpolicy.authoring.schema import MODELINE, modeline
from finpolicy.documents.bundle import link_target
from finpolicy.documents.yamlsource import parse_yaml, yaml_problem
from finpolicy.errors import FinpolicyError
from finpolicy.outputs import write_output

__all__ = ["FormatError", "format_paths", "format_text", "policy_files"]

_ENVELOPE = ("apiVersion", "kind", "metadata", "spec")
_METADATA = ("id", "version", "title", "effective_from", "effective_until", "jurisdiction",
             "owner", "description", "sources")
_SOURCE = ("id", "title", "article", "url")
_WIDTH = 96
_MANIFEST = ("name", "version", "jurisdiction", "description")
# a rule: what identifies it and when it applies first, then what it does, then why
_RULE_FIRST = ("id", "target", "when")
_RULE_LAST = ("obligations", "reason", "cite")


class FormatError(FinpolicyError, ValueError):
    """A file cannot be formatted (not YAML, or formatting would change its data)."""


class _Resolver(VersionedResolver):
    """ruamel's resolver without timestamps: a date stays the text the author wrote (so
    ``2026-02-30`` is kept for ``finpolicy validate`` to report, as finpolicy's own loader
    keeps dates, instead of failing to become a date)."""

    def add_version_implicit_resolver(self, version: Any, tag: Any, regexp: Any,
                                      first: Any) -> None:
        if not str(tag).endswith(":timestamp"):
            super().add_version_implicit_resolver(version, tag, regexp, first)


def _yaml() -> YAML:
    rt = YAML(typ="rt")
    rt.Resolver = _Resolver
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.width = _WIDTH  # with the indentation, lines stay within 100 columns
    # a condition inside a list keeps its braces ({all: [...]}, not a bare all: [...])
    rt.brace_single_entry_mapping_in_flow_sequence = True
    rt.preserve_quotes = True
    rt.allow_duplicate_keys = False
    return rt


def _order(key: Any, first: Sequence[str], last: Sequence[str] = ()) -> tuple[int, int]:
    if key in first:
        return (0, first.index(key))
    if key in last:
        return (2, last.index(key))
    return (1, 0)


def _has_comment_lines(node: CommentedMap) -> bool:
    """Whether a comment line sits between two keys (it would move with a key)."""
    for entry in node.ca.items.values():
        for token in entry[2:] if isinstance(entry, list) else ():
            tokens = token if isinstance(token, list) else [token]
            for item in tokens:
                value = getattr(item, "value", "") or ""
                if "\n" in value.rstrip("\n") or value.lstrip(" ").startswith("\n"):
                    return True
    return False


def _reorder(node: CommentedMap, first: Sequence[str], last: Sequence[str] = ()) -> None:
    keys = list(node)
    wanted = sorted(keys, key=lambda k: _order(k, first, last))  # stable: others keep order
    if wanted == keys or _has_comment_lines(node):
        return
    items = [(k, node[k]) for k in wanted]
    for key in keys:
        del node[key]
    for key, value in items:
        node[key] = value


def _canonical(data: Any, *, manifest: bool) -> None:
    if not isinstance(data, CommentedMap):
        return
    if manifest:
        _reorder(data, _MANIFEST)
        return
    _reorder(data, _ENVELOPE)
    metadata = data.get("metadata")
    if isinstance(metadata, CommentedMap):
        _reorder(metadata, _METADATA)
        for source in metadata.get("sources") or ():
            if isinstance(source, CommentedMap):
                _reorder(source, _SOURCE)
    for rule in _rules(data.get("spec")):
        _reorder(rule, _RULE_FIRST, _RULE_LAST)


def _rules(node: Any) -> Iterator[CommentedMap]:
    """Every mapping with an ``id`` and a ``when`` (a rule of any kind), anywhere."""
    if isinstance(node, CommentedMap):
        if "id" in node and "when" in node:
            yield node
        for value in node.values():
            yield from _rules(value)
    elif isinstance(node, CommentedSeq):
        for value in node:
            yield from _rules(value)


def _load_plain(text: str, name: str) -> Any:
    try:
        return parse_yaml(text, name).data
    except yaml.YAMLError as exc:
        # worded as `finpolicy validate` words it (a tab, a `: ` inside a value …)
        why = yaml_problem(name, exc, text).message.removeprefix("invalid yaml: ")
        raise FormatError(f"{_where(exc, name)}: not valid YAML: {why}") from exc


def _where(exc: Exception, name: str) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"{name}:{mark.line + 1}" if mark is not None else name


def _problem(exc: Exception) -> str:
    return getattr(exc, "problem", None) or " ".join(str(exc).split())


def _unreadable(exc: RuamelError, name: str) -> FormatError:
    """The file loads but ruamel cannot read it: say where and why, not "not valid YAML"."""
    problem = _problem(exc)
    hint = " (a tab inside a value: write spaces, or quote the text)" if "\\t" in problem else ""
    return FormatError(f"{_where(exc, name)}: fmt cannot read this YAML: {problem}{hint}; "
                       "the file is left as it is")


def _untabbed(text: str) -> str:
    """``text`` with the tabs that separate tokens (``key:\tvalue``, ``value\t# note``) made
    spaces: finpolicy's loader (libyaml) reads them, ruamel's scanner does not. A tab inside a
    value or a comment is kept; the data check after formatting guards the rest."""
    if "\t" not in text:
        return text
    ends: list[tuple[int, int]] = []
    try:
        for token in yaml.scan(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            ends.append((token.start_mark.index, token.end_mark.index))
    except yaml.YAMLError:
        return text
    chars = list(text)
    gap_start = 0
    for start, end in [*ends, (len(text), len(text))]:
        in_comment = False
        for i in range(gap_start, max(start, gap_start)):
            if chars[i] == "#":
                in_comment = True
            elif chars[i] == "\n":
                in_comment = False
            elif chars[i] == "\t" and not in_comment:
                chars[i] = " "
        gap_start = max(gap_start, end)
    return "".join(chars)


def _with_modeline(text: str, data: Any, schemas: str | None, *, manifest: bool) -> str:
    if schemas is None:
        return text
    kind = None if manifest else (data.get("kind") if isinstance(data, dict) else None)
    if not manifest and not isinstance(kind, str):
        return text
    lines = [line for line in text.splitlines(keepends=True)
             if not line.startswith(MODELINE)]
    return modeline(kind, schemas) + "\n" + "".join(lines)


def _kind(value: Any) -> str:
    return ("a list" if isinstance(value, list) else "true or false" if isinstance(value, bool)
            else "a number" if isinstance(value, int | float) else "a text")


def format_text(text: str, name: str = "<text>", *, schemas: str | None = None) -> str:
    """``text`` in the canonical layout (``schemas``: also point its first line at the schema
    folder ``schemas``, relative to the file).

    Raises:
        FormatError: the text is not YAML or not a mapping (an empty file, a list, a plain
            text is no policy file), or the layout would change its data.
    """
    manifest = Path(name).name == "bundle.yaml"
    before = _load_plain(text, name)
    if not isinstance(before, dict):  # it became `null\n...` or `text\n...`
        raise FormatError(f"{name}: " + (
            "empty (no YAML document): not a policy file" if before is None else
            f"not a policy file: expected a mapping of keys, got {_kind(before)}"))
    rt = _yaml()
    try:
        data = rt.load(_untabbed(text))
    except RuamelError as exc:
        raise _unreadable(exc, name) from exc
    _canonical(data, manifest=manifest)
    out = io.StringIO()
    rt.dump(data, out)
    formatted = "\n".join(line.rstrip() for line in out.getvalue().splitlines()).strip("\n")
    formatted = wrap_flow(formatted, _WIDTH + 4)  # between entries, not inside one
    formatted = _with_modeline(formatted + "\n", before, schemas, manifest=manifest)
    if _load_plain(formatted, name) != before:
        raise FormatError(f"{name}: the canonical layout would change what the file says; "
                          "it is left as it is")
    return formatted


def _in_pack(file: Path, top: Path) -> bool:
    """Whether ``file`` is a pack's (a ``bundle.yaml`` beside it or in a folder above it, up to
    ``top``) or is itself a policy document."""
    for folder in (file.parent, *file.parent.parents):
        if (folder / "bundle.yaml").is_file():
            return True
        if folder == top:
            break
    try:
        with file.open(encoding="utf-8") as stream:
            head = stream.read(4096)
    except (OSError, UnicodeDecodeError):
        return True  # reported when it is formatted
    return "apiVersion: finpolicy/" in head


def _linked_out(file: Path, top: Path) -> str | None:
    """Why ``file``, found in the folder ``top``, is not formatted: a link that leads out of
    ``top`` (as ``finpolicy validate`` refuses one out of a pack) or back to itself."""
    if not file.is_symlink() and file.parent == top:
        return None
    target = link_target(file)
    if target is None:
        return f"{file}: a symbolic link that leads back to itself (a loop of links)"
    top_target = link_target(top)
    if top_target is not None and not target.is_relative_to(top_target):
        return (f"{file}: a link to a file outside {top} (`{target}`) "
                "(fmt does not follow a link out of the folder it formats)")
    return None


def policy_files(paths: Iterable[str | Path]) -> list[Path]:
    """The policy YAML files named by ``paths``: a YAML file as named; in a folder, every YAML
    file of a pack and every policy document (hidden folders skipped, other YAML left alone).

    Raises:
        FormatError: a file named is no YAML file (``.yaml``, ``.yml``); a file in a folder is
            a link that leads out of it, or a loop of links.
    """
    out: list[Path] = []
    problems: list[str] = []
    for path in map(Path, paths):
        if not path.is_dir():
            if path.suffix in (".yaml", ".yml"):
                out.append(path)
            else:
                problems.append(f"{path}: not a YAML file (expected a .yaml or .yml name)")
            continue
        for p in sorted(path.rglob("*")):
            if p.suffix not in (".yaml", ".yml") or any(
                    part.startswith(".") for part in p.relative_to(path).parts):
                continue
            why = _linked_out(p, path)
            if why is not None:
                problems.append(why)
            elif p.is_file() and _in_pack(p, path):
                out.append(p)
    if problems:
        raise FormatError("; ".join(problems))
    return out


def _missing_schema(file: Path, text: str, schemas: str) -> list[str]:
    """Why ``file``'s first line would point editors at no schema (a mistyped ``--schemas``
    folder, or one ``finpolicy schema -o`` did not write): they would check nothing."""
    first = text.split("\n", 1)[0]
    if not first.startswith(MODELINE):
        return []
    target = file.parent / first[len(MODELINE):]
    if target.is_file():
        return []
    return [f"{file}: its schema {target.name} is not in {schemas}, so editors check "
            f"nothing: write the schemas there (`finpolicy schema -o {schemas}`)"]


def format_paths(paths: Iterable[str | Path], *, write: bool = True,
                 schemas: str | None = None, warnings: list[str] | None = None) -> list[Path]:
    """Format every YAML file under ``paths``; return those that changed (with ``write``
    false, those that would change, leaving them as they are). ``schemas``: a folder of
    ``finpolicy schema`` files each policy document's first line should point at; a file
    whose schema is not there is named in ``warnings``.

    Raises:
        FormatError: a file cannot be read or formatted (no file is written then).
    """
    results: list[tuple[Path, str]] = []
    problems: list[str] = []
    for file in policy_files(paths):
        try:
            text = file.read_text(encoding="utf-8")
            relative = None if schemas is None else Path(
                os.path.relpath(Path(schemas).resolve(), file.parent.resolve())).as_posix()
            formatted = format_text(text, str(file), schemas=relative)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{file}: cannot read: {exc}")
            continue
        except FormatError as exc:
            problems.append(str(exc))
            continue
        if formatted != text:
            results.append((file, formatted))
        if schemas is not None and warnings is not None:
            warnings += _missing_schema(file, formatted, schemas)
    if problems:
        raise FormatError("; ".join(problems))
    if write:
        for file, formatted in results:
            # whole or not at all; a link in a pack rewrites its target there
            write_output(file.resolve(), formatted, str(file))
    return [file for file, _ in results]
