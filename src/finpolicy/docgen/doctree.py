"""Policy documents as docutils nodes: metadata, pictures, the spec's tables, sources, rules
and invariants of each version, and the history of changes between versions. The Sphinx
directives of ``finpolicy.sphinx`` place these nodes in a page."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from docutils import nodes

from finpolicy import docgen
from finpolicy.docgen.notes import Note, file_notes
from finpolicy.documents.bundle import Bundle, PolicyDocument
from finpolicy.errors import FinpolicyError

__all__ = ["CITED", "INDEX_ENTRIES", "bundle_nodes", "history_nodes", "node_cell", "node_fields",
           "node_literal", "node_para", "node_raw", "node_rich", "node_section", "node_table",
           "policy_nodes", "rule_anchor", "select", "source_link", "stable_rule_anchor",
           "versions_nodes", "web_url"]


def node_section(title: str, ident: str) -> nodes.section:
    section = nodes.section(ids=[nodes.make_id(ident)])
    section += nodes.title(title, title)
    return section


def node_para(*parts: nodes.Node | str, classes: Sequence[str] = ()) -> nodes.paragraph:
    para = nodes.paragraph(classes=list(classes))
    for part in parts:
        para += nodes.Text(part) if isinstance(part, str) else part
    return para


def node_fields(items: Iterable[tuple[str, nodes.Node | str]]) -> nodes.field_list:
    out = nodes.field_list()
    for name, body in items:
        field = nodes.field()
        field += nodes.field_name(name, name)
        content = nodes.field_body()
        content += body if isinstance(body, nodes.Element) and not isinstance(
            body, nodes.Inline) else node_para(body)
        field += content
        out += field
    return out


def node_table(header: Sequence[str], rows: Iterable[Sequence[str | nodes.Node]], *,
           widths: Sequence[int] | None = None) -> nodes.table:
    # a wide table is marked, so the printable edition can give it a landscape page
    wide = ["finpolicy-wide"] if len(header) >= 7 else []
    table = nodes.table(classes=["finpolicy-table", "colwidths-given", *wide], width="100%")
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths or [1] * len(header):
        group += nodes.colspec(colwidth=width)

    def row_of(cells: Sequence[str | nodes.Node]) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += node_para(cell) if isinstance(cell, str | nodes.Inline | nodes.Text) else cell
            row += entry
        return row

    head = nodes.thead()
    head += row_of(header)
    group += head
    body = nodes.tbody()
    for cells in rows:
        body += row_of(cells)
    group += body
    return table


def node_raw(markup: str, label: str) -> nodes.raw:
    # a wide picture scrolls inside its own box instead of widening the page; the box is a
    # named region that takes the keyboard focus, so it can be scrolled without a mouse
    return nodes.raw("", f'<div class="finpolicy-scroll" role="region" tabindex="0" '
                         f'aria-label="{html.escape(label, quote=True)}">{markup}</div>',
                     format="html")


def web_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) address (the only kind shown as a link: a
    policy file is not trusted to put ``javascript:`` or ``file:`` links in the docs)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) \
        and not any(c.isspace() or ord(c) < 32 for c in url.strip())


def source_link(url: str) -> nodes.Node:
    if web_url(url):
        clean = url.strip()
        return nodes.reference(clean, clean, refuri=clean)
    return node_literal(url)


def node_literal(text: str) -> nodes.literal:
    return nodes.literal(text, text)


def node_rich(text: str) -> nodes.paragraph:
    """A paragraph where `backticked` words (as docstrings and descriptions write them) are
    shown as code."""
    parts: list[nodes.Node | str] = []
    for i, piece in enumerate(text.split("`")):
        if piece:
            parts.append(node_literal(piece) if i % 2 else piece)
    if text.count("`") % 2:  # unbalanced: show it as written
        parts = [text]
    return node_para(*parts)


def node_cell(text: str) -> nodes.Node:
    """A table cell: one paragraph per ``|``-separated entry."""
    parts = text.split(" | ")
    if len(parts) == 1:
        return node_rich(text)
    box = nodes.container()
    for part in parts:
        box += node_rich(part)
    return box


# --- rendering policies --------------------------------------------------------------------------

def policy_nodes(doc: PolicyDocument[Any], engine: Any, *, pictures: bool = True,
                 anchored: set[str] | None = None) -> list[nodes.Node]:
    """Metadata, pictures, the spec's tables, sources and every rule of one document
    version. ``anchored``: the anchors without a version a newer version on the same page
    already carries (each rule's goes to the newest version holding it)."""
    m = doc.metadata
    out = _metadata_nodes(doc)
    if pictures:
        for title, markup in docgen.pictures(engine, doc):
            section = node_section(title, f"{m.id}-{m.version}-{title}")
            section += node_raw(markup, f"{title} of {m.id} {m.version}")
            out.append(section)
    out.extend(_tables_section(doc))
    out.extend(_sources_section(doc))
    # the pack's language (zh: facts also show their Chinese labels)
    language = docgen.pack_language(getattr(engine, "bundle", None))
    # how the matching rules make one decision: an auditor reads the rules by it
    combined = node_section("How the rules combine", f"{m.id}-{m.version}-combining")
    combined += node_para(docgen.combining(doc), classes=["finpolicy-combining"])
    out.append(combined)
    out.extend(_rules_sections(doc, language, set() if anchored is None else anchored))
    out.extend(_invariants_section(doc, language))
    out.extend(_notes_section(doc))
    return out


def rule_anchor(doc: PolicyDocument[Any], ruleset: str, rule_id: str) -> str:
    """The id of a rule's entry on its policy's page (this version's)."""
    return nodes.make_id(f"rule-{doc.id}-{doc.version}-{ruleset}-{rule_id}")


def stable_rule_anchor(policy_id: str, ruleset: str, rule_id: str) -> str:
    """The id of a rule's entry without a version (``rule-cn-suitability-suitability-
    elderly-high-risk``): on the newest version of the page that holds the rule, so a link to
    it keeps working when a release replaces the version."""
    return nodes.make_id(f"rule-{policy_id}-{ruleset}-{rule_id}")


def _note_para(note: Note) -> nodes.paragraph:
    return node_para(nodes.emphasis(f"Note in the policy file (line {note.line}): ",
                                    f"Note in the policy file (line {note.line}): "),
                     note.text, classes=["finpolicy-note"])


def _notes_section(doc: PolicyDocument[Any]) -> list[nodes.Node]:
    """The notes the policy file keeps as comments (its interpretations and choices between
    sources), each with the place it stands; notes on a rule are shown under the rule and
    linked from here."""
    notes = file_notes(doc)
    if not notes:
        return []
    m = doc.metadata
    section = node_section("Notes in the policy file", f"{m.id}-{m.version}-notes")
    section += node_para("Comments of ", node_literal(Path(doc.file).name), " beside the "
                         "entries they concern: where the pack interprets a source or chooses "
                         "between sources. They decide nothing; the rules and settings above "
                         "do.")
    listing = nodes.bullet_list(classes=["finpolicy-notes"])
    rulesets = {r.id: name for name, rs in doc.policy.rulesets.items() for r in rs.rules}
    on_rules: list[nodes.Node | str] = []
    for note in notes:
        if note.rule is not None:
            anchor = rule_anchor(doc, rulesets[note.rule], note.rule)
            link = nodes.reference("", "", refid=anchor)
            link += node_literal(note.rule)
            on_rules += [", " if on_rules else "", link, f" (line {note.line})"]
            continue
        item = nodes.list_item()
        item += node_para(f"Line {note.line}, ", node_literal(note.place), f": {note.text}")
        listing += item
    if len(listing):
        section += listing
    if on_rules:
        section += node_para("Notes on rules, shown under each rule: ", *on_rules, ".")
    return [section]


def _metadata_nodes(doc: PolicyDocument[Any]) -> list[nodes.Node]:
    m = doc.metadata
    out: list[nodes.Node] = [node_fields([
        ("Policy", node_literal(m.id)),
        ("Title", m.title),  # the page is headed by the newest version's title
        ("Version", m.version),
        ("Kind", doc.kind),
        ("In force", docgen.in_force_text(doc)),
        ("Jurisdiction", m.jurisdiction),
        ("Owner", m.owner),
        ("Document", node_literal(Path(doc.file).name)),
    ])]
    if m.description:
        out.append(node_para(" ".join(m.description.split())))
    return out


def _tables_section(doc: PolicyDocument[Any]) -> list[nodes.Node]:
    m, tables = doc.metadata, docgen.spec_tables(doc)
    if not tables:
        return []
    section = node_section("Tables", f"{m.id}-{m.version}-tables")
    for title, header, rows in tables:
        section += nodes.rubric(title, title)
        # columns as wide as their longest line (within limits), items of a list of entries
        # one per line
        widths = []
        for i, head in enumerate(header):
            longest = max([len(head)] + [len(part) for row in rows
                                         for part in row[i].split(" | ")])
            widths.append(min(max(longest, 4), 48))
        section += node_table(header, [[node_cell(cell) for cell in row] for row in rows],
                              widths=widths)
    return [section]


def _sources_section(doc: PolicyDocument[Any]) -> list[nodes.Node]:
    m = doc.metadata
    if not m.sources:
        return []
    sources = node_section("Sources", f"{m.id}-{m.version}-sources")
    listing = nodes.bullet_list()
    for source in m.sources:
        item = nodes.list_item()
        parts: list[nodes.Node | str] = [node_literal(source.id), f" — {source.title}"]
        if source.article:
            parts.append(f", {source.article}")
        if source.url:
            parts += [" (", source_link(source.url), ")"]
        item += node_para(*parts)
        listing += item
    sources += listing
    return [sources]


def _rules_sections(doc: PolicyDocument[Any], language: str,
                    anchored: set[str]) -> list[nodes.Node]:
    m, out = doc.metadata, list[nodes.Node]()
    views = {(v.ruleset, v.id): v for v in docgen.rule_views(doc, language=language)}
    notes: dict[str, list[Note]] = {}
    for note in file_notes(doc):
        if note.rule is not None:
            notes.setdefault(note.rule, []).append(note)
    for name, ruleset in doc.policy.rulesets.items():
        section = node_section(f"Rules: {name}", f"{m.id}-{m.version}-rules-{name}")
        if not ruleset.rules:
            section += node_para("This rule set has no rules.")
        terms = nodes.definition_list(classes=["finpolicy-rules"])
        for rule in ruleset.rules:
            terms += _rule_entry(doc, views[name, rule.id], notes.get(rule.id, ()), anchored)
        section += terms
        out.append(section)
    return out


def _rule_entry(doc: PolicyDocument[Any], view: docgen.RuleView, notes: Sequence[Note],
                anchored: set[str]) -> nodes.definition_list_item:
    """One rule: its id (a link to itself), condition and effect, reason, notes, obligations
    and citation. The newest version of the page holding the rule also carries its anchor
    without a version (``stable_rule_anchor``), which outlives the version."""
    entry = nodes.definition_list_item()
    ids = [rule_anchor(doc, view.ruleset, view.id)]
    stable = stable_rule_anchor(doc.id, view.ruleset, view.id)
    if stable not in anchored:
        anchored.add(stable)
        ids.append(stable)
    term = nodes.term(ids=ids)
    term[INDEX_ENTRIES] = _index_entries(doc, view)
    link = nodes.reference("", "", refid=ids[-1], classes=["finpolicy-permalink"],
                           reftitle=f"a link to rule {view.id}")
    link += node_literal(view.id)
    term += link
    entry += term
    body = nodes.definition()
    body += node_para(nodes.strong("When ", "When "), f"{view.condition}: ",
                      nodes.strong(view.effect, view.effect), ".")
    if view.reason:
        body += node_para(view.reason)
    for note in notes:
        body += _note_para(note)
    extra = []
    if view.obligations:
        extra.append(("Obligations", node_para(*_join_literals(view.obligations))))
    cite = node_para(_cite_text(view.cite, doc.metadata.sources))
    if view.cite.strip():
        cite += _cited_marker(doc, view.cite)
    extra.append(("Cite", cite))
    if extra:
        body += node_fields(extra)
    entry += body
    return entry


def _invariants_section(doc: PolicyDocument[Any], language: str) -> list[nodes.Node]:
    m, invariants = doc.metadata, docgen.invariant_views(doc, language=language)
    if not invariants:
        return []
    section = node_section("Invariants", f"{m.id}-{m.version}-invariants")
    section += node_para("Checked by ", node_literal("finpolicy.testing"),
                         " on generated inputs: whenever the first part holds, so must the "
                         "second.")
    terms = nodes.definition_list(classes=["finpolicy-invariants"])
    for name, given, expect, cite in invariants:
        entry = nodes.definition_list_item()
        entry += nodes.term(name, name)
        body = nodes.definition()
        body += node_para(nodes.strong("Whenever ", "Whenever "), f"{given}, ",
                          nodes.strong("then ", "then "), f"{expect}.")
        body += node_fields([("Cite", node_para(_cite_text(cite, m.sources)))])
        entry += body
        terms += entry
    section += terms
    return [section]


CITED = "finpolicy_cited"
"""The attribute of a marker after a rule's citation: ``[(source, article, anchor), …]``, the
articles it cites; ``finpolicy.docgen.links`` makes the marker links to those articles on the
citations page, where the project has one (the site of ``finpolicy docs``), and drops it
elsewhere."""


def _cited_marker(doc: PolicyDocument[Any], cite: str) -> nodes.inline:
    from finpolicy.docgen.citations import cite_anchor, rule_citations

    found = rule_citations(cite, [s.id for s in doc.metadata.sources])
    marker = nodes.inline(classes=["finpolicy-cited"])
    marker[CITED] = list(dict.fromkeys((s, a, cite_anchor(s, a)) for s, a, _ in found))
    return marker


INDEX_ENTRIES = "finpolicy_index"
"""The attribute of a rule's term listing its entries in the general index (the rule by its id,
each article it cites under its source); ``finpolicy.docgen.links`` makes them Sphinx index
entries where it is loaded (the site of ``finpolicy docs``)."""


def _index_entries(doc: PolicyDocument[Any], view: docgen.RuleView) -> list[str]:
    from finpolicy.docgen.citations import rule_citations

    who = f"{doc.id} {doc.version}"
    # an id in several rule sets of the document: each entry says which
    if sum(view.id in (r.id for r in rs.rules) for rs in doc.policy.rulesets.values()) > 1:
        who += f" (rule set {view.ruleset})"
    out = [f"{view.id}; rule of {who}"]
    for source, article, mentioned in rule_citations(view.cite,
                                                     [s.id for s in doc.metadata.sources]):
        out.append(f"{source}; {article}: {who} {view.id}"
                   + (" (mentioned)" if mentioned else ""))
    return out


def _join_literals(words: Sequence[str]) -> list[nodes.Node | str]:
    parts: list[nodes.Node | str] = []
    for i, word in enumerate(words):
        if i:
            parts.append(", ")
        parts.append(node_literal(word))
    return parts


NO_CITE = "none: the policy file gives no source for this"


def _cite_text(cite: str, sources: Sequence[Any]) -> str:
    """A cite with its source's title; an empty one says so (a missing source is shown, not
    left out)."""
    if not cite.strip():
        return NO_CITE
    first = cite.split(maxsplit=1)[0]
    source = next((s for s in sources if s.id == first), None)
    return f"{cite} ({source.title})" if source is not None else cite


def versions_nodes(docs: Sequence[PolicyDocument[Any]], engine: Any, *,
                   pictures: bool = True) -> list[nodes.Node]:
    """A line naming the versions, then one section per version of one policy, newest
    first."""
    versions = ", ".join(f"{d.version} ({docgen.window_text(d)})" for d in docs)
    out: list[nodes.Node] = [node_para(f"{docs[-1].kind}; versions: {versions}.")]
    anchored: set[str] = set()
    for doc in reversed(docs):  # the newest first: most readers want the current text
        inner = node_section(f"Version {doc.version}", f"{doc.id}-{doc.version}")
        inner.extend(policy_nodes(doc, engine, pictures=pictures, anchored=anchored))
        out.append(inner)
    return out


def select(bundle: Bundle, only: str | None = None,
           version: str | None = None) -> dict[str, tuple[PolicyDocument[Any], ...]]:
    """Policy id → versions, narrowed to one policy and one version when asked."""
    groups = docgen.policy_groups(bundle)
    if only is not None:
        if only not in groups:
            raise FinpolicyError(f"bundle `{bundle.name}` has no policy `{only}` "
                                 f"(it has {', '.join(groups)})")
        groups = {only: groups[only]}
    if version is not None:
        groups = {k: tuple(d for d in docs if d.version == version)
                  for k, docs in groups.items()}
        if not all(groups.values()):
            raise FinpolicyError(f"no version `{version}` of {', '.join(groups)}")
    return groups


def bundle_nodes(bundle: Bundle, engine: Any, *, pictures: bool = True) -> list[nodes.Node]:
    """One section per policy (every version), in the bundle's order."""
    out: list[nodes.Node] = []
    for policy_id, docs in select(bundle).items():
        section = node_section(f"{docs[-1].metadata.title} ({policy_id})", f"policy-{policy_id}")
        section.extend(versions_nodes(docs, engine, pictures=pictures))
        out.append(section)
    return out


def history_nodes(bundle: Bundle, policy_id: str | None = None,
                  engine: Any = None) -> list[nodes.Node]:
    """For each pair of consecutive versions: the rules added, removed and changed, then the
    settings, tables and sources that changed, then (given the engine) the decisions that
    differ (``finpolicy.docgen.history``)."""
    from finpolicy.docgen.history import history_nodes as build

    return build(bundle, policy_id, engine)
