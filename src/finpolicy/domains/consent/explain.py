"""Explaining consent decisions: why a use of data is denied, and what would allow it.

Allow is the better outcome; the processing rules that deny block it and those that allow
enable it (one must hold). Why-not names each deny rule with what it saw (the consent that
was withdrawn and when, expired, lapsed, given under an outdated notice, bundled, or not
naming the channel, recipient or levels; the local time against the allowed hours; the
contacts in the cap's window), then the requirement rules that asked for a consent no consent
met, with the requirements unmet.

What a person can change, and how a wanted fact maps back to the input:

- **a consent**: obtain one from the customer (for a minor, from a parent or guardian), now,
  to the request's purpose, with the scope
  the requirements ask for (given separately, naming the channel, the recipient, the data's
  levels and categories, under the newest notice the policy accepts) — a consent record
  added to the input, given at the request's time; after a withdrawal only one the customer
  chooses to give again, after the withdrawal;
- **the time**: wait until the next allowed hour in the customer's zone, until the frequency
  cap's window has room, or until a consent on record is given (``as_of`` later);
- **the channel**: contact the customer on another channel the purpose reaches customers on
  and a consent of theirs names;
- **personalisation**: send what is not chosen from the customer's profile, when no consent
  to profiling is in force (PIPL Art. 24);
- **the recipient's paperwork**: a data agreement (or entrustment contract) with the
  recipient, and a legal route for a transfer abroad (PIPL Art. 21, 23, 38);
- **a person's decision**: a significant decision the customer refused to have made solely by
  automated means is made by a person who assesses the application (``automated_decision``
  false: the denial's obligation ``human_review``, PIPL Art. 24 ¶3); never the other way, a
  decision made by a person turned into a solely automated one.

Never: a withdrawal undone, a consent on record changed or backdated, the customer, the
purpose (and so its lawful basis), the data's levels and categories, who the recipient is and
where, the customer's time zone or date of birth, a refusal of decisions made solely by
automated means (only the customer withdraws it, when they choose to: the bank cannot, and
does not ask them to), or a contact on record.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from finpolicy.decisions import Decision
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.clock import now
from finpolicy.domains.consent.evaluate import check_processing, items
from finpolicy.domains.consent.model import (
    Consent,
    ConsentDecision,
    ContactRecord,
    ProcessingRequest,
)
from finpolicy.domains.consent.review import review_time
from finpolicy.domains.consent.situation import Situation, settle
from finpolicy.domains.consent.spec import ConsentRules
from finpolicy.domains.consent.why import obstacles
from finpolicy.errors import InputError
from finpolicy.explain.explainer import (
    Explainer,
    Move,
    Role,
    bad_operation,
    dated_moves,
    set_value,
)
from finpolicy.explain.model import Change, Obstacle
from finpolicy.explain.patch import pointer
from finpolicy.rules.evaluate import Target
from finpolicy.rules.model import Rule
from finpolicy.runtime import Runtime

if TYPE_CHECKING:
    from finpolicy.explain.record import Analysis

__all__ = ["EXPLAINER", "ConsentExplainer"]

_KEYS = ("request", "consents", "contacts")
_FIXED_CONSENT = {"consent.required", "consent.requires"}
_WAITING = {"contact.in_hours", "contact.count", "contact.local_minutes"}
_ONE_SECOND = dt.timedelta(seconds=1)
_SITUATIONS: weakref.WeakKeyDictionary[Analysis, Situation | None] = \
    weakref.WeakKeyDictionary()


class ConsentExplainer(Explainer):
    """The consent domain's explainer (see the module docstring)."""

    domain = "consent"
    operations = ("check_processing",)
    outcomes = ("allow", "deny")
    immutable = ("the customer, the purpose and its lawful basis, the data's levels and "
                 "categories, who the recipient is and where, the customer's time zone and "
                 "date of birth, the consents, withdrawals and contacts on record, and the "
                 "customer's refusal of decisions made solely by automated means")

    # --- the input ----------------------------------------------------------------------------

    def case(self, method: str, args: Sequence[Any], kwargs: Mapping[str, Any]
             ) -> dict[str, Any]:
        if method != "check_processing":
            raise bad_operation(self, method)
        if kwargs.get("policy") is not None:
            raise InputError.one("policy", "explanations use the consent policy in force",
                                 "unknown_option", kwargs["policy"])
        request = kwargs.get("request", args[0] if args else None)
        return self.normalise({"request": request, "consents": kwargs.get("consents"),
                               "contacts": kwargs.get("contacts")}, None)

    def normalise(self, data: Any, as_of: Any) -> dict[str, Any]:
        if isinstance(data, Mapping) and ("review" in data or "export" in data):
            raise InputError.one("input", "expected one `request` with its `consents` and "
                                          "`contacts` (reviews and exports are not explained: "
                                          "explain an export's consent side as a request, its "
                                          "access side with `authorize`)", "bad_input")
        if not isinstance(data, Mapping) or "request" not in data:
            raise InputError.one("request", "expected one `request` with its `consents` and "
                                            "`contacts`", "missing")
        unknown = sorted(str(k) for k in data if k not in _KEYS)
        if unknown:
            raise InputError.one(unknown[0], "unknown key (expected request, consents, "
                                             "contacts)", "unknown_key")
        request = ProcessingRequest.parse(data["request"], field="request")
        if as_of is not None:  # the command's time takes the place of the request's own
            at = review_time(as_of)
            if request.as_of != at:
                request = request.model_copy(update={"as_of": at})
        elif request.as_of is None:
            request = request.model_copy(update={"as_of": now()})
        consents = items(data.get("consents"), Consent, "consents", none_is_empty=True)
        contacts = items(data.get("contacts"), ContactRecord, "contacts",
                         none_is_empty=True)
        return {"request": request.model_dump(mode="json"),
                "consents": [c.model_dump(mode="json") for c in consents],
                "contacts": [k.model_dump(mode="json") for k in contacts]}

    def decide(self, runtime: Runtime, case: Mapping[str, Any]) -> Decision:
        return check_processing(runtime, case["request"], consents=case["consents"],
                                contacts=case["contacts"])

    # --- rules --------------------------------------------------------------------------------

    def role(self, rule: Rule, target: str) -> Role | None:
        effect = rule.effect.get("effect")
        return "blocks" if effect == "deny" else "enables" if effect == "allow" else None

    def effect(self, rule: Rule) -> str:
        if "require" in rule.effect:
            return "requires " + ", ".join(rule.effect["require"])
        return str(rule.effect.get("effect", ""))

    def needs_enabler(self, target: str) -> bool:
        return True

    def obstacles(self, analysis: Analysis) -> list[Obstacle] | None:
        s = _situation(analysis)
        return None if s is None else obstacles(analysis, s)

    def notes(self, analysis: Analysis) -> list[str]:
        s = _situation(analysis)
        if s is None or analysis.target is None:
            return []
        out = []
        if s.stops():
            out.append(f"the customer withdrew consent to `{s.request.purpose}`: a withdrawal "
                       "is never undone, and only a new consent the customer chooses to give "
                       "after it counts")
        if _refused(s):
            out.append("the customer's refusal of decisions made solely by automated means "
                       "stands until the customer chooses to withdraw it: the bank neither "
                       "sets it aside nor asks them to withdraw it, and a person makes the "
                       "decision instead (PIPL Art. 24)")
        return out

    # --- levers -------------------------------------------------------------------------------

    def changeable(self, analysis: Analysis, path: tuple[str, ...]) -> bool:
        dotted = ".".join(path)
        s = _situation(analysis)
        if s is None:
            return False
        if path[0] == "consent":
            return dotted not in _FIXED_CONSENT
        if dotted in _WAITING:
            return s.request.channel is not None
        if dotted in ("request.channel", "request.channel_allowed"):
            return bool(_other_channels(s))
        if dotted in ("request.personalised", "profile.consented"):
            return s.request.personalised
        if dotted == "request.automated_decision":
            return _refused(s)
        recipient = s.request.recipient
        if dotted == "recipient.agreement":
            return recipient is not None and recipient.kind != "internal"
        if dotted == "recipient.legal_route":
            return recipient is not None and recipient.country not in (None,
                                                                      s.rules.home_country)
        return False

    def moves(self, analysis: Analysis, target: Target) -> list[Move]:
        s = _situation(analysis)
        if s is None:
            return []
        path = target.dotted
        if path.startswith("consent."):
            return [*_new_consent(s), *_wait_for_consent(s), *_channel_moves(s)]
        if path in _WAITING:
            return [*_wait(s), *_channel_moves(s)]
        if path in ("request.channel", "request.channel_allowed"):
            return _channel_moves(s)
        if path in ("request.personalised", "profile.consented"):
            return _not_personalised(analysis, s)
        if path == "request.automated_decision":
            return _by_a_person(analysis, s)
        if path == "recipient.agreement":
            return _agreement(analysis, s)
        if path == "recipient.legal_route":
            return _legal_route(analysis, s)
        return []


