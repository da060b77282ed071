"""The version history of a policy as docutils nodes: for each pair of consecutive versions,
when the new one starts deciding, the rules added, changed and removed, the settings, tables
and sources that changed (``docgen.changes``) and the decisions that differ."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from docutils import nodes

from finpolicy import docgen
from finpolicy.docgen.doctree import (
    node_literal,
    node_para,
    node_raw,
    node_section,
    rule_anchor,
)
from finpolicy.documents.bundle import Bundle, PolicyDocument

__all__ = ["RULE_TARGET", "history_nodes", "rule_mention"]


def _change_instant(old: PolicyDocument[Any], new: PolicyDocument[Any]) -> str:
    """`` (from 2026-01-31 16:00 UTC, midnight in Asia/Shanghai: …)`` for a policy whose
    days are counted in a time zone; nothing otherwise."""
    zone = getattr(new.policy, "zone", None)
    if not isinstance(zone, dt.tzinfo):
        return ""
    start = dt.datetime.combine(new.metadata.effective_from, dt.time(0), zone)
    return (f" (from {start.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}, midnight in "
            f"{zone}; an instant before it is decided under {old.version})")


def history_nodes(bundle: Bundle, policy_id: str | None = None,
                  engine: Any = None) -> list[nodes.Node]:
    """For each pair of consecutive versions: the rules added, removed and changed, then the
    settings, tables and sources that changed, then (given the engine) the decisions that
    differ."""
    out: list[nodes.Node] = []
    for old, new in docgen.version_pairs(bundle):
        if policy_id is not None and old.id != policy_id:
            continue
        section = node_section(f"{old.id}: {old.version} → {new.version}",
                               f"history-{old.id}-{old.version}-{new.version}")
        section += node_para(f"{old.version} was in force {docgen.window_text(old)}; "
                             f"{new.version} from {new.metadata.effective_from}"
                             + _change_instant(old, new) + ".")
        section.extend(_rule_change_nodes(old, new, docgen.rule_changes(old, new)))
        section.extend(_spec_change_nodes(old, new))
        if engine is not None:
            for title, markup in docgen.decision_changes(engine, old, new):
                sub = node_section(title, f"history-{old.id}-{old.version}-{new.version}-{title}")
                sub += node_raw(markup, f"{title}: {old.id} {old.version} to {new.version}")
                section += sub
        out.append(section)
    if not out:
        out.append(node_para("No policy here has more than one version."))
    return out


def _change_list(items: Sequence[tuple[list[nodes.Node], Sequence[str]]]
                 ) -> nodes.definition_list:
    """A term (its nodes) per changed thing, its changes as a bullet list."""
    listing = nodes.definition_list(classes=["finpolicy-changes"])
    for term_parts, lines in items:
        item = nodes.definition_list_item()
        term = nodes.term()
        term += term_parts
        item += term
        body = nodes.definition()
        details = nodes.bullet_list()
        for line in lines:
            entry = nodes.list_item()
            entry += node_para(line)
            details += entry
        body += details
        item += body
        listing += item
    return listing


def _rule_change_nodes(old: PolicyDocument[Any], new: PolicyDocument[Any],
                       changes: Sequence[docgen.RuleChange]) -> list[nodes.Node]:
    if not changes:
        return [node_para("No rule changed.")]
    out: list[nodes.Node] = []
    for kind in ("added", "changed", "removed"):
        picked = [c for c in changes if c.change == kind]
        if picked:
            out.append(nodes.rubric(f"Rules {kind}", f"Rules {kind} ({len(picked)})"))
            out.append(_change_list([([rule_mention(old if kind == "removed" else new,
                                                    c.ruleset, c.rule_id),
                                       nodes.Text(f" (rule set {c.ruleset})")], c.details)
                                     for c in picked]))
    return out


RULE_TARGET = "finpolicy_rule"
"""The attribute of a rule's id shown on another page than its policy's: ``(policy id, anchor
of the rule's entry)``; ``finpolicy.docgen.links`` makes it a link where the policy has its
page (the site of ``finpolicy docs``)."""


def rule_mention(doc: PolicyDocument[Any], ruleset: str, rule_id: str) -> nodes.literal:
    """A rule's id, marked with where its entry is (``RULE_TARGET``)."""
    literal = node_literal(rule_id)
    literal[RULE_TARGET] = (doc.id, rule_anchor(doc, ruleset, rule_id))
    return literal


def _spec_change_nodes(old: PolicyDocument[Any], new: PolicyDocument[Any]
                       ) -> list[nodes.Node]:
    """The settings and tables, and the sources, that differ (``docgen.changes``)."""
    from finpolicy.docgen.changes import source_changes, spec_changes

    out: list[nodes.Node] = []
    tables = spec_changes(old, new)
    if tables:
        out.append(nodes.rubric("", f"Settings and tables changed ({len(tables)})"))
        out.append(_change_list([([nodes.Text(title)], lines) for title, lines in tables]))
    sources = source_changes(old, new)
    if sources:
        out.append(nodes.rubric("", f"Sources changed ({len(sources)})"))
        out.append(_change_list([([nodes.Text("Sources")], sources)]))
    if not tables and not sources:
        out.append(node_para("No setting, table or source changed."))
    return out
