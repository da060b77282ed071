"""Base class of every input model: pydantic validation, errors raised as ``InputError``; and
the field types input models use for times and numbers (``Instant``, ``Moment``, ``Day``,
``DayOrMoment``, ``Count``, and ``NUMBER`` after a number's bounds): pydantic's own read a
number as a Unix time and true as 1, which no input means."""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from finpolicy.errors import InputError, InputProblem


def _no_number(expected: str, code: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        # pydantic reads a number as a Unix time: 7 would be 1970-01-01T00:00:07Z
        if isinstance(value, int | float | Decimal):
            raise PydanticCustomError(code, f"expected {expected}, got the number `{{number}}`",
                                      {"number": value})
        return value

    return BeforeValidator(check)


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):  # pydantic reads true as 1
        raise PydanticCustomError("bad_number", "expected a number, got `{value}`",
                                  {"value": "true" if value else "false"})
    return value


TIME_TEXT = _no_number("an ISO datetime with a time zone offset as text "
                       "(2026-03-01T09:00:00+08:00)", "bad_datetime")
"""Refuses a number for a datetime field (pydantic reads one as a Unix time)."""
DATE_TEXT = _no_number("an ISO date as text (2026-03-01)", "bad_date")
"""Refuses a number for a date field."""
NUMBER = BeforeValidator(_no_bool)
"""Refuses true and false for a number field (pydantic reads true as 1)."""

Instant = Annotated[AwareDatetime, TIME_TEXT]
"""An aware datetime, given as one or as ISO text, never as a number."""
Moment = Annotated[dt.datetime, TIME_TEXT]
"""A datetime (the model checks its offset), given as one or as ISO text, never as a number."""
Day = Annotated[dt.date, DATE_TEXT]
"""A date, given as one or as ISO text, never as a number."""
def _day_or_moment_text(value: Any) -> Any:
    """ISO text as the date or datetime it spells: pydantic reads a datetime at midnight as
    a date, dropping its offset (``2026-02-01T00:00:00+14:00`` is 31 January in UTC), and a
    date as a naive datetime the other way round."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if "T" in text or " " in text:
            return dt.datetime.fromisoformat(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        return value  # pydantic's own error names the field


DayOrMoment = Annotated[dt.date | dt.datetime, TIME_TEXT, BeforeValidator(_day_or_moment_text)]
"""A date or a datetime, given as one or as ISO text (a datetime keeps its offset, at midnight
too), never as a number."""
Count = Annotated[int, NUMBER]
"""A whole number, never true or false."""

# pydantic's errors for a value that should have been a mapping name the model's class
_MAPPING_ERRORS = frozenset({"model_type", "model_attributes_type", "dict_type"})


def kind_of(value: Any) -> str:
    """What ``value`` is, in words: ``a list``, ``a text``, ``a number`` …"""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true or false"
    for kinds, word in ((int | float, "a number"), (str, "a text"), (list | tuple, "a list"),
                        (dict, "a mapping")):
        if isinstance(value, kinds):
            return word
    return f"a {type(value).__name__}"


def error_message(err: ErrorDetails) -> str:
    """pydantic's message of one error in finpolicy's words: lower-case, without pydantic's
    ``Value error,`` and without class names (``instance of Manifest``)."""
    if err["type"] in _MAPPING_ERRORS:
        return f"expected a mapping of keys, got {kind_of(err.get('input'))}"
    message = err["msg"] or "invalid"
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return message[0].lower() + message[1:]


def input_error(exc: ValidationError, model: str, prefix: str = "") -> InputError:
    """Wrap pydantic's error: one problem per failing field, path first."""
    problems = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"])
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        problems.append(InputProblem(path, error_message(err), err["type"], err.get("input")))
    return InputError(problems, model=model)


M = TypeVar("M", bound="InputModel")

# pydantic calls an overridden __init__ for nested models too; only the outermost call converts
# pydantic's error, so nested errors keep their full field path.
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("finpolicy_input_depth", default=0)


