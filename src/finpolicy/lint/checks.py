"""The lint checks, per document and per rule set."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from finpolicy.documents.bundle import Bundle, PolicyDocument
from finpolicy.documents.registry import kinds
from finpolicy.documents.yamlsource import Path
from finpolicy.lint.findings import CODES, Finding
from finpolicy.lint.solver import Domains, Solver
from finpolicy.rules.conditions import All, Compare, Condition, Exists, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.model import Rule
from finpolicy.rules.precedence import Standing
from finpolicy.rules.render import render_value

__all__ = ["lint_bundle", "lint_document", "suppressions"]

# an article, section or paragraph: a number or a section sign after the source id, or a
# Chinese one (第一百条 is article 100, 附件一 annex 1)
_ARTICLE = re.compile(r"[0-9§¶]|[零〇一二三四五六七八九十百千两]+[条款章节项目]"
                      r"|附[件录表][零〇一二三四五六七八九十]")
# `# finpolicy-lint: ignore[FPL004] why` on the line of a finding (or of its rule's id)
_IGNORE = re.compile(r"#\s*finpolicy-lint:\s*ignore\[([A-Z0-9, ]+)\]\s*(\S.*)?$")


def lint_bundle(bundle: Bundle) -> list[Finding]:
    """Every finding of every document of ``bundle``, sorted by file and line."""
    from finpolicy.lint.versions import bundle_findings

    out = [f for doc in bundle.documents for f in lint_document(doc)]
    docs = {doc.key: doc for doc in bundle.documents}
    for finding in bundle_findings(bundle):  # silenced in the document they point at
        out += _unsuppressed([finding], docs[finding.policy])
    return sorted(out, key=Finding.sort_key)


def lint_document(doc: PolicyDocument[Any]) -> list[Finding]:
    """Every finding of one document, in rule order."""
    kind = kinds().get(doc.kind)
    authoring = kind.authoring if kind is not None else None
    domains = authoring.domains(doc.spec) if authoring is not None else {}
    types = dict(kind.fields) if kind is not None else {}
    ctx = _Context(doc, domains, types, _rule_paths(doc.data))
    for name, ruleset in doc.policy.rulesets.items():
        live = [rule for rule in ruleset.rules if ctx.check_rule(rule)]
        if authoring is not None:
            standings = [(rule, authoring.standing(name, rule)) for rule in live]
            ctx.check_competition([(r, s) for r, s in standings if s is not None])
    return _unsuppressed([*ctx.findings, *_stated_numbers(doc), *_unused_obligations(doc)],
                         doc)


def _unused_obligations(doc: PolicyDocument[Any]) -> list[Finding]:
    """Obligations the document declares itself (not the bundle's shared ones) that no rule
    of it carries."""
    own = getattr(doc.spec, "vocabulary", None) or {}
    declared = own.get("obligations")
    if declared is None:
        return []
    used = {o for ruleset in doc.policy.rulesets.values() for rule in ruleset.rules
            for o in rule.obligations}
    where = ("spec", "vocabulary", "obligations")
    line = doc.source.line_of(where) if doc.source is not None else None
    return [Finding("FPL009", "info", doc.file, line, f"{doc.id}@{doc.version}",
                    "spec.vocabulary.obligations",
                    f"declares obligation `{term}`, which none of its rules carries")
            for term in sorted(set(declared.terms) - used)]


def _stated_numbers(doc: PolicyDocument[Any]) -> list[Finding]:
    """The docs' consistency check (``finpolicy.docgen.consistency``) as lint findings: text
    that states a number the policy does not use. Text inside a rule (its ``reason``) is
    named by the rule's id, so the finding is silenced on the id's line as any rule's is."""
    from finpolicy.docgen.consistency import check_document

    policy = f"{doc.id}@{doc.version}"
    owners = {path: rule_id for rule_id, path in _rule_paths(doc.data).items()}
    out = []
    for found in check_document(doc):
        message = found.message.removeprefix(f"`{found.path}` ")
        parts = tuple(int(p) if p.isdecimal() else p for p in found.path.split("."))
        cut = next((n for n in range(len(parts) - 1, 0, -1) if parts[:n] in owners), None)
        if cut is None:
            out.append(Finding("FPL008", "warning", doc.file, found.line, policy, found.path,
                               message))
        else:
            field = ".".join(str(p) for p in parts[cut:])
            out.append(Finding("FPL008", "warning", doc.file, found.line, policy,
                               owners[parts[:cut]], f"its `{field}` {message}"))
    return out


def suppressions(text: str) -> dict[int, frozenset[str]]:
    """Line → the codes its ``# finpolicy-lint: ignore[...] reason`` comment silences (a
    comment without a reason silences nothing: the exception must say why)."""
    out: dict[int, frozenset[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = _IGNORE.search(line)
        if found and found.group(2):
            out[number] = frozenset(c.strip() for c in found.group(1).split(",") if c.strip())
    return out


def _unsuppressed(findings: list[Finding], doc: PolicyDocument[Any]) -> list[Finding]:
    text = doc.source.text if doc.source is not None else None
    if not text or "finpolicy-lint" not in text:
        return findings
    quiet = suppressions(text)
    paths = _rule_paths(doc.data)
    out = []
    for finding in findings:
        lines = {finding.line}
        if finding.rule in paths and doc.source is not None:
            lines.add(doc.source.line_of(paths[finding.rule]))
        if not any(finding.code in quiet.get(line or 0, ()) for line in lines):
            out.append(finding)
    return out


class _Context:
    def __init__(self, doc: PolicyDocument[Any], domains: Domains, types: Mapping[str, str],
                 paths: Mapping[str, Path]) -> None:
        self.doc, self.domains, self.types, self.paths = doc, domains, types, paths
        self.solver = Solver(domains, types)
        self.findings: list[Finding] = []

    def add(self, code: str, rule: Rule, message: str, *, at: Path = (),
            related: Sequence[str] = ()) -> None:
        base = self.paths.get(rule.id)
        line = None
        if self.doc.source is not None:
            line = self.doc.source.line_of((*base, *at) if base is not None else ("spec",))
        self.findings.append(Finding(code, CODES[code].severity, self.doc.file, line,
                                     self.doc.key, rule.id, message, tuple(related)))

    def sat(self, *conditions: tuple[Condition, bool]) -> bool | None:
        return self.solver.satisfiable(conditions)

    def check_rule(self, rule: Rule) -> bool:
        """Report what is wrong with the rule on its own; whether it can fire."""
        reported: set[str] = set()
        for atom in _atoms(rule.when):
            if atom.dotted in reported:
                continue
            domain = self.domains.get(atom.dotted)
            if domain is not None and not domain and self.types.get(atom.dotted) != "list":
                reported.add(atom.dotted)
                self.add("FPL006", rule, f"`{atom.dotted}` is never given under this policy",
                         at=("when",))
            elif isinstance(atom, Compare) and self.sat((atom, True)) is False:
                reported.add(atom.dotted)
                values = ", ".join(render_value(v) for v in sorted(domain or (), key=str))
                self.add("FPL005", rule, f"`{atom.dotted} {atom.op} "
                         f"{render_value(atom.value)}` can never hold"
                         + (f" (its values: {values})" if values else ""), at=("when",))
            elif isinstance(atom, Compare) and self._always(atom, domain):
                reported.add(atom.dotted)
                values = ", ".join(render_value(v) for v in sorted(domain or (), key=str))
                self.add("FPL012", rule, f"`{atom.dotted} {atom.op} "
                         f"{render_value(atom.value)}` holds for every value it takes "
                         f"({values}): it narrows nothing", at=("when",))
        if not _ARTICLE.search(rule.cite.partition(" ")[2]):
            self.add("FPL004", rule, f"cite `{rule.cite}` names no article or section",
                     at=("cite",))
        if self.sat((rule.when, True)) is False:
            self.add("FPL001", rule, "its condition can never hold", at=("when",))
            return False
        return True

    def _always(self, atom: Compare, domain: Any) -> bool:
        """Whether a comparison with a fact of known values (levels, ranks, enums) holds for
        each of them: ``level_rank le 2`` with three levels (a fact may still be missing,
        which the comparison then does test, so only given values count)."""
        return (bool(domain) and not isinstance(atom.value, FieldRef)
                and self.types.get(atom.dotted) != "list"
                and self.sat((Exists(atom.path), True), (atom, False)) is False)

    def check_competition(self, rules: list[tuple[Rule, Standing]]) -> None:
        for i, (rule, standing) in enumerate(rules):
            if self._shadowed(i, rule, standing, rules):
                continue
            self._overridden(rule, standing, rules)

    def _implies(self, a: Rule, b: Rule) -> bool | None:
        found = self.sat((a.when, True), (b.when, False))
        return None if found is None else not found

    def _shadowed(self, i: int, rule: Rule, standing: Standing,
                  rules: list[tuple[Rule, Standing]]) -> bool:
        for j, (other, theirs) in enumerate(rules):
            if (j == i or theirs.slot != standing.slot or theirs.rank != standing.rank
                    or theirs.decides != standing.decides or not standing.adds <= theirs.adds):
                continue
            if not self._implies(rule, other):
                continue
            # two equivalent rules: the later one is the redundant one
            if j > i and theirs.adds == standing.adds and self._implies(other, rule):
                continue
            self.add("FPL002", rule, f"shadowed by `{other.id}`, which holds whenever it "
                     "does and has the same effect", related=(other.id,))
            return True
        return False

    def _overridden(self, rule: Rule, standing: Standing,
                    rules: list[tuple[Rule, Standing]]) -> None:
        stronger = [(other, theirs) for other, theirs in rules
                    if theirs.slot == standing.slot and theirs.rank > standing.rank
                    and self.sat((rule.when, True), (other.when, True))]
        if not stronger:
            return
        adds = frozenset().union(*(theirs.adds for _, theirs in stronger))
        if not standing.adds <= adds:
            return
        found = self.sat((rule.when, True), *((other.when, False) for other, _ in stronger))
        if found is None:
            self.add("FPL007", rule, "too large to decide whether stronger rules override it")
        elif not found:
            stronger = self._fewest(rule, standing, stronger)
            ids = [other.id for other, _ in stronger]
            names = ", ".join(f"`{i}` ({_decides(t)})" for (_, t), i in zip(stronger, ids,
                                                                              strict=True))
            self.add("FPL003", rule, f"never takes effect: {names} "
                     f"{'holds' if len(ids) == 1 else 'hold'} whenever it does and "
                     f"{'overrides' if len(ids) == 1 else 'override'} "
                     f"{_decides(standing)}", related=ids)


    def _fewest(self, rule: Rule, standing: Standing, stronger: list[tuple[Rule, Standing]]
                ) -> list[tuple[Rule, Standing]]:
        """Drop the stronger rules not needed to cover ``rule`` (greedily, last first)."""
        kept = list(stronger)
        for item in reversed(stronger):
            rest = [k for k in kept if k is not item]
            if (rest and standing.adds <= frozenset().union(*(s.adds for _, s in rest))
                    and self.sat((rule.when, True), *((o.when, False) for o, _ in rest))
                    is False):
                kept = rest
        return kept


def _decides(standing: Standing) -> str:
    """What a rule decides, in words: the parts of a tuple it sets (``core, contact, email``:
    a classification rule's level, category and mask), without those it leaves unset."""
    value = standing.decides
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value if v is not None and v is not False)
    return str(value)


def _atoms(condition: Condition) -> Iterator[Compare | Exists]:
    match condition:
        case All(items) | AnyOf(items):
            for item in items:
                yield from _atoms(item)
        case Not(item):
            yield from _atoms(item)
        case Compare(_, _, FieldRef()):
            return
        case Compare() | Exists():
            yield condition


def _rule_paths(data: Any) -> dict[str, Path]:
    """Rule id → the path of its entry in the document (the first list item with that id
    and a ``when``)."""
    out: dict[str, Path] = {}

    def visit(node: Any, path: Path) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("id"), str) and "when" in node:
                out.setdefault(node["id"], path)
            for key, value in node.items():
                visit(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, (*path, i))

    visit(data, ())
    return out
