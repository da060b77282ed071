"""Reading input files: JSON, YAML, JSON lines and CSV, with errors that say where.

Every problem is an ``InputError`` whose problems carry the file and line (``file:line:
message``), never a parser's exception. ``-`` reads standard input. YAML is plain data, read
as policy files are (``yamlsource.load_data``); a key given twice, a CSV column named twice
and a CSV row short of cells are errors, never one reading chosen silently. Input files
come from other teams, so reading is bounded (``finpolicy.limits``): a JSON or YAML file of
at most ``MAX_DOCUMENT_BYTES``, nesting at most ``MAX_INPUT_DEPTH`` deep, CSV cells of at
most ``MAX_CSV_CELL`` characters, and numbers of at most 4300 digits (Python's own limit on
converting text to integers).
"""

from __future__ import annotations

import codecs
import csv
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import yaml

from finpolicy.documents.yamlsource import YamlLimitError, line_map, load_data
from finpolicy.errors import InputError, InputProblem
from finpolicy.limits import MAX_CSV_CELL, MAX_DOCUMENT_BYTES, MAX_INPUT_DEPTH

__all__ = ["LINES_SUFFIXES", "TABLE_SUFFIXES", "Located", "check_readable", "count_lines",
           "csv_error", "input_form", "iter_csv_rows", "iter_json_lines", "open_quote",
           "open_quote_error", "raise_other_separator", "read_document", "read_located",
           "read_text", "recode_csv", "set_csv_cell_limit"]


TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
"""Files read as tables, one input per row."""
LINES_SUFFIXES = (".jsonl", ".ndjson")
"""Files read as JSON lines, one input per line."""
_WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods")
_OTHER_TABLES = (".tsv", ".tab")


def input_form(path: str) -> str:
    """How a file of inputs is read, by what its name ends with: ``"table"`` (CSV, Parquet),
    ``"lines"`` (JSON lines) or ``"document"`` (JSON, YAML, anything else, ``-``).

    Raises:
        InputError: for a spreadsheet workbook or a tab-separated file, which no reader
            takes, saying what to save it as.
    """
    lower = path.lower()
    if lower.endswith(_WORKBOOKS):
        raise _error(path, None, "a spreadsheet workbook, which finpolicy does not read: "
                     "save the sheet as \"CSV UTF-8 (Comma delimited)\" and give the .csv "
                     "file", "unreadable_input")
    if lower.endswith(_OTHER_TABLES):
        raise _error(path, None, "a tab-separated file, which finpolicy does not read: save "
                     "it as comma-separated CSV (.csv)", "unreadable_input")
    if lower.endswith(TABLE_SUFFIXES):
        return "table"
    if lower.endswith(LINES_SUFFIXES):
        return "lines"
    return "document"


def _error(file: str, line: int | None, message: str, code: str = "bad_file",
           where: str = "") -> InputError:
    return InputError([InputProblem(where, message, code, file=file, line=line)])


def _too_large(path: str) -> InputError:
    return _error(path, None, f"larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB; give "
                              "a JSON-lines or CSV file for big inputs", "too_large")


def check_readable(path: str) -> None:
    """Refuse ``path`` when it cannot be opened to be read (missing, a folder, no
    permission), with the reason, as every reader here does."""
    try:
        with Path(path).open("rb"):
            pass
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror or exc}",
                     "unreadable_input") from None


def read_text(path: str) -> str:
    """The whole text of ``path`` (UTF-8; ``-`` for standard input), at most
    ``MAX_DOCUMENT_BYTES`` bytes."""
    try:
        stdin = _stdin_bytes() if path == "-" else None
        if path == "-" and stdin is None:  # a text stream put in its place
            text = sys.stdin.read(MAX_DOCUMENT_BYTES + 1)
            if len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
                raise _too_large(path)
            return text
        if stdin is not None:
            data = stdin.read(MAX_DOCUMENT_BYTES + 1)
        else:
            with Path(path).open("rb") as handle:
                data = handle.read(MAX_DOCUMENT_BYTES + 1)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise _too_large(path)
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # a GBK export, say: name the line
        raw = exc.object if isinstance(exc.object, bytes) else b""
        raise _error(path, raw.count(b"\n", 0, exc.start) + 1 if raw else None,
                     f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                     "unreadable_input") from None
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror or exc}",
                     "unreadable_input") from None


def _stdin_bytes() -> IO[bytes] | None:
    """Standard input as bytes, decoded as UTF-8 like a file (its text stream decodes in the
    locale's encoding: under zh_CN.GB18030, 身份证号 piped in became another name), or
    ``None`` when it is a text stream only."""
    stream: IO[bytes] | None = getattr(sys.stdin, "buffer", None)
    return stream


