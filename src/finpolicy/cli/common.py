"""What the subcommands share: exit codes, options, loading bundles, reporting errors."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import click
from rich.console import Console
from rich.markup import escape

import finpolicy as fp
from finpolicy.domains.base import DomainError
from finpolicy.engines import ENGINES
from finpolicy.errors import FinpolicyError, InputError, NotInForceError, PolicyError, one_line
from finpolicy.runtime import PINNED, Runtime, StateKey

if TYPE_CHECKING:
    from finpolicy.decisions import PolicyRef
    from finpolicy.documents.bundle import Bundle, PolicyDocument
    from finpolicy.documents.registry import CompiledPolicy, PolicyKind
    from finpolicy.rules.model import Rule

__all__ = [
    "EXIT_FAILED",
    "EXIT_INVALID_INPUT",
    "EXIT_INVALID_POLICY",
    "EXIT_OK",
    "BadValue",
    "ChosenRuntime",
    "as_of_option",
    "at_zone",
    "bundle_option",
    "cell",
    "chosen_policies",
    "console",
    "dump_json",
    "engine_option",
    "err_console",
    "exit_with",
    "load_engine",
    "parse_when",
    "plain_value",
    "plural",
    "policy_exit",
    "policy_option",
    "reports_errors",
    "sheet_cell",
    "sheet_column",
    "shown",
]

# The only exit codes finpolicy's CLI uses (documented in `finpolicy --help`).
EXIT_OK = 0
EXIT_FAILED = 1  # a check failed: tests, diff under --fail-on, a denied request …
EXIT_INVALID_POLICY = 2
EXIT_INVALID_INPUT = 3

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
P = TypeVar("P", bound="CompiledPolicy")
_AS_OF_NAME = "finpolicy.as_of_option"

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def exit_with(code: int) -> NoReturn:
    """End the command with one of the ``EXIT_*`` codes."""
    if code not in (EXIT_OK, EXIT_FAILED, EXIT_INVALID_POLICY, EXIT_INVALID_INPUT):
        raise ValueError(f"not a finpolicy exit code: {code}")
    sys.exit(code)


def reports_errors(func: F) -> F:
    """Turn finpolicy errors into readable messages and exit codes, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolicyError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            exit_with(policy_exit(exc))
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            exit_with(EXIT_INVALID_INPUT)
        except NotInForceError as exc:  # the time (or policy id) asked for is the input's
            click.echo(f"error: {_not_in_force(exc)}", err=True)
            exit_with(EXIT_INVALID_INPUT)
        except DomainError as exc:  # a domain (a plug-in) that cannot do what it declares
            click.echo(f"error: {exc}", err=True)
            exit_with(EXIT_INVALID_POLICY)
        except FinpolicyError as exc:
            click.echo(f"error: {exc}", err=True)
            exit_with(EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def domain_code(name: str, what: str) -> Iterator[None]:
    """Run a domain's own code (a plug-in's ``evaluate_input``): an exception that is no
    finpolicy error is a ``DomainError`` naming the domain and what raised, not a traceback.
    """
    try:
        yield
    except FinpolicyError:
        raise
    except Exception as exc:
        raise DomainError(f"domain `{name}`: its {what} raised {type(exc).__name__}: "
                          f"{one_line(str(exc))}") from exc


def _not_in_force(exc: NotInForceError) -> str:
    """``exc``'s message; when several policies of a kind are in force, the remedy the
    command line has (``--policy ID``, not the typed API's ``policy=``)."""
    several = exc.several
    context = click.get_current_context(silent=True)
    if not several or context is None or not any(
            isinstance(p, click.Option) and "--policy" in p.opts for p in context.command.params):
        return str(exc)
    return (f"several {exc.kind} policies are in force on {exc.on}: {', '.join(several)}; "
            "choose one with --policy ID")


_PATH_CODES = ("no_bundle", "ambiguous_bundle")


def policy_exit(exc: PolicyError) -> int:
    """The exit code of a ``PolicyError``: 2 (invalid policy), but 3 (invalid input) when it
    only says that the path given names no pack, or names two (``no_bundle``,
    ``ambiguous_bundle``)."""
    if exc.problems and all(p.code in _PATH_CODES for p in exc.problems):
        return EXIT_INVALID_INPUT
    return EXIT_INVALID_POLICY


class _BundlePath(click.Path):
    """A bundle folder, a shipped pack's name or ``git:REV:PATH`` (checked before any work;
    a revision's folder is extracted then, once, and refused as ``load_bundle`` refuses it)."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        from finpolicy.documents.bundle import shipped_packs
        from finpolicy.documents.git import checkout, is_git_spec

        path = super().convert(value, param, ctx)
        text = str(path)
        if is_git_spec(text):
            try:
                checkout(text)
            except InputError as exc:  # load_bundle's own words
                self.fail(str(exc), param, ctx)
            except PolicyError:  # (a link out of the folder: reported when loaded)
                pass
            return path
        if os.path.isdir(text) or (text and "/" not in text and "\\" not in text
                                   and (shipped_packs() / text).is_dir()):
            return path  # (a name both shipped and a folder here is refused when loaded)
        shipped = sorted(p.name for p in shipped_packs().iterdir()
                         if (p / "bundle.yaml").is_file())
        what = ("an empty name" if not text else f"`{text}`, a file" if os.path.exists(text)
                else f"`{text}`, which does not exist")
        self.fail(f"expected a bundle folder, the name of a shipped pack "
                  f"({', '.join(shipped)}) or git:REV:PATH, got {what}", param, ctx)


def bundle_option(func: F) -> F:
    return click.option("--bundle", "-b", "bundle_path", default=None, metavar="PATH",
                        type=_BundlePath(),
                        help="Bundle folder, shipped pack name or git:REV:PATH (the folder as "
                             "a git revision holds it; default: cn-banking).")(func)


def policy_option(func: F) -> F:
    """``--policy ID`` (repeatable, ``policy_ids``): the command's ``policy=``, for
    ``chosen_policies``."""
    return click.option("--policy", "policy_ids", multiple=True, metavar="ID",
                        help="The policy that decides (its metadata.id), when the pack has "
                             "several of its kind in force: a draft beside the released one. "
                             "Repeat for another kind the command reads (consent reads "
                             "classification and access).")(func)


class ChosenRuntime:
    """``runtime``, on which a call that names no policy of a kind in ``chosen`` is decided
    by the policy ``chosen`` names for it (``--policy``), as the typed API's ``policy=``
    chooses one; ``asked`` collects the kinds looked up."""

    __slots__ = ("_runtime", "asked", "chosen")

    def __init__(self, runtime: Runtime, chosen: Mapping[str, str]) -> None:
        self._runtime, self.chosen = runtime, dict(chosen)
        self.asked: set[str] = set()

    @property
    def bundle(self) -> Bundle:
        return self._runtime.bundle

    @property
    def engine_name(self) -> str:
        return self._runtime.engine_name

    @property
    def observed(self) -> bool:
        return bool(getattr(self._runtime, "observed", True))

    def policy(self, kind: PolicyKind[Any, P], on: dt.date,
               policy_id: str | None = None) -> PolicyDocument[P]:
        name = kind if isinstance(kind, str) else kind.name
        self.asked.add(name)
        if policy_id is None:
            policy_id = self.chosen.get(name)
        return self._runtime.policy(kind, on, policy_id)

    def run(self, doc: PolicyDocument[Any], ruleset: str,
            fact: Mapping[str, Any]) -> Sequence[Rule]:
        return self._runtime.run(doc, ruleset, fact)

    def ref(self, doc: PolicyDocument[Any]) -> PolicyRef:
        return self._runtime.ref(doc)

    def state(self, key: StateKey[T]) -> T:
        return self._runtime.state(key)

    def check_read(self, what: str) -> None:
        """Refuse an ``--policy`` of a kind no decision read: it chose nothing."""
        unread = sorted((i, k) for k, i in self.chosen.items() if k not in self.asked)
        if unread:
            raise BadValue("; ".join(f"`{one_line(i)}` is of kind {k}, which no {what} "
                                     "read" for i, k in unread), param_hint="--policy")


def choose(runtime: Runtime, policy_ids: Sequence[str], kinds: Sequence[str],
           what: str) -> ChosenRuntime:
    """``runtime`` deciding by the policies ``--policy`` names (one id for each kind).

    Raises:
        BadValue: the bundle has no policy of an id (naming those of ``kinds``, ``what``
            reads, and the others), or two ids are of one kind.
    """
    docs = runtime.bundle.documents
    by_kind: dict[str, str] = {}
    for policy_id in policy_ids:
        kind = next((d.kind for d in docs if d.id == policy_id), None)
        if kind is None:
            mine = sorted({d.id for d in docs if d.kind in kinds})
            others = sorted({d.id for d in docs if d.kind not in kinds})
            raise BadValue(f"the bundle has no policy `{one_line(policy_id)}` (its "
                           f"{what + ' ' if what else ''}policies: {', '.join(mine) or 'none'}"
                           + (f"; others: {', '.join(others)})" if others else ")"),
                           param_hint="--policy")
        if by_kind.get(kind, policy_id) != policy_id:
            raise BadValue(f"`{by_kind[kind]}` and `{one_line(policy_id)}` are both "
                           f"{kind} policies: name one", param_hint="--policy")
        by_kind[kind] = policy_id
    return ChosenRuntime(runtime, by_kind)


@contextlib.contextmanager
def chosen_policies(policy_engine: fp.PolicyEngine, policy_ids: Sequence[str],
                    domain_name: str | None = None) -> Iterator[Runtime]:
    """The runtime to decide on with the policies ``--policy`` named (``policy_ids``) for
    the domain ``domain_name`` (every domain: ``None``); ``policy_engine``'s own methods
    decide on it too inside the block. An id of a kind no decision read is refused at the
    end (``BadValue``), as are unknown ids and two of one kind at the start."""
    if not policy_ids:
        yield policy_engine.runtime
        return
    from finpolicy.domains.registry import domain, domains

    found = [domain(domain_name)] if domain_name is not None else domains()
    kinds = [k.name for d in found for k in d.kinds]
    chosen = choose(policy_engine.runtime, policy_ids, kinds, domain_name or "")
    token = PINNED.set((policy_engine, cast(Any, chosen)))  # typed methods decide on it
    try:
        yield chosen
    finally:
        PINNED.reset(token)
    chosen.check_read(f"{domain_name} decision" if domain_name else "decision")


def engine_option(func: F) -> F:
    return click.option("--engine", "-e", type=click.Choice(ENGINES),
                        default="compiled", show_default=True,
                        help="Which engine evaluates the rules.")(func)


def _legacy_key(name: str) -> str:
    return "legacy_" + name.lstrip("-").replace("-", "_")


def as_of_option(*, help: str, legacy: tuple[str, ...] = (), required: bool = False,
                 metavar: str = "DATE|DATETIME") -> Callable[[F], F]:
    """The ``--as-of`` option (the evaluation time, one name across the CLI), with its old
    spellings (``--now``, ``--at``) still accepted, hidden, with a warning."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            value = kwargs.get("as_of")
            for name in legacy:
                old = kwargs.pop(_legacy_key(name), None)
                if old is None:
                    continue
                click.echo(f"warning: {name} is deprecated, use --as-of", err=True)
                if value is not None:
                    raise click.UsageError(f"give --as-of or {name}, not both")
                value = old
                # a bad value is reported under the name the user typed
                click.get_current_context().meta[_AS_OF_NAME] = name
            if required and value is None:
                raise click.UsageError("Missing option '--as-of'.")
            kwargs["as_of"] = value
            return func(*args, **kwargs)

        command = cast(F, wrapper)
        for name in legacy:
            command = click.option(name, _legacy_key(name), default=None, hidden=True)(command)
        suffix = "" if not required else " Required."
        return click.option("--as-of", "as_of", default=None, metavar=metavar,
                            help=help + suffix)(command)

    return decorate


def load_engine(bundle_path: str | None, engine: str) -> fp.PolicyEngine:
    return fp.PolicyEngine(fp.load_bundle(bundle_path), engine=engine)


class BadValue(click.BadParameter):
    """An option's value is invalid: exit 3 (invalid input), like any other bad input."""

    exit_code = EXIT_INVALID_INPUT


def parse_when(value: str | None, *, aware: bool, option: str = "--as-of",
               moment_ok: bool = False) -> dt.date | dt.datetime | None:
    """Parse ``--as-of`` (or the deprecated spelling the user gave): a date, or (``aware``)
    an ISO datetime with an offset; ``moment_ok``: a date or an ISO datetime with an offset
    (for domains that decide by day but take an instant, as their APIs do).

    Raises:
        BadValue: naming the option (exit 3).
    """
    if value is None:
        return None
    context = click.get_current_context(silent=True)
    if context is not None and option == "--as-of":
        option = context.meta.get(_AS_OF_NAME, option)
    try:
        if aware or (moment_ok and len(value) > 10):  # more than a date: an instant
            when = dt.datetime.fromisoformat(value)
            if when.tzinfo is None:
                raise BadValue(f"`{value}` needs a time zone offset, e.g. "
                               "2026-02-01T09:00+08:00", param_hint=option)
            return when
        return dt.date.fromisoformat(value)
    except ValueError:
        expected = "an ISO datetime with an offset" if aware else \
            "an ISO date, or an ISO datetime with an offset" if moment_ok else \
            "an ISO date (YYYY-MM-DD)"
        raise BadValue(f"`{value}` is not {expected}", param_hint=option) from None


def shown(text: str) -> str:
    """``text`` to print on a terminal: its lines kept, and in each the control, format and
    lone surrogate characters an input may hold written as escapes (``\\x1b``, ``\\u202e``),
    so an id such as ``c1\\x1b[1A…`` cannot move the cursor and overwrite what was printed."""
    return "\n".join(one_line(line) for line in text.split("\n"))


def cell(text: str) -> str:
    """An input's text for a rich table cell or markup string: ``shown``, and rich's markup
    escaped (an id such as ``[red]c1`` is printed as it is, not as a colour)."""
    return escape(shown(text))


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 rule``, ``2 rules`` (``nouns`` for an irregular plural)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def dump_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def plain_value(value: Any) -> Any:
    """A decision's value (as Arrow's ``to_pylist`` gives it) for JSON: times in ISO form."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    return value


def sheet_cell(value: Any) -> str:
    """A decision's value for a spreadsheet cell: a list as its items separated by ``; ``,
    nothing as an empty cell, a structure as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(sheet_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(plain_value(value), ensure_ascii=False)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def at_zone(value: Any, zone: dt.tzinfo | None) -> Any:
    """``value`` with its times at ``zone``'s offset (Arrow gives them in UTC)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None and zone is not None:
        return value.astimezone(zone)
    return [at_zone(v, zone) for v in value] if isinstance(value, list) else value


def sheet_column(values: list[Any], zone: dt.tzinfo | None = None) -> list[str]:
    """The spreadsheet cells of a column of decisions (``sheet_cell``, times at ``zone``,
    a cell a spreadsheet would run as a formula written as text), each distinct value
    written once (a column of decisions holds a few: outcomes, rule ids, levels)."""
    from finpolicy.cli.badrows import spreadsheet_safe

    def write(value: Any) -> str:
        return str(spreadsheet_safe({"": sheet_cell(at_zone(value, zone))})[""])

    memo: dict[Any, str] = {}  # (a column has one type: True and 1 never meet)
    out = []
    for value in values:
        try:
            key = tuple(value) if isinstance(value, list) else value
            out.append(memo[key])
        except KeyError:
            out.append(memo.setdefault(key, write(value)))
        except TypeError:  # (a value that cannot be a key: a structure)
            out.append(write(value))
    return out
