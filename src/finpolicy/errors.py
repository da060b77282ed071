"""The one error tree of finpolicy.

Every public function raises only these (or returns a denying decision, for access). Each
problem keeps its parts as attributes so tools can use them without parsing messages.
"""

from __future__ import annotations

import pickle
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Self

import attrs

__all__ = [
    "CalendarError",
    "EvaluationError",
    "FinpolicyError",
    "InputError",
    "InputProblem",
    "NotInForceError",
    "PolicyError",
    "Problem",
]


class FinpolicyError(Exception):
    """Base class of every error finpolicy raises.

    An error pickles (and copies) by the arguments it was made with, whatever its
    constructor takes, so that it reaches the parent of a process pool whole: same class,
    message and attributes (``problems``, ``fields`` …).
    """

    _made_with: tuple[tuple[Any, ...], dict[str, Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        made = super().__new__(cls, *args)
        made._made_with = (args, kwargs)
        return made

    def _arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The constructor's arguments that make this error again (those it was made with:
        a class that takes an iterator keeps what it read instead)."""
        made_with: tuple[tuple[Any, ...], dict[str, Any]] = self.__dict__.get(
            "_made_with", (self.args, {}))
        return made_with

    # attributes the constructor sets from its arguments (not pickled twice)
    _made_attributes: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[Any, ...]:
        args, kwargs = self._arguments()
        skip = {"_made_with", *self._made_attributes}
        state = {k: v for k, v in self.__dict__.items() if k not in skip}
        return (_remade, (type(self), args, kwargs), state or None)


def _remade(cls: type[FinpolicyError], args: tuple[Any, ...],
            kwargs: dict[str, Any]) -> FinpolicyError:
    return cls(*args, **kwargs)


_UNSHOWN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def one_line(text: str) -> str:
    """``text`` with line breaks, control, format and lone surrogate characters written as
    escapes (``\\n``, ``\\x1b``, ``\\u202e``): a problem is one line, whatever a file name,
    key or value it quotes holds, so none can forge a line of a report or drive a terminal."""
    if text.isprintable():
        return text
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c) in _UNSHOWN else c for c in text)


@attrs.frozen(slots=True)
class Problem:
    """One problem in a policy: where it is and what was expected.

    Attributes:
        file: the file the problem is in (as given to the loader).
        line: 1-based line, or ``None`` when the loader cannot tell.
        path: the path inside the document, e.g. ``spec.rules[2].when.all[0]``.
        message: lower-case, one line, no trailing period.
        code: a stable error code, declared in ``finpolicy.errorcodes`` (or one of pydantic's
            error types for a schema error).
    """

    file: str
    line: int | None
    path: str
    message: str
    code: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return one_line(text)

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line or 0, self.path)


class PolicyError(FinpolicyError, ValueError):
    """A policy (or bundle) is invalid; ``problems`` lists every problem found, sorted."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        super().__init__(self._render())

    _made_attributes = ("problems",)

    def _arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (self.problems,), {}

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"] + [str(p) for p in self.problems]
        return "\n".join(lines)


@attrs.frozen(slots=True)
class InputProblem:
    """One problem with an input value: the field path, the reason and the offending value.

    Attributes:
        path: the field, e.g. ``customer.birth_date`` or ``complaints.3.events.0.at``.
        message: what is wrong, lower-case, one line.
        code: a stable code (``finpolicy.errorcodes``, or one of pydantic's error types).
        value: the offending value, when there is one.
        file: the input file it came from (CLI and file readers), else ``None``.
        line: the 1-based line (or CSV row line) in ``file``, else ``None``.
    """

    path: str
    message: str
    code: str = "invalid_input"
    value: object = None
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file} line {self.line}: " if self.line is not None \
                else f"{self.file}: "
        return one_line(where + (f"{self.path}: {self.message}" if self.path else self.message))

    def located(self, file: str, line: int | None) -> InputProblem:
        """This problem, found in ``file`` at ``line``."""
        return attrs.evolve(self, file=file, line=line)


