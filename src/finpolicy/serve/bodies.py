"""Reading a request's JSON body, strictly, before any endpoint decides on it.

Every route with a body reads it with ``read_json`` (``JSONRoute``): a body that is not UTF-8
JSON, that nests lists and objects deeper than ``MAX_INPUT_DEPTH``, gives a key of an object
twice (the last would win silently, unseen by whoever reads the first: a gateway, a log),
holds an integer of more than 4300 digits (more than Python turns into a number) or a lone
surrogate (``"\\ud800"``: not Unicode text, which no JSON response could hold) is refused with
an ``InputError`` naming what is wrong and where — answered 422 like any other invalid input,
not decided. A body sent as anything but JSON (``text/plain``, a form, no ``Content-Type``) is
refused with 415 naming what it was sent as. ``body_problems`` says where each field of a body
that does not fit its model is, as the caller wrote it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine, Iterator, Sequence
from email.message import Message
from itertools import accumulate
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from finpolicy.errors import InputError, InputProblem
from finpolicy.inputs import error_message
from finpolicy.limits import MAX_BODY_VALUES, MAX_INPUT_DEPTH

__all__ = ["MAX_BODY_VALUES", "JSONRoute", "body_problems", "read_json"]

_MAX_PROBLEMS = 100  # (a body of a million bad strings is refused with the first hundred)
_SURROGATE = re.compile("[\ud800-\udfff]")
# a surrogate escape in the text (a pair is one character once read, so still look)
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
# what `_deeper_than` keeps of a body: brackets, and the quotes and backslashes that say
# which brackets are within strings (which go)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"\\')
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_STEP = [1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256)]


class _Digits:
    """An integer too long to read (its digits are not kept)."""

    def __init__(self, count: int) -> None:
        self.count = count


class _Repeated(dict[str, Any]):
    """A JSON object that gave keys twice (``repeated``; the last value kept)."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    seen: set[str] = set()
    twice: dict[str, None] = {}
    for key, _ in pairs:
        if key in seen:
            twice[key] = None
        seen.add(key)
    repeated = _Repeated(found)
    repeated.repeated = tuple(twice)
    return repeated


def read_json(raw: bytes) -> Any:
    """The JSON value of a request body (UTF-8, a byte order mark allowed).

    Raises:
        InputError: the body holds more than ``MAX_BODY_VALUES`` values (``too_large``,
            told before it is read), is not UTF-8 JSON (``json_invalid``), is nested deeper than
            ``MAX_INPUT_DEPTH`` (``too_deep``), gives a key twice (``duplicate_key``, at the
            key), or holds an integer of more than 4300 digits
            (``number_out_of_range``) or a lone surrogate (``string_unicode``); the problems
            name the place (empty for the body as a whole).
    """
    if raw.count(b",") >= MAX_BODY_VALUES:  # at C speed, before any value is made
        raise InputError.one("", f"the body holds more than {MAX_BODY_VALUES:,} values (counted "
                             "by their commas); send fewer calls in each request",
                             "too_large")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.one("", f"the body is not UTF-8 text (byte {exc.start})",
                             "json_invalid") from None
    long: list[_Digits | _Repeated] = []  # (what the walk below must find and name)

    def integer(digits: str) -> int | _Digits:
        try:
            return int(digits)
        except ValueError:  # more than Python's 4300 digits: found and named below
            found = _Digits(len(digits.lstrip("-")))
            long.append(found)
            return found

    def mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = _object(pairs)
        if isinstance(found, _Repeated):
            long.append(found)
        return found

    try:
        value = json.loads(text, parse_int=integer, object_pairs_hook=mapping)
    except json.JSONDecodeError as exc:
        raise InputError.one("", f"the body is not JSON: {exc.msg} (line {exc.lineno}, "
                                 f"column {exc.colno})", "json_invalid") from None
    except RecursionError:
        raise _too_deep("") from None
    if long or _ESCAPED_SURROGATE.search(raw) or _deeper_than(raw, MAX_INPUT_DEPTH):
        problems = []
        for problem in _problems(value):
            problems.append(problem)
            if len(problems) == _MAX_PROBLEMS:
                break
        if problems:
            raise InputError(problems)
    return value


def _deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the JSON text ``raw`` (valid) nests lists and objects more than ``limit``
    deep, counted on its bytes at C speed (the brackets outside strings). Walking the parsed
    value to find out took seconds per million values, for every body of more than
    ``limit`` brackets."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw.translate(None, _NOT_STRUCTURE))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def _too_deep(path: str) -> InputError:
    return InputError.one(path, f"nested deeper than {MAX_INPUT_DEPTH} lists and objects",
                          "too_deep")


