"""Why a consent decision denies, in the domain's words.

The deny rules that hold come from the rules (``finpolicy.explain.words``), each with a note
naming what the rule saw: which consent was withdrawn (and when), expired, lapsed, given under
an outdated notice, bundled, not given by a minor's guardian (or given by a guardian for a
customer who was not a minor), or does not name the channel,
recipient or levels; the customer's
local time against the allowed hours; the contacts in the cap's window; a purpose the policy
does not declare (with the one it resembles) or a channel its purpose does not reach
customers on; where a recipient abroad is. Then the requirement
rules that asked for a consent no consent met, each with the requirements unmet (separate
consent, channel named, recipient named, levels named, a consent in force).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from finpolicy.domains.consent.consents import given_day, minor, reached
from finpolicy.domains.consent.situation import Situation, settle
from finpolicy.domains.consent.spec import REQUIREMENT_NAMES, REQUIREMENTS
from finpolicy.explain.model import Clause, Obstacle
from finpolicy.explain.words import rule_obstacles
from finpolicy.rules.conditions import Compare
from finpolicy.rules.evaluate import leaves
from finpolicy.rules.vocabulary import hint

if TYPE_CHECKING:
    from finpolicy.domains.consent.model import Consent
    from finpolicy.explain.record import Analysis, Traced

__all__ = ["REQUIREMENT_FAILURES", "obstacles"]

REQUIREMENT_FAILURES = {"separate_consent": "not_separate",
                        "channel_named": "channel_not_covered",
                        "recipient_named": "recipient_not_covered",
                        "levels_named": "level_not_covered",
                        "guardian_consent": "not_by_guardian"}
"""A requirement, and the failure of a consent that does not meet it."""


def _names(values: Any) -> str:
    return ", ".join(f"`{v}`" for v in values) or "none"


def _failure_note(s: Situation, name: str) -> str:
    """What each consent with the failure ``name`` shows, in words."""
    out = []
    stopped = s.stops()
    used = s.used()
    for c in s.with_failure(name):
        if name == "withdrawn":
            if c.withdrawn_at is not None and reached(c.withdrawn_at, s.rules.withdrawal_delay,
                                                      s.at):
                out.append(f"`{c.id}` was withdrawn at {s.local(c.withdrawn_at)}")
            else:
                out.append(f"`{c.id}` was stopped by a withdrawal of the purpose at "
                           f"{s.local(max(w for w in stopped if c.given_at <= w))}")
        elif name == "expired" and c.expires_at is not None:
            out.append(f"`{c.id}` expired at {s.local(c.expires_at)}")
        elif name == "lapsed" and s.purpose is not None:
            out.append(f"`{c.id}` was given at {s.local(c.given_at)}; a consent to "
                       f"`{s.request.purpose}` lasts {s.purpose.consent_days} days")
        elif name == "notice_outdated" and s.purpose is not None:
            shown = [c.notice_version] if c.notice_version else []
            out.append(f"`{c.id}` names notice {_names(shown)}; the policy accepts "
                       f"{_names(sorted(s.purpose.notices))}")
        elif name == "not_yet_given":
            out.append(f"`{c.id}` is given only at {s.local(c.given_at)}")
        elif name == "not_separate":
            out.append(f"`{c.id}` was bundled with other terms")
        elif name == "channel_not_covered":
            out.append(f"`{c.id}` names channels {_names(c.channels)}; the contact is by "
                       f"`{used.channel}`")
        elif name == "recipient_not_covered":
            out.append(f"`{c.id}` names recipients {_names(c.recipients)}; the data goes to "
                       f"`{used.recipient}`")
        elif name == "level_not_covered":
            out.append(f"`{c.id}` names levels {_names(c.data_levels)}; the data used is "
                       f"{_names(used.levels)}")
        elif name in ("not_by_guardian", "not_by_customer"):
            out.append(_giver_note(s, c, name))
        elif name == "category_not_covered":
            out.append(f"`{c.id}` names categories {_names(c.categories)}; the data used is "
                       f"{_names(used.categories)}")
    return "; ".join(out)


def _giver_note(s: Situation, c: Consent, name: str) -> str:
    """Who gave ``c``, and how old the customer was then."""
    under, born = s.rules.minors_under, s.request.birth_date
    then = given_day(s.rules, c, s.zone)
    if name == "not_by_customer":
        age = ("the request gives no date of birth" if born is None
               else f"the customer (born {born}) was {under} or older on {then}")
        return (f"`{c.id}` was given by a guardian; {age}, and a guardian consents only for "
                f"a minor (under {under}): the customer's own consent counts")
    if minor(s.rules, born, then) and not minor(s.rules, born, s.local_day):
        return (f"`{c.id}` was given by the customer on {then}, under {under} (born {born}): "
                f"a minor's consent is given by a guardian, and it does not count now either")
    return (f"`{c.id}` was given by the {c.given_by}; the customer is a minor (under "
            f"{under}), whose consent a guardian gives")


def _no_consent_note(s: Situation) -> str:
    """No consent to the purpose; the customer's consents to other purposes do not stand in
    for one (a new purpose needs a new consent)."""
    note = f"no consent of the customer to `{s.request.purpose}` was given"
    others = sorted({c.purpose for c in s.consents} - {s.request.purpose})
    if others:
        note += (f"; their consents to {_names(others)} do not cover another purpose, which "
                 "needs its own consent")
    return note


def _purpose_note(s: Situation) -> str:
    """The request's purpose against the policy's, or its channel against the purpose's."""
    purpose, rules = s.request.purpose, s.rules
    if s.purpose is None:
        return (f"`{purpose}` is not a purpose of the policy{hint(purpose, rules.purposes)}; "
                f"its purposes are {_names(rules.purposes)}")
    reach = _names(s.purpose.contact)
    return (f"`{purpose}` reaches customers on {reach}, not on `{s.request.channel}`"
            if s.purpose.contact else f"`{purpose}` reaches customers on no channel")