class InputModel(BaseModel):
    """An immutable, validated input. Constructing one with bad data raises ``InputError``."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, str_strip_whitespace=False
    )

    def __init__(self, /, **data: Any) -> None:
        depth = _DEPTH.get()
        token = _DEPTH.set(depth + 1)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            if depth:
                raise
            raise input_error(exc, type(self).__name__) from None
        finally:
            _DEPTH.reset(token)

    @classmethod
    def parse(cls: type[M], data: Any, *, field: str = "") -> M:
        """Validate ``data`` (a mapping or an instance) into this model."""
        if isinstance(data, cls):
            return data
        return cls._validated(super().model_validate, data, {}, field)

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:
        """pydantic's ``model_validate``, raising ``InputError`` naming the field (as the
        constructor does): pydantic's own wrapped it in a ``ValidationError`` without a path
        (``Value error, invalid Customer: risk_level: ...``)."""
        return cls._validated(super().model_validate, obj, options)

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **options: Any) -> Self:
        """pydantic's ``model_validate_json`` (a request body as it came), raising
        ``InputError`` naming the field; text that is no JSON is an ``InputError`` too."""
        return cls._validated(super().model_validate_json, json_data, options)

    @classmethod
    def model_validate_strings(cls, obj: Any, **options: Any) -> Self:
        """pydantic's ``model_validate_strings``, raising ``InputError`` naming the field."""
        return cls._validated(super().model_validate_strings, obj, options)

    @classmethod
    def _validated(cls, validate: Callable[..., Self], data: Any,
                   options: Mapping[str, Any], field: str = "") -> Self:
        """``validate(data, **options)`` (one of pydantic's class methods), its error as
        an ``InputError`` (paths under ``field``). The constructor pydantic calls inside sees
        that it is nested, so the whole error comes out here, every field with its path."""
        token = _DEPTH.set(_DEPTH.get() + 1)
        try:
            return validate(data, **options)
        except ValidationError as exc:
            raise input_error(exc, cls.__name__, field) from None
        finally:
            _DEPTH.reset(token)

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> Self:
        """A copy; with ``update``, a new input validated like any other (``InputError``
        naming the field). pydantic's own copy skips validation and keeps what the original
        cached (its digest, its derived facts), so a copy with another risk level was
        decided as the original."""
        if not update:
            return super().model_copy(deep=deep)
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(update)
        return type(self)(**(copy.deepcopy(data) if deep else data))

    def digest(self) -> str:
        """sha256 of the validated input's JSON (fields in schema order), named in decisions.

        pydantic-core writes the JSON, which keeps this cheap enough for the request path.
        """
        return hashlib.sha256(self.__pydantic_serializer__.to_json(self)).hexdigest()


def evaluation_date(value: Any, *, field: str = "as_of") -> dt.date:
    """``as_of`` as a date: today when ``None``; an aware datetime counts on its own date.

    Raises:
        InputError: for text that is no ISO date, a naive datetime, or another type.
    """
    def problem(message: str, code: str) -> InputError:
        return InputError([InputProblem(field, message, code, value)])

    if value is None:
        return dt.date.today()
    if isinstance(value, str):
        try:  # a date, else a datetime (with a T or, as ISO allows, a space)
            value = (dt.date.fromisoformat(value) if len(value) <= 10
                     else dt.datetime.fromisoformat(value))
        except ValueError:
            raise problem(f"expected an ISO date, got `{value}`", "bad_date") from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise problem("naive datetime: give a date, or a datetime with a time zone offset",
                          "naive_datetime")
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise problem(f"expected a date, got {type(value).__name__}", "bad_date")


def date_out_of_range(field: str, value: dt.date, what: str) -> InputError:
    """The error for a date or time finpolicy cannot compute with: ``what`` (a date it
    derives from ``value``) falls outside years 1 to 9999, where Python's dates end
    (``date_out_of_range``, naming ``field``)."""
    return InputError.one(field, f"`{value.isoformat()}` is out of the range finpolicy can "
                                 f"compute with: {what} falls outside years 1 to 9999",
                          "date_out_of_range", value)


def in_zone(value: dt.datetime, zone: dt.tzinfo, field: str, whose: str | None = None
            ) -> dt.datetime:
    """``value`` (aware) as the time in ``zone`` (``whose`` zone it is, for the message:
    ``the policy's``).

    Raises:
        InputError: that time is outside years 1 to 9999 (``date_out_of_range``, naming
            ``field``): ``9999-12-31T23:00:00+00:00`` has no time in UTC+8.
    """
    try:
        return value.astimezone(zone)
    except OverflowError:
        where = f"{whose} time zone ({zone})" if whose else str(zone)
        raise date_out_of_range(field, value, f"its time in {where}") from None
