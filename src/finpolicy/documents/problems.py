"""Policy problems from a pydantic validation error, each located by the YAML line map and
worded for a policy author."""

from __future__ import annotations

import re

from pydantic import ValidationError

from finpolicy.documents.yamlsource import SourceDocument
from finpolicy.errors import Problem
from finpolicy.inputs import error_message
from finpolicy.rules.vocabulary import hint

__all__ = ["pydantic_problems"]

# a policy's numbers and flags are read strictly (StrictInt …): what each type error expected
_LOOKS_TYPED = re.compile(r"[-+]?\d+(?:\.\d*)?|true|false", re.IGNORECASE)
# errors whose message already says what was given (``got nothing (null)``)
_NAME_WHAT_THEY_GOT = frozenset({"model_type", "model_attributes_type", "dict_type"})
_TYPES = {"int_type": "a whole number", "float_type": "a number", "bool_type": "true or false"}


def pydantic_problems(exc: ValidationError, source: SourceDocument,
                      prefix: tuple[str | int, ...]) -> list[Problem]:
    """One problem per pydantic error, located by the YAML line map."""
    out = []
    for err in exc.errors(include_url=False):
        loc = (*prefix, *err["loc"])
        msg = error_message(err)
        if err["type"] == "extra_forbidden":
            msg = f"unknown key `{loc[-1]}`"
        elif err["type"] == "missing":
            msg = f"missing required key `{loc[-1]}`"
        elif err["type"] == "string_type" and isinstance(err.get("input"), bool | int | float):
            msg = _not_text(err["input"])
        elif err["type"] in _TYPES and "input" in err:
            value = err["input"]
            msg = f"expected {_TYPES[err['type']]}, got " + (
                f"the text `{value}`" + (" (in quotes: write it without them)"
                                         if _LOOKS_TYPED.fullmatch(value.strip()) else "")
                if isinstance(value, str) else f"`{_as_written(value)}`")
        elif "input" in err and not isinstance(err["input"], dict | list) \
                and err["type"] not in _NAME_WHAT_THEY_GOT \
                and f"`{_as_written(err['input'])}`" not in msg:  # a validator's may name it
            msg += f", got `{_as_written(err['input'])}`"
            if err["type"] == "literal_error" and isinstance(err["input"], str):
                choices = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
                msg += hint(err["input"], choices)
        out.append(source.problem(loc, msg, err["type"]))
    return out


def _not_text(value: bool | float) -> str:
    """Text written bare that YAML read as something else: ``jurisdiction: NO`` is false."""
    if isinstance(value, bool):
        return (f"expected text, got {_as_written(value)}: YAML reads yes, no, on, off, true "
                "and false written bare as true or false; put the text in quotes, e.g. \"NO\"")
    return f"expected text, got the number `{value}`; put it in quotes to keep it text"


def _as_written(value: object) -> str:
    """A scalar as the YAML would show it (``true``, not ``True``)."""
    if value is None:
        return "null"
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