def _situation(analysis: Analysis) -> Situation | None:
    """The decision's situation (``None`` when it failed before deciding anything), worked
    out once per analysis (every traced comparison asks whether its fact can change)."""
    if analysis in _SITUATIONS:
        return _SITUATIONS[analysis]
    found = _SITUATIONS[analysis] = _worked_out(analysis)
    return found


def _worked_out(analysis: Analysis) -> Situation | None:
    decision = analysis.decision
    doc = next((r.doc for r in reversed(analysis.runs) if isinstance(r.doc.policy,
                                                                     ConsentRules)), None)
    if doc is None or not isinstance(decision, ConsentDecision) or \
            decision.rule_ids == ("evaluation-error",):
        return None
    typed: PolicyDocument[ConsentRules] = doc
    return Situation.of(typed, decision, analysis.case)


def _notice(s: Situation) -> str | None:
    """The newest notice the purpose accepts (the last the policy lists)."""
    spec = s.doc.spec.purposes.get(s.request.purpose)
    return spec.notices[-1] if spec is not None and spec.notices else None


def _scope(s: Situation, separate: bool) -> str:
    """The consent to obtain, in words: what it names, under which notice."""
    request, decision = s.request, s.decision
    named = []
    if request.channel:
        named.append(f"the channel `{request.channel}`")
    if request.recipient is not None:
        named.append(f"the recipient `{request.recipient.name}`")
    data = [*decision.data_levels, *decision.categories]
    if data:
        named.append(f"the data used ({', '.join(data)})")
    words = f"{'a separate' if separate else 'a'} consent to `{request.purpose}`"
    if named:
        words += " naming " + (", ".join(named[:-1]) + " and " if len(named) > 1 else "") \
            + named[-1]
    notice = _notice(s)
    return words + (f", under notice `{notice}`" if notice else "")


