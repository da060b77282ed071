"""Build-time checks of a complaint policy: its names, pauses, milestones and durations, what
it asks of events (contents, approvers, restarts, pause choices, windows), its grading and its
targets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from finpolicy.domains.complaints.targets import Target
from finpolicy.periods import Period
from finpolicy.rules.compile import NAME
from finpolicy.rules.vocabulary import hint

if TYPE_CHECKING:
    # type-only: policy.py imports this module
    from finpolicy.documents.registry import BuildContext
    from finpolicy.domains.complaints.policy import (
        ComplaintSpec,
        DurationSpec,
        MilestoneSpec,
        PauseSpec,
        RuleSpec,
    )

__all__ = ["build_pauses", "build_retention", "build_targets", "check_completions",
           "check_duration", "check_evidence",
           "check_milestone", "check_rule_milestones", "declared_events", "unique_names"]

_RECEIVED = "received"  # policy.RECEIVED, not imported: policy.py imports this module


def unique_names(items: Sequence[Any], attr: str, where: str, ctx: BuildContext) -> set[str]:
    """The ``attr`` of each item, each checked to be well-formed and unique."""
    seen: set[str] = set()
    for i, item in enumerate(items):
        name = getattr(item, attr)
        if not NAME.fullmatch(name):
            ctx.problem((where, i, attr), f"`{name}` should be lower-case words joined by `_`",
                        "bad_name")
        if name in seen:
            ctx.problem((where, i, attr), f"duplicate {attr} `{name}`", "duplicate_name")
        seen.add(name)
    return seen


def check_duration(spec: DurationSpec, path: tuple[str | int, ...], events: set[str],
                   ctx: BuildContext) -> None:
    """Each extension names a declared event and does not shorten the duration; one that
    comes ``after`` another names a shorter extension of the same duration."""
    amounts = {ext.event: ext.amount for ext in spec.extensions}
    for j, ext in enumerate(spec.extensions):
        if ext.after is not None and not amounts.get(ext.after, ext.amount) < ext.amount:
            ctx.problem((*path, "extensions", j, "after"), f"`{ext.after}` is no shorter "
                        f"extension of this duration ({', '.join(sorted(amounts))})",
                        "bad_extension")
        if ext.event not in events:
            ctx.problem((*path, "extensions", j, "event"), f"unknown event `{ext.event}`"
                        f"{hint(ext.event, sorted(events))}",
                        "unknown_event")
        if ext.amount < spec.amount:
            ctx.problem((*path, "extensions", j, "amount"), f"an extension ({ext.amount}) "
                        f"must not shorten the duration ({spec.amount})", "bad_extension")


def declared_events(spec: ComplaintSpec, ctx: BuildContext) -> set[str]:
    """The declared event kinds, after checking the category, severity, channel, flag and
    event names."""
    unique_names(spec.categories, "name", "categories", ctx)
    unique_names(spec.severities, "name", "severities", ctx)
    unique_names(spec.channels, "name", "channels", ctx)
    unique_names(spec.flags, "name", "flags", ctx)
    events = unique_names(spec.events, "name", "events", ctx)
    if _RECEIVED in events:
        ctx.problem(("events",), f"`{_RECEIVED}` is implicit (the complaint's received_at)",
                    "duplicate_name")
    return events


def build_pauses(items: Sequence[PauseSpec], events: set[str],
                 ctx: BuildContext) -> tuple[dict[str, str], dict[str, str]]:
    """Pause event → resume event and back; each event opens or closes one pause only."""
    pauses: dict[str, str] = {}
    resumes: dict[str, str] = {}
    for i, p in enumerate(items):
        for key in ("pause", "resume"):
            if getattr(p, key) not in events:
                ctx.problem(("pauses", i, key), f"unknown event `{getattr(p, key)}`"
                            f"{hint(getattr(p, key), sorted(events))}",
                            "unknown_event")
        if p.pause in pauses or p.pause in resumes or p.resume in resumes or p.resume in pauses \
                or p.pause == p.resume:
            ctx.problem(("pauses", i), "each event may open or close one pause only",
                        "duplicate_pause")
        pauses[p.pause] = p.resume
        resumes[p.resume] = p.pause
        ctx.check_cite(p.cite, ("pauses", i, "cite"))
    return pauses, resumes


def check_milestone(m: MilestoneSpec, where: tuple[str | int, ...], events: set[str],
                    ctx: BuildContext) -> None:
    """A milestone's starting and completing events are declared; its duration and cite hold."""
    all_events = events | {_RECEIVED}
    if m.starts not in all_events:
        ctx.problem((*where, "starts"), f"unknown event `{m.starts}`"
                    f"{hint(m.starts, sorted(all_events))}",
                    "unknown_event")
    for j, event in enumerate(m.completed_by):
        if event not in events:
            ctx.problem((*where, "completed_by", j), f"unknown event `{event}`"
                        f"{hint(event, sorted(events))}", "unknown_event")
    check_duration(m.duration, (*where, "duration"), events, ctx)
    ctx.check_cite(m.cite, (*where, "cite"))


