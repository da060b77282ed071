"""Policy problems from a pydantic validation error, each located by the YAML line map and
worded for a policy author."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from finpolicy.documents.yamlsource import SourceDocument
from finpolicy.errorcodes import declare
from finpolicy.errors import Problem
from finpolicy.inputs import error_message
from finpolicy.rules.vocabulary import OBLIGATIONS, hint

__all__ = ["misnamed_vocabularies", "not_a_policy_document", "pydantic_problems"]

declare("policy", {"unused_vocabulary": "A vocabulary covers nothing: it names no fields and "
                                        "its name is a misspelt `obligations`.",
                   "misplaced_cases": "A file of test cases or examples sits among the policy "
                                      "files of a pack instead of under tests/ or examples/."})

# a policy's numbers and flags are read strictly (StrictInt …): what each type error expected
_LOOKS_TYPED = re.compile(r"[-+]?\d+(?:\.\d*)?|true|false", re.IGNORECASE)
# errors whose message already says what was given (``got nothing (null)``)
_NAME_WHAT_THEY_GOT = frozenset({"model_type", "model_attributes_type", "dict_type"})
_TYPES = {"int_type": "a whole number", "float_type": "a number", "bool_type": "true or false"}


def pydantic_problems(exc: ValidationError, source: SourceDocument,
                      prefix: tuple[str | int, ...],
                      model: type[BaseModel] | None = None) -> list[Problem]:
    """One problem per pydantic error, located by the YAML line map; ``model``, the model
    validated, lets an unknown key name the key it is closest to (``efective_from``)."""
    out = []
    for err in exc.errors(include_url=False):
        loc = (*prefix, *err["loc"])
        msg = error_message(err)
        if err["type"] == "extra_forbidden":
            msg = f"unknown key `{loc[-1]}`" + hint(str(loc[-1]), _keys_at(model, err["loc"][:-1]))
        elif err["type"] == "missing":
            msg = f"missing required key `{loc[-1]}`"
        elif err["type"] in ("string_type", *_TYPES) and "input" in err \
                and err["input"] is None:
            what = _TYPES.get(err["type"], "text")
            msg = f"expected {what}, got nothing (the key has no value)"
        elif err["type"] == "string_type" and isinstance(err.get("input"), bool | int | float):
            msg = _not_text(err["input"])
            if loc[-1] == "version" and isinstance(err["input"], int | float) \
                    and not isinstance(err["input"], bool):  # `version: 1.0`, `version: 2`
                msg = (f"expected a version such as `1.0.0` (major.minor.patch), got the "
                       f"number `{err['input']}`")
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


def not_a_policy_document(source: SourceDocument) -> Problem | None:
    """Why the file at a pack's top is no policy document, if it is none at first sight: no
    mapping, or a file of test cases or examples (``domain:`` and ``cases:``) put beside the
    policies instead of under ``tests/`` or ``examples/``."""
    data = source.data
    if isinstance(data, dict) and "cases" in data and "apiVersion" not in data:
        return Problem(source.file, 1, "", "a file of test cases or examples (cases:), not a "
                       "policy document: put it under tests/ (cases with expectations) or "
                       "examples/", "misplaced_cases")
    if isinstance(data, dict):
        return None
    got = ("no YAML document (the file is empty or holds only comments)" if data is None
           else "a list" if isinstance(data, list)
           else f"the single value `{str(data)[:40]}`")
    return Problem(source.file, 1, "", "expected a policy document (a mapping of apiVersion, "
                   f"kind, metadata and spec), got {got}", "not_a_mapping")


def misnamed_vocabularies(vocabularies: Mapping[str, Any], source: SourceDocument,
                          prefix: tuple[str | int, ...]) -> list[Problem]:
    """A vocabulary that covers nothing because its name is misspelt: without ``fields`` only
    the one named ``obligations`` is read, so ``obligatons`` would leave every rule's
    obligations unchecked."""
    out = []
    for name, spec in vocabularies.items():
        near = hint(name, [OBLIGATIONS])
        if name != OBLIGATIONS and not getattr(spec, "fields", None) and near:
            out.append(source.problem(
                (*prefix, name), f"vocabulary `{name}` covers nothing: it names no `fields`, "
                f"and only `{OBLIGATIONS}` is read by its name{near}", "unused_vocabulary"))
    return out


def _keys_at(model: type[BaseModel] | None, loc: Sequence[str | int]) -> list[str]:
    """The keys the model takes at ``loc`` (none where that is not one model's mapping)."""
    node: Any = model
    for step in loc:
        node = _model_or_container(node)
        if isinstance(node, type) and issubclass(node, BaseModel) and isinstance(step, str):
            field = node.model_fields.get(step) or next(
                (f for f in node.model_fields.values() if f.alias == step), None)
            node = None if field is None else field.annotation
        elif typing.get_origin(node) in (list, tuple, Sequence) and isinstance(step, int):
            node = (typing.get_args(node) or (None,))[0]
        elif typing.get_origin(node) in (dict, Mapping) and len(typing.get_args(node)) == 2:
            node = typing.get_args(node)[1]
        else:
            return []
    node = _model_or_container(node)
    if not (isinstance(node, type) and issubclass(node, BaseModel)):
        return []
    return [f.alias or name for name, f in node.model_fields.items()]


def _model_or_container(node: Any) -> Any:
    """``node`` without ``Annotated`` and ``| None`` (a union of several is no one model)."""
    while typing.get_origin(node) is typing.Annotated:
        node = typing.get_args(node)[0]
    if typing.get_origin(node) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(node) if a is not type(None)]
        node = members[0] if len(members) == 1 else None
        return _model_or_container(node)
    return node


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