@dated_moves
def _new_consent(s: Situation) -> list[Move]:
    """A consent obtained from the customer now (after the last withdrawal that stops the
    purpose, if that is now), with the scope the requirements ask for."""
    if s.purpose is None or not s.required:
        return []
    request, decision = s.request, s.decision
    stopped = [w for w in s.stops() if w >= s.at]
    given = max([s.at, *(w + _ONE_SECOND for w in stopped)])
    taken = {c.id for c in s.consents}
    consent_id, n = "new-consent", 1
    while consent_id in taken:
        n += 1
        consent_id = f"new-consent-{n}"
    separate = "separate_consent" in s.required
    guardian = "guardian_consent" in s.required
    consent = {"id": consent_id, "customer": request.customer, "purpose": request.purpose,
               "channels": [request.channel] if request.channel else [],
               "data_levels": list(decision.data_levels),
               "categories": list(decision.categories),
               "recipients": [request.recipient.name] if request.recipient else [],
               "separate": separate, "given_at": given.isoformat(), "expires_at": None,
               "withdrawn_at": None, "evidence": None, "notice_version": _notice(s)}
    if guardian:  # (left out otherwise: the consent as the records without it read)
        consent["given_by"] = "guardian"
    who = "the customer's parent or guardian" if guardian else "the customer"
    text = f"obtain from {who} {_scope(s, separate)}, and record its evidence"
    if s.stops():
        text = "if the customer chooses to consent again, " + text
    changes = [Change("add", pointer("consents", "-"), consent)]
    if given > s.at:
        text += f"; then proceed after it is given ({s.local(given)})"
        changes.append(Change("replace", pointer("request", "as_of"), given.isoformat()))
    return [Move(text, tuple(changes), "consent", 1)]