def check_rule_milestones(rules: Sequence[RuleSpec], names: set[str], events: set[str],
                          ctx: BuildContext) -> None:
    """Every milestone a rule names is declared; the durations it sets are sound."""
    for i, item in enumerate(rules):
        for j, name in enumerate(item.milestones or ()):
            if name not in names:
                ctx.problem(("rules", i, "milestones", j), f"unknown milestone `{name}`"
                            f"{hint(name, sorted(names))}",
                            "unknown_milestone")
        for name, duration in item.durations.items():
            if name not in names:
                ctx.problem(("rules", i, "durations", name), f"unknown milestone `{name}`"
                            f"{hint(name, sorted(names))}",
                            "unknown_milestone")
            check_duration(duration, ("rules", i, "durations", name), events, ctx)
        for name, kinds in item.completed_by.items():
            where = ("rules", i, "completed_by", name)
            if name not in names:
                ctx.problem(where, f"unknown milestone `{name}`{hint(name, sorted(names))}",
                            "unknown_milestone")
            if not kinds:
                ctx.problem(where, "name at least one event that completes the milestone",
                            "bad_completion")
            for j, event in enumerate(kinds):
                if event not in events:
                    ctx.problem((*where, j), f"unknown event `{event}`"
                                f"{hint(event, sorted(events))}", "unknown_event")


def check_completions(spec: ComplaintSpec, ctx: BuildContext) -> None:
    """No event both extends a milestone's duration and completes it, in the milestone itself
    or in a rule that sets either: the first such event would meet the milestone (or come
    too late to extend it), so the extension could never count."""
    for i, m in enumerate(spec.milestones):
        _no_completing_extension(m.duration, m.completed_by, ("milestones", i, "completed_by"),
                                 m.name, ctx)
        for r, rule in enumerate(spec.rules):
            if m.name in rule.completed_by:
                where: tuple[str | int, ...] = ("rules", r, "completed_by", m.name)
            elif m.name in rule.durations:
                where = ("rules", r, "durations", m.name, "extensions")
            else:
                continue
            _no_completing_extension(rule.durations.get(m.name, m.duration),
                                     rule.completed_by.get(m.name, m.completed_by), where,
                                     m.name, ctx)


def _no_completing_extension(duration: DurationSpec, completing: Sequence[str],
                             where: tuple[str | int, ...], name: str,
                             ctx: BuildContext) -> None:
    for event in sorted({e.event for e in duration.extensions} & set(completing)):
        ctx.problem(where, f"`{event}` both extends the time limit and completes the "
                    f"milestone `{name}`: the extension could never count (a rule's "
                    "`completed_by` can leave it out where it extends)", "bad_completion")


def _names(items: Iterable[Any], where: str, ctx: Any) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not NAME.fullmatch(item.name):
            ctx.problem((where, i, "name"), f"`{item.name}` should be lower-case words joined "
                                            "by `_`", "bad_name")
        if item.name in seen:
            ctx.problem((where, i, "name"), f"duplicate name `{item.name}`", "duplicate_name")
        seen.add(item.name)
    return seen