def _name(key: str) -> str:
    """A key as a path part (a lone surrogate written as its escape)."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def _lone_surrogate(path: str, text: str) -> InputProblem | None:
    found = _SURROGATE.search(text)
    if found is None:
        return None
    escape = found.group().encode("utf-8", "backslashreplace").decode("utf-8")
    return InputProblem(path, f"text holds a lone surrogate ({escape}), which is not Unicode "
                              "text", "string_unicode")


def _problems(value: Any) -> Iterator[InputProblem]:
    """The problems of a parsed body, walked without recursion."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        where = ".".join(path)
        if isinstance(item, dict | list):
            if len(path) >= MAX_INPUT_DEPTH:
                yield from _too_deep(where).problems
                continue
            for key in getattr(item, "repeated", ()):
                yield InputProblem(".".join((*path, _name(key))), f"the key `{_name(key)}` is "
                                   "given twice (a key is given once)", "duplicate_key")
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in reversed(list(pairs)):
                part = _name(key) if isinstance(key, str) else str(key)
                if isinstance(key, str) and (bad := _lone_surrogate(
                        ".".join((*path, part)), key)) is not None:
                    yield bad
                stack.append((child, (*path, part)))
        elif isinstance(item, str):
            bad = _lone_surrogate(where, item)
            if bad is not None:
                yield bad
        elif isinstance(item, _Digits):
            yield InputProblem(where, f"an integer of {item.count} digits: finpolicy reads "
                                      "at most 4300", "number_out_of_range")


class _ReadRequest(Request):
    """A request whose JSON body ``JSONRoute`` has read already."""

    parsed: Any = None

    async def json(self) -> Any:
        return self.parsed


class JSONRoute(APIRoute):
    """A route that reads its request body with ``read_json`` before FastAPI validates it
    (a body FastAPI's own reading refuses is answered 400, which the service never uses)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        if self.body_field is None:
            return handle
        known = _query_names(self.dependant)

        async def read_first(request: Request) -> Response:
            _check_query(request.query_params.multi_items(), known)
            reading = _ReadRequest(request.scope, request.receive)
            raw = await reading.body()
            if raw:
                _check_json(request.headers.get("content-type"),
                            request.headers.get("content-encoding"))
                reading.parsed = read_json(raw)
            return await handle(reading)

        return read_first


def _query_names(dependant: Any) -> set[str]:
    """The query parameters a route (its dependencies included) reads."""
    names = {str(p.alias) for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _check_query(given: Sequence[tuple[str, str]], known: set[str]) -> None:
    """Refuse a query parameter the endpoint does not take, or one given twice (FastAPI
    ignores the first silently: ``/v1/access/authorize?as_of=…`` was decided at the body's
    time, ``?detail=1&detail=0`` read as ``false``)."""
    takes = f"only {', '.join(f'`{k}`' for k in sorted(known))}" if known else "none"
    problems, seen = [], set()
    for name, _ in given:
        shown = _name(name)
        if name not in known:
            problems.append(InputProblem(f"query.{shown}", f"unknown query parameter "
                                         f"`{shown}`: this endpoint takes {takes} (its "
                                         "arguments are the JSON body)", "extra_forbidden"))
        elif name in seen:
            problems.append(InputProblem(f"query.{shown}", f"the query parameter `{shown}` "
                                         "is given twice (it is given once)", "duplicate_key"))
        seen.add(name)
    if problems:
        raise InputError(problems[:_MAX_PROBLEMS])


def _check_json(content_type: str | None, encoding: str | None = None) -> None:
    """Refuse a body not sent as JSON (FastAPI would hand its bytes to the model, refused as
    "Input should be a valid dictionary", which names neither the header nor the fix), or
    sent compressed (read as JSON, a gzip body was "not UTF-8 text (byte 1)")."""
    if encoding is not None and encoding.strip().lower() not in ("", "identity"):
        raise HTTPException(415, f"the body must be sent uncompressed (it was sent with "
                                 f"Content-Encoding: {encoding}, which the service does not "
                                 "read)")
    message = Message()
    message["content-type"] = content_type or ""
    subtype = message.get_content_subtype()
    if content_type and message.get_content_maintype() == "application" and (
            subtype == "json" or subtype.endswith("+json")):
        return
    sent = f"sent as {content_type}" if content_type else "sent without a Content-Type"
    raise HTTPException(415, f"the body must be JSON with Content-Type: application/json "
                             f"(it was {sent})")


def body_problems(exc: RequestValidationError) -> list[dict[str, str]]:
    """The problems of a request that does not fit its models, each at the place the caller
    wrote (``field.name``, never pydantic's ``field.DataField.name`` or ``value.str``: a
    union's member names are no place in the body) and in finpolicy's words."""
    problems = []
    for item in exc.errors():
        loc: Sequence[Any] = item.get("loc", ())
        if loc and loc[0] == "body":
            loc = _written(loc[1:], exc.body, missing=item.get("type") == "missing")
        where = [str(part) for part in loc]
        inner = item.get("ctx", {}).get("error")
        if isinstance(inner, InputError):  # an input model's own check: name its fields
            problems += [{"path": ".".join([*where, p.path] if p.path else where),
                          "message": p.message, "code": p.code} for p in inner.problems]
            continue
        problems.append({"path": ".".join(where), "message": error_message(item),
                         "code": str(item.get("type", "invalid_input"))})
    return problems


def _written(loc: Sequence[Any], body: Any, *, missing: bool) -> list[Any]:
    """The parts of ``loc`` that are keys and indexes of ``body``: pydantic puts the name of
    a union's member (``DataField``, ``str``, ``function-before[...]``) where it tried one,
    which is no place in the body. The last part of a ``missing`` error is the key absent."""
    found: list[Any] = []
    node = body
    for number, part in enumerate(loc):
        keyed = isinstance(node, dict) and isinstance(part, str) and part in node
        if keyed or (isinstance(node, list) and isinstance(part, int)
                     and 0 <= part < len(node)):
            node = node[part]
        elif not (missing and number == len(loc) - 1 and isinstance(node, dict)):
            continue
        found.append(part)
    return found