@dated_moves
def _wait_for_consent(s: Situation) -> list[Move]:
    """Consents on record given after the request's time: proceed once one is (and the
    hours and the cap allow)."""
    out = []
    for consent in s.with_failure("not_yet_given"):
        when = consent.given_at
        cell = s.cell
        if cell is not None:
            when = settle(cell, s.contact_times(), when, s.zone)
        out.append(Move(f"wait until consent `{consent.id}` is given and proceed at "
                        f"{s.local(when)}",
                        (Change("replace", pointer("request", "as_of"),
                                when.astimezone(s.zone).isoformat()),), "time", 2))
    return out


@dated_moves
def _wait(s: Situation) -> list[Move]:
    """The next instant inside the allowed hours with room under the cap."""
    cell = s.cell
    if cell is None:
        return []
    after = settle(cell, s.contact_times(), s.at, s.zone)
    if after == s.at:
        return []
    why = []
    if not cell.in_hours(s.at.astimezone(s.zone).time()):
        why.append(f"the next allowed hour for `{s.request.channel}`")
    if s.decision.cap is not None and (s.decision.contacts_in_window or 0) >= s.decision.cap:
        why.append("when the frequency cap's window has room again")
    reason = f" ({'; '.join(why)})" if why else ""
    return [Move(f"wait until {s.local(after)}{reason}",
                 (Change("replace", pointer("request", "as_of"),
                         after.astimezone(s.zone).isoformat()),), "time", 2)]


def _other_channels(s: Situation) -> list[str]:
    """Channels the purpose reaches customers on, other than the request's, that a consent
    of the customer to the purpose names."""
    purpose, current = s.purpose, s.request.channel
    if purpose is None or current is None:
        return []
    named = {ch for c in s.candidates() for ch in c.channels}
    return [ch for ch in sorted(purpose.contact) if ch != current and ch in named]


def _channel_moves(s: Situation) -> list[Move]:
    out = []
    for channel in _other_channels(s):
        by = [c.id for c in s.candidates() if channel in c.channels]
        out.append(Move(f"contact the customer by `{channel}` instead (consented to in "
                        f"{', '.join(f'`{i}`' for i in by)})",
                        (Change("replace", pointer("request", "channel"), channel),),
                        "channel", 2))
    return out


def _not_personalised(analysis: Analysis, s: Situation) -> list[Move]:
    if not s.request.personalised:
        return []
    return [Move("send what is not chosen from the customer's profile (not personalised)",
                 (set_value(analysis.case, "request", "personalised", value=False),),
                 "personalisation", 2)]


def _refused(s: Situation) -> bool:
    """A significant decision made solely by automated means while the customer's refusal of
    them holds (the one fact of it a person changes: a person then makes the decision)."""
    refusal, request = s.request.automated_refusal, s.request
    return request.automated_decision and request.purpose in s.rules.significant and \
        refusal is not None and refusal.in_force(s.at)


def _by_a_person(analysis: Analysis, s: Situation) -> list[Move]:
    """The decision made by a person who assesses the application (``human_review``), not
    solely by automated means; the refusal itself is left as the customer made it."""
    if not _refused(s):
        return []
    return [Move("have a person assess the application and make the decision (it is then not "
                 "made solely by automated means), as the customer's refusal asks",
                 (set_value(analysis.case, "request", "automated_decision", value=False),),
                 "human_review", 1)]


def _agreement(analysis: Analysis, s: Situation) -> list[Move]:
    recipient = s.request.recipient
    if recipient is None or recipient.kind == "internal" or recipient.agreement is not None:
        return []
    what = ("an entrustment contract" if recipient.kind == "processor"
            else "a data security agreement")
    return [Move(f"conclude {what} with `{recipient.name}` and record its reference",
                 (set_value(analysis.case, "request", "recipient", "agreement",
                            value=f"agreement-with-{recipient.name}"),), "agreement", 3)]


def _legal_route(analysis: Analysis, s: Situation) -> list[Move]:
    recipient = s.request.recipient
    if recipient is None or recipient.transfer_mechanism is not None:
        return []
    return [Move(f"put a legal route for the transfer to `{recipient.name}` abroad in place "
                 "(here the standard contract; a security assessment or a certification "
                 "would do as well) and record it",
                 (set_value(analysis.case, "request", "recipient", "transfer_mechanism",
                            value="standard_contract"),), "transfer", 4)]


EXPLAINER = ConsentExplainer()
