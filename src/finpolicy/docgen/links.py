"""Links from a rule's id shown on another page to the rule's entry on its policy's page, and
the general index of rules and cited articles (a Sphinx extension that ``finpolicy docs`` adds
to its project).

The version history names the rules each version added, changed and removed; each id there is
marked with its policy and the anchor of its entry (``doctree.RULE_TARGET``, set by
``docgen.history``). Where the project has a page for that policy (``policies/ID`` in the
site), the id becomes a link to the entry; elsewhere it stays text.

Each rule's entry lists its index entries (``doctree.INDEX_ENTRIES``): the rule by its id
("elderly-high-risk; rule of cn-suitability 2.3.0") and each article it cites under its source
("nfra-2025-7; Art. 18: cn-suitability 2.3.0 elderly-high-risk"); they become entries of the
site's general index (``genindex.html``).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

from finpolicy.docgen.doctree import CITED, INDEX_ENTRIES
from finpolicy.docgen.history import RULE_TARGET

__all__ = ["RuleIndex", "link_citations", "link_rules", "setup"]

PAGES = "policies/{policy}"
"""The page of a policy in the site ``finpolicy docs`` builds."""


def link_rules(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Make each marked rule id of ``docname`` a link to its entry, where its policy's page
    is part of the project."""
    found = app.env.found_docs
    for literal in list(doctree.findall(nodes.literal)):
        target = literal.get(RULE_TARGET)
        if not target or isinstance(literal.parent, nodes.reference):
            continue
        policy, anchor = target
        page = PAGES.format(policy=policy)
        if page not in found:
            continue
        if app.builder.name == "singlehtml":  # one page: the entry is on it
            uri = f"#{anchor}"
        else:
            uri = f"{app.builder.get_relative_uri(docname, page)}#{anchor}"
        link = nodes.reference("", "", internal=True, refuri=uri,
                               reftitle=f"rule {literal.astext()} on the page of {policy}")
        literal.replace_self(link)
        link += literal


CITATIONS = "citations"
"""The citations page of the site (``docgen.site.citations_page``)."""


def link_citations(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """After each rule's citation, links to the articles it cites on the citations page,
    where every rule citing the same article is listed, whatever its policy; without such a
    page the markers go."""
    has_page = CITATIONS in app.env.found_docs
    for marker in list(doctree.findall(nodes.inline)):
        cited = marker.get(CITED)
        if cited is None:
            continue
        if not has_page or not cited:
            marker.parent.remove(marker)
            continue
        base = "" if app.builder.name == "singlehtml" else \
            app.builder.get_relative_uri(docname, CITATIONS)
        marker += nodes.Text(" — every rule citing ")
        for i, (source, article, anchor) in enumerate(cited):
            if i:
                marker += nodes.Text(", ")
            link = nodes.reference("", "", internal=True, refuri=f"{base}#{anchor}")
            link += nodes.Text(f"{source} {article}")
            marker += link


class RuleIndex(SphinxTransform):
    """Each rule's index entries as Sphinx index entries pointing at its entry."""

    default_priority = 500

    def apply(self, **kwargs: Any) -> None:
        for term in self.document.findall(nodes.term):
            entries = term.get(INDEX_ENTRIES)
            if entries and term["ids"]:
                term.insert(0, addnodes.index(entries=[
                    ("single", entry, term["ids"][0], "", None) for entry in entries]))


def setup(app: Sphinx) -> dict[str, Any]:
    """Link marked rule ids once the pages' references are resolved; index the rules."""
    app.connect("doctree-resolved", link_rules)
    app.connect("doctree-resolved", link_citations)
    app.add_transform(RuleIndex)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
