"""Reading a request's JSON body, strictly, before any endpoint decides on it.

Every route with a body reads it with ``read_json`` (``JSONRoute``): a body that is not UTF-8
JSON, that nests lists and objects deeper than ``MAX_INPUT_DEPTH``, holds an integer of more
than 4300 digits (more than Python turns into a number) or a lone surrogate (``"\\ud800"``:
not Unicode text, which no JSON response could hold) is refused with an ``InputError`` naming
what is wrong and where — answered 422 like any other invalid input, not decided.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from finpolicy.errors import InputError, InputProblem
from finpolicy.limits import MAX_INPUT_DEPTH

__all__ = ["JSONRoute", "read_json"]

_MAX_PROBLEMS = 100  # (a body of a million bad strings is refused with the first hundred)
_SURROGATE = re.compile("[\ud800-\udfff]")
# a surrogate escape in the text (a pair is one character once read, so still look)
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


class _Digits:
    """An integer too long to read (its digits are not kept)."""

    def __init__(self, count: int) -> None:
        self.count = count


def read_json(raw: bytes) -> Any:
    """The JSON value of a request body (UTF-8, a byte order mark allowed).

    Raises:
        InputError: the body is not UTF-8 JSON (``json_invalid``), is nested deeper than
            ``MAX_INPUT_DEPTH`` (``too_deep``), or holds an integer of more than 4300 digits
            (``number_out_of_range``) or a lone surrogate (``string_unicode``); the problems
            name the place (empty for the body as a whole).
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.one("", f"the body is not UTF-8 text (byte {exc.start})",
                             "json_invalid") from None
    long: list[_Digits] = []

    def integer(digits: str) -> int | _Digits:
        try:
            return int(digits)
        except ValueError:  # more than Python's 4300 digits: found and named below
            long.append(_Digits(len(digits.lstrip("-"))))
            return long[-1]

    try:
        value = json.loads(text, parse_int=integer)
    except json.JSONDecodeError as exc:
        raise InputError.one("", f"the body is not JSON: {exc.msg} (line {exc.lineno}, "
                                 f"column {exc.colno})", "json_invalid") from None
    except RecursionError:
        raise _too_deep("") from None
    if long or _ESCAPED_SURROGATE.search(raw) \
            or raw.count(b"[") + raw.count(b"{") > MAX_INPUT_DEPTH:
        problems = []
        for problem in _problems(value):
            problems.append(problem)
            if len(problems) == _MAX_PROBLEMS:
                break
        if problems:
            raise InputError(problems)
    return value


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

        async def read_first(request: Request) -> Response:
            reading = _ReadRequest(request.scope, request.receive)
            raw = await reading.body()
            if raw:
                reading.parsed = read_json(raw)
            return await handle(reading)

        return read_first
