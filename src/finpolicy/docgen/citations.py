"""Which rules cite which source, article by article, across every policy of a bundle: the
question an examiner starts from ("every rule that cites PIPL Art. 6").

A rule's ``cite`` names sources by the ids its document declares, each followed by what it
cites: ``pipl Art. 6``, ``nfra-2025-7 Art. 13, 29``, ``seed-000 §5.4(3) periodic audit``;
several are joined by ``;``. A part that names no declared source first (``the 30-day
dormancy period is the bank's own rule``) remarks on the part before it. The articles a part
cites are those it names before any remark in brackets (``civil-code Art. 19 (Art. 18 …)``
cites Art. 19); a source named later in a part with an article (``bank own rule (stricter
than pipl Art. 6, …)``) is listed as mentioned there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from finpolicy.docgen.text import rule_views
from finpolicy.documents.bundle import Bundle, PolicyDocument

__all__ = ["NO_ARTICLE", "Citation", "articles", "citations", "citations_rst", "cite_anchor",
           "cite_parts", "rule_citations"]

_ARTICLE = re.compile(r"Arts?\.\s*(\d+[a-z]?(?:\([^)\s]{1,6}\))?)"
                      r"((?:\s*(?:,|and|&)\s*(?:Art\.\s*)?\d+[a-z]?(?:\([^)\s]{1,6}\))?)*)")
_SECTION = re.compile(r"§\s*(\d+(?:\.\d+)*(?:\(\d+\))?)")
_NUMBER = re.compile(r"\d+[a-z]?(?:\([^)\s]{1,6}\))?")
NO_ARTICLE = "(no article named)"
NO_SOURCE = "(no declared source)"


@attrs.frozen(slots=True)
class Citation:
    """One rule citing one article (or section) of one source."""

    source: str
    article: str
    policy: str
    version: str
    ruleset: str
    rule: str
    text: str  # the part of the cite that names it
    mentioned: bool = False  # named inside another source's part, not cited first

    @property
    def anchor(self) -> str:
        """The rule's anchor on its policy's page (its version's)."""
        from docutils import nodes

        return nodes.make_id(f"rule-{self.policy}-{self.version}-{self.ruleset}-{self.rule}")


def cite_parts(cite: str, sources: Iterable[str]) -> list[tuple[str, str]]:
    """``(source id, what it cites)`` of each part of ``cite`` naming a declared source first
    (split at ``;`` outside brackets); a part naming none is added to the one before it
    (``("", text)`` when it comes first)."""
    known = set(sources)
    parts, depth, current = [], 0, ""
    for char in cite:
        depth += {"(": 1, "（": 1, ")": -1, "）": -1}.get(char, 0)
        if char == ";" and depth <= 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    out: list[tuple[str, str]] = []
    for part in (" ".join(p.split()) for p in parts):
        if not part:
            continue
        first, _, rest = part.partition(" ")
        if first in known:
            out.append((first, rest))
        elif out:
            out[-1] = (out[-1][0], f"{out[-1][1]}; {part}")
        else:
            out.append(("", part))
    return out


def articles(text: str) -> list[str]:
    """The articles and sections ``text`` names, in order: ``Art. 13, 29`` → ``["Art. 13",
    "Art. 29"]``, ``§6.2.1, §6.3.3`` → ``["§6.2.1", "§6.3.3"]``; none → ``[]``."""
    found: list[tuple[int, str]] = []
    for match in _ARTICLE.finditer(text):
        found.append((match.start(), f"Art. {match.group(1)}"))
        found += [(match.start(2), f"Art. {n}") for n in _NUMBER.findall(match.group(2))]
    found += [(m.start(), f"§{m.group(1)}") for m in _SECTION.finditer(text)]
    return list(dict.fromkeys(name for _, name in sorted(found)))


def _mentions(text: str, sources: Iterable[str], cited: str) -> list[tuple[str, str]]:
    """Sources other than ``cited`` named in ``text`` with an article or section."""
    out = []
    for source in sources:
        if source == cited:
            continue
        for match in re.finditer(rf"(?<![\w-]){re.escape(source)}\s+((?:Arts?\.|§)[^,;)]*)",
                                 text):
            out += [(source, a) for a in articles(match.group(1))]
    return out


def rule_citations(cite: str, sources: Sequence[str]) -> list[tuple[str, str, bool]]:
    """``(source, article, mentioned)`` for each article a rule's ``cite`` names: of each part
    naming a declared source first, the articles before any remark in brackets
    (``NO_ARTICLE`` when none), then sources named inside it with an article (mentioned)."""
    out = []
    for source, text in cite_parts(cite, sources):
        # the articles of the source are those named before any remark in brackets
        head = re.split(r"\s[(（]", text, maxsplit=1)[0]
        out += [(source or NO_SOURCE, a, False) for a in articles(head) or [NO_ARTICLE]]
        out += [(s, a, True) for s, a in _mentions(text, sources, source)]
    return out


def _document_citations(doc: PolicyDocument[Any]) -> list[Citation]:
    sources = [s.id for s in doc.metadata.sources]
    out = []
    for view in rule_views(doc):
        for source, text in cite_parts(view.cite, sources):
            for s, a, mentioned in rule_citations(f"{source} {text}".strip(), sources):
                out.append(Citation(s, a, doc.id, doc.version, view.ruleset, view.id,
                                    f"{source} {text}".strip(), mentioned))
    return out


def citations(bundle: Bundle) -> list[Citation]:
    """Every rule's citations, of every version of every policy of ``bundle``."""
    return [c for doc in bundle.documents for c in _document_citations(doc)]


def _article_key(article: str) -> tuple[Any, ...]:
    return tuple(int(n) if n.isdigit() else n for n in re.split(r"(\d+)", article))


def cite_anchor(source: str, article: str) -> str:
    """The id of an article's entry on the citations page (``cite-pipl-art-6``): the same for
    the same source and article in every build; an article of another form than ``Art. 6``
    or ``§5.4`` (``Art. 12(二)``, ``§5.4(3)``) is told apart by a short digest of its text."""
    import hashlib

    from docutils import nodes

    words = article.replace("§", "section ")
    anchor = nodes.make_id(f"cite-{source}-{words}")
    if article != NO_ARTICLE and not re.fullmatch(r"Art\. \d+[a-z]?|§\d+(\.\d+)*", article):
        anchor += "-" + hashlib.sha1(article.encode("utf-8")).hexdigest()[:6]
    return anchor


def citations_rst(bundle: Bundle, link: Callable[[Citation], str]) -> str:
    """The body of the citations page (reStructuredText): for each source, its title and
    every article a rule cites, with links (``link(citation)``, a URL) to the rules."""
    from finpolicy.docgen.site import heading, rst_escape
    titles: dict[str, str] = {}
    for doc in bundle.documents:
        for s in doc.metadata.sources:
            titles.setdefault(s.id, s.title)
    by_source: dict[str, dict[str, list[Citation]]] = {}
    for c in citations(bundle):
        by_source.setdefault(c.source, {}).setdefault(c.article, []).append(c)
    lines = []
    for source in sorted(by_source):
        title = f"{source}: {titles[source]}" if source in titles else source
        lines += ["", heading(title, "-")]
        for article in sorted(by_source[source], key=_article_key):
            rules = []
            for c in by_source[source][article]:
                # a rule id in several rule sets of its document: say which
                twice = sum((x.policy, x.version, x.rule) == (c.policy, c.version, c.rule)
                            for x in by_source[source][article]) > 1
                name = rst_escape(f"{c.policy} {c.version} {c.rule}"
                                  + (f" (rule set {c.ruleset})" if twice else ""))
                note = " (mentioned)" if c.mentioned else ""
                if article == NO_ARTICLE:
                    note += f" ({rst_escape(c.text)})"
                rules.append(f"`{name} <{link(c)}>`__{note}")
            # a label per article, which each citing rule's Cite field links to
            lines += ["", f".. _{cite_anchor(source, article)}:", "",
                      f"* **{rst_escape(article)}**: " + ", ".join(rules)]
    return "\n".join(lines) + "\n"
