"""The decision log names each call's arguments as ``Signature.bind`` would, in the
parameters' order, whatever mix of positional and keyword arguments the caller used."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from finpolicy.domains.registry import domains
from finpolicy.engine import _arguments


def _bound(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    bound = inspect.signature(function).bind(None, *args, **kwargs)
    return dict(list(bound.arguments.items())[1:])


OPERATIONS = sorted({(d.name, name): f for d in domains()
                     for name, f in d.operations.items()}.items())


@pytest.mark.parametrize(("key", "function"), OPERATIONS, ids=[f"{d}.{n}" for (d, n), _ in
                                                               OPERATIONS])
def test_arguments_match_bind_for_every_operation(key: Any, function: Any) -> None:
    parameters = list(inspect.signature(function).parameters.values())[1:]
    positional = [p for p in parameters if p.kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    keywords = [p for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    args = tuple(f"v-{p.name}" for p in required)
    # the required ones alone, then with every keyword, then keywords in reverse order
    needed = {p.name: p.name for p in keywords if p.default is inspect.Parameter.empty}
    for kwargs in (needed, {p.name: p.name for p in keywords},
                   {p.name: p.name for p in reversed(keywords)}):
        got = _arguments(function, args, kwargs)
        assert got == _bound(function, args, kwargs)
        assert list(got) == list(_bound(function, args, kwargs))  # same order, as logged


def test_var_keyword_functions_still_bind() -> None:
    def operation(runtime: Any, first: Any, /, *rest: Any, flag: bool = False,
                  **extra: Any) -> None:
        return None

    assert _arguments(operation, ("a", "b"), {"flag": True, "z": 1}) == {
        "first": "a", "rest": ("b",), "flag": True, "extra": {"z": 1}}