class InputError(FinpolicyError, ValueError):
    """An input to an evaluation is invalid; ``problems`` names each field and the reason."""

    def __init__(self, problems: Sequence[InputProblem], *, model: str | None = None) -> None:
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        self.model = model
        head = f"invalid {model}: " if model else ""
        if len(self.problems) == 1:
            msg = head + str(self.problems[0])
        else:
            msg = head + "; ".join(str(p) for p in self.problems)
        super().__init__(msg)

    _made_attributes = ("problems", "model")

    def _arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (tuple(_portable(p) for p in self.problems),), {"model": self.model}

    @classmethod
    def one(cls, path: str, message: str, code: str = "invalid_input", value: object = None,
            *, model: str | None = None) -> InputError:
        """An error with a single problem."""
        return cls([InputProblem(path, message, code, value)], model=model)

    def moved(self, field: str, place: str) -> InputError:
        """This error with ``field`` and the fields under it named at ``place`` (``product``
        of the tenth product at ``products.9``)."""
        return InputError([attrs.evolve(p, path=place + p.path[len(field):])
                           if p.path == field or p.path.startswith(field + ".") else p
                           for p in self.problems], model=self.model)

    def located(self, file: str, line: int | None) -> InputError:
        """The same problems, found in ``file`` at ``line`` (for file readers)."""
        return InputError([p.located(file, line) for p in self.problems], model=self.model)

    @property
    def fields(self) -> tuple[str, ...]:
        """The field paths named by the problems, in order."""
        return tuple(p.path for p in self.problems)


def _portable(problem: InputProblem) -> InputProblem:
    """``problem`` with its offending value as text when the value cannot be pickled (an
    object of the caller's)."""
    try:
        pickle.dumps(problem.value)
    except Exception:  # (whatever the object's own pickling raises)
        return attrs.evolve(problem, value=repr(problem.value))
    return problem


class NotInForceError(FinpolicyError, LookupError):
    """No version of a policy is in force on the requested date (or, ``several``, more than
    one policy of the kind is, and the call did not choose one: the message names the typed
    API's ``policy=``; the command line names its ``--policy`` instead)."""

    def __init__(self, kind: str, policy_id: str, on: object, windows: Sequence[str], *,
                 ids: Sequence[str] | None = None, several: Sequence[str] = ()) -> None:
        self.kind, self.policy_id, self.on = kind, policy_id, on
        self.several = tuple(several)
        if several:
            super().__init__(f"several {kind} policies are in force on {on}: "
                             f"{', '.join(several)}; choose one (policy=...)")
            return
        if ids is not None and policy_id == "*":  # no policy of that kind at all
            super().__init__(f"the bundle has no {kind}")
            return
        if ids is not None:  # none of that id
            super().__init__(f"the bundle has no {kind} `{policy_id}` (its {kind} ids: "
                             f"{', '.join(ids) or 'none'})")
            return
        known = ", ".join(windows) or "none"
        super().__init__(
            f"no version of {kind} `{policy_id}` is in force on {on} (its versions: {known})"
        )


class EvaluationError(FinpolicyError, RuntimeError):
    """An engine failed while evaluating; the message names the policy and the cause."""


class CalendarError(FinpolicyError, LookupError):
    """A deadline falls in a year whose holiday schedule is not confirmed, and the policy
    asks for an error rather than a decision with a warning."""

    def __init__(self, jurisdiction: str, year: int, policy: str,
                 advice: str | None = None) -> None:
        self.jurisdiction, self.year, self.policy = jurisdiction, year, policy
        super().__init__(
            f"`{policy}`: the {jurisdiction} holiday schedule for {year} is not confirmed "
            f"(not in the installed holidays data nor in the policy's confirmed_years); "
            + (advice or "add it under spec.calendar.overrides and confirmed_years, or "
                         "update holidays"))
