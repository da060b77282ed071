"""Inputs (``Complaint``, ``ComplaintEvent``) and results (``MilestoneStatus``,
``SlaDecision``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import attrs
from pydantic import (
    BeforeValidator,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from finpolicy.decisions import Decision, decision_maker
from finpolicy.inputs import InputModel, Instant
from finpolicy.limits import (
    MAX_ITEMS,
    MAX_LONG_ITEMS,
    MAX_TERM_LENGTH,
    MAX_TEXT_LENGTH,
    Reference,
)
from finpolicy.periods import Period

STATUSES: tuple[str, ...] = ("met", "pending", "at_risk", "breached")
"""Milestone and overall statuses, from the best to the worst."""
Status = Literal["met", "pending", "at_risk", "breached"]


def minute_text(value: dt.datetime) -> str:
    """``value`` to the minute with its UTC offset, ``2025-03-31 23:59 +08:00``: a zone's
    abbreviation (``%Z``) says ``CST`` for China Standard Time and for US Central time alike.
    A time without an offset is written without one."""
    offset = f"{value:%z}"
    return f"{value:%Y-%m-%d %H:%M}" + (f" {offset[:3]}:{offset[3:5]}" if offset else "")


def _with_offset(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A time without an offset is refused saying how to write it (pydantic's own message,
    'input should have timezone info', says neither)."""
    try:
        return handler(value)
    except ValidationError as exc:
        if not any(e["type"] == "timezone_aware" for e in exc.errors()):
            raise
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        # a day alone (a date, `2026-03-01`) needs its time of day too
        example = f"{text}T09:00+08:00" if len(text) <= 10 else f"{text}+08:00"
        raise PydanticCustomError(
            "timezone_aware", "`{value}` has no timezone offset: write it with one, e.g. "
            "`{example}` (Beijing time)", {"value": text, "example": example}) from None


def _one_approver(value: Any) -> Any:
    """An event names the one approver of its approval; a list (as a policy's extension
    lists the approvers it accepts) is refused saying so, not as 'a valid string'."""
    if isinstance(value, list | tuple):
        raise PydanticCustomError(
            "string_type", "expected the name of the one approver of this event (e.g. "
            "`higher_branch`), got a list: an extension's `approved_by` in the policy lists "
            "who may approve, an event names who did", {})
    return value


OffsetInstant = Annotated[Instant, WrapValidator(_with_offset)]
"""An aware datetime; one without an offset is refused saying how to write it."""


class ComplaintEvent(InputModel):
    """Something that happened to a complaint: ``kind`` is one of the policy's events."""

    kind: str = Field(min_length=1, max_length=MAX_TERM_LENGTH,
                      description="Event kind, e.g. `acknowledged`, `extended`.")
    at: OffsetInstant = Field(description="When it happened (with a time zone offset).")
    note: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH,
                             description="Free text for people; ignored by the SLA.")
    # a tuple: most events state nothing, and the shared empty tuple costs no memory
    states: tuple[Annotated[str, Field(max_length=MAX_TERM_LENGTH)], ...] = Field(
        default=(), max_length=MAX_ITEMS,
        description="What the letter or record of this event stated, from the policy's "
                    "`contents` (e.g. `basis`, `remedies`).")
    approved_by: Annotated[str | None, BeforeValidator(_one_approver)] = Field(
        default=None, max_length=MAX_TERM_LENGTH,
        description="Who approved it, one of the policy's `approvers` (e.g. an extension "
                    "approved by `higher_branch`).")


class Complaint(InputModel):
    """A customer complaint and what has happened to it so far.

    ``received_at`` starts the clock; ``events`` list later events in any order (pauses,
    extensions, responses). Category, severity, channel, flags and event kinds must be known to
    the policy (checked when evaluating, ``InputError`` naming the field otherwise).
    """

    id: Reference = Field(description="Complaint id.")
    received_at: OffsetInstant = Field(description="When it was received (with an "
                                                   "offset).")
    channel: str = Field(min_length=1, max_length=MAX_TERM_LENGTH,
                         description="How it came in, e.g. `phone`, `branch`.")
    category: str = Field(min_length=1, max_length=MAX_TERM_LENGTH,
                          description="Category, e.g. `product`, `service`.")
    severity: str = Field(default="general", min_length=1, max_length=MAX_TERM_LENGTH,
                          description="Grade, e.g. `major`.")
    flags: list[Annotated[str, Field(max_length=MAX_TERM_LENGTH)]] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Policy flags, e.g. `payment`.")
    events: list[ComplaintEvent] = Field(default_factory=list, max_length=MAX_LONG_ITEMS,
                                         description="What happened.")
    criteria: dict[Annotated[str, Field(max_length=MAX_TERM_LENGTH)],
                   Annotated[str, Field(max_length=MAX_TERM_LENGTH)]] | None = Field(
        default=None, max_length=MAX_ITEMS,
        description="Grading criteria stated for the complaint, e.g. "
                    "`{reach: several_customers}`; the policy's grading may raise the "
                    "severity from them.")