def _known(values: Iterable[str], known: set[str], what: str, path: tuple[str | int, ...],
           ctx: Any) -> None:
    for j, value in enumerate(values):
        if value not in known:
            ctx.problem((*path, j), f"unknown {what} `{value}`", f"unknown_{what}")


def _extensions(duration: DurationSpec, path: tuple[str | int, ...], contents: set[str],
                approvers: set[str], ctx: Any) -> None:
    for j, ext in enumerate(duration.extensions):
        _known(ext.approved_by, approvers, "approver", (*path, "extensions", j, "approved_by"),
               ctx)
        _known(ext.requires, contents, "content", (*path, "extensions", j, "requires"), ctx)


def check_evidence(spec: ComplaintSpec, events: set[str], pause_events: set[str],
                   ctx: Any) -> None:
    """Every content, approver, restarting event, pause and window a milestone, extension or
    pause names is declared; grading cites a source."""
    contents = _names(spec.contents, "contents", ctx)
    approvers = _names(spec.approvers, "approvers", ctx)
    for i, m in enumerate(spec.milestones):
        where = ("milestones", i)
        _known(m.requires, contents, "content", (*where, "requires"), ctx)
        _known(m.restarted_by, events, "event", (*where, "restarted_by"), ctx)
        _known(m.paused_by or (), pause_events, "pause", (*where, "paused_by"), ctx)
        if m.starts_within is not None and m.starts_within.after not in events | {_RECEIVED}:
            ctx.problem((*where, "starts_within", "after"),
                        f"unknown event `{m.starts_within.after}`", "unknown_event")
        if m.conditional and m.starts == _RECEIVED:
            ctx.problem((*where, "conditional"), "a conditional milestone needs a starting "
                        "event other than `received`", "bad_conditional")
        _extensions(m.duration, (*where, "duration"), contents, approvers, ctx)
    for i, rule in enumerate(spec.rules):
        for name, duration in rule.durations.items():
            _extensions(duration, ("rules", i, "durations", name), contents, approvers, ctx)
    for i, pause in enumerate(spec.pauses):
        _known(pause.requires, contents, "content", ("pauses", i, "requires"), ctx)
    if spec.grading is not None:
        ctx.check_cite(spec.grading.cite, ("grading", "cite"))


def build_targets(spec: ComplaintSpec, events: set[str],
                  ctx: Any) -> tuple[Target, ...]:
    """The compiled targets, each checked against the declared events and contents."""
    contents = {c.name for c in spec.contents}
    out = []
    seen: set[str] = set()
    for i, t in enumerate(spec.targets):
        where = ("targets", i)
        if t.name in seen:
            ctx.problem((*where, "name"), f"duplicate target `{t.name}`", "duplicate_name")
        seen.add(t.name)
        if t.event not in events:
            ctx.problem((*where, "event"), f"unknown event `{t.event}`", "unknown_event")
        if t.stating not in contents:
            ctx.problem((*where, "stating"), f"unknown content `{t.stating}`",
                        "unknown_content")
        if t.against is not None and t.against not in contents:
            ctx.problem((*where, "against"), f"unknown content `{t.against}`",
                        "unknown_content")
        elif t.against == t.stating:
            ctx.problem((*where, "against"), f"`{t.against}` is the content that counts: the "
                        "other answer must be another content", "bad_target")
        ctx.check_cite(t.cite, (*where, "cite"))
        out.append(Target(t.name, t.title or t.name.replace("_", " "), t.event, t.stating,
                          t.at_least, t.reason, t.cite, t.against))
    return tuple(out)


def build_retention(spec: ComplaintSpec, ctx: Any) -> dict[str, Period]:
    """Retention per obligation; each must be an obligation some rule carries."""
    used = {o for rule in spec.rules for o in rule.obligations}
    out: dict[str, Period] = {}
    for name, item in spec.retention.items():
        if name not in used:
            ctx.problem(("retention", name), f"`{name}` is not an obligation of any rule",
                        "unknown_obligation")
        ctx.check_cite(item.cite, ("retention", name, "cite"))
        out[name] = item.build()
    return out