def _depth_error(path: str, line: int | None) -> InputError:
    return _error(path, line, f"nested deeper than {MAX_INPUT_DEPTH} lists and mappings",
                  "too_deep")


def _check_depth(value: Any, path: str, line: int | None = None) -> Any:
    """``value`` unchanged, if its lists and mappings nest at most ``MAX_INPUT_DEPTH`` deep
    (walked without recursion; YAML aliases are visited once)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    seen: set[int] = set()
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_INPUT_DEPTH:
                raise _depth_error(path, line)
            if id(item) in seen:
                continue
            seen.add(id(item))
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return value


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key it holds twice: the last would win silently, unseen by
    whoever reads the first."""
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return found


def _json(text: str, path: str, line: int | None = None) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique)
    except json.JSONDecodeError as exc:
        raise _error(path, line or exc.lineno, f"not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise _depth_error(path, line) from None
    except _DuplicateKey as exc:
        if line is None:  # JSON is YAML, read again only to name the key's line and place
            try:
                _yaml(text, path)
            except InputError as found:
                if "duplicate key" in found.problems[0].message:
                    raise found from None
        raise _error(path, line, f"duplicate key `{exc.key}` (a key is given once)") \
            from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise _error(path, line, f"not valid JSON: {exc}".split(";")[0]) from None


def _yaml(text: str, path: str) -> Any:
    """The data of a YAML input, read as policy files are (plain tags, no merge keys, no
    duplicate keys, aliases standing for at most ``MAX_ALIAS_NODES`` values together, dates
    left as text), but for its size, which ``read_text`` bounds."""
    try:
        return load_data(text, max_nodes=MAX_DOCUMENT_BYTES)
    except YamlLimitError as exc:
        mark = exc.problem_mark
        code = "too_deep" if exc.code == "yaml_depth" else "bad_file"
        raise _error(path, None if mark is None else mark.line + 1, str(exc.problem), code,
                     ".".join(str(part) for part in exc.path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _error(path, None if mark is None else mark.line + 1,
                     f"not valid YAML: {what}") from None


def read_document(path: str) -> Any:
    """One JSON (``.json``) or YAML document (anything else, ``-`` included)."""
    return read_located(path).data


class Located:
    """A document read from ``path`` (``data``), which can say where in the file a value
    is, to name the line of an error found later."""

    def __init__(self, path: str, text: str, data: Any) -> None:
        self.path, self.data = path, data
        self._text: str | None = text
        self._lines: dict[tuple[str | int, ...], int] = {}

    def line_of(self, where: tuple[str | int, ...]) -> int | None:
        """The line of the value at ``where`` (keys and list positions), or of the nearest
        value holding it."""
        if self._text is not None:
            text, self._text = self._text, None
            try:  # JSON is YAML too, but for a few escapes: then no line is named
                self._lines = line_map(text)
            except (yaml.YAMLError, ValueError, RecursionError):
                self._lines = {}
        while where and where not in self._lines:
            where = where[:-1]
        return self._lines.get(where)

    def located(self, exc: InputError, prefix: tuple[str | int, ...] = ()) -> InputError:
        """``exc`` with each problem that names no file found in this one, at the line of its
        field (under ``prefix``: the position of the input in a list)."""
        return InputError([p if p.file is not None else p.located(
            self.path, self.line_of((*prefix, *_parts(p.path)))) for p in exc.problems],
            model=exc.model)


def _parts(path: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdecimal() else p for p in path.split(".") if p)


def read_located(path: str) -> Located:
    """``read_document``, keeping what names the line of a field later (``Located``)."""
    text = read_text(path)
    data = _json(text, path) if path.endswith(".json") else _json_or_yaml(text, path)
    return Located(path, text, _check_depth(data, path))


def _json_or_yaml(text: str, path: str) -> Any:
    """A document that may be either (standard input, a file named otherwise): JSON when it
    reads as JSON — YAML refuses JSON's escaped surrogate pairs, which json.dumps writes for
    a name holding 𠮷 — else YAML."""
    if text.lstrip(" \t\r\n\ufeff")[:1] in ("{", "["):
        try:
            return json.loads(text, object_pairs_hook=_unique)
        except json.JSONDecodeError as exc:  # YAML's flow style, or not either: YAML says
            if exc.msg == "Extra data":       # what is wrong, but for JSON lines
                raise _error(path, exc.lineno, "a second JSON value: expected one input or "
                             "a list of inputs ([...]), not JSON lines") from None
        except RecursionError:
            pass
        except ValueError:  # JSON with a key twice or a huge integer: named as JSON
            return _json(text, path)
    return _yaml(text, path)


def iter_json_lines(path: str) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` of every non-blank line of a JSON-lines file (read as bytes
    and decoded a line at a time: a text stream decodes ahead of the line it gives, so a
    GBK name on line 31 was reported on the line read before it)."""
    try:
        raw = _stdin_bytes() if path == "-" else None
        handle: IO[Any] = (raw if raw is not None else sys.stdin if path == "-"
                           else Path(path).open("rb"))  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror or exc}",
                     "unreadable_input") from None
    with handle:
        for number, line in enumerate(_lines(handle, path), 1):
            if isinstance(line, bytes):
                try:
                    line = line.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    raise _error(path, number, f"not UTF-8 text (byte {exc.start + 1} of the "
                                 "line); save the file as UTF-8", "unreadable_input") from None
            if line.strip():
                yield number, _check_depth(_json(line, path, number), path, number)


def _lines(handle: IO[Any], path: str) -> Iterator[Any]:
    """The lines of ``handle``, each read only up to its limit (``for line in handle`` holds
    a line whole, however long, before its length can be checked)."""
    number = 0
    while line := handle.readline(MAX_DOCUMENT_BYTES + 1):
        number += 1
        if len(line) > MAX_DOCUMENT_BYTES:
            raise _error(path, number, "the line is longer than "
                         f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB", "too_large")
        yield line


def iter_csv_rows(path: str) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of a CSV file with a header row (its first line that is not
    blank)."""
    try:
        handle = Path(path).open(newline="", encoding="utf-8-sig")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror or exc}",
                     "unreadable_input") from None
    with handle:
        set_csv_cell_limit()
        reader = csv.reader(_lines(handle, path))
        try:
            # blank lines before the header are skipped, as the table reader skips them
            header = next((row for row in reader if row), None)
            if not header:
                raise _error(path, 1, "empty CSV: expected a header row")
            _check_header(path, reader.line_num, header)
            unnamed = [i for i, name in enumerate(header) if not name.strip()]
            last: tuple[int, dict[str, str]] | None = None
            for cells in reader:
                if cells:  # a blank line is no row
                    if last is not None:
                        yield last
                    last = reader.line_num, _row(path, reader.line_num, header, cells, unnamed)
            if last is not None:  # a quote left open takes the rows after it as its cell
                if any("\n" in c or "\r" in c for c in last[1].values()):
                    _closed_quotes(path)
                yield last
        except UnicodeDecodeError:  # (decoded a block ahead of the row: found again)
            raise _not_utf8(path) from None
        except csv.Error as exc:
            raise csv_error(path, reader.line_num + 1, exc) from None


def _not_utf8(path: str) -> InputError:
    """The error for ``path``, not UTF-8 text: at its first line that is not (a text stream
    decodes a block ahead of its line); a workbook (a zip archive) as such."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with Path(path).open("rb") as handle:
        if handle.read(4) == b"PK\x03\x04":
            return _error(path, None, "a zip archive (an Excel .xlsx workbook is one), not "
                          "CSV text: save the sheet as \"CSV UTF-8 (Comma delimited)\"",
                          "unreadable_input")
        handle.seek(0)
        number, start = 1, 0
        while chunk := handle.readline(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return _error(path, number, f"not UTF-8 text (byte {start + exc.start + 1} of "
                              "the line); save the file as UTF-8", "unreadable_input")
            number, start = (number + 1, 0) if chunk.endswith(b"\n") else \
                (number, start + len(chunk))
    return _error(path, None, "not UTF-8 text; save the file as UTF-8", "unreadable_input")


def _row(path: str, line: int, header: Sequence[str], cells: list[str],
         unnamed: list[int]) -> dict[str, str]:
    """The row of ``cells`` by column name; columns the header leaves unnamed (a trailing
    comma) must be blank, and are left out."""
    if len(cells) != len(header):
        raise _error(path, line, "more cells than header columns" if len(cells) > len(header)
                     else f"fewer cells than header columns ({len(cells)} of {len(header)})")
    for i in unnamed:
        if cells[i].strip():
            raise _error(path, line, f"a value in column {i + 1}, which the header leaves "
                                     "unnamed")
    return {name: cell for name, cell in zip(header, cells, strict=True) if name.strip()}


def open_quote(path: str) -> tuple[int, int] | None:
    """The first and last line of the row of ``path`` whose quote is never closed (read
    leniently, it holds every line after it as one cell), or ``None``."""
    start = 0
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            set_csv_cell_limit()
            reader = csv.reader(handle, strict=True)
            for _ in reader:
                start = reader.line_num
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            return start + 1, reader.line_num
    except (OSError, UnicodeDecodeError):
        pass
    return None


def open_quote_error(path: str, lines: tuple[int, int]) -> InputError:
    """The error for the quote of line ``lines[0]`` of ``path`` left open to its end."""
    return _error(path, lines[0], f"a quote opened on this line is never closed: lines "
                  f"{lines[0]} to {lines[1]} were read as one row; close it, or write a quote "
                  "in a cell as two (\"\")")


def _closed_quotes(path: str) -> None:
    found = open_quote(path)
    if found is not None:
        raise open_quote_error(path, found)


def _check_header(path: str, line: int, header: Sequence[str]) -> None:
    """Refuse a column named twice: each row would keep only the last of its cells; and a
    header of one column holding another separator (a semicolon or tab export)."""
    if len(header) == 1:
        raise_other_separator(path, line, header[0])
    seen: set[str] = set()
    for name in header:
        if not name.strip():
            continue
        if name in seen:
            raise _error(path, line, f"the column `{name}` is named twice in the header "
                         "(each column is given once)")
        seen.add(name)


def raise_other_separator(path: str, line: int, name: str) -> None:
    """Refuse a header of one column, ``name``, that holds a semicolon, a tab or a bar: the
    file is separated by it, not by commas, and every row would be one cell of a column no
    one meant."""
    found = next((s for s in (";", "\t", "|") if s in name), None)
    if found is not None:
        shown = "a tab" if found == "\t" else f"`{found}`"
        raise _error(path, line, f"the header is one column, `{name[:80]}`: the file is "
                     f"separated by {shown}, not by commas; save it as comma-separated CSV",
                     "bad_file")


def set_csv_cell_limit() -> None:
    """Set the csv module's cell limit to ``MAX_CSV_CELL`` (Python's default, set again in
    case another library raised it: a cell is held whole in memory while it is parsed)."""
    csv.field_size_limit(MAX_CSV_CELL)


def csv_error(path: str, line: int | None, exc: csv.Error) -> InputError:
    """The ``InputError`` for a ``csv.Error`` at ``line`` of ``path``."""
    if "field larger than field limit" in str(exc):
        return _error(path, line, f"not valid CSV: a cell is longer than {MAX_CSV_CELL} "
                                  "characters", "too_large")
    return _error(path, line, f"not valid CSV: {exc}")


def recode_csv(path: str, target: str, *, encoding: str, delimiter: str,
               names: dict[str, str] | None = None) -> list[str]:
    """Copy the CSV file ``path`` (text in ``encoding``, cells separated by ``delimiter``)
    to ``target`` as UTF-8 separated by commas, line for line (a row keeps its line: blank
    lines and the line breaks of quoted cells are kept), so that what reads ``target``
    names the lines of ``path``; ``names`` renames columns of the header.

    Raises:
        InputError: naming the line of ``path`` that is not text in ``encoding`` (and the
            encoding to give for a Chinese export), or that is not valid CSV.
    """
    try:
        with Path(path).open("rb") as handle:  # Excel's "CSV UTF-8" begins with the mark
            if handle.read(3) == b"\xef\xbb\xbf" and encoding != "utf-8-sig":
                raise _error(path, 1, f"the file begins with UTF-8's byte-order mark: it is "
                             f"UTF-8 text, not {encoding}", "unreadable_input")
        source = Path(path).open(encoding=encoding, newline="")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror or exc}",
                     "unreadable_input") from None
    set_csv_cell_limit()
    with source, Path(target).open("w", encoding="utf-8", newline="") as out:
        reader = csv.reader(_lines(source, path), delimiter=delimiter)
        writer = csv.writer(out, lineterminator="\n")
        header: list[str] | None = None
        try:
            for cells in reader:
                if header is None and cells:
                    header = cells
                    cells = [(names or {}).get(c, c) for c in cells]
                    other = next((c for c in ",;\t|" if c != delimiter and c in cells[0]),
                                 None) if len(cells) == 1 else None
                    if other is not None:
                        shown = "a tab" if other == "\t" else f"`{other}`"
                        raise _error(path, reader.line_num, f"the header is one column, "
                                     f"`{cells[0][:80]}`: the file is separated by {shown}, "
                                     f"not by `{delimiter}`")
                writer.writerow(cells)
        except UnicodeDecodeError as exc:
            hint = "" if encoding.lower().replace("_", "-") in ("gbk", "gb18030") else \
                "; an export saved in Chinese Windows is gb18030 (or gbk)"
            raise _error(path, reader.line_num + 1, f"not {encoding} text (byte {exc.start} "
                         f"of a block){hint}", "unreadable_input") from None
        except csv.Error as exc:
            raise csv_error(path, reader.line_num + 1, exc) from None
    return header or []


def count_lines(path: str) -> int:
    """The number of lines of ``path`` (for progress bars)."""
    try:
        with Path(path).open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror or exc}",
                     "unreadable_input") from None
