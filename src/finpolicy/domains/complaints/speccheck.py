"""Build-time checks of what a complaint policy asks of events (contents, approvers,
restarts, pause choices, windows), of its grading and of its targets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from finpolicy.domains.complaints.targets import Target
from finpolicy.periods import Period

if TYPE_CHECKING:
    from finpolicy.domains.complaints.policy import ComplaintSpec, DurationSpec

__all__ = ["build_retention", "build_targets", "check_evidence"]

_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_RECEIVED = "received"


def _names(items: Iterable[Any], where: str, ctx: Any) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not _NAME.fullmatch(item.name):
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
    """Every content, approver, restarting event, pause and window a milestone or extension
    names is declared; grading cites a source."""
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
        ctx.check_cite(t.cite, (*where, "cite"))
        out.append(Target(t.name, t.title or t.name.replace("_", " "), t.event, t.stating,
                          t.at_least, t.reason, t.cite))
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
