"""Links from a rule's id shown on another page to the rule's entry on its policy's page (a
Sphinx extension that ``finpolicy docs`` adds to its project).

The version history names the rules each version added, changed and removed; each id there is
marked with its policy and the anchor of its entry (``doctree.RULE_TARGET``, set by
``docgen.history``). Where the project has a page for that policy (``policies/ID`` in the
site), the id becomes a link to the entry; elsewhere it stays text.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

from finpolicy.docgen.history import RULE_TARGET

__all__ = ["link_rules", "setup"]

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


def setup(app: Sphinx) -> dict[str, Any]:
    """Link marked rule ids once the pages' references are resolved."""
    app.connect("doctree-resolved", link_rules)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
