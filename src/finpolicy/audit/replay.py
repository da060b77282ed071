"""Replaying a decision log: the same decisions again, or what another bundle would decide.

Each logged call is unsealed (the sealing secret is needed), evaluated again through its
domain's ``evaluate_input`` at the logged ``as_of``, and compared with what the log holds —
in the log's own masked form, every field but ``evaluated_at``. With another bundle, each
call is also evaluated under that bundle and the differences are grouped as ``finpolicy
diff`` groups them (a ``DiffReport``): a backtest of a policy change on real history.

Run ``verify_log`` first: replay trusts the records it reads.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

import attrs

from finpolicy.audit import calls
from finpolicy.audit.deciders import Deciders, Elsewhere
from finpolicy.audit.encode import decision_json, exact_dumps, exact_loads
from finpolicy.audit.errors import AuditError
from finpolicy.audit.keys import AuditKeys, checked_keys
from finpolicy.audit.masking import restore, shown_pairs
from finpolicy.audit.records import decode, unb64
from finpolicy.audit.scrub import Echo, scrub
from finpolicy.audit.sinks import Sink, open_sink
from finpolicy.documents.bundle import Bundle
from finpolicy.domains.base import DomainError
from finpolicy.errors import FinpolicyError, InputError, NotInForceError, one_line
from finpolicy.testing.diff import Change, DiffReport, Verdict

__all__ = ["Entry", "Mismatch", "ReplayReport", "read_entries", "replay_log"]

_IGNORED = ("evaluated_at",)


@attrs.frozen(slots=True)
class Entry:
    """One logged engine call, as stored (input masked, input sealed)."""

    seq: int
    log_id: str
    at: str
    domain: str
    method: str
    as_of: Any
    env: dict[str, Any]
    context: dict[str, Any] | None
    input: Any
    masked: dict[str, list[Any]]
    sealed: str | None
    decisions: list[dict[str, Any]]
    policy: str | None = None
    sealing: str | None = None
    """The id of the sealing secret the log names (``AuditKeys.secret_id``)."""

    @property
    def bundle_digest(self) -> str:
        return str(self.env.get("bundle", {}).get("digest", ""))

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.at[:10])

    def unseal(self, keys: AuditKeys) -> tuple[Any, dt.date | dt.datetime | None]:
        """The input in clear (the masked values put back) and its ``as_of``."""
        return self.opened(keys)[0], calls.parse_as_of(self.as_of)

    def opened(self, keys: AuditKeys) -> tuple[Any, list[Echo]]:
        """The input in clear, and the ``(value, shown)`` pairs (text, numbers) the entry
        masked (what was scrubbed from its decisions: replay scrubs its own the same way,
        whatever the masking of today's finpolicy would choose)."""
        if self.sealed is None:
            return self.input, []
        try:
            raw = keys.unseal(unb64(self.sealed, f"entry {self.seq} sealed"),
                              f"{self.log_id}:{self.seq}".encode())
        except AuditError as exc:
            raise AuditError(f"entry {self.seq}: {exc}") from None
        originals = exact_loads(raw)
        return restore(self.input, originals), shown_pairs(self.input, originals)


def read_entries(target: str | os.PathLike[str] | Sink) -> Iterator[Entry]:
    """Every decision entry of a log, in order."""
    return entries_holding(target, None)


_DECISION = b'"type":"decision"'


def entries_holding(target: str | os.PathLike[str] | Sink,
                    holds: Callable[[bytes], bool] | None) -> Iterator[Entry]:
    """``read_entries``, passing over unread each decision record whose stored bytes
    ``holds`` rejects (a search's quick test: most entries do not hold the value sought, and
    reading one costs far more than looking for a few bytes in it)."""
    sink = open_sink(target)
    log_id, sealing = "", None
    try:
        for stored in sink.records():
            if stored.torn:
                continue  # a write interrupted at the end of the log (verify says so too)
            if stored.problem:
                raise AuditError(f"{stored.where}: {stored.problem}{_VERIFY}")
            if holds is not None and _DECISION in stored.body and not holds(stored.body):
                continue
            try:
                data = decode(stored.body)
                if data.get("type") in ("open", "segment"):
                    log_id, sealing = str(data.get("log")), data.get("sealing")
                if data.get("type") != "decision":
                    continue
                entry = Entry(int(data["seq"]), log_id, str(data["at"]), str(data["domain"]),
                              str(data["method"]), data.get("as_of"),
                              dict(data.get("env") or {}), data.get("context"),
                              data.get("input"), dict(data.get("masked") or {}),
                              data.get("sealed"), list(data.get("decisions") or []),
                              data.get("policy"), None if sealing is None else str(sealing))
            except (KeyError, TypeError, ValueError) as exc:
                raise AuditError(f"{stored.where}: not a readable decision record "
                                 f"({_what(exc)}){_VERIFY}") from None
            yield entry
    finally:
        sink.close()


_VERIFY = "; `finpolicy audit verify` the log to find what was changed"


def _what(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@attrs.frozen(slots=True)
class Mismatch:
    """A logged call whose decisions came out differently on replay.

    Attributes:
        entry: the entry number.
        index: which of the call's decisions (``-1``: the call as a whole).
        differences: ``path: logged → replayed`` for each field that differs.
    """

    entry: int
    domain: str
    method: str
    index: int
    differences: tuple[str, ...]

    def __str__(self) -> str:
        which = "" if self.index < 0 else f" decision {self.index}"
        return f"entry {self.entry} ({self.domain} {self.method}){which}: " + \
            "; ".join(self.differences)


@attrs.frozen(slots=True)
class ReplayReport:
    """The result of ``replay_log``.

    Attributes:
        entries: decision entries replayed.
        decisions: decisions compared.
        mismatches: calls whose decisions differ from the log under the bundle that decided.
        impact: with another bundle, what it would change, grouped as ``finpolicy diff``
            groups changes.
        warnings: entries decided with another calendar data version or finpolicy than the
            replay's (a difference may come from them rather than the policy or the log).
        approved_by: with trusted keys, those that signed the deciding bundles (``None``:
            approval was not checked).
    """

    target: str
    entries: int
    decisions: int
    bundles: tuple[str, ...]
    mismatches: tuple[Mismatch, ...]
    impact: DiffReport | None = None
    warnings: tuple[str, ...] = ()
    approved_by: tuple[str, ...] | None = None

    @property
    def reproduced(self) -> bool:
        return not self.mismatches

    def changed_entries(self) -> list[tuple[int, ...]]:
        """With another bundle, the log entries of each group of ``impact.groups``, in order:
        a group shows one example, an examiner needs every entry it counts."""
        if self.impact is None:
            return []
        seqs: dict[tuple[str, str, str], set[int]] = {}
        for change in self.impact.changes:
            key = (change.domain, change.old.outcome, change.new.outcome)
            seqs.setdefault(key, set()).add(int(change.sample.key.rpartition(":")[2]))
        return [tuple(sorted(seqs.get((g.domain, g.old, g.new), ())))
                for g in self.impact.groups]

    def to_dict(self) -> dict[str, Any]:
        impact = None if self.impact is None else self.impact.to_dict()
        if impact is not None:
            for group, entries in zip(impact["groups"], self.changed_entries(), strict=True):
                group["entries"] = list(entries)
        return {"target": self.target, "entries": self.entries, "decisions": self.decisions,
                "bundles": list(self.bundles), "reproduced": self.reproduced,
                "mismatches": [attrs.asdict(m) for m in self.mismatches],
                "impact": impact,
                "warnings": list(self.warnings),
                "approved_by": None if self.approved_by is None else list(self.approved_by)}


def replay_log(target: str | os.PathLike[str] | Sink, keys: AuditKeys, *,
               bundle: Bundle | None = None, deciders: Iterable[Bundle] = (),
               engine: str | None = None, trusted_keys: Iterable[Any] | None = None
               ) -> ReplayReport:
    """Evaluate every logged call again.

    Args:
        target: the log.
        keys: keys holding the sealing secret.
        bundle: another bundle to compare with (``impact`` then reports what it changes).
        deciders: the bundles that decided, when they are no longer at the folder the log
            recorded (each is matched by digest).
        engine: evaluate with this engine instead of the one each entry names.
        trusted_keys: public keys of the bank's approvers: every bundle that decided must
            carry a current signature by one of them (``finpolicy bundle sign``), proving the
            policy text that decided was the approved one.

    Raises:
        AuditError: no sealing secret, a sealed input that does not open, or an entry whose
            deciding bundle cannot be found or (with ``trusted_keys``) is not approved.
    """
    checked_keys(keys)
    found = Deciders(deciders, trusted_keys)
    entries = decisions = 0
    mismatches: list[Mismatch] = []
    changes: list[Change] = []
    evaluated: dict[str, int] = {}
    skipped: dict[str, int] = {}
    other = None
    elsewhere = Elsewhere()
    for entry in read_entries(target):
        decider = found.bundle(entry)
        name = engine or str(entry.env.get("engine", "compiled"))
        data, replaced = _opened(entry, keys)
        as_of = calls.parse_as_of(entry.as_of)
        now, refused = _judged(entry.domain, found.engine(decider, name), data, as_of,
                               _where(entry))
        replayed = _chosen(entry, now)
        entries += 1
        decisions += len(entry.decisions)
        ignored = _IGNORED if engine is None else (*_IGNORED, "engine")
        differs = _compare(entry, replayed, replaced, ignored, refused)
        elsewhere.add(entry, bool(differs))
        mismatches += differs
        if bundle is not None:
            other = other or found.engine(bundle, name)
            outcome = _impact(entry, data, as_of, replayed, other, replaced)
            if outcome is None:
                skipped[entry.domain] = skipped.get(entry.domain, 0) + 1
            else:
                evaluated[entry.domain] = evaluated.get(entry.domain, 0) + 1
                changes += outcome
    impact = None if bundle is None else _report(found, bundle, changes, evaluated, skipped)
    names = tuple(f"{b.name} {b.version} ({d[:12]})" for d, b in found.bundles.items()
                  if d in found.used)  # a --with bundle that decided nothing is no decider
    return ReplayReport(open_sink(target).url, entries, decisions, names, tuple(mismatches),
                        impact, elsewhere.warnings(), found.approved_by())


def _opened(entry: Entry, keys: AuditKeys) -> tuple[Any, list[Echo]]:
    """``entry.opened(keys)``, a record that does not open naming its entry (and both
    secrets' ids, when the log names another than the keys')."""
    if entry.sealing is not None and entry.sealing != keys.secret_id:
        raise AuditError(f"entry {entry.seq}: the log was written with sealing secret "
                         f"{entry.sealing}, these keys hold {keys.secret_id}: give the key "
                         "folder of the log's secret (a log keeps the keys it was opened "
                         "with; rotated keys start a new log)")
    try:
        return entry.opened(keys)
    except FinpolicyError:
        raise
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise AuditError(f"entry {entry.seq}: its input cannot be restored "
                         f"({_what(exc)}){_VERIFY}") from None


def _where(entry: Entry) -> str:
    return f"log entry {entry.seq} ({entry.method})"


# evaluate_input picks the policy in force by kind: a call that named another one (policy=)
# cannot be replayed
_CHOSEN = ("<the call named its policy (policy=), which replay cannot choose: it decides by "
           "the one policy of the kind in force>")


def _uninstalled(domain: str) -> str:
    return (f"<the log names the domain `{domain}`, which is not installed here: install the "
            "plug-in that provides it to replay its entries>")


def _unreplayable(replayed: list[Any] | str) -> bool:
    """Whether ``replayed`` says the call could not be made again at all (rather than that
    it now raises)."""
    return isinstance(replayed, str) and (replayed == _CHOSEN or replayed.startswith(
        "<the log names the domain"))


def _chosen(entry: Entry, decided: list[Any] | str) -> list[Any] | str:
    """``decided`` when the call named no policy or the one that decided is the one it named
    (a bundle holds one policy of each kind, as a rule); ``_CHOSEN`` otherwise."""
    if entry.policy is None:
        return decided
    if isinstance(decided, str):
        return _CHOSEN
    named = {getattr(getattr(d, "policy", None), "id", None) for d in decided}
    return decided if named <= {entry.policy} else _CHOSEN


def _evaluate(domain: str, engine: Any, data: Any, as_of: Any, where: str = "a logged call"
              ) -> list[Any] | str:
    """The decisions, or the sentinel ``finpolicy diff`` compares (``INVALID`` …)."""
    return _judged(domain, engine, data, as_of, where)[0]


def _judged(domain: str, engine: Any, data: Any, as_of: Any, where: str = "a logged call"
            ) -> tuple[list[Any] | str, str]:
    """``_evaluate``, and when the call now raises, what was refused: each problem's code and
    path, never its value nor its message (either may quote the customer's data).

    Raises:
        DomainError: the domain's ``evaluate_input`` raised an exception that is no finpolicy
            error (a plug-in's bug), naming the domain and ``where``.
    """
    from finpolicy.domains.registry import names
    from finpolicy.testing.diff import ERROR, INVALID, NOT_IN_FORCE

    if domain not in names():  # a plug-in uninstalled since: no call of it can be made
        return _uninstalled(domain), ""
    try:
        return calls.evaluate(domain, engine, data, as_of), ""
    except InputError as exc:
        return INVALID, "; ".join(one_line(f"{p.code} at {p.path or '(the input)'}")
                                  for p in exc.problems)
    except NotInForceError:
        return NOT_IN_FORCE, ""
    except FinpolicyError as exc:
        return ERROR, type(exc).__name__
    except Exception as exc:  # the domain's own code (a plug-in's): name it, not its words
        raise DomainError(f"domain `{domain}`: its evaluate_input raised "
                          f"{type(exc).__name__} on {where} (the message is not shown: "
                          "it may quote the logged input)") from exc


def _compare(entry: Entry, replayed: list[Any] | str, replaced: list[Echo],
             ignored: tuple[str, ...], refused: str = "") -> list[Mismatch]:
    if isinstance(replayed, str):
        why = f"cannot be replayed: {replayed}" if _unreplayable(replayed) else \
            f"the logged call now raises: {replayed}" + (f" ({refused})" if refused else "")
        return [Mismatch(entry.seq, entry.domain, entry.method, -1, (why,))]
    out = []
    if len(replayed) != len(entry.decisions):
        out.append(Mismatch(entry.seq, entry.domain, entry.method, -1, (
            f"decisions: {len(entry.decisions)} logged → {len(replayed)} replayed",)))
    for i, (logged, decision) in enumerate(zip(entry.decisions, replayed, strict=False)):
        differences = _differences(logged, _scrubbed(decision, replaced), ignored)
        if differences and any(not isinstance(v, str) for v, _ in replaced):
            # an entry written before numbers were masked in decisions shows them in clear
            texts: list[Echo] = [(v, s) for v, s in replaced if isinstance(v, str)]
            if not _differences(logged, _scrubbed(decision, texts), ignored):
                differences = ()
        if differences:
            out.append(Mismatch(entry.seq, entry.domain, entry.method, i, differences))
    return out


def _scrubbed(decision: Any, replaced: list[Echo]) -> Any:
    """``decision.to_dict()`` with the values its entry masked masked."""
    blob = decision_json(decision)
    return exact_loads(scrub(blob, replaced) if replaced else blob)


def _differences(logged: Any, now: Any, ignored: tuple[str, ...] = _IGNORED,
                 path: str = "") -> tuple[str, ...]:
    if isinstance(logged, dict) and isinstance(now, dict):
        out: list[str] = []
        # a key the entry lacks is a field a later finpolicy added to the decision (a
        # consent finding's customer): nothing was logged to compare it with
        for key in sorted(logged.keys()):
            if not path and key in ignored:
                continue
            out += _differences(logged.get(key), now.get(key), ignored,
                                f"{path}.{key}" if path else key)
        return tuple(out)
    if isinstance(logged, list) and isinstance(now, list) and len(logged) == len(now):
        return tuple(d for i, (a, b) in enumerate(zip(logged, now, strict=True))
                     for d in _differences(a, b, ignored, f"{path}.{i}"))
    if logged != now:
        return (f"{path}: {_text(logged)} → {_text(now)}",)
    return ()


def _text(value: Any) -> str:
    return "—" if value is None else exact_dumps(value).decode()[:80]


def _impact(entry: Entry, data: Any, as_of: Any, replayed: list[Any] | str,
            other: Any, replaced: list[Echo]) -> list[Change] | None:
    """The decisions of one entry that ``other`` decides differently (``None``: neither
    bundle could judge the input), shown with the values the entry masked masked
    (``replaced``), as the entry shows its input."""
    from finpolicy.testing.diff import INVALID, NOT_IN_FORCE, Sample, _pairs

    new = _chosen(entry, _evaluate(entry.domain, other, data, as_of, _where(entry)))
    if _unreplayable(replayed) or _unreplayable(new):  # (another policy, no such domain)
        return None
    if INVALID in (replayed, new) and {replayed, new} <= {INVALID, NOT_IN_FORCE}:
        return None
    olds = [Verdict(replayed)] * max(len(new) if isinstance(new, list) else 1, 1) \
        if isinstance(replayed, str) else [Verdict.of(d) for d in replayed]
    news = [Verdict(new)] * max(len(replayed) if isinstance(replayed, list) else 1, 1) \
        if isinstance(new, str) else [Verdict.of(d) for d in new]
    when = as_of if isinstance(as_of, dt.date) else None
    sample = Sample(entry.domain, entry.input, when, f"log entry {entry.seq}",
                    f"{entry.log_id}:{entry.seq}")
    out = []
    for i, (a, b) in enumerate(_pairs(olds, news)):
        if not a.same(b):
            a, b = _masked(a, replaced), _masked(b, replaced)
            out.append(Change(sample, i, a, b, _rules(a, b), a.fields_changed(b)))
    return out


def _masked(verdict: Verdict, replaced: list[Echo]) -> Verdict:
    """``verdict`` whose decision shows the values its entry masked masked (a report of the
    change is read, kept and passed on like the log)."""
    if verdict.decision is None or not replaced:
        return verdict
    return attrs.evolve(verdict, decision=cast(Any, _MaskedDecision(verdict.decision,
                                                                    replaced)))


class _MaskedDecision:
    """A decision whose ``to_dict`` is scrubbed with an entry's masked values."""

    def __init__(self, decision: Any, replaced: list[Echo]) -> None:
        self._decision, self._replaced = decision, replaced

    def to_dict(self) -> Any:
        return exact_loads(scrub(decision_json(self._decision), self._replaced))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._decision, name)


def _rules(old: Verdict, new: Verdict) -> tuple[str, ...]:
    out = [f"-{r}" for r in old.hits if r not in new.hits]
    out += [f"+{r}" for r in new.hits if r not in old.hits]
    return tuple(out)


def _report(found: Deciders, other: Bundle, changes: list[Change], evaluated: dict[str, int],
            skipped: dict[str, int]) -> DiffReport:
    from finpolicy.testing.diff import _group, _policy_changes

    olds = list(found.bundles.values())
    old_name = ", ".join(f"{b.name} {b.version} ({b.digest[:12]})" for b in olds) or "none"
    policies = tuple(p for b in olds for p in _policy_changes(b, other))
    return DiffReport(old_name, f"{other.name} {other.version} ({other.digest[:12]})",
                      _group(changes), tuple(changes), evaluated, skipped, policies)
