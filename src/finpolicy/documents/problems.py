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
        elif "input" in err and not isinstance(err["input"], dict | list) \
                and f"`{_as_written(err['input'])}`" not in msg:  # a validator's may name it
            msg += f", got `{_as_written(err['input'])}`"
            if err["type"] == "literal_error" and isinstance(err["input"], str):
                choices = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
                msg += hint(err["input"], choices)
        out.append(source.problem(loc, msg, err["type"]))
    return out


def _as_written(value: object) -> str:
    """A scalar as the YAML would show it (``true``, not ``True``)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