def _hours_note(s: Situation) -> str:
    cell = s.cell
    if cell is None or cell.start is None or cell.end is None:
        return ""
    after = settle(cell, s.contact_times(), s.at, s.zone)
    return (f"local time {s.local(s.at)}; `{s.request.channel}` for `{s.request.purpose}` is "
            f"allowed {cell.start:%H:%M}–{cell.end:%H:%M}; next allowed "
            f"{s.local(after)}")


def _cap_note(s: Situation) -> str:
    cell, decision = s.cell, s.decision
    if cell is None or cell.cap is None or decision.contacts_in_window is None:
        return ""
    after = settle(cell, s.contact_times(), s.at, s.zone)
    return (f"{decision.contacts_in_window} contacts by `{s.request.channel}` for "
            f"`{s.request.purpose}` in the {cell.cap_days} days up to now, the cap is "
            f"{cell.cap}; contact allowed again from {s.local(after)}")


def _refusal_note(s: Situation) -> str:
    refusal = s.request.automated_refusal
    if refusal is None:
        return ""
    named = f" (`{refusal.id}`)" if refusal.id else ""
    return (f"the customer refused decisions made solely by automated means at "
            f"{s.local(refusal.refused_at)}{named} and has not withdrawn the refusal: a person "
            "reviews the decision")


def _note(s: Situation, traced: Traced) -> str:
    """What the rule saw, in the domain's words."""
    notes = []
    for leaf in leaves(traced.trace):
        if not leaf.held or not isinstance(leaf.condition, Compare):
            continue
        path, op = leaf.condition.dotted, leaf.condition.op
        if path == "consent.failures" and op == "contains":
            notes.append(_failure_note(s, str(leaf.condition.value)))
        elif path == "contact.in_hours":
            notes.append(_hours_note(s))
        elif path == "contact.count":
            notes.append(_cap_note(s))
        elif path == "profile.consented":
            notes.append(f"no consent of the customer to `{s.rules.profiling_purpose}` (their "
                         f"profile) is in force at {s.local(s.at)}")
        elif path == "automated.refused":
            notes.append(_refusal_note(s))
        elif path == "consent.offered":
            notes.append(_no_consent_note(s))
        elif path in ("request.purpose_known", "request.channel_allowed"):
            notes.append(_purpose_note(s))
        elif path == "recipient.cross_border" and s.request.recipient is not None:
            to = s.request.recipient
            notes.append(f"`{to.name}` is in `{to.country}`, outside `{s.rules.home_country}`")
    return "; ".join(n for n in dict.fromkeys(notes) if n)


def _unmet(s: Situation, requirement: str, found: dict[str, list[str]]) -> Clause | None:
    """The requirement as a clause that failed, or ``None`` when some consent meets it."""
    ids = [c.id for c in s.candidates()]
    if requirement == "consent":
        # in force, and covering what no other requirement names: failing only another
        # requirement is that requirement's obstacle
        named = {REQUIREMENT_FAILURES[r] for r in s.required if r in REQUIREMENT_FAILURES}
        bad = [i for i in ids if set(found[i]) - named]
        if ids and len(bad) < len(ids):
            return None
    else:
        failure = REQUIREMENT_FAILURES[requirement]
        bad = [i for i in ids if failure in found[i]]
        if len(bad) < len(ids):
            return None
    saw = (f"not met by {', '.join(f'`{i}`' for i in bad)}" if bad
           else f"no consent to `{s.request.purpose}` was given")
    return Clause(REQUIREMENT_NAMES[requirement], False, saw, ("consent.failures",),
                  (bad,), True)


def _requirement_obstacles(analysis: Analysis, s: Situation) -> list[Obstacle]:
    """The requirement rules that held, with the requirements no consent met."""
    if s.decision.consent_id is not None or not s.required:
        return []
    found = s.failures()
    if any(not why for why in found.values()):
        return []  # a consent counts: something else denies
    out = []
    for t in analysis.traced:
        if t.run.ruleset != REQUIREMENTS or not t.trace.held:
            continue
        wanted = list(dict.fromkeys(t.rule.effect["require"]))
        unmet = [c for r in wanted if (c := _unmet(s, r, found)) is not None]
        if unmet:
            out.append(Obstacle("rule", t.rule.id, "blocks",
                                "requires " + ", ".join(wanted), t.rule.reason, t.rule.cite,
                                tuple(unmet), len(unmet), True))
    return out


def obstacles(analysis: Analysis, s: Situation) -> list[Obstacle]:
    """The deny rules that hold (with what they saw), the nearest allow rules when none
    does, then the requirement rules no consent met."""
    by_rule = {t.rule.id: t for t in analysis.traced if t.run.ruleset != REQUIREMENTS}
    out = []
    for obstacle in rule_obstacles(analysis):
        traced = by_rule.get(obstacle.id)
        note = _note(s, traced) if traced is not None and obstacle.role == "blocks" else ""
        out.append(attrs.evolve(obstacle, note=note) if note else obstacle)
    return out + _requirement_obstacles(analysis, s)