@attrs.frozen(slots=True, kw_only=True)
class MilestoneStatus:
    """One milestone of a complaint at ``now``.

    Attributes:
        name: the milestone (e.g. ``initial_response``).
        status: ``met`` (completed on time), ``breached`` (completed late, or open past its
            due time), ``at_risk`` (open, past the policy's share of the allowed time) or
            ``pending`` (open and on time, or not started yet).
        due_at: the deadline in the policy's time zone; ``None`` until the starting event.
        completed_at: the first completing event, if any (in the policy's time zone).
        started_at: the starting event's time, if it happened.
        allowed: the duration that applied, e.g. ``"30 calendar days"``.
        paused_seconds: total time the clock was stopped while this milestone was open.
        notes: why events did not count (a letter that did not state what it must, an
            extension without the required approval) and clock restarts.

    .. versionchanged:: 0.2.0
       ``notes``.
    """

    name: str
    status: Status
    due_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    allowed: str = ""
    paused_seconds: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        return self.completed_at is None


@attrs.frozen(slots=True, kw_only=True)
class SlaDecision(Decision):
    """The SLA position of one complaint at ``as_of`` (the ``now`` it was evaluated for).

    Attributes:
        outcome: the overall status, the worst of the milestones' (``met`` when all are met).
        complaint_id: the complaint's id.
        milestones: each applicable milestone's status, in policy order.
        next_due: the earliest due time of an open milestone not yet past due, or ``None``.
        route: the department that handles the complaint.
        escalations: who must be told (by severity, rules, and breached milestones), sorted.
        paused: whether the clock is stopped at ``now``.
        warnings: what the decision is unsure of, e.g. a deadline in a year whose holiday
            schedule is not yet published (when the policy decides with a warning).
        severity: the effective severity: the complaint's own, raised by the policy's grading
            criteria (``None`` for reports built without one).
        retention: obligation → how long the records it produces are kept (for the
            obligations of this report that the policy gives a retention period).

    Milestones that apply only once their starting event happens are left out until it does.
    """

    complaint_id: str
    milestones: tuple[MilestoneStatus, ...] = ()
    next_due: dt.datetime | None = None
    route: str
    escalations: tuple[str, ...] = ()
    paused: bool = False
    warnings: tuple[str, ...] = ()
    severity: str | None = None
    retention: Mapping[str, Period] = attrs.field(factory=dict,
                                                  hash=False)  # (a mapping: not hashed)

    @property
    def status(self) -> str:
        """The overall status (same as ``outcome``)."""
        return self.outcome

    def milestone(self, name: str) -> MilestoneStatus:
        """The status of milestone ``name`` (``LookupError`` when it does not apply)."""
        for m in self.milestones:
            if m.name == name:
                return m
        raise LookupError(f"milestone `{name}` does not apply to complaint {self.complaint_id}")

    def _details(self) -> list[str]:
        lines = [f"complaint {self.complaint_id} → {self.route}"
                 + (f"; escalate to {', '.join(self.escalations)}" if self.escalations else "")
                 + ("; clock paused" if self.paused else "")]
        lines += [f"  warning: {w}" for w in self.warnings]
        for m in self.milestones:
            due = minute_text(m.due_at) if m.due_at else "not started"
            done = f", done {m.completed_at:%Y-%m-%d %H:%M}" if m.completed_at else ""
            lines.append(f"  {m.name:<20} {m.status:<8} due {due} ({m.allowed}){done}")
            lines.extend(f"    note: {n}" for n in m.notes)
        return lines


# --- packed milestones -------------------------------------------------------------------------
# A report made by the engine holds its milestones packed until they are first read: one flat
# tuple, ``PACKED`` then ``MilestoneStatus``'s eight field values per milestone. Nothing in it
# is tracked by the cyclic collector, so the collector stops scanning it at its first pass; a
# kept report then costs it one object instead of seven (a sixth of a single call's
# instructions with 20,000 reports kept). The slot attrs made stays the storage, so fields,
# equality, ``evolve`` and the encoders see the statuses.

PACKED: Any = object()
"""First item of a packed ``milestones`` tuple."""

_status = decision_maker(MilestoneStatus, "name", "status", "due_at", "completed_at",
                         "started_at", "allowed", "paused_seconds", "notes")


def unpacked(value: tuple[Any, ...]) -> tuple[MilestoneStatus, ...]:
    """The statuses of a ``milestones`` tuple, packed or not."""
    if value and value[0] is PACKED:
        make = _status
        return tuple(make(*value[i:i + 8]) for i in range(1, len(value), 8))
    return value


def _milestones_property() -> property:
    slot = SlaDecision.__dict__["milestones"]

    def read(self: SlaDecision) -> tuple[MilestoneStatus, ...]:
        value = slot.__get__(self, SlaDecision)
        if value and value[0] is PACKED:
            value = unpacked(value)
            slot.__set__(self, value)  # (a race stores equal statuses twice: harmless)
        return value  # type: ignore[no-any-return]

    return property(read, slot.__set__, doc="each applicable milestone's status, in policy "
                                             "order.")


setattr(SlaDecision, "milestones", _milestones_property())  # noqa: B010 - past attrs' slots
